"""The metrics page's surface (sojourn.metrics): the documented metrics are the ones exposed, the alert
rules name only metrics that exist, the portal's tokens never reach the access log's path."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from sojourn import logs, metrics

DOCS = Path(__file__).resolve().parents[1] / "docs"


def exposed() -> set[str]:
    """Every metric family's name as scraped (a counter's with its `_total`)."""
    families = [*metrics.REGISTRY.collect(), *metrics.StoreGauges(dict).collect()]
    return {f.name + "_total" if f.type == "counter" else f.name for f in families}


def documented() -> set[str]:
    return set(re.findall(r"^\| `(sojourn_\w+)`", (DOCS / "observability.md").read_text(), re.M))


def test_every_exposed_metric_is_documented_and_every_documented_one_exposed():
    assert exposed() == documented()


def test_the_alert_rules_name_only_metrics_sojourn_exposes():
    rules = yaml.safe_load((DOCS / "alerts.yml").read_text())["groups"][0]["rules"]
    named = {name for rule in rules for name in re.findall(r"sojourn_\w+", rule["expr"])}
    assert named and named <= documented(), named - documented()


def test_the_portal_tokens_are_taken_out_of_a_logged_path():
    assert logs.redact_path("/tasks/link/abc.def-ghi") == "/tasks/link/***"
    assert logs.redact_path("/tasks/signin/xyz/extra") == "/tasks/signin/***/extra"
    assert logs.redact_path("/tasks/ht-1234/decide") == "/tasks/ht-1234/decide"
