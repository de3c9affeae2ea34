"""The webhooks' configuration, in one place: the app manifest's `webhooks` section or SOJOURN_WEBHOOKS,
each problem named by webhook and field; the signing secrets read from the environment variables named,
never shown by `repr` and never settable as SOJOURN_* settings."""

from __future__ import annotations

import json

import pytest

from sojourn.config import ENVIRONMENT, Settings, SettingsError, WebhookTarget
from sojourn.manifest import ManifestError, load_manifest


def test_the_manifest_declares_webhooks_with_urls_and_secrets_from_the_environment(tmp_path):
    (tmp_path / "app.yaml").write_text(
        "webhooks:\n"
        "  ops: {url: '${Env:OPS_URL}', secret_env: OPS_SECRET, statuses: [FAILED], state_machines: [m]}\n"
        "  audit: {url: 'https://audit.example.com/in', human_task_events: true, execution_events: false}\n"
    )
    manifest = load_manifest(tmp_path / "app.yaml", env={"OPS_URL": "https://ops.example.com/hook"})
    settings = Settings.load({"OPS_SECRET": "s3cret"}, manifest=manifest.settings)
    assert settings.webhooks == (
        WebhookTarget("ops", "https://ops.example.com/hook", "OPS_SECRET", True, ("FAILED",), ("m",)),
        WebhookTarget("audit", "https://audit.example.com/in", None, False, (), (), True),
    )
    assert settings.secrets == {"OPS_SECRET": "s3cret"} and "s3cret" not in repr(settings)
    assert settings.replace(port=9000).secrets == {"OPS_SECRET": "s3cret"}
    assert settings.webhook("audit") is settings.webhooks[1] and settings.webhook("x") is None


def test_a_bad_webhook_in_the_manifest_is_named_with_its_field(tmp_path):
    (tmp_path / "app.yaml").write_text("webhooks:\n  ops: {url: 'ftp://x', statuses: [DONE]}\n")
    with pytest.raises(ManifestError) as raised:
        load_manifest(tmp_path / "app.yaml", env={})
    assert str(raised.value) == "app.yaml: webhooks.ops.url: must be an http:// or https:// URL"


@pytest.mark.parametrize(
    ("webhooks", "message"),
    [
        ({"a": {"url": "https://x", "statuses": ["DONE"]}}, "webhooks.a.statuses: 'DONE' is not one of"),
        ({"a": {"url": "https://x", "colour": "red"}}, "webhooks.a.colour: unknown field"),
        ({"a": {"url": "https://x", "human_task_events": "yes"}}, "must be true or false"),
        ({"a": "https://x"}, "webhooks.a: must be a mapping"),
    ],
)
def test_each_webhook_problem_is_named(webhooks, message):
    with pytest.raises(SettingsError, match=message):
        Settings.load({}, webhooks=webhooks)


def test_the_environment_can_give_the_webhooks_as_json_but_not_the_secrets():
    env = {
        "SOJOURN_WEBHOOKS": json.dumps({"ops": {"url": "https://ops.example.com", "secret_env": "K"}}),
        "K": "key",
        "SOJOURN_SECRETS": "ignored",
    }
    settings = Settings.load(env)
    assert [t.name for t in settings.webhooks] == ["ops"] and settings.secrets == {"K": "key"}
    assert "secrets" not in ENVIRONMENT
    with pytest.raises(SettingsError, match="SOJOURN_WEBHOOKS"):
        Settings.load({"SOJOURN_WEBHOOKS": "not json"})
