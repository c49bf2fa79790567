"""Resets and ``machine.reset_cause()``: power-on, soft reboot, ``machine.reset()``, hard
reset (QMP ``system_reset``), watchdog, deep-sleep wake, fatal exception.

The values are the SDK's ``rst_info.reason`` codes, which the port returns unchanged:
PWRON_RESET 0, WDT_RESET 1 (hardware watchdog), exception 2, soft watchdog 3, SOFT_RESET 4,
DEEPSLEEP_RESET 5, HARD_RESET 6.
"""

from __future__ import annotations

import time

import pytest

from harness.board import Board
from harness.errors import BoardCrashed

CAUSE = "__import__('machine').reset_cause()"
REASON_EXCEPTION_RST = 2
REASON_SOFT_WDT_RST = 3  # no machine constant (MicroPython PR #9119 was closed unmerged)


def constant(board: Board, name: str) -> int:
    return board.eval(f"__import__('machine').{name}")


@pytest.mark.qemu_only  # a real board's last reset is whatever happened before the test
def test_power_on_cause_after_qemu_start(fresh_board: Board) -> None:
    assert fresh_board.eval(CAUSE) == constant(fresh_board, "PWRON_RESET") == 0


@pytest.mark.qemu_only
def test_soft_reboot_keeps_the_cause_of_the_last_reset(fresh_board: Board) -> None:
    fresh_board.soft_reset()
    assert fresh_board.eval(CAUSE) == constant(fresh_board, "PWRON_RESET")


def test_machine_reset_restarts_with_soft_reset_cause(board: Board, mpy_name: str) -> None:
    board.exec("marker_before_reset = 1")
    boot = board.machine_reset()
    assert mpy_name in boot
    assert board.eval("'marker_before_reset' in globals()") is False
    assert board.eval(CAUSE) == constant(board, "SOFT_RESET") == 4


@pytest.mark.qemu_only
def test_hard_reset_gives_hard_reset_cause(board: Board) -> None:
    board.hard_reset()
    assert board.eval(CAUSE) == constant(board, "HARD_RESET") == 6


@pytest.mark.qemu_only  # a real board wakes only with GPIO16 wired to RST
@pytest.mark.realtime
def test_deepsleep_wakes_with_deepsleep_cause(board: Board) -> None:
    start = time.monotonic()
    board.machine_reset("import machine\nmachine.deepsleep(300)")
    slept = time.monotonic() - start
    assert board.eval(CAUSE) == constant(board, "DEEPSLEEP_RESET") == 5
    assert slept >= 0.3  # it did sleep, not reset at once


@pytest.mark.timeout(40)
@pytest.mark.realtime
def test_unfed_watchdog_resets_the_board(board: Board) -> None:
    # The esp8266 port's machine.WDT is the SDK's soft watchdog (1.6-3.2 s, fixed); when it
    # bites, the chip restarts with rst_info.reason REASON_SOFT_WDT_RST, as on hardware.
    start = time.monotonic()
    boot = board.machine_reset("import machine\nwdt = machine.WDT()\nwhile True:\n    pass",
                               timeout=20)
    waited = time.monotonic() - start
    assert "Soft WDT reset" in boot
    assert 1.5 < waited < 15.0
    assert board.eval(CAUSE) == REASON_SOFT_WDT_RST


@pytest.mark.timeout(40)
@pytest.mark.realtime
def test_fed_watchdog_keeps_the_board_running(board: Board) -> None:
    # Longer than the soft watchdog's timeout (2 ticks of 1.6 s). Once started, the
    # watchdog cannot be stopped (the idle REPL no longer feeds it), so the test ends with a
    # reset that leaves a clean board for the next test.
    mark = board.log.mark()
    try:
        out = board.exec(
            "import machine, time\n"
            "wdt = machine.WDT()\n"
            "for i in range(13):\n"
            "    time.sleep_ms(500)\n"
            "    wdt.feed()\n"
            "print('still running')", timeout=20)
        assert out.strip() == "still running"
        assert "Soft WDT reset" not in board.log.tail(20, since=mark)
    finally:
        board.machine_reset()


def test_hardware_watchdog_is_running(board: Board) -> None:
    # The SDK keeps the chip's hardware watchdog (WDT_CTL 0x60000900, bit 0 enable) running and
    # feeds it from its timer interrupt; it resets a chip that hangs with interrupts off
    # (rst cause 4, machine.WDT_RESET). Checked at the register: the hang itself takes ~8 s.
    assert board.eval("__import__('machine').mem32[0x60000900]") & 1


def test_fatal_exception_restarts_with_exception_cause(board: Board) -> None:
    with pytest.raises(BoardCrashed):
        board.exec("import machine\nmachine.mem32[0x10]")
    board.wait_for_boot()
    board.crash.reset()
    assert board.eval(CAUSE) == REASON_EXCEPTION_RST
