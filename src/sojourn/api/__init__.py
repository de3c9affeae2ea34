"""The Step Functions API over HTTP (AWS JSON 1.0), driven by botocore's service model.

`routes(client, settings)` gives the `POST /` route the server mounts; the action names, shapes and
error types are AWS's, so boto3 and the AWS CLI work by changing only `endpoint_url`.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute

from sojourn.api.protocol import StepFunctionsAPI

__all__ = ["StepFunctionsAPI", "routes"]


def routes(client: Any, settings: Any = None) -> list[BaseRoute]:
    """The API's routes for `client` (a `sojourn.Client`); `settings.api_key`, when set, is required."""
    return StepFunctionsAPI(client, api_key=getattr(settings, "api_key", None)).routes()
