"""``time``: sleeps and tick counters against the host's clock. Timing checks go through
``timing`` (up to three attempts, see conftest)."""

from __future__ import annotations

import time
from collections.abc import Callable

from harness.board import Board

TOLERANCE = 0.05
Timing = Callable[[Callable[[], object]], None]


def test_sleep_ms_matches_host_time(board: Board, timing: Timing,
                                    stamped_exec: Callable[..., list]) -> None:
    def check() -> None:
        lines = stamped_exec("import time\nprint('a')\ntime.sleep_ms(1000)\nprint('b')")
        (t_a, a), (t_b, b) = lines
        assert (a, b) == ("a", "b")
        assert abs((t_b - t_a) - 1.0) <= TOLERANCE, t_b - t_a

    timing(check)


def test_sleep_seconds_and_us(board: Board, timing: Timing,
                              stamped_exec: Callable[..., list]) -> None:
    def check() -> None:
        lines = stamped_exec("import time\nprint('a')\ntime.sleep(0.5)\nprint('b')\n"
                             "for i in range(50):\n    time.sleep_us(10000)\nprint('c')")
        (t_a, _), (t_b, _), (t_c, _) = lines
        assert abs((t_b - t_a) - 0.5) <= 0.5 * TOLERANCE + 0.01, t_b - t_a
        assert (t_c - t_b) >= 0.5 * (1 - TOLERANCE), t_c - t_b

    timing(check)


def test_ticks_ms_follows_host_time(board: Board, timing: Timing) -> None:
    def check() -> None:
        start_host = time.monotonic()
        start = board.eval("__import__('time').ticks_ms()")
        time.sleep(1.0)
        end = board.eval("__import__('time').ticks_ms()")
        elapsed_host = time.monotonic() - start_host
        elapsed = board.eval(f"__import__('time').ticks_diff({end}, {start})") / 1000
        assert abs(elapsed - elapsed_host) <= TOLERANCE * elapsed_host + 0.02, \
            (elapsed, elapsed_host)

    timing(check)


def test_ticks_are_monotonic_and_consistent(board: Board, timing: Timing) -> None:
    def check() -> None:
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
        assert ok == "True"  # never backwards
        assert 200 <= int(dms) <= 215, dms
        assert abs(int(dus) / 1000 - int(dms)) <= 2, (dus, dms)
        assert int(dcpu) != 0  # ticks_cpu counts (it wraps quickly, so no rate check)

    timing(check)


def test_ticks_add_and_diff_wrap(board: Board) -> None:
    period = board.eval("__import__('time').ticks_add(0, -1)") + 1  # TICKS_PERIOD
    assert period & (period - 1) == 0  # a power of two
    assert board.eval(f"__import__('time').ticks_diff(1, {period - 1})") == 2
    assert board.eval(f"__import__('time').ticks_add({period - 1}, 5)") == 4
    assert board.eval("__import__('time').ticks_diff(10, 20)") == -10


def test_time_time_advances_in_seconds(board: Board) -> None:
    board.exec("import machine\nmachine.RTC().datetime((2024, 1, 1, 0, 0, 0, 0, 0))")
    t0 = board.eval("__import__('time').time()")
    board.exec("import time\ntime.sleep_ms(1100)")
    t1 = board.eval("__import__('time').time()")
    assert t1 - t0 in (1, 2)
    assert board.eval(f"__import__('time').localtime({t0})[:3]") == (2024, 1, 1)
