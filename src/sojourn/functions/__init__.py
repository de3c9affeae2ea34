"""Lambda-compatible functions: a registry of functions and their warm worker processes.

`FunctionPool` runs each function's handler in worker processes of its own (`worker.py`), with the
function's own environment, code directory and timeout; a crash or a timeout ends only that worker.
"""

from sojourn.arns import function_arn
from sojourn.functions.pool import Function, FunctionPool, Invocation, function_logs

__all__ = ["Function", "FunctionPool", "Invocation", "function_arn", "function_logs"]
