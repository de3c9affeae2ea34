"""A human task opened by its link (`GET /tasks/link/{link}`, and HEAD): what is asked, its form and one
button per decision. Nothing decides on GET and the page has no script that could submit itself, so mail
scanners (Outlook Safe Links, Mimecast, Proofpoint) that open every link decide nothing; only the page's POST
decides, with the CSRF token. The link is a secret: pages are not cached and send no Referer."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from sojourn import errors
from sojourn.portal.pages import csrf_token, fields, keep_csrf, page, read_form, secure, values

__all__ = ["link_page"]


def link_page(client: Any) -> Any:
    """The endpoint of `/tasks/link/{link}` for `client` (a `sojourn.Client`)."""

    async def endpoint(request: Request) -> Response:
        link = request.path_params["link"]
        if request.method == "POST":
            return await _decide(request, client, link)
        return await _show(request, client, link)

    return endpoint


async def _show(
    request: Request,
    client: Any,
    link: str,
    *,
    status: int = 200,
    problems: dict[str, str] | None = None,
    message: str | None = None,
    typed: dict[str, Any] | None = None,
    comment: str = "",
) -> Response:
    try:
        task = await run_in_threadpool(client.describe_human_task_link, link=link)
    except errors.TaskDoesNotExist as e:
        return page("gone.html", {"message": e.message}, 404)
    csrf = csrf_token(request)
    # `?choose=<decision>` (the email's Approve or Deny link): that decision first, to confirm
    chosen = request.query_params.get("choose")
    if any(d["name"] == chosen for d in task["decisions"]):
        task = {**task, "decisions": sorted(task["decisions"], key=lambda d: d["name"] != chosen)}
    else:
        chosen = None
    context = {
        "task": task,
        "chosen": chosen,
        "fields": fields(task.get("form")),
        "problems": problems or {},
        "message": message,
        "values": typed or {},
        "comment": comment,
        "csrf": csrf,
    }
    return keep_csrf(
        page("task.html", context, status), csrf, secure(request, client.settings.public_base_url)
    )


async def _decide(request: Request, client: Any, link: str) -> Response:
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    try:
        task = await run_in_threadpool(client.describe_human_task_link, link=link)
    except errors.TaskDoesNotExist as e:
        return page("gone.html", {"message": e.message}, 404)
    typed = values(task.get("form"), form)
    comment = form.get("comment", "")
    decision = form.get("decision", "")
    try:
        done = await run_in_threadpool(
            client.decide_human_task_link, link=link, decision=decision, form=typed, comment=comment
        )
    except errors.DecisionRefused as e:
        return await _show(
            request,
            client,
            link,
            status=409 if not e.problems else 400,
            problems=e.problems,
            message=e.message,
            typed=typed,
            comment=comment,
        )
    return page("decided.html", {"task": task, "done": done, "decision": decision})
