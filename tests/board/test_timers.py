"""``machine.Timer`` (the port's virtual timers on the SDK's ``os_timer``): one-shot and
periodic callbacks, period accuracy against the board's ticks and the host's clock,
``deinit``. Timing checks go through ``timing`` (up to three attempts, see conftest)."""

from __future__ import annotations

import ast
import time
from collections.abc import Callable

from harness.board import Board

TOLERANCE = 0.05  # the accuracy requirement: 5 %

PERIODIC = """
import machine, time
stamps = []
def tick(t):
    stamps.append(time.ticks_us())
tim = machine.Timer(-1)
tim.init(period={period}, mode=machine.Timer.PERIODIC, callback=tick)
"""

Timing = Callable[[Callable[[], object]], None]


def test_one_shot_fires_once_after_its_period(board: Board, timing: Timing) -> None:
    def check() -> None:
        out = board.exec(
            "import machine, time\n"
            "fired = []\n"
            "t0 = time.ticks_ms()\n"
            "tim = machine.Timer(-1)\n"
            "tim.init(period=150, mode=machine.Timer.ONE_SHOT,"
            " callback=lambda t: fired.append(time.ticks_diff(time.ticks_ms(), t0)))\n"
            "time.sleep_ms(100)\n"
            "print(len(fired))\n"
            "time.sleep_ms(400)\n"
            "print(fired)")
        before, after = out.strip().splitlines()
        assert before == "0"  # not early
        fired = ast.literal_eval(after)
        assert len(fired) == 1  # once
        assert 150 <= fired[0] <= 150 * (1 + TOLERANCE) + 5, fired

    timing(check)


def test_periodic_period_accuracy_against_board_ticks(board: Board, timing: Timing) -> None:
    def check() -> None:
        board.exec(PERIODIC.format(period=20) + "time.sleep_ms(1000)\ntim.deinit()")
        stamps = board.eval("stamps")
        assert abs(len(stamps) - 50) <= 3, len(stamps)
        intervals = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
        mean = sum(intervals) / len(intervals)
        assert abs(mean - 20000) <= 20000 * TOLERANCE, mean
        # each callback close to its slot: no drift when the period is re-armed
        span = stamps[-1] - stamps[0]
        assert abs(span - 20000 * (len(stamps) - 1)) <= 20000 * (len(stamps) - 1) * TOLERANCE

    timing(check)


def test_periodic_callbacks_follow_host_time(board: Board, timing: Timing,
                                             stamped_exec: Callable[..., list]) -> None:
    # The host times the window between two lines the board prints; the number of callbacks
    # in it must match the host's elapsed time within 5 %.
    def check() -> None:
        board.exec(PERIODIC.format(period=10))
        lines = stamped_exec("n0 = len(stamps)\nprint('start')\ntime.sleep_ms(1200)\n"
                             "n1 = len(stamps)\nprint('end', n1 - n0)\ntim.deinit()")
        (t_start, start), (t_end, end) = lines[0], lines[1]
        assert start == "start" and end.startswith("end ")
        counted = int(end.split()[1])
        expected = (t_end - t_start) / 0.010
        assert abs(counted - expected) <= expected * TOLERANCE, (counted, expected)

    timing(check)


def test_deinit_stops_callbacks(board: Board) -> None:
    board.exec(PERIODIC.format(period=10))
    board.exec("time.sleep_ms(100)\ntim.deinit()\nn = len(stamps)")
    assert board.eval("n") >= 5
    time.sleep(0.2)
    board.exec("time.sleep_ms(100)")
    assert board.eval("len(stamps) == n") is True


def test_timer_reinit_changes_period(board: Board, timing: Timing) -> None:
    def check() -> None:
        board.exec(PERIODIC.format(period=50))
        board.exec("time.sleep_ms(300)\ntim.deinit()\nn_slow = len(stamps)\ndel stamps[:]\n"
                   "tim.init(period=10, mode=machine.Timer.PERIODIC, callback=tick)\n"
                   "time.sleep_ms(300)\ntim.deinit()\nn_fast = len(stamps)")
        n_slow, n_fast = board.eval("(n_slow, n_fast)")
        assert 5 <= n_slow <= 7, n_slow
        assert 27 <= n_fast <= 31, n_fast

    timing(check)


def test_several_timers_run_independently(board: Board, timing: Timing) -> None:
    def check() -> None:
        out = board.exec(
            "import machine, time\n"
            "a = [0]\nb = [0]\n"
            "def fa(t):\n    a[0] += 1\n"
            "def fb(t):\n    b[0] += 1\n"
            "ta = machine.Timer(-1)\ntb = machine.Timer(-1)\n"
            "ta.init(period=10, mode=machine.Timer.PERIODIC, callback=fa)\n"
            "tb.init(period=50, mode=machine.Timer.PERIODIC, callback=fb)\n"
            "time.sleep_ms(500)\nta.deinit()\ntb.deinit()\nprint(a[0], b[0])")
        a, b = map(int, out.split())
        assert 47 <= a <= 51, a
        assert 9 <= b <= 10, b

    timing(check)


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
