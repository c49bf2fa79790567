"""``time``: sleeps and tick counters.

Durations are measured on the board (``ticks_us``), which never runs early; an upper bound
allows what the host kept QEMU off the CPU (``host_wait``, see conftest) and nothing more.
That the board's clock follows the host's is checked with brackets: the host reads its
clock before and after each board read, so the board's elapsed time must lie between the
inner and the outer host interval, however loaded the host is.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from harness.board import Board
from harness.emulator.host_load import HostWait

HostWaitFactory = Callable[[], HostWait]

# A sleep may end this much after its deadline on a host that gives QEMU a CPU at once: the
# wake-up goes through a timer interrupt and the interpreter's loop (measured: well under
# 1 ms for sleep_ms; the bound leaves room for a slow emulated instruction stream).
OVERSHOOT_US = 3000


def board_us(board: Board, code: str) -> list[int]:
    """Run ``code`` that prints integers; returns them."""
    return [int(v) for v in board.exec(code).split()]


@pytest.mark.icount  # the upper bound needs host_wait today
def test_sleep_ms_lasts_its_time_on_the_board(board: Board, host_wait: HostWaitFactory) -> None:
    wait = host_wait()
    (slept,) = board_us(board, "import time\nt = time.ticks_us()\ntime.sleep_ms(1000)\n"
                               "print(time.ticks_diff(time.ticks_us(), t))")
    assert 1_000_000 <= slept <= 1_000_000 + OVERSHOOT_US + wait.seconds * 1e6, \
        (slept, wait.seconds)


@pytest.mark.icount
def test_sleep_seconds_and_us(board: Board, host_wait: HostWaitFactory) -> None:
    wait = host_wait()
    half, fifty = board_us(board, "import time\nt0 = time.ticks_us()\ntime.sleep(0.5)\n"
                                  "t1 = time.ticks_us()\nfor i in range(50):\n"
                                  "    time.sleep_us(10000)\n"
                                  "print(time.ticks_diff(t1, t0), "
                                  "time.ticks_diff(time.ticks_us(), t1))")
    slack_us = wait.seconds * 1e6
    assert 500_000 <= half <= 500_000 + OVERSHOOT_US + slack_us, (half, wait.seconds)
    # fifty sleeps of 10 ms, each at least its time, each with its loop overhead
    assert 500_000 <= fifty <= 500_000 + 50 * 200 + OVERSHOOT_US + slack_us, \
        (fifty, wait.seconds)


def _bracketed(board: Board, expr: str) -> tuple[float, int, float]:
    before = time.monotonic()
    value = board.eval(expr)
    return before, value, time.monotonic()


@pytest.mark.parametrize(("expr", "unit_s", "resolution"),
                         [("__import__('time').ticks_us()", 1e-6, 1),
                          ("__import__('time').ticks_ms()", 1e-3, 1)])
@pytest.mark.realtime
def test_ticks_follow_host_time(board: Board, expr: str, unit_s: float,
                                resolution: int) -> None:
    # QEMU's virtual clock is the host's monotonic clock (without -icount), and the board's
    # ticks count it: between the inner and the outer host interval, to the tick.
    b0, start, a0 = _bracketed(board, expr)
    time.sleep(1.0)
    b1, end, a1 = _bracketed(board, expr)
    elapsed = board.eval(f"__import__('time').ticks_diff({end}, {start})")
    inner, outer = (b1 - a0) / unit_s, (a1 - b0) / unit_s
    assert inner - resolution <= elapsed <= outer + resolution, (elapsed, inner, outer)
    assert inner > 0.9 / unit_s


@pytest.mark.icount
def test_ticks_are_monotonic_and_consistent(board: Board, host_wait: HostWaitFactory) -> None:
    wait = host_wait()
    out = board.exec(
        "import time\n"
        "ok = True\n"
        "prev_ms, prev_us = time.ticks_ms(), time.ticks_us()\n"
        "for i in range(2000):\n"
        "    ms, us = time.ticks_ms(), time.ticks_us()\n"
        "    if time.ticks_diff(ms, prev_ms) < 0 or time.ticks_diff(us, prev_us) < 0:\n"
        "        ok = False\n"
        "    prev_ms, prev_us = ms, us\n"
        "m0, u0, c0 = time.ticks_ms(), time.ticks_us(), time.ticks_cpu()\n"
        "time.sleep_ms(200)\n"
        "m1, u1, c1 = time.ticks_ms(), time.ticks_us(), time.ticks_cpu()\n"
        "print(ok, time.ticks_diff(m1, m0), time.ticks_diff(u1, u0),"
        " time.ticks_diff(c1, c0))")
    ok, dms, dus, dcpu = out.split()
    slack_ms = wait.seconds * 1000
    assert ok == "True"  # never backwards
    assert 200 <= int(dms) <= 200 + OVERSHOOT_US / 1000 + slack_ms, (dms, wait.seconds)
    # ms and us read one after the other: the same time to the ms (+1 for the ms rounding)
    assert abs(int(dus) / 1000 - int(dms)) <= 2 + slack_ms, (dus, dms, wait.seconds)
    assert int(dcpu) != 0  # ticks_cpu counts (it wraps quickly, so no rate check)


def test_ticks_cpu_counts_cpu_cycles(board: Board) -> None:
    # ticks_cpu() is CCOUNT: 80 cycles per microsecond at 80 MHz. Cycle reads bracket the us
    # reads from outside and from inside, so the bounds hold to the us whatever the host does.
    out = board.exec(
        "import time\n"
        "c0 = time.ticks_cpu()\nu0 = time.ticks_us()\nc1 = time.ticks_cpu()\n"
        "while time.ticks_diff(time.ticks_us(), u0) < 2000:\n    pass\n"
        "c2 = time.ticks_cpu()\nu1 = time.ticks_us()\nc3 = time.ticks_cpu()\n"
        "print(time.ticks_diff(u1, u0), time.ticks_diff(c3, c0), time.ticks_diff(c2, c1))")
    us, outer, inner = map(int, out.split())
    assert us >= 2000
    assert inner <= 80 * (us + 1) and 80 * (us - 1) <= outer, (us, inner, outer)


def test_ticks_add_and_diff_wrap(board: Board) -> None:
    period = board.eval("__import__('time').ticks_add(0, -1)") + 1  # TICKS_PERIOD
    assert period & (period - 1) == 0  # a power of two
    assert board.eval(f"__import__('time').ticks_diff(1, {period - 1})") == 2
    assert board.eval(f"__import__('time').ticks_add({period - 1}, 5)") == 4
    assert board.eval("__import__('time').ticks_diff(10, 20)") == -10


@pytest.mark.realtime
def test_time_time_advances_in_seconds(board: Board) -> None:
    board.exec("import machine\nmachine.RTC().datetime((2024, 1, 1, 0, 0, 0, 0, 0))")
    t0 = board.eval("__import__('time').time()")
    board.exec("import time\ntime.sleep_ms(1100)")
    t1 = board.eval("__import__('time').time()")
    assert t1 - t0 in (1, 2)
    assert board.eval(f"__import__('time').localtime({t0})[:3]") == (2024, 1, 1)
