"""``machine.RTC``: datetime set/get and running, user memory, ALARM0 with deep-sleep wake."""

from __future__ import annotations

import time

import pytest

from harness.board import Board

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


def test_datetime_agrees_with_time_module(board: Board) -> None:
    board.exec(RTC + "rtc.datetime((2030, 6, 15, 5, 8, 30, 0, 0))")
    # time.localtime: (year, month, mday, hour, minute, second, weekday, yearday)
    local = board.eval("__import__('time').localtime()")
    assert local[:5] == (2030, 6, 15, 8, 30)
    assert local[6] == 5 and local[7] == 166
    mktime = board.eval("__import__('time').mktime((2030, 6, 15, 8, 30, 0, 0, 0))")
    assert 0 <= board.eval("__import__('time').time()") - mktime <= 2


def test_rtc_follows_host_time(board: Board, timing) -> None:
    board.exec(RTC + "rtc.datetime((2025, 3, 1, 5, 0, 0, 0, 0))")

    def check() -> None:
        start_host = time.monotonic()
        start_board = board.eval("__import__('time').time_ns() // 1000")
        time.sleep(1.0)
        end_board = board.eval("__import__('time').time_ns() // 1000")
        elapsed_host = time.monotonic() - start_host
        elapsed = (end_board - start_board) / 1e6
        assert abs(elapsed - elapsed_host) <= 0.05 * elapsed_host + 0.02, (elapsed, elapsed_host)

    timing(check)


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
def test_alarm_wakes_from_deepsleep(board: Board) -> None:
    board.exec(RTC + "rtc.datetime((2026, 1, 2, 4, 3, 4, 5, 0))\nrtc.memory(b'before sleep')")
    start = time.monotonic()
    board.machine_reset(RTC + "rtc.irq(trigger=rtc.ALARM0, wake=machine.DEEPSLEEP)\n"
                        "rtc.alarm(rtc.ALARM0, 500)\nmachine.deepsleep()")
    slept = time.monotonic() - start
    assert board.eval("__import__('machine').reset_cause()") == \
        board.eval("__import__('machine').DEEPSLEEP_RESET")
    assert 0.45 <= slept <= 3.0
    board.exec(RTC)
    assert board.eval("rtc.memory()") == b"before sleep"
    # the RTC kept the time through deep sleep (the port adds the sleep to its offset)
    year, month, day, _, hour, minute, second, subsec = board.eval("rtc.datetime()")
    assert (year, month, day, hour, minute) == (2026, 1, 2, 3, 4)
    assert 5 <= second <= 7


def test_alarm_left_counts_down(board: Board, timing) -> None:
    def check() -> None:
        board.exec(RTC + "rtc.alarm(rtc.ALARM0, 5000)")
        start = time.monotonic()
        first = board.eval("rtc.alarm_left()")
        time.sleep(0.3)
        second = board.eval("rtc.alarm_left()")
        elapsed_ms = (time.monotonic() - start) * 1000
        assert 0 < second < first <= 5000
        assert 0.95 * 300 <= first - second <= elapsed_ms * 1.05 + 5, (first - second, elapsed_ms)

    timing(check)


@pytest.mark.qemu_only  # a real board wakes only with GPIO16 wired to RST
def test_deepsleep_with_time_argument_wakes(board: Board) -> None:
    start = time.monotonic()
    board.machine_reset("import machine\nmachine.deepsleep(400)")
    assert time.monotonic() - start >= 0.4
    assert board.eval("__import__('machine').reset_cause()") == 5
