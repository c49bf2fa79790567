"""Errors on the board: a Python exception gives a normal traceback; a fatal CPU exception
prints the stable dump (``Fatal exception N(...)``, ``epc1=...``, ``regs: ...``), which the
harness decodes into function names, and the board restarts with the exception reset cause.
"""

from __future__ import annotations

import re

import pytest

from harness.board import Board
from harness.errors import BoardCrashed, BoardException

REASON_EXCEPTION_RST = 2
# machine.mem32 at an address where nothing is mapped: a load fault in machine_mem_subscr
# (on the emulator cause 15, LoadStorePIFAddrErrorCause; see docs/firmware.md).
UNMAPPED = 0x10


def test_python_exception_gives_traceback(board: Board) -> None:
    with pytest.raises(BoardException) as info:
        board.exec("def inner():\n    return {}['missing']\n\ndef outer():\n    inner()\n\n"
                   "outer()")
    text = info.value.traceback_text
    assert text.startswith("Traceback (most recent call last):")
    assert re.search(r'line 7, in <module>.*line 5, in outer.*line 2, in inner', text, re.S)
    assert info.value.exc_type == "KeyError"
    assert info.value.last_line == "KeyError: missing"


def test_exception_output_before_the_error_is_kept(board: Board) -> None:
    with pytest.raises(BoardException) as info:
        board.exec("print('partial output')\nraise OSError(19)")
    assert info.value.stdout.strip() == "partial output"
    assert "OSError: [Errno 19] ENODEV" in info.value.traceback_text


def test_memory_error_is_a_python_exception(board: Board) -> None:
    with pytest.raises(BoardException) as info:
        board.exec("x = bytearray(200000)")
    assert info.value.exc_type == "MemoryError"
    assert board.eval("2 ** 10") == 1024


def test_recursion_error_is_a_python_exception(board: Board) -> None:
    with pytest.raises(BoardException) as info:
        board.exec("def f(n):\n    return f(n + 1) + 1\nf(0)")
    assert info.value.exc_type == "RuntimeError"
    assert "recursion" in info.value.last_line
    assert board.eval("'alive'") == "alive"


def crash(board: Board, code: str) -> BoardCrashed:
    with pytest.raises(BoardCrashed) as info:
        board.exec(code)
    return info.value


def test_fatal_load_exception_dump_is_decoded(board: Board) -> None:
    error = crash(board, f"import machine\nmachine.mem32[{UNMAPPED:#x}]")
    text = error.decoded
    header = re.search(r"Fatal exception (\d+)\((\w+)\):", text)
    assert header, text
    assert 0 < int(header.group(1)) < 64
    assert re.search(r"epc1=0x40[0-9a-f]{6}, epc2=0x[0-9a-f]{8}, epc3=0x[0-9a-f]{8}, "
                     rf"excvaddr=0x{UNMAPPED:08x}, depc=0x00000000", text)
    # the harness names the faulting function (addr2line on the firmware ELF)
    assert re.search(r"epc1 0x40[0-9a-f]{6}: machine_mem_subscr at \S+machine_mem\.c:\d+", text)
    board.wait_for_boot()
    board.crash.reset()


@pytest.mark.qemu_only  # the 'regs:' line is our HAL's; the SDK prints only the first two
def test_fatal_exception_dump_has_register_line(board: Board) -> None:
    error = crash(board, f"import machine\nmachine.mem32[{UNMAPPED:#x}]")
    regs = re.search(r"regs: (.*)", error.decoded)
    assert regs, error.decoded
    names = re.findall(r"(\w+)=0x[0-9a-f]{8}", regs.group(1))
    assert names == [f"a{i}" for i in range(16)] + ["sar", "ps"]
    # a1 is the stack pointer before the exception: in DRAM, below the stack top
    a1 = int(re.search(r"a1=(0x[0-9a-f]{8})", regs.group(1)).group(1), 16)
    assert 0x3FFE8000 <= a1 < 0x40000000
    board.wait_for_boot()
    board.crash.reset()


def test_fatal_store_exception_resets_with_exception_cause(board: Board,
                                                           mpy_name: str) -> None:
    error = crash(board, f"import machine\nmachine.mem32[{UNMAPPED:#x}] = 1")
    assert "Fatal exception" in error.decoded
    assert "machine_mem_subscr" in error.decoded
    boot = board.wait_for_boot()
    board.crash.reset()
    assert mpy_name in boot
    assert board.eval("__import__('machine').reset_cause()") == REASON_EXCEPTION_RST
    assert board.eval("6 * 7") == 42  # usable again


def test_crash_then_soft_reset_fixture_recovers(board: Board) -> None:
    # after a crash the module's board is reset by the harness before the next test; here a
    # plain check that a rebooted board has a clean interpreter
    crash(board, f"import machine\nsentinel = 1\nmachine.mem32[{UNMAPPED:#x}]")
    board.wait_for_boot()
    board.crash.reset()
    assert board.eval("'sentinel' in globals()") is False
