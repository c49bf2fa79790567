"""How long the host kept an emulator waiting for a CPU: the slack a real-time timing check
must allow.

Without ``-icount`` QEMU's virtual clock follows the host's monotonic clock, so guest time
(CCOUNT, the FRC timers, ``time.ticks_us()``, the GPIO pad meter) keeps running while the host
has descheduled QEMU's threads. A timer interrupt due in that time is taken late, a polling
loop misses an edge, a software PWM stretches its period: the board looks slow in its own
time. No board is that slow when it has a CPU of its own, so a timing check measured in guest
time allows exactly the time the host kept the emulator off the CPU, measured here from the
kernel's scheduler statistics (``/proc/PID/task/*/schedstat``, second field: ns spent runnable
on a run queue but not running), summed over QEMU's threads. On an idle host this is about
zero and the check keeps its tight bound; under load the bound widens by what the host took,
never by a guess. Summing threads over-counts when two wait at once, which only widens the
bound. (The deterministic clock of issue #13 will make this unnecessary.)
"""

from __future__ import annotations

from pathlib import Path


def run_queue_waits(pid: int) -> dict[int, int]:
    """ns each thread of ``pid`` has waited on a run queue, by thread id (empty if unknown)."""
    waits: dict[int, int] = {}
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return waits
    for task in tasks:
        try:
            waits[int(task.name)] = int((task / "schedstat").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue  # a thread that just exited, or a kernel without schedstat
    return waits


class HostWait:
    """``w = HostWait(pid)`` starts a window; ``w.seconds`` is the run-queue wait of the
    process's threads since then (threads started later count from 0; a thread that ended
    in the window is not counted). ``pid=None`` (a real board) always gives 0."""

    def __init__(self, pid: int | None) -> None:
        self.pid = pid
        self.start = run_queue_waits(pid) if pid is not None else {}

    @property
    def seconds(self) -> float:
        if self.pid is None:
            return 0.0
        now = run_queue_waits(self.pid)
        return sum(max(0, ns - self.start.get(tid, 0)) for tid, ns in now.items()) / 1e9
