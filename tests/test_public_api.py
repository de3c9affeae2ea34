"""The public surface of `sojourn` is pinned: what users import must keep working."""

from __future__ import annotations

import sojourn


def test_the_public_names_are_exactly_these_and_all_resolve():
    assert sorted(sojourn.__all__) == ["Client", "Result", "VirtualClock", "__version__", "run"]
    for name in sojourn.__all__:
        assert getattr(sojourn, name) is not None


def test_sojourn_aws_gives_only_the_boto3_client_of_human_tasks_and_schedules():
    import sojourn.aws

    assert sojourn.aws.__all__ == ["tasks_client"]
    client = sojourn.aws.tasks_client(endpoint_url="http://127.0.0.1:9")
    assert client.meta.service_model.metadata["targetPrefix"] == "Sojourn"
    assert sorted(client.meta.service_model.operation_names) == [
        "CancelHumanTask",
        "DecideHumanTask",
        "DescribeHumanTask",
        "ListHumanTaskEvents",
        "ListHumanTasks",
        "ListSchedules",
        "ReassignHumanTask",
        "UpdateSchedule",
    ]
