"""``machine.RTC``: datetime set/get and running, user memory, ALARM0 with deep-sleep wake."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from harness.board import Board
from harness.emulator.host_load import HostWait

RTC = "import machine\nrtc = machine.RTC()\n"


def test_datetime_set_and_get(board: Board) -> None:
    board.exec(RTC + "rtc.datetime((2024, 2, 29, 3, 23, 59, 58, 0))")
    year, month, day, weekday, hour, minute, second, _ = board.eval("rtc.datetime()")
    assert (year, month, day, weekday, hour, minute) == (2024, 2, 29, 3, 23, 59)
    assert second in (58, 59)


def test_datetime_runs_and_rolls_over(board: Board) -> None:
    board.exec(RTC + "rtc.datetime((2023, 12, 31, 6, 23, 59, 59, 0))\n"
               "import time\ntime.sleep_ms(1100)")
    assert board.eval("rtc.datetime()[:7]") in {(2024, 1, 1, 0, 0, 0, 0),
                                                (2024, 1, 1, 0, 0, 0, 1)}


@pytest.mark.realtime
def test_datetime_agrees_with_time_module(board: Board) -> None:
    board.exec(RTC + "rtc.datetime((2030, 6, 15, 5, 8, 30, 0, 0))")
    # time.localtime: (year, month, mday, hour, minute, second, weekday, yearday)
    local = board.eval("__import__('time').localtime()")
    assert local[:5] == (2030, 6, 15, 8, 30)
    assert local[6] == 5 and local[7] == 166
    mktime = board.eval("__import__('time').mktime((2030, 6, 15, 8, 30, 0, 0, 0))")
    assert 0 <= board.eval("__import__('time').time()") - mktime <= 2


def _bracketed(board: Board, expr: str) -> tuple[float, int, float]:
    before = time.monotonic()
    value = board.eval(expr)
    return before, value, time.monotonic()


@pytest.mark.realtime
def test_rtc_follows_host_time(board: Board) -> None:
    # The RTC counts QEMU's virtual clock, which is the host's monotonic clock: the board's
    # elapsed time lies between the inner and the outer host interval around the two reads
    # (one RTC tick is 6.25 us), however loaded the host is.
    board.exec(RTC + "rtc.datetime((2025, 3, 1, 5, 0, 0, 0, 0))")
    b0, start, a0 = _bracketed(board, "__import__('time').time_ns() // 1000")
    time.sleep(1.0)
    b1, end, a1 = _bracketed(board, "__import__('time').time_ns() // 1000")
    elapsed_us = end - start
    inner_us, outer_us = (b1 - a0) * 1e6, (a1 - b0) * 1e6
    assert inner_us - 10 <= elapsed_us <= outer_us + 10, (elapsed_us, inner_us, outer_us)


def test_memory_set_and_get(board: Board) -> None:
    board.exec(RTC + "rtc.memory(b'hello rtc memory')")
    assert board.eval("rtc.memory()") == b"hello rtc memory"
    board.exec("rtc.memory(bytes(range(200)))")
    assert board.eval("rtc.memory()") == bytes(range(200))


def test_memory_survives_machine_reset(board: Board) -> None:
    board.exec(RTC + "rtc.memory(b'kept across reset')")
    board.machine_reset()
    assert board.eval("__import__('machine').RTC().memory()") == b"kept across reset"


@pytest.mark.qemu_only  # a real board wakes only with GPIO16 wired to RST
@pytest.mark.realtime
def test_alarm_wakes_from_deepsleep(board: Board, host_wait: Callable[[], HostWait]) -> None:
    board.exec(RTC + "rtc.datetime((2026, 1, 2, 4, 3, 4, 5, 0))\nrtc.memory(b'before sleep')")
    wait = host_wait()
    start = time.monotonic()
    board.machine_reset(RTC + "rtc.irq(trigger=rtc.ALARM0, wake=machine.DEEPSLEEP)\n"
                        "rtc.alarm(rtc.ALARM0, 500)\nmachine.deepsleep()")
    slept = time.monotonic() - start
    assert board.eval("__import__('machine').reset_cause()") == \
        board.eval("__import__('machine').DEEPSLEEP_RESET")
    # the reboot to the REPL is in the window (2.5 s) and the host's wait
    assert 0.45 <= slept <= 3.0 + wait.seconds, (slept, wait.seconds)
    board.exec(RTC)
    assert board.eval("rtc.memory()") == b"before sleep"
    # the RTC kept the time through deep sleep (the port adds the sleep to its offset)
    year, month, day, _, hour, minute, second, subsec = board.eval("rtc.datetime()")
    assert (year, month, day, hour, minute) == (2026, 1, 2, 3, 4)
    assert 5 <= second <= 7


@pytest.mark.realtime
def test_alarm_left_counts_down(board: Board) -> None:
    board.exec(RTC + "rtc.alarm(rtc.ALARM0, 5000)")
    b0, first, a0 = _bracketed(board, "rtc.alarm_left()")
    time.sleep(0.3)
    b1, second, a1 = _bracketed(board, "rtc.alarm_left()")
    assert 0 < second < first <= 5000
    # counted down in ms on the RTC: between the inner and outer host intervals (+-1 ms each
    # for the ms rounding of the two reads)
    inner_ms, outer_ms = (b1 - a0) * 1000, (a1 - b0) * 1000
    assert inner_ms - 2 <= first - second <= outer_ms + 2, (first - second, inner_ms, outer_ms)


@pytest.mark.qemu_only  # a real board wakes only with GPIO16 wired to RST
@pytest.mark.realtime
def test_deepsleep_with_time_argument_wakes(board: Board) -> None:
    start = time.monotonic()
    board.machine_reset("import machine\nmachine.deepsleep(400)")
    assert time.monotonic() - start >= 0.4
    assert board.eval("__import__('machine').reset_cause()") == 5
