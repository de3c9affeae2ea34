"""One warm worker process of one function: loads the handler once, then answers invocations.

Run as a script by path (standard library only, so the function's process imports nothing of Sojourn).
Protocol, one JSON object per line: requests on stdin `{"id", "event", "timeout_ms", "arn"}`, answers on
the protocol pipe (the original stdout) `{"id", "ok", "result" | "error", "log"}`. The handler's own
`print` and `logging` output is captured per invocation; anything written straight to file descriptor 1
goes to stderr so it never corrupts the protocol.
"""

from __future__ import annotations

import importlib
import importlib.util
import io
import json
import logging
import os
import sys
import time
import traceback
from datetime import UTC, datetime
from typing import Any


class LambdaContext:
    """The context object of AWS Lambda's Python runtime (same attribute names)."""

    def __init__(self, request_id: str, arn: str, timeout_ms: int):
        env = os.environ
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = arn
        self.memory_limit_in_mb = int(env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        self.aws_request_id = request_id
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class _RequestIdFilter(logging.Filter):
    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


def error_object(exc: BaseException, error_type: str | None = None) -> dict[str, Any]:
    """Lambda's error payload: errorMessage, errorType, stackTrace (the handler's frames only)."""
    frames = traceback.extract_tb(exc.__traceback__)[1:]  # drop this module's call of the handler
    return {
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "stackTrace": traceback.format_list(frames),
    }


def load_handler(spec: str) -> Any:
    """`module.func` (Lambda's form, relative to the code directory) or `path/file.py:func`."""
    if ":" in spec:
        path, name = spec.rsplit(":", 1)
        module_spec = importlib.util.spec_from_file_location(
            os.path.splitext(os.path.basename(path))[0], path
        )
        if module_spec is None or module_spec.loader is None:
            raise ImportError(f"No module at '{path}'")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[module_spec.name] = module
        module_spec.loader.exec_module(module)
    else:
        module_name, _, name = spec.rpartition(".")
        module = importlib.import_module(module_name.replace("/", "."))
    handler = getattr(module, name, None)
    if handler is None:
        raise AttributeError(f"Handler '{name}' missing on module '{module.__name__}'")
    return handler


def _run(handler: Any, event: Any, context: LambdaContext) -> dict[str, Any]:
    """Call the handler once; the answer's `ok` and `result` or Lambda's error object."""
    try:
        result = handler(event, context)
    except Exception as exc:
        return {"ok": False, "error": error_object(exc)}
    except SystemExit as exc:  # sys.exit() in a handler ends the runtime on Lambda too
        message = (
            f"RequestId: {context.aws_request_id} Error: Runtime exited with error: exit status {exc.code}"
        )
        return {
            "ok": False,
            "exit": True,
            "error": {"errorMessage": message, "errorType": "Runtime.ExitError", "stackTrace": []},
        }
    try:
        return {"ok": True, "result": json.loads(json.dumps(result))}
    except (TypeError, ValueError) as exc:
        return {
            "ok": False,
            "error": {
                "errorMessage": f"Unable to marshal response: {exc}",
                "errorType": "Runtime.MarshalError",
                "stackTrace": [],
            },
        }


def main() -> None:
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # stray writes to fd 1 (C extensions, child processes) go to stderr
    sys.path.insert(0, os.getcwd())
    capture = io.StringIO()
    sys.stdout = sys.stderr = capture
    request_filter = _RequestIdFilter()
    log_handler = logging.StreamHandler(capture)
    log_handler.addFilter(request_filter)
    log_handler.setFormatter(
        logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
            "%Y-%m-%dT%H:%M:%S",
        )
    )
    log_handler.terminator = ""
    logging.Formatter.converter = time.gmtime
    logging.getLogger().addHandler(log_handler)

    handler: Any = None
    init_error: dict[str, Any] | None = None
    try:
        handler = load_handler(os.environ["_HANDLER"])
    except Exception as exc:
        kind = "Runtime.HandlerNotFound" if isinstance(exc, AttributeError) else "Runtime.ImportModuleError"
        init_error = error_object(exc, kind)
        init_error["errorMessage"] = f"Unable to import module '{os.environ['_HANDLER']}': {exc}"

    for line in sys.stdin:
        request = json.loads(line)
        request_id = request["id"]
        request_filter.request_id = request_id
        capture.seek(0)
        capture.truncate()
        started = datetime.now(UTC)
        answer: dict[str, Any] = {"id": request_id}
        if init_error is not None:
            answer.update(ok=False, error=init_error, exit=True)  # Lambda retries the init on the next call
        else:
            context = LambdaContext(request_id, request["arn"], request["timeout_ms"])
            answer.update(_run(handler, request["event"], context))
        sys.stdout.flush()
        answer["log"] = capture.getvalue()
        answer["started"] = started.isoformat()
        protocol.write(json.dumps(answer) + "\n")
        protocol.flush()
        if answer.get("exit"):
            return


if __name__ == "__main__":
    main()
