"""boto3 clients of Sojourn's own actions (not AWS's): `tasks_client()` for human tasks and schedules.

Sojourn's human-task actions (`ListHumanTasks`, `DescribeHumanTask`, `ListHumanTaskEvents`,
`DecideHumanTask`, `ReassignHumanTask`, `CancelHumanTask`) and schedule actions (`ListSchedules`,
`UpdateSchedule`) are served on the Step Functions endpoint with
`X-Amz-Target: Sojourn.<Action>`. Their botocore-format model ships in the package; the client is an
ordinary boto3 client built from it, its errors `client.exceptions.<Name>`:

    tasks = sojourn.aws.tasks_client(endpoint_url="http://127.0.0.1:8080", api_key="...")
    for task in tasks.list_human_tasks(status="OPEN")["humanTasks"]: ...
"""

from __future__ import annotations

from typing import Any

__all__ = ["tasks_client"]


def tasks_client(endpoint_url: str, *, api_key: str | None = None, **kwargs: Any) -> Any:
    """A boto3 client (service `sojourn`) of the human-task and schedule actions of the server at
    `endpoint_url`.

    `api_key` is the server's API key (sent as the access key id, as Sojourn's other clients do); the
    other `kwargs` are boto3's `client()` arguments (`region_name`, `config`...).
    """
    import boto3
    import botocore.session

    from sojourn.api.model import DATA_DIR, SOJOURN_SERVICE
    from sojourn.arns import DEFAULT_REGION

    session = botocore.session.get_session()
    session.get_component("data_loader").search_paths.insert(0, str(DATA_DIR))
    kwargs.setdefault("region_name", DEFAULT_REGION)
    if api_key is not None or "aws_access_key_id" not in kwargs:
        kwargs["aws_access_key_id"] = api_key or "sojourn"
        kwargs.setdefault("aws_secret_access_key", "sojourn")
    return boto3.Session(botocore_session=session).client(
        SOJOURN_SERVICE, endpoint_url=endpoint_url, **kwargs
    )
