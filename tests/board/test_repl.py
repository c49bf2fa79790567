"""The REPL: boot banner and prompt, the friendly and raw REPL, Ctrl-C, soft reset (Ctrl-D)."""

from __future__ import annotations

import re

import pytest

from harness.board import Board
from harness.errors import BoardException


def banner(tag: str) -> re.Pattern[str]:
    """The boot banner of the firmware built from MicroPython ``tag`` (``mpy_tag``)."""
    return re.compile(r"MicroPython " + re.escape(tag)
                      + r" on \d{4}-\d\d-\d\d; (.+) with ESP8266\n"
                      r"Type \"help\(\)\" for more information\.\n>>> ")


@pytest.mark.qemu_only  # the log of a real board starts when the harness connects
def test_boot_prints_banner_naming_the_board_then_prompt(board: Board, mpy_tag) -> None:
    boot = board.log.text.replace("\r", "")
    match = banner(mpy_tag).search(boot)
    assert match, f"no {mpy_tag} banner and '>>> ' prompt in the boot output:\n{boot[-800:]}"
    machine = board.eval("__import__('sys').implementation._machine")
    assert machine == f"{match.group(1)} with ESP8266"


def test_sys_platform_is_esp8266(board: Board, mpy_version) -> None:
    assert board.eval("__import__('sys').platform") == "esp8266"
    assert board.eval("__import__('sys').implementation.version[:3]") == mpy_version
    assert board.eval("__import__('os').uname().sysname") == "esp8266"


def test_friendly_repl_evaluates_and_echoes(board: Board, friendly, mpy_tag) -> None:
    printed = friendly.enter()  # Ctrl-B prints the banner again
    assert banner(mpy_tag).search(printed), printed
    out = friendly.line("6 * 7")
    assert out.splitlines() == ["6 * 7", "42", ">>> "]
    friendly.line("x = [i * i for i in range(5)]")
    assert "[0, 1, 4, 9, 16]" in friendly.line("x")


def test_friendly_repl_continues_compound_statements(board: Board, friendly) -> None:
    friendly.enter()
    friendly.write(b"for i in range(3):\r")
    friendly.read_until(b"\r\n... ")  # continuation prompt (then the auto-indent)
    friendly.write(b"print('line', i)\r")
    friendly.read_until(b"\r\n... ")
    # Enter on an auto-indented line opens another one; Enter on the auto-indent alone
    # removes it; Enter on the empty continuation line ends the block.
    out = friendly.line("\r\r")
    assert [ln for ln in out.splitlines() if ln.startswith("line")] == \
        ["line 0", "line 1", "line 2"]


def test_ctrl_c_interrupts_a_running_program(board: Board, friendly) -> None:
    friendly.enter()
    # A Ctrl-C that arrives while the line still compiles is only input: wait until the
    # program runs (it prints first; the echo shows 'run' + 'ning', not 'running').
    friendly.write(b"for i in range(10 ** 9): print('run' + 'ning') if i == 0 else None\r")
    friendly.read_until(b"\r\n... ")
    friendly.write(b"\r")  # end the block: the loop starts
    friendly.read_until(b"running\r\n")
    friendly.write(b"\x03")
    out = friendly.read_until(b">>> ", timeout=5)
    assert "KeyboardInterrupt" in out
    assert "42" in friendly.line("21 * 2")


def test_ctrl_c_interrupts_a_sleep(board: Board, friendly) -> None:
    friendly.enter()
    # it prints before it sleeps: the Ctrl-C arrives during the sleep, not during compiling
    friendly.write(b"import time; t0 = time.ticks_ms(); print('sle' + 'eping'); time.sleep(30)\r")
    friendly.read_until(b"sleeping\r\n")
    friendly.write(b"\x03")
    out = friendly.read_until(b">>> ", timeout=5)
    assert "KeyboardInterrupt" in out
    slept = int(friendly.line("time.ticks_diff(time.ticks_ms(), t0)").split()[-2])
    assert slept < 10_000, f"the sleep of 30 s ended after {slept} ms of board time"


def test_machine_soft_reset_reboots_the_interpreter(board: Board, friendly) -> None:
    friendly.enter()
    friendly.line("doomed = 1")
    friendly.write(b"import machine; machine.soft_reset()\r")
    out = friendly.read_until(b"Type \"help()\" for more information.\r\n>>> ", timeout=10)
    assert "MPY: soft reboot" in out
    friendly.leave()
    assert board.eval("'doomed' in globals()") is False


def test_exception_in_code_is_reported_with_traceback(board: Board) -> None:
    with pytest.raises(BoardException) as info:
        board.exec("def f():\n    raise ValueError('bad value 17')\nf()")
    assert info.value.exc_type == "ValueError"
    assert "bad value 17" in info.value.last_line
    assert 'line 2, in f' in info.value.traceback_text
    assert board.eval("1 + 1") == 2  # the REPL carries on


def test_soft_reset_restarts_the_interpreter(board: Board) -> None:
    board.exec("survivor = 123")
    assert board.eval("'survivor' in globals()") is True
    out = board.soft_reset()
    assert "soft reboot" in out
    assert board.eval("'survivor' in globals()") is False
    assert board.eval("__import__('sys').platform") == "esp8266"


def test_ctrl_d_in_friendly_repl_soft_reboots(board: Board, friendly, mpy_tag) -> None:
    friendly.enter()
    friendly.line("gone = 1")
    friendly.write(b"\x04")
    out = friendly.read_until(b">>> ", timeout=10)
    assert "MPY: soft reboot" in out
    assert banner(mpy_tag).search(out[out.index("MicroPython"):])
    friendly.leave()
    assert board.eval("'gone' in globals()") is False


def test_paste_mode_runs_the_pasted_block(board: Board, friendly) -> None:
    friendly.enter()
    friendly.write(b"\x05")  # Ctrl-E
    friendly.read_until(b"=== ")
    friendly.write(b"def g(a):\r    return a * 3\r\rprint('pasted', g(5))\r")
    friendly.write(b"\x04")
    out = friendly.read_until(b">>> ")
    assert "pasted 15" in out
