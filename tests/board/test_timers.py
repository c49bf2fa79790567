"""``machine.Timer`` (the port's virtual timers on the SDK's ``os_timer``): one-shot and
periodic callbacks, period accuracy and callback counts in the board's own time (``ticks_us``),
``deinit``.

A timer never fires early in guest time; how late it may fire depends on whether the host gave
QEMU a CPU, so each upper bound allows the run-queue wait of QEMU's threads (``host_wait``, see
conftest) and nothing more. A periodic timer is re-armed from its deadline (no drift), and
after a stall longer than its period from the time it ran (firmware/hal/timer.c): a stall can
cost callbacks, never add one.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

import pytest

from harness.board import Board
from harness.emulator.host_load import HostWait

HostWaitFactory = Callable[[], HostWait]

# How late a callback may run on a host that gives QEMU a CPU at once: CCOMPARE0 interrupt,
# os_timer list, mp_sched_schedule and the interpreter's loop (typically ~100 us emulated).
LATENCY_US = 2000

PERIODIC = """
import machine, time
stamps = []
def tick(t):
    stamps.append(time.ticks_us())
tim = machine.Timer(-1)
tim.init(period={period}, mode=machine.Timer.PERIODIC, callback=tick)
"""


@pytest.mark.icount
def test_one_shot_fires_once_after_its_period(board: Board, host_wait: HostWaitFactory) -> None:
    wait = host_wait()
    out = board.exec(
        "import machine, time\n"
        "fired = []\n"
        "t0 = time.ticks_us()\n"
        "tim = machine.Timer(-1)\n"
        "tim.init(period=150, mode=machine.Timer.ONE_SHOT,"
        " callback=lambda t: fired.append(time.ticks_diff(time.ticks_us(), t0)))\n"
        "time.sleep_ms(500)\n"
        "print(fired)")
    fired = ast.literal_eval(out.strip())
    assert len(fired) == 1, fired  # once
    assert 150_000 <= fired[0], fired  # never early
    assert fired[0] <= 150_000 + LATENCY_US + wait.seconds * 1e6, (fired, wait.seconds)


def _periodic_run(board: Board, period_ms: int, window_ms: int) -> tuple[list[int], int, int]:
    """Stamps of a periodic timer run for ``window_ms``; also the ticks_us of its init and
    deinit."""
    board.exec(PERIODIC.replace("tim.init", "t_init = time.ticks_us()\ntim.init")
               .format(period=period_ms)
               + f"time.sleep_ms({window_ms})\ntim.deinit()\nt_end = time.ticks_us()")
    stamps, t_init, t_end = board.eval("(stamps, t_init, t_end)")
    return stamps, t_init, t_end


def _check_periodic(stamps: list[int], t_init: int, t_end: int, period_us: int,
                    wait_s: float) -> None:
    """Callbacks in guest time: none early, none extra, at most the stalls' worth missing,
    each within its latency (+ the host's wait) of its slot."""
    slack_us = wait_s * 1e6
    window = (t_end - t_init) & 0x3FFFFFFF  # ticks_us wraps at 2**30
    deadlines = window // period_us
    assert stamps, "no callback at all"
    first = (stamps[0] - t_init) & 0x3FFFFFFF
    assert period_us <= first <= period_us + LATENCY_US + slack_us, (first, wait_s)
    assert len(stamps) <= deadlines, (len(stamps), window)
    # a stall of d costs at most d / period callbacks and one more by re-phasing, which
    # takes a stall longer than a period: at most 2 * wait / period in all
    assert len(stamps) >= deadlines - 1 - 2 * slack_us // period_us, \
        (len(stamps), window, wait_s)
    intervals = [(b - a) & 0x3FFFFFFF for a, b in zip(stamps, stamps[1:], strict=False)]
    # a late callback shortens the next interval, never below the period minus its latency
    assert min(intervals) >= period_us - LATENCY_US - slack_us, (min(intervals), wait_s)
    # no drift: the k-th callback ran within its latency of slot k (shifted by the stalls)
    span = (stamps[-1] - stamps[0]) & 0x3FFFFFFF
    assert abs(span - period_us * (len(stamps) - 1)) <= LATENCY_US + slack_us, \
        (span, len(stamps), wait_s)


@pytest.mark.icount
def test_periodic_period_accuracy_against_board_ticks(board: Board,
                                                      host_wait: HostWaitFactory) -> None:
    wait = host_wait()
    stamps, t_init, t_end = _periodic_run(board, 20, 1000)
    _check_periodic(stamps, t_init, t_end, 20_000, wait.seconds)


@pytest.mark.icount
def test_periodic_10ms_callbacks_count_the_board_time(board: Board,
                                                      host_wait: HostWaitFactory) -> None:
    wait = host_wait()
    stamps, t_init, t_end = _periodic_run(board, 10, 1200)
    _check_periodic(stamps, t_init, t_end, 10_000, wait.seconds)


def test_deinit_stops_callbacks(board: Board) -> None:
    board.exec(PERIODIC.format(period=10))
    # A callback the timer scheduled just before deinit() still runs (as on hardware): the
    # 1 ms sleep runs the scheduler's queue before the count is taken.
    board.exec("time.sleep_ms(100)\ntim.deinit()\ntime.sleep_ms(1)\nn = len(stamps)")
    assert board.eval("n") >= 1
    board.exec("time.sleep_ms(300)")  # 30 periods on the board's clock
    assert board.eval("(n, len(stamps))") == (board.eval("n"),) * 2


@pytest.mark.icount
def test_timer_reinit_changes_period(board: Board, host_wait: HostWaitFactory) -> None:
    wait = host_wait()
    stamps, t_init, t_end = _periodic_run(board, 50, 300)
    _check_periodic(stamps, t_init, t_end, 50_000, wait.seconds)
    board.exec("del stamps[:]\nt_init = time.ticks_us()\n"
               "tim.init(period=10, mode=machine.Timer.PERIODIC, callback=tick)\n"
               "time.sleep_ms(300)\ntim.deinit()\nt_end = time.ticks_us()")
    stamps, t_init, t_end = board.eval("(stamps, t_init, t_end)")
    _check_periodic(stamps, t_init, t_end, 10_000, wait.seconds)


@pytest.mark.icount
def test_several_timers_run_independently(board: Board, host_wait: HostWaitFactory) -> None:
    wait = host_wait()
    out = board.exec(
        "import machine, time\n"
        "a = []\nb = []\n"
        "def fa(t):\n    a.append(time.ticks_us())\n"
        "def fb(t):\n    b.append(time.ticks_us())\n"
        "ta = machine.Timer(-1)\ntb = machine.Timer(-1)\n"
        "t_init = time.ticks_us()\n"
        "ta.init(period=10, mode=machine.Timer.PERIODIC, callback=fa)\n"
        "tb.init(period=50, mode=machine.Timer.PERIODIC, callback=fb)\n"
        "time.sleep_ms(500)\nta.deinit()\ntb.deinit()\nt_end = time.ticks_us()\n"
        "print(repr((a, b, t_init, t_end)))")
    a, b, t_init, t_end = ast.literal_eval(out.strip())
    _check_periodic(a, t_init, t_end, 10_000, wait.seconds)
    _check_periodic(b, t_init, t_end, 50_000, wait.seconds)


def test_callback_can_deinit_its_own_timer(board: Board) -> None:
    board.exec(
        "import machine, time\n"
        "n = [0]\n"
        "def cb(t):\n    n[0] += 1\n    if n[0] == 3:\n        t.deinit()\n"
        "tim = machine.Timer(-1)\n"
        "tim.init(period=10, mode=machine.Timer.PERIODIC, callback=cb)\n"
        "time.sleep_ms(200)")
    assert board.eval("n[0]") == 3


def test_soft_reset_stops_running_timers(board: Board) -> None:
    board.exec(PERIODIC.format(period=5) + "time.sleep_ms(50)")
    board.soft_reset()
    # the new interpreter reuses the heap; a left-over timer would fire into it
    out = board.exec("import time\njunk = [bytearray(64) for i in range(100)]\n"
                     "time.sleep_ms(300)\nprint('stamps' in globals(), len(junk))")
    assert out.split() == ["False", "100"]
    board.exec("import time\ntime.sleep_ms(100)")
