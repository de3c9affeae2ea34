"""The 10,000-waiting test's worker process: `python waiting_worker.py DB_URL`. Its task hands out the
token and returns, so every execution waits for SendTaskSuccess with nothing of it left in the worker's
memory."""

from __future__ import annotations

import sys
import threading

CALLBACK = "arn:aws:states:::lambda:invoke.waitForTaskToken"


def main(db_url: str) -> None:
    from sojourn.client import Client

    client = Client(db_url, resources={CALLBACK: lambda parameters: None}, workers=4)
    print("ready", flush=True)
    threading.Event().wait()
    client.close()


if __name__ == "__main__":
    main(sys.argv[1])
