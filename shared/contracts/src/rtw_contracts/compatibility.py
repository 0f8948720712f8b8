"""Backward-compatibility check between two JSON Schemas of the same event version.

A new schema is compatible with an old one when every message valid under the old schema is
still valid under the new one, and every field a consumer of the old schema reads is still
there. :func:`breaking_changes` reports, with ``$ref``/``$defs`` resolved and recursively
through nested objects, unions and array items:

- a property removed (a rename shows up as a removal);
- a type narrowed or changed (``number`` → ``integer``, ``string`` → ``integer``, a union
  losing a member, a nullable field becoming non-nullable);
- a new required field (or an optional field becoming required);
- an enum value removed, a ``const`` changed or added;
- a format or constraint tightened: ``format`` or ``pattern`` added or changed,
  ``maxLength``/``maxItems``/``maximum`` lowered or added, ``minLength``/``minItems``/
  ``minimum`` raised or added, ``multipleOf`` or ``uniqueItems`` added, additional properties
  forbidden.

Adding an optional property, widening a type, adding an enum value and loosening a constraint
are compatible. Titles, descriptions, defaults and examples are ignored.

One tightening is accepted by name: a top-level field listed in ``always_sent`` (the envelope's
:data:`rtw_contracts.envelope.ALWAYS_SENT`) may go from optional to required, because every
producer has always sent it (the model fills it in); only the schema failed to say so.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

__all__ = ["breaking_changes"]

Schema = Mapping[str, Any]
"""A JSON Schema (a JSON object)."""

_LOWER_LIMITS = ("minLength", "minItems", "minProperties")
_UPPER_LIMITS = ("maxLength", "maxItems", "maxProperties")
_ANY = "any"


def breaking_changes(old: Schema, new: Schema, *, always_sent: Collection[str] = ()) -> list[str]:
    """Return the breaking changes from ``old`` to ``new``, one message per change.

    Each message starts with the path of the change, rooted at the schema's title, e.g.
    ``ApplicationSubmitted.work_preferences.max_travel_km: type narrowed from number to
    integer``; ``[]`` stands for the items of an array. An empty list means compatible.
    A top-level property named in ``always_sent`` that becomes required is not reported.
    """
    root = str(old.get("title") or new.get("title") or "$")
    checker = _Checker(old, new, root, frozenset(always_sent))
    checker.compare(old, new, root, frozenset())
    return list(dict.fromkeys(checker.problems))


class _Checker:
    def __init__(
        self, old_root: Schema, new_root: Schema, root_path: str, always_sent: frozenset[str]
    ) -> None:
        self.old_root = old_root
        self.new_root = new_root
        self.root_path = root_path
        self.always_sent = always_sent
        self.problems: list[str] = []

    def report(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    # ------------------------------------------------------------------ traversal

    def compare(self, old: Schema, new: Schema, path: str, seen: frozenset[tuple[str, str]]) -> None:
        old_members = _members(old, self.old_root)
        new_members = _members(new, self.new_root)
        self.compare_types([m for m, _ in old_members], [m for m, _ in new_members], path)
        done: set[tuple[int, int]] = set()
        for old_member, old_ref in old_members:
            for type_ in sorted(_types(old_member) - {"null"}):
                found = _counterpart(type_, new_members)
                if found is None:
                    continue
                new_member, new_ref = found
                key = (id(old_member), id(new_member))
                if key in done:
                    continue
                done.add(key)
                refs = (old_ref, new_ref)
                if refs != ("", "") and refs in seen:
                    continue  # a recursive schema: this pair is already being compared
                inner = seen | {refs} if refs != ("", "") else seen
                self.compare_member(old_member, new_member, path, inner)

    def compare_types(self, old_members: Sequence[Schema], new_members: Sequence[Schema], path: str) -> None:
        old_types = set().union(*(_types(m) for m in old_members))
        new_types = set().union(*(_types(m) for m in new_members))
        lost = {t for t in old_types if not _accepts(new_types, t)}
        if not lost:
            return
        change = f"from {_format_types(old_types)} to {_format_types(new_types)}"
        if lost == {"null"}:
            self.report(path, f"no longer nullable (type narrowed {change})")
        elif all(_accepts(old_types, t) for t in new_types):
            self.report(path, f"type narrowed {change}")
        else:
            self.report(path, f"type changed {change}")

    def compare_member(self, old: Schema, new: Schema, path: str, seen: frozenset[tuple[str, str]]) -> None:
        self.compare_values(old, new, path)
        self.compare_constraints(old, new, path)
        types = _types(old) | _types(new)
        if "object" in types or _ANY in types:
            self.compare_objects(old, new, path, seen)
        if "array" in types or _ANY in types:
            self.compare_arrays(old, new, path, seen)

    # ------------------------------------------------------------------ rules

    def compare_values(self, old: Schema, new: Schema, path: str) -> None:
        if "const" in new:
            if "const" not in old:
                self.report(path, f"restricted to the constant {new['const']!r}")
            elif old["const"] != new["const"]:
                self.report(path, f"const changed from {old['const']!r} to {new['const']!r}")
            return
        if "enum" in new:
            allowed = list(new["enum"])
            if "const" in old:
                before = [old["const"]]
            elif "enum" in old:
                before = list(old["enum"])
            else:
                self.report(path, f"restricted to enum values {_format_values(allowed)}")
                return
            removed = [value for value in before if value not in allowed]
            if removed:
                noun = "value" if len(removed) == 1 else "values"
                self.report(path, f"enum {noun} removed: {_format_values(removed)}")

    def compare_constraints(self, old: Schema, new: Schema, path: str) -> None:
        for key in ("format", "pattern"):
            if key in new and new[key] != old.get(key):
                if key in old:
                    self.report(path, f"{key} changed from {old[key]!r} to {new[key]!r}")
                else:
                    self.report(path, f"{key} added: {new[key]!r}")
        for key in _LOWER_LIMITS:
            if key in new and (key not in old or new[key] > old[key]):
                self.report(path, _limit_message(key, "raised", old.get(key), new[key]))
        for key in _UPPER_LIMITS:
            if key in new and (key not in old or new[key] < old[key]):
                self.report(path, _limit_message(key, "lowered", old.get(key), new[key]))
        self.compare_bound(old, new, path, lower=True)
        self.compare_bound(old, new, path, lower=False)
        if "multipleOf" in new and ("multipleOf" not in old or old["multipleOf"] % new["multipleOf"] != 0):
            self.report(
                path,
                _limit_message("multipleOf", "changed", old.get("multipleOf"), new["multipleOf"]),
            )
        if new.get("uniqueItems") is True and old.get("uniqueItems") is not True:
            self.report(path, "uniqueItems added")

    def compare_bound(self, old: Schema, new: Schema, path: str, *, lower: bool) -> None:
        old_bound = _bound(old, lower=lower)
        new_bound = _bound(new, lower=lower)
        if new_bound is None:
            return
        name, verb = ("minimum", "raised") if lower else ("maximum", "lowered")
        if old_bound is None:
            self.report(path, f"{name} added: {_format_bound(new_bound, lower=lower)}")
            return
        (old_value, old_exclusive), (new_value, new_exclusive) = old_bound, new_bound
        tighter = new_value > old_value if lower else new_value < old_value
        if tighter or (new_value == old_value and new_exclusive and not old_exclusive):
            if not old_exclusive and not new_exclusive:
                change = f"from {old_value} to {new_value}"
            else:
                change = (
                    f"from {_format_bound(old_bound, lower=lower)} to {_format_bound(new_bound, lower=lower)}"
                )
            self.report(path, f"{name} {verb} {change}")

    def compare_objects(self, old: Schema, new: Schema, path: str, seen: frozenset[tuple[str, str]]) -> None:
        old_properties: Mapping[str, Schema] = old.get("properties", {})
        new_properties: Mapping[str, Schema] = new.get("properties", {})
        for name, old_property in old_properties.items():
            if name not in new_properties:
                self.report(f"{path}.{name}", "property removed")
            else:
                self.compare(old_property, new_properties[name], f"{path}.{name}", seen)
        old_required = set(old.get("required", ()))
        for name in new.get("required", ()):
            if name not in old_required:
                if path == self.root_path and name in self.always_sent and name in old_properties:
                    continue  # always sent by every producer: the schema now says so
                if name in old_properties:
                    self.report(f"{path}.{name}", "optional field became required")
                else:
                    self.report(f"{path}.{name}", "new required field")
        old_extra = old.get("additionalProperties", True)
        new_extra = new.get("additionalProperties", True)
        if new_extra is False and old_extra is not False:
            self.report(path, "additional properties no longer allowed")
        elif isinstance(old_extra, Mapping) and isinstance(new_extra, Mapping):
            self.compare(old_extra, new_extra, f"{path}.*", seen)

    def compare_arrays(self, old: Schema, new: Schema, path: str, seen: frozenset[tuple[str, str]]) -> None:
        new_items = new.get("items")
        if isinstance(new_items, Mapping):
            old_items = old.get("items")
            self.compare(old_items if isinstance(old_items, Mapping) else {}, new_items, f"{path}[]", seen)


# ---------------------------------------------------------------------- helpers


def _resolve_pointer(root: Schema, ref: str) -> Schema:
    if not ref.startswith("#"):
        raise ValueError(f"only local $refs are supported, got {ref!r}")
    node: Any = root
    for part in ref.lstrip("#").split("/"):
        if part:
            node = node[part.replace("~1", "/").replace("~0", "~")]
    if not isinstance(node, Mapping):
        raise ValueError(f"$ref {ref!r} does not point at a schema")
    return node


def _resolve(node: Schema, root: Schema, depth: int = 0) -> Schema:
    """Inline ``$ref`` (siblings override the target) and merge ``allOf``."""
    if depth > 50:
        raise ValueError("$ref chain too deep")
    if "$ref" in node:
        target = _resolve(_resolve_pointer(root, node["$ref"]), root, depth + 1)
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    if "allOf" in node:
        merged: dict[str, Any] = {}
        for part in node["allOf"]:
            merged.update(_resolve(part, root, depth + 1))
        merged.update({k: v for k, v in node.items() if k != "allOf"})
        node = merged
    return node


def _ref_of(node: Schema) -> str:
    """The ``$ref`` a schema stands for (directly or as a one-part ``allOf``), else ``""``."""
    if isinstance(node.get("$ref"), str):
        return str(node["$ref"])
    parts = node.get("allOf")
    if isinstance(parts, list) and len(parts) == 1 and isinstance(parts[0], Mapping):
        return _ref_of(parts[0])
    return ""


def _members(node: Schema, root: Schema, depth: int = 0) -> list[tuple[Schema, str]]:
    """Flatten a schema into the alternatives it accepts (``anyOf``/``oneOf``).

    Each alternative comes resolved, with the ``$ref`` it came from (for cycle detection).
    """
    if depth > 50:
        raise ValueError("anyOf/oneOf nesting too deep")
    ref = _ref_of(node)
    resolved = _resolve(node, root)
    for key in ("anyOf", "oneOf"):
        if key in resolved:
            members: list[tuple[Schema, str]] = []
            for option in resolved[key]:
                members.extend(_members(option, root, depth + 1))
            return members
    return [(resolved, ref)]


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _types(member: Schema) -> set[str]:
    declared = member.get("type")
    if isinstance(declared, str):
        return {declared}
    if isinstance(declared, list):
        return {str(t) for t in declared}
    if "const" in member:
        return {_json_type(member["const"])}
    if "enum" in member:
        return {_json_type(value) for value in member["enum"]}
    if "properties" in member:
        return {"object"}
    if "items" in member:
        return {"array"}
    return {_ANY}


def _accepts(types: set[str], type_: str) -> bool:
    return _ANY in types or type_ in types or (type_ == "integer" and "number" in types)


def _counterpart(type_: str, members: Sequence[tuple[Schema, str]]) -> tuple[Schema, str] | None:
    """The new member that takes over the old member's values of ``type_``."""
    for exact in (True, False):
        for member in members:
            types = _types(member[0])
            if (type_ in types) if exact else _accepts(types, type_):
                return member
    return None


_TYPE_ORDER = ("object", "array", "string", "number", "integer", "boolean", _ANY, "null")


def _format_types(types: set[str]) -> str:
    return " | ".join(
        sorted(
            types,
            key=lambda t: (_TYPE_ORDER.index(t), t) if t in _TYPE_ORDER else (len(_TYPE_ORDER), t),
        )
    )


def _format_values(values: Sequence[object]) -> str:
    return ", ".join(repr(value) if isinstance(value, str) else str(value) for value in values)


def _limit_message(key: str, verb: str, old: object, new: object) -> str:
    if old is None:
        return f"{key} added: {new}"
    return f"{key} {verb} from {old} to {new}"


def _bound(node: Schema, *, lower: bool) -> tuple[float, bool] | None:
    """The effective bound as (value, exclusive), combining inclusive and exclusive keys."""
    inclusive_key, exclusive_key = (
        ("minimum", "exclusiveMinimum") if lower else ("maximum", "exclusiveMaximum")
    )
    candidates: list[tuple[float, bool]] = []
    if isinstance(node.get(inclusive_key), int | float):
        candidates.append((node[inclusive_key], False))
    if isinstance(node.get(exclusive_key), int | float) and not isinstance(node.get(exclusive_key), bool):
        candidates.append((node[exclusive_key], True))
    if not candidates:
        return None
    if lower:  # the tightest lower bound: highest value, exclusive wins a tie
        return max(candidates, key=lambda c: (c[0], c[1]))
    return min(candidates, key=lambda c: (c[0], not c[1]))


def _format_bound(bound: tuple[float, bool], *, lower: bool) -> str:
    value, exclusive = bound
    if lower:
        return f"{'>' if exclusive else '>='} {value}"
    return f"{'<' if exclusive else '<='} {value}"
