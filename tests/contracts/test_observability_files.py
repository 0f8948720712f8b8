"""The alert rules and the dashboard in deploy/observability are valid and watch metrics the
platform really exports: every expression parses as PromQL, names only registered metrics (and
their labels), and every alert says how long, how bad, what it means and what to do."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import rtw_notifications.dispatch  # noqa: F401  (registers rtw_emails_total)
import rtw_platform.metrics  # noqa: F401  (registers the platform's metrics)
import yaml
from prometheus_client import REGISTRY

pytestmark = pytest.mark.contracts

ROOT = Path(__file__).resolve().parents[2]
OBSERVABILITY = ROOT / "deploy" / "observability"
OPERATIONS = ROOT / "docs" / "operations.md"

BUILT_IN = {"up": {"job", "instance"}}
"""Series Prometheus makes itself for each scrape target."""
SEVERITIES = {"critical", "warning"}
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}


def exported_metrics() -> dict[str, set[str]]:
    """Every series name the registered metrics export, with the labels each may carry."""
    labels_of: dict[str, set[str]] = {}
    for collector in list(REGISTRY._collector_to_names):
        names = getattr(collector, "_labelnames", ())
        for family in collector.collect():
            for suffix in SUFFIXES.get(family.type, ("",)):
                extra = {"le"} if suffix == "_bucket" else set()
                labels_of[family.name + suffix] = {*names, *extra, "job", "instance"}
    return {**labels_of, **BUILT_IN}


def selectors(expr: str) -> list[Any]:
    """The vector selectors of a PromQL expression (raises if it does not parse)."""
    found: list[Any] = []

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            found.append(node)

    promql_parser.walk(promql_parser.parse(expr), visit)
    return found


def grouping_labels(expr: str) -> set[str]:
    """Labels named in `by (...)` clauses."""
    return {
        label.strip() for group in re.findall(r"\bby\s*\(([^)]*)\)", expr) for label in group.split(",")
    } - {""}


def check_expression(expr: str) -> list[str]:
    """What is wrong with an expression: unknown metrics or labels."""
    known = exported_metrics()
    problems = []
    found = selectors(expr)
    assert found, f"{expr!r} selects no metric"
    labels: set[str] = set()
    for selector in found:
        if selector.name not in known:
            problems.append(f"unknown metric {selector.name!r} in {expr!r}")
            continue
        labels |= known[selector.name]
        for matcher in selector.matchers.matchers:
            if matcher.name not in known[selector.name]:
                problems.append(f"{selector.name} has no label {matcher.name!r} ({expr!r})")
    problems += [f"no metric of {expr!r} has label {label!r}" for label in grouping_labels(expr) - labels]
    return problems


def heading_anchors(markdown: str) -> set[str]:
    """GitHub's anchors of a document's headings."""
    anchors = set()
    for heading in re.findall(r"^#+\s+(.+)$", markdown, flags=re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        anchors.add(slug)
    return anchors


def alert_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load((OBSERVABILITY / "alerts.yaml").read_text())
    assert isinstance(document, dict)
    assert set(document) == {"groups"}
    rules: list[dict[str, Any]] = []
    for group in document["groups"]:
        assert set(group) <= {"name", "rules", "interval", "limit"}, group.keys()
        assert group["name"]
        assert group["rules"]
        rules += group["rules"]
    return rules


def test_metric_names_come_from_the_registry() -> None:
    known = exported_metrics()
    for name in (
        "rtw_outbox_oldest_unpublished_seconds",
        "rtw_dead_letters",
        "rtw_queue_messages",
        "rtw_emails_total",
        "rtw_http_requests_total",
        "rtw_message_handling_seconds_bucket",
    ):
        assert name in known
    assert "rtw_emails" not in known  # a counter is exported with its _total
    assert known["rtw_emails_total"] >= {"outcome"}


def test_the_alert_rules_are_rule_groups_of_valid_alerts() -> None:
    rules = alert_rules()
    names = [rule["alert"] for rule in rules]
    assert len(names) == len(set(names))
    anchors = heading_anchors(OPERATIONS.read_text())
    for rule in rules:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations", "keep_firing_for"}, rule
        assert "for" in rule, rule["alert"]
        assert re.fullmatch(r"\d+[smh]", str(rule["for"])), rule["alert"]
        assert rule["labels"]["severity"] in SEVERITIES, rule["alert"]
        annotations = rule["annotations"]
        assert annotations.get("summary"), rule["alert"]
        assert annotations.get("description"), rule["alert"]
        runbook = annotations.get("runbook", "")
        link = re.match(r"docs/operations\.md#([\w-]+): \S", runbook)
        assert link, f"{rule['alert']}: the runbook line names its section of docs/operations.md"
        assert link.group(1) == rule["alert"].lower(), f"{rule['alert']}: its section is named after it"
        assert link.group(1) in anchors, f"{rule['alert']}: no section #{link.group(1)} in docs/operations.md"
        assert check_expression(rule["expr"]) == [], rule["alert"]


def test_the_alerts_cover_what_operators_must_hear_of() -> None:
    watched = {s.name for rule in alert_rules() for s in selectors(rule["expr"])}
    assert watched >= {
        "up",
        "rtw_http_requests_total",
        "rtw_outbox_oldest_unpublished_seconds",
        "rtw_dead_letters",
        "rtw_queue_consumers",
        "rtw_queue_messages",
        "rtw_emails_total",
    }


def test_an_unknown_metric_or_bad_query_is_caught() -> None:
    # The checks can fail: a misspelt metric, a label it does not have, a query that is not PromQL.
    assert check_expression("rtw_outbox_oldest_seconds > 1")
    assert check_expression('rtw_dead_letters{route="x"} > 0')
    assert check_expression("sum by (queue) (rtw_emails_total)")
    with pytest.raises(ValueError):  # noqa: PT011
        selectors("sum(rate(rtw_dead_letters[5m]) > ")


def test_the_dashboard_panels_query_exported_metrics() -> None:
    dashboard = json.loads((OBSERVABILITY / "dashboard.json").read_text())
    assert dashboard["title"]
    assert dashboard["uid"]
    panels = dashboard["panels"]
    assert len({panel["id"] for panel in panels}) == len(panels)
    queried: set[str] = set()
    for panel in panels:
        assert panel["title"], panel
        assert panel["targets"], panel
        for target in panel["targets"]:
            assert check_expression(target["expr"]) == [], panel["title"]
            queried |= {s.name for s in selectors(target["expr"])}
    assert queried >= {s.name for rule in alert_rules() for s in selectors(rule["expr"])}


def test_prometheus_configuration_loads_the_rules() -> None:
    config = yaml.safe_load((OBSERVABILITY / "prometheus.yml").read_text())
    assert "alerts.yaml" in config["rule_files"]
    assert [job["job_name"] for job in config["scrape_configs"]] == ["rtw"]


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool (Debian's prometheus) not installed")
def test_promtool_accepts_the_rules() -> None:
    result = subprocess.run(
        ["promtool", "check", "rules", str(OBSERVABILITY / "alerts.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
