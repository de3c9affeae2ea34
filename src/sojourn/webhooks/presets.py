"""What a human task's webhook says (`Notify.Webhooks` of sojourn.asl.humantask): `render(preset, notice)`.

- JSON: Sojourn's own body (camelCase members, epoch-millisecond dates): the task, whom it asks, its
  decisions and the task's page in the approver portal.
- SLACK: a Slack incoming-webhook message: `text` (the notification's fallback) and Block Kit `blocks`
  (a header with the title, a section with the description, who is asked, a button to the task).
- TEAMS: a Microsoft Teams incoming-webhook message carrying an Adaptive Card (`type` "message",
  one `application/vnd.microsoft.card.adaptive` attachment, an `Action.OpenUrl` to the task).

A channel is read by many, and a task's link is a secret bound to one person, so no body carries a link:
every one points to the task's page of the portal (`/tasks/<task id>`), where a signed-in person decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["PRESETS", "Notice", "render"]

PRESETS = ("JSON", "SLACK", "TEAMS")
SLACK_HEADER_MAX = 150  # Block Kit's limits: a header's plain text, a section's text
SLACK_SECTION_MAX = 3000


@dataclass(frozen=True)
class Notice:
    """One notification of a human task: asked (`kind` "ASKED") or reminded ("REMINDED")."""

    kind: str
    task_id: str
    title: str
    description: str
    task_url: str
    people: tuple[dict[str, str], ...]  # {"id", "name", "email"} of those the notice is about
    decisions: tuple[str, ...]
    execution_arn: str
    state_name: str
    date: float
    deadline: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def headline(self) -> str:
        return f"Reminder: {self.title}" if self.kind == "REMINDED" else self.title

    @property
    def asked(self) -> str:
        return ", ".join(person["name"] or person["id"] for person in self.people)


def render(preset: str, notice: Notice) -> dict[str, Any]:
    """The JSON body of `notice` for `preset` (one of PRESETS)."""
    return _RENDERERS[preset](notice)


def _millis(epoch: float | None) -> int | None:
    return int(epoch * 1000) if epoch is not None else None


def _json(notice: Notice) -> dict[str, Any]:
    return {
        "type": "sojourn.humanTask." + ("reminded" if notice.kind == "REMINDED" else "asked"),
        "taskId": notice.task_id,
        "title": notice.title,
        "description": notice.description,
        "assignees": [dict(person) for person in notice.people],
        "decisions": list(notice.decisions),
        "taskUrl": notice.task_url,
        "executionArn": notice.execution_arn,
        "stateName": notice.state_name,
        "date": _millis(notice.date),
        "deadline": _millis(notice.deadline),
    }


def _slack_escape(text: str) -> str:
    """Slack's mrkdwn escapes: &, < and > (the rest is shown as written)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _slack(notice: Notice) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(notice.headline, SLACK_HEADER_MAX)}}
    ]
    if notice.description:
        text = _cut(_slack_escape(notice.description), SLACK_SECTION_MAX)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    blocks.append(
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": _slack_escape(f"Waiting for: {notice.asked}")}],
        }
    )
    blocks.append(
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Open the task"},
                    "url": notice.task_url,
                    "style": "primary",
                }
            ],
        }
    )
    fallback = _slack_escape(f"{notice.headline}: waiting for {notice.asked}")
    return {"text": fallback, "blocks": blocks}


def _teams(notice: Notice) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": notice.headline, "weight": "Bolder", "size": "Medium", "wrap": True}
    ]
    if notice.description:
        body.append({"type": "TextBlock", "text": notice.description, "wrap": True})
    body.append({"type": "FactSet", "facts": [{"title": "Waiting for", "value": notice.asked}]})
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.2",
        "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": "Open the task", "url": notice.task_url}],
    }
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


_RENDERERS = {"JSON": _json, "SLACK": _slack, "TEAMS": _teams}
