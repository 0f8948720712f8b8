"""Post/redirect/get after a refused form, so that Back and reload never ask to send it again.

A form whose answers need correcting is not rendered in the answer to its POST: the POST answers
303 back to the form's page, and the problems and what the person typed travel in a short-lived
cookie (`rtw_form`) that the page reads. The platform keeps no session state on the server (the
session is a signed token in a cookie, the CSRF token a random cookie), so the form's state is
kept the same way:

- signed (HMAC-SHA256 with a key derived from the token secret): nobody can plant problems or
  values on someone's page;
- bound to the browser's CSRF cookie and to the page's path: it is shown only on the page it was
  made for, in the browser that sent the form;
- HttpOnly, SameSite=Strict, Secure when the platform is reached over HTTPS, and good for
  `FORM_STATE_TTL` only; any page the person is shown next clears it (`Pages.render`), so a
  reload shows the form as saved;
- at most `MOST_BYTES` (browsers keep about 4 KB a cookie): if what was typed does not fit, the
  longest values are left out and the problems are still shown. Long text that must never be
  lost is saved as a draft on the server instead (the second stage).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import zlib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse

from .pages import CSRF_COOKIE, FORM_STATE_COOKIE, FormErrors, redirect, url

FORM_STATE_TTL = timedelta(minutes=10)
MOST_BYTES = 3800


@dataclass
class FormState:
    """What a refused form left for its page: the problems, and the values typed."""

    problems: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def errors(self) -> FormErrors:
        """The problems, as the page shows them."""
        return FormErrors(dict(self.problems))


def _key(request: Request) -> bytes:
    secret = request.app.state.settings.token_secret.get_secret_value().encode()
    return hmac.new(secret, b"rtw-form-state-v1", hashlib.sha256).digest()


def _binding(request: Request) -> str:
    """The browser's CSRF cookie, hashed (the state is for this browser only)."""
    csrf = request.cookies.get(CSRF_COOKIE, "")
    return hashlib.sha256(csrf.encode()).hexdigest()[:32]


def _encode(request: Request, body: dict[str, Any]) -> str:
    packed = base64.urlsafe_b64encode(zlib.compress(json.dumps(body, separators=(",", ":")).encode()))
    signature = base64.urlsafe_b64encode(hmac.new(_key(request), packed, hashlib.sha256).digest()[:20])
    return f"{packed.decode()}.{signature.decode()}"


def _decode(request: Request, cookie: str) -> dict[str, Any] | None:
    packed, _, signature = cookie.partition(".")
    expected = base64.urlsafe_b64encode(
        hmac.new(_key(request), packed.encode(), hashlib.sha256).digest()[:20]
    ).decode()
    if not signature or not hmac.compare_digest(signature, expected):
        return None
    try:
        body = json.loads(zlib.decompress(base64.urlsafe_b64decode(packed), bufsize=MOST_BYTES * 4))
    except (ValueError, zlib.error):
        return None
    return body if isinstance(body, dict) else None


def _browser_path(request: Request, path: str) -> str:
    return url(request, path.split("?", 1)[0])


def redirect_with_problems(
    request: Request, path: str, errors: FormErrors, values: dict[str, Any]
) -> RedirectResponse:
    """303 back to the form's page (`path` on this service), carrying the problems and the values
    typed for it to show again (see the module's docstring)."""
    response = redirect(request, path)
    body: dict[str, Any] = {
        "p": _browser_path(request, path),
        "b": _binding(request),
        "x": int(time.time() + FORM_STATE_TTL.total_seconds()),
        "e": errors.problems,
        "v": dict(values),
    }
    value = _encode(request, body)
    # Too big for a cookie: leave out the longest values (the problems are always shown).
    while len(value) > MOST_BYTES and body["v"]:
        longest = max(body["v"], key=lambda name: len(json.dumps(body["v"][name])))
        del body["v"][longest]
        value = _encode(request, body)
    response.set_cookie(
        FORM_STATE_COOKIE,
        value,
        max_age=int(FORM_STATE_TTL.total_seconds()),
        path=body["p"],
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.cookies_are_secure(),
    )
    return response


def form_state(request: Request) -> FormState | None:
    """What a refused form left for this page in this browser (None: nothing, someone else's,
    another page's, expired or tampered with)."""
    cookie = request.cookies.get(FORM_STATE_COOKIE)
    if not cookie:
        return None
    body = _decode(request, cookie)
    if (
        body is None
        or body.get("p") != _browser_path(request, request.url.path)
        or body.get("b") != _binding(request)
        or not isinstance(body.get("x"), int)
        or body["x"] < time.time()
    ):
        return None
    problems, values = body.get("e"), body.get("v")
    if not isinstance(problems, dict) or not isinstance(values, dict):
        return None
    return FormState({str(k): str(v) for k, v in problems.items()}, values)
