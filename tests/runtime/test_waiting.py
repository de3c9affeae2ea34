"""10,000 executions waiting on task tokens cost the worker process no CPU and no memory per execution.

Generous bounds on behaviour (idle, flat), not a benchmark: the machine is shared with other work.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from runtime_support import machine
from waiting_worker import CALLBACK

from sojourn.client import Client

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc"),
]

WORKER = Path(__file__).with_name("waiting_worker.py")
TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def rss_bytes(pid: int) -> int:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE


def start_waiting(client: Client, machine_arn: str, count: int, offset: int) -> None:
    for number in range(offset, offset + count):
        client.start_execution(
            stateMachineArn=machine_arn, name=f"w-{number}", input=json.dumps({"n": number})
        )


def wait_until_all_wait(client: Client, total: int) -> None:
    deadline = time.monotonic() + 240
    while True:
        with client.store.transaction(write=False) as tx:
            if tx.count_waiting_tokens() == total and tx.count_work() == 0:
                return
        assert time.monotonic() < deadline, "the executions did not all reach their task token"
        time.sleep(0.5)


def idle_cpu_and_rss(pid: int, seconds: float = 3.0) -> tuple[float, int]:
    time.sleep(1.0)  # the last commits, the SQLite checkpoint
    before = cpu_seconds(pid)
    time.sleep(seconds)
    return cpu_seconds(pid) - before, rss_bytes(pid)


def test_ten_thousand_waiting_executions_leave_the_worker_idle_and_its_memory_flat(tmp_path: Path):
    db_url = f"sqlite:///{tmp_path}/waiting.db"
    client = Client(db_url, start=False)
    worker = subprocess.Popen([sys.executable, str(WORKER), db_url], stdout=subprocess.PIPE)
    try:
        assert worker.stdout is not None and worker.stdout.readline().strip() == b"ready"
        machine_arn = machine(
            client,
            {
                "StartAt": "Ask",
                "States": {
                    "Ask": {
                        "Type": "Task",
                        "Resource": CALLBACK,
                        "End": True,
                        "Parameters": {
                            "FunctionName": "ask",
                            "Payload": {"token.$": "$$.Task.Token", "n.$": "$.n"},
                        },
                    }
                },
            },
        )
        start_waiting(client, machine_arn, 100, 0)
        wait_until_all_wait(client, 100)
        cpu_100, rss_100 = idle_cpu_and_rss(worker.pid)
        start_waiting(client, machine_arn, 4_900, 100)
        wait_until_all_wait(client, 5_000)
        _, rss_5000 = idle_cpu_and_rss(worker.pid, 0.1)
        start_waiting(client, machine_arn, 5_000, 5_000)
        wait_until_all_wait(client, 10_000)
        cpu_10000, rss_10000 = idle_cpu_and_rss(worker.pid)
        print(
            f"worker CPU over 3 s: {cpu_100:.3f} s (100 waiting), {cpu_10000:.3f} s (10,000 waiting); "
            f"RSS {rss_100 / 2**20:.1f} MB -> {rss_5000 / 2**20:.1f} MB (5,000) -> {rss_10000 / 2**20:.1f} MB"
        )
        assert cpu_100 < 0.15 and cpu_10000 < 0.15  # under 5% of one core: idle, not polling per execution
        # warm-up first (task threads, SQLite's page cache of up to 2 MB per connection), then flat: under
        # 1 KB per waiting execution from 5,000 to 10,000, where a per-execution cost would add megabytes
        assert rss_10000 - rss_100 < 15 * 2**20
        assert rss_10000 - rss_5000 < 5 * 2**20
    finally:
        worker.kill()
        worker.wait()
        client.close()
