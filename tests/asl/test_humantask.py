"""A human task's arguments (sojourn.asl.humantask, ours): what a definition may declare, and form values."""

from __future__ import annotations

import pytest

from sojourn.asl import humantask
from sojourn.asl.humantask import DEFAULT_EXPIRY_ERROR, Quorum, SpecError, check, check_form, read

EXPENSE = {
    "Title": "Expense of 1,200 EUR by Bo",
    "Description": "Flights to the conference",
    "Assignees": ["group:finance"],
    "Decisions": [
        {"Name": "Approve"},
        {"Name": "Reject", "Rejects": True, "RequiresComment": True},
    ],
    "Form": {
        "type": "object",
        "properties": {
            "amount": {"type": "number", "minimum": 0, "maximum": 10000},
            "costCentre": {"type": "string", "enum": ["R&D", "Sales"]},
            "paidOn": {"type": "string", "format": "date"},
            "urgent": {"type": "boolean"},
        },
        "required": ["amount"],
    },
    "Quorum": {"AtLeast": 1},
    "Reminders": [172800, 86400],
    "Escalation": {"AfterSeconds": 259200, "Assignees": ["cfo"], "Mode": "ADD"},
    "Expiry": {"AfterSeconds": 604800, "Error": "Expense.Expired"},
    "Requester": "bo",
    "Notify": {"Email": True, "Webhooks": [{"Url": "https://hooks.example.com/x", "Preset": "SLACK"}]},
}


def test_a_full_declaration_reads_into_its_spec():
    spec = read(EXPENSE)
    assert spec.title == "Expense of 1,200 EUR by Bo" and spec.assignees == ("group:finance",)
    assert [d.name for d in spec.decisions] == ["Approve", "Reject"]
    assert spec.decisions[1].rejects and spec.decisions[1].requires_comment and not spec.decisions[0].rejects
    assert spec.approving.name == "Approve"
    assert spec.reminders == (86400.0, 172800.0)  # in order, whatever order they were given in
    assert spec.escalation == humantask.Escalation(259200.0, ("cfo",), replace=False)
    assert spec.expiry == humantask.Expiry(604800.0, "Expense.Expired", "Nobody decided the task in time")
    assert spec.requester == "bo" and spec.email is True
    assert spec.webhooks == (humantask.Webhook("https://hooks.example.com/x", "SLACK"),)
    assert check(EXPENSE) == []


def test_the_least_declaration_gets_approve_and_deny_any_one_deciding():
    spec = read({"Title": "Leave", "Assignees": ["lead@example.com"]})
    assert [(d.name, d.rejects) for d in spec.decisions] == [("Approve", False), ("Deny", True)]
    assert spec.quorum == Quorum(1) and spec.expiry is None and spec.form is None
    assert read({"Title": "t", "Assignees": ["a", "b"], "Quorum": "ALL"}).quorum == Quorum(None)
    assert (
        read({"Title": "t", "Assignees": ["a"], "Expiry": {"AfterSeconds": 5}}).expiry.error
        == DEFAULT_EXPIRY_ERROR
    )


@pytest.mark.parametrize(
    ("arguments", "path", "words"),
    [
        ({"Assignees": ["a"]}, "Title", "is required"),
        ({"Title": "t"}, "Assignees", "is required"),
        ({"Title": "", "Assignees": ["a"]}, "Title", "non-empty string"),
        ({"Title": "t", "Assignees": []}, "Assignees", "non-empty list"),
        ({"Title": "t", "Assignees": ["a", 3]}, "Assignees[1]", "person's id"),
        ({"Title": "t", "Assignees": ["a"], "Approvers": ["b"]}, "Approvers", "not supported"),
        (
            {"Title": "t", "Assignees": ["a"], "Decisions": [{"Name": "Ok go"}]},
            "Decisions[0].Name",
            "letters",
        ),
        ({"Title": "t", "Assignees": ["a"], "Decisions": ["Yes", "Yes"]}, "Decisions[1].Name", "twice"),
        (
            {"Title": "t", "Assignees": ["a"], "Decisions": [{"Name": "A", "Veto": True}]},
            "Decisions[0]",
            "Veto",
        ),
        ({"Title": "t", "Assignees": ["a"], "Quorum": "MOST"}, "Quorum", "AtLeast"),
        ({"Title": "t", "Assignees": ["a"], "Quorum": {"AtLeast": 0}}, "Quorum", "n >= 1"),
        ({"Title": "t", "Assignees": ["a", "b"], "Quorum": {"AtLeast": 3}}, "Quorum", "3 decisions of 2"),
        ({"Title": "t", "Assignees": ["a"], "Reminders": [0]}, "Reminders[0]", "positive number"),
        ({"Title": "t", "Assignees": ["a"], "Reminders": 60}, "Reminders", "list"),
        (
            {
                "Title": "t",
                "Assignees": ["a"],
                "Escalation": {"AfterSeconds": 9, "Assignees": ["b"], "Mode": "X"},
            },
            "Escalation.Mode",
            "ADD",
        ),
        (
            {"Title": "t", "Assignees": ["a"], "Expiry": {"AfterSeconds": 9, "Error": "has space"}},
            "Expiry.Error",
            "error name",
        ),
        ({"Title": "t", "Assignees": ["a"], "Form": {"type": "array"}}, "Form", "JSON Schema object"),
        (
            {
                "Title": "t",
                "Assignees": ["a"],
                "Form": {"type": "object", "properties": {"x": {"type": "file"}}},
            },
            "Form.properties.x",
            "must have a type",
        ),
        (
            {
                "Title": "t",
                "Assignees": ["a"],
                "Form": {"type": "object", "properties": {"comment": {"type": "string"}}},
            },
            "Form.properties.comment",
            "not 'comment'",
        ),
        (
            {
                "Title": "t",
                "Assignees": ["a"],
                "Form": {"type": "object", "properties": {}, "required": ["x"]},
            },
            "Form.required",
            "list properties",
        ),
        (
            {"Title": "t", "Assignees": ["a"], "Notify": {"Webhooks": [{"Url": "ftp://x"}]}},
            "Notify.Webhooks[0].Url",
            "http(s)",
        ),
        (
            {
                "Title": "t",
                "Assignees": ["a"],
                "Notify": {"Webhooks": [{"Url": "https://x", "Preset": "IRC"}]},
            },
            "Notify.Webhooks[0].Preset",
            "SLACK",
        ),
    ],
)
def test_each_mistake_names_its_field(arguments, path, words):
    with pytest.raises(SpecError) as raised:
        read(arguments)
    assert raised.value.path == path and words in raised.value.message
    assert any(found == path and words in message for found, message in check(arguments))


def test_a_definition_leaves_evaluated_values_alone_and_refuses_them_unevaluated():
    jsonata = {
        "Title": "{% 'Leave of ' & $states.input.employeeId %}",
        "Assignees": "{% [$states.input.lead] %}",
    }
    jsonpath = {"Title.$": "$.title", "Assignees.$": "$.approvers", "Quorum": {"AtLeast": 2}}
    assert check(jsonata) == [] and check(jsonpath) == [] and check("{% $states.input.task %}") == []
    with pytest.raises(SpecError, match="was not evaluated"):
        read(jsonpath)


def test_a_webhook_gives_a_url_or_names_a_webhook_of_the_settings_and_a_preset():
    hooks = [{"Webhook": "leads", "Preset": "TEAMS"}, {"Url": "http://127.0.0.1:9/x"}]
    spec = read({"Title": "t", "Assignees": ["a"], "Notify": {"Webhooks": hooks}})
    assert spec.webhooks == (
        humantask.Webhook(None, "TEAMS", "leads"),
        humantask.Webhook("http://127.0.0.1:9/x", "JSON"),
    )
    wrong = [{"Url": "ftp://x"}, {"Url": "https://x", "Webhook": "y"}, {}, {"Webhook": "y", "Preset": "FAX"}]
    problems = check({"Title": "t", "Assignees": ["a"], "Notify": {"Webhooks": wrong}})
    assert [path for path, _ in problems] == [
        "Notify.Webhooks[0].Url",
        "Notify.Webhooks[1]",
        "Notify.Webhooks[2]",
        "Notify.Webhooks[3].Preset",
    ]


def test_form_values_are_checked_against_the_form():
    form = EXPENSE["Form"]
    assert (
        check_form(form, {"amount": 1200, "costCentre": "R&D", "paidOn": "2026-11-30", "urgent": False}) == {}
    )
    assert check_form(form, {}) == {"amount": "This field is required"}
    assert check_form(form, {"amount": -1}) == {"amount": "Must be at least 0"}
    assert check_form(form, {"amount": "12"}) == {"amount": "Must be a number"}
    assert check_form(form, {"amount": 1, "costCentre": "Ops"}) == {
        "costCentre": "Must be one of: R&D, Sales"
    }
    assert check_form(form, {"amount": 1, "paidOn": "30/11/2026"}) == {
        "paidOn": "Must be a date (YYYY-MM-DD)"
    }
    assert check_form(form, {"amount": 1, "urgent": "yes"}) == {"urgent": "Must be true or false"}
    assert check_form(form, {"amount": 1, "bonus": 5}) == {"bonus": "This form has no such field"}
    assert check_form(None, {}) == {}
