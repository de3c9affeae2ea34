"""A human task's webhook bodies: Slack's incoming-webhook message and Teams' Adaptive Card message have the
documented shapes (samples in tests/data with their origins); JSON is ours; none carries a link token."""

from __future__ import annotations

import json
from pathlib import Path

from sojourn.webhooks.presets import Notice, render

DATA = Path(__file__).parents[1] / "data"
SLACK = json.loads((DATA / "slack_incoming_webhook.json").read_text())["message"]
TEAMS = json.loads((DATA / "teams_adaptive_card_webhook.json").read_text())["message"]
NOTICE = Notice(
    kind="ASKED",
    task_id="ht-1",
    title="Leave for <E002> & co",
    description="Ann asks for *3 days*",
    task_url="https://sojourn.example.com/tasks/ht-1",
    people=({"id": "ann", "name": "Ann Lead", "email": "ann@example.com"},),
    decisions=("Approve", "Deny"),
    execution_arn="arn:aws:states:us-east-1:123456789012:execution:m:e",
    state_name="Ask",
    date=1_800_000_000.0,
    deadline=1_800_086_400.0,
)


def _shape(value):
    """The structure of a JSON value: the keys and types of every member, values left out."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(item) for item in value]
    return type(value).__name__


def test_slack_gets_text_and_blocks_in_the_documented_shape():
    body = render("SLACK", NOTICE)
    assert set(body) == set(SLACK)
    assert [b["type"] for b in body["blocks"]] == [b["type"] for b in SLACK["blocks"]]
    assert [_shape(b) for b in body["blocks"]] == [_shape(b) for b in SLACK["blocks"]]
    header, section, context, actions = body["blocks"]
    assert header["text"] == {"type": "plain_text", "text": "Leave for <E002> & co"}  # plain text as is
    assert section["text"]["text"] == "Ann asks for *3 days*"
    assert "Ann Lead" in context["elements"][0]["text"]
    assert actions["elements"][0]["url"] == NOTICE.task_url
    assert body["text"] == "Leave for &lt;E002&gt; &amp; co: waiting for Ann Lead"  # mrkdwn escaped


def test_teams_gets_an_adaptive_card_message_in_the_documented_shape():
    body = render("TEAMS", NOTICE)
    assert set(body) == set(TEAMS) and body["type"] == "message"
    [attachment], [documented] = body["attachments"], TEAMS["attachments"]
    assert set(attachment) == set(documented)
    assert attachment["contentType"] == documented["contentType"]
    card = attachment["content"]
    assert {k: card[k] for k in ("$schema", "type", "version")} == {
        k: documented["content"][k] for k in ("$schema", "type", "version")
    }
    assert card["body"][0]["text"] == NOTICE.title
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open the task", "url": NOTICE.task_url}]


def test_json_is_sojourn_s_own_body_with_the_task_and_its_page():
    body = render("JSON", NOTICE)
    assert body == {
        "type": "sojourn.humanTask.asked",
        "taskId": "ht-1",
        "title": NOTICE.title,
        "description": NOTICE.description,
        "assignees": [{"id": "ann", "name": "Ann Lead", "email": "ann@example.com"}],
        "decisions": ["Approve", "Deny"],
        "taskUrl": NOTICE.task_url,
        "executionArn": NOTICE.execution_arn,
        "stateName": "Ask",
        "date": 1_800_000_000_000,
        "deadline": 1_800_086_400_000,
    }


def test_a_reminder_says_so():
    from dataclasses import replace

    reminder = replace(NOTICE, kind="REMINDED")
    assert render("JSON", reminder)["type"] == "sojourn.humanTask.reminded"
    assert render("SLACK", reminder)["blocks"][0]["text"]["text"].startswith("Reminder: ")
    assert render("TEAMS", reminder)["attachments"][0]["content"]["body"][0]["text"].startswith("Reminder: ")
