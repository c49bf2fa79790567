"""``harness.host_load``: the run-queue wait of a process's threads, from schedstat."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

from harness.emulator.host_load import HostWait, run_queue_waits


def test_run_queue_waits_lists_every_thread() -> None:
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait)
    worker.start()
    try:
        waits = run_queue_waits(os.getpid())
        assert threading.get_native_id() in waits and worker.native_id in waits
        assert all(isinstance(ns, int) and ns >= 0 for ns in waits.values())
    finally:
        stop.set()
        worker.join()


def test_host_wait_grows_and_never_goes_negative() -> None:
    wait = HostWait(os.getpid())
    first = wait.seconds
    sum(range(200_000))  # some CPU time, maybe some waiting
    assert 0.0 <= first <= wait.seconds


def test_real_board_and_gone_process_give_zero() -> None:
    assert HostWait(None).seconds == 0.0
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert run_queue_waits(proc.pid) == {}
    assert HostWait(proc.pid).seconds == 0.0
