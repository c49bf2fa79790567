"""Board against a scripted MicroPython device on a pty (fake_device.py)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_device import FakeMicroPython

from harness.board import Board, RemoteEntry
from harness.board.transport import SerialStream, Transport
from harness.board.uart_log import UartLog
from harness.errors import BoardCrashed, BoardError, BoardException, BoardTimeout

CRASH = (b"\r\nFatal exception 28(LoadProhibitedCause):\r\n"
         b"epc1=0x4020a1b2, epc2=0x00000000, epc3=0x00000000, excvaddr=0x00000004, "
         b"depc=0x00000000\r\n"
         b"regs: a0=0x40201234 a1=0x3ffffe10 a15=0x00000000 sar=0x0000001f ps=0x00000030\r\n")


def make_board(tmp_path: Path, **options) -> tuple[FakeMicroPython, Board]:
    fs = tmp_path / "fs"
    fs.mkdir()
    device = FakeMicroPython(fs, **options)
    board = Board(Transport(SerialStream(device.port)), name="fake", resetter=device.reset,
                  log=UartLog(tmp_path / "uart0.log"), timeout=5, boot_timeout=5,
                  hint="is the firmware built? run `invoke build`")
    device.start()
    return device, board


@pytest.fixture
def fake(tmp_path) -> Iterator[tuple[FakeMicroPython, Board]]:
    device, board = make_board(tmp_path, crash_text=CRASH)
    board.wait_for_boot()
    yield device, board
    board.close()
    device.stop()


def test_exec_returns_printed_text_with_plain_newlines(fake):
    _, board = fake
    assert board.exec("print('a')\nprint('b')") == "a\nb\n"


def test_eval_returns_python_values(fake):
    _, board = fake
    assert board.eval("[1, 2.5, 'x', b'\\x00\\xff', None, (True,), {'k': 3}]") == [
        1, 2.5, "x", b"\x00\xff", None, (True,), {"k": 3}]


def test_eval_of_a_non_literal_says_to_use_exec(fake):
    _, board = fake
    with pytest.raises(BoardError, match="use exec"):
        board.eval("object()")


def test_board_exceptions_carry_the_board_traceback(fake):
    _, board = fake
    with pytest.raises(BoardException) as info:
        board.exec("print('before')\nx = {}\nx['missing']")
    assert info.value.exc_type == "KeyError"
    assert 'File "<stdin>", line 3' in info.value.traceback_text
    assert info.value.stdout == "before\n"
    assert "the board raised KeyError" in str(info.value)


def test_files_round_trip_binary_data_in_chunks(fake):
    device, board = fake
    data = bytes(range(256)) * 20 + b"'\"\\\r\n"  # larger than one batch, every byte value
    board.put("/blob.bin", data)
    assert (device.fs_root / "blob.bin").read_bytes() == data  # really on the "flash"
    assert board.get("/blob.bin") == data
    board.put("/text.txt", "héllo\n")
    assert board.ls("/") == [RemoteEntry("blob.bin", False, len(data)),
                             RemoteEntry("text.txt", False, 7)]
    board.rm("/blob.bin")
    assert [entry.name for entry in board.ls()] == ["text.txt"]


def test_put_accepts_a_local_path_and_empty_files(fake, tmp_path):
    _, board = fake
    local = tmp_path / "local.py"
    local.write_text("print('from file')\n")
    board.put("/main.py", local)
    board.put("/empty", b"")
    assert board.get("/main.py") == local.read_bytes()
    assert board.get("/empty") == b""


def test_get_of_a_missing_file_raises_the_board_error(fake):
    _, board = fake
    with pytest.raises(BoardException) as info:
        board.get("/nope.txt")
    assert info.value.exc_type == "OSError"
    assert "ENOENT" in info.value.last_line


def test_soft_reset_forgets_variables_but_keeps_files(fake):
    _, board = fake
    board.put("/keep.txt", b"kept")
    board.exec("gone = 1")
    assert "soft reboot" in board.soft_reset()
    with pytest.raises(BoardException, match="NameError"):
        board.exec("gone")
    assert board.get("/keep.txt") == b"kept"


def test_hard_reset_reboots_and_waits_for_the_prompt(fake):
    _, board = fake
    board.exec("x = 1")
    out = board.hard_reset()
    assert "rst cause:2" in out and out.endswith(">>> ")
    with pytest.raises(BoardException, match="NameError"):
        board.exec("x")


def test_machine_reset_waits_for_the_reboot_and_files_persist(fake):
    _, board = fake
    board.put("/persist.txt", b"still here")
    board.exec("x = 1")
    out = board.machine_reset()
    assert "rst cause:2" in out and out.endswith(">>> ")
    assert board.get("/persist.txt") == b"still here"
    with pytest.raises(BoardException, match="NameError"):
        board.exec("x")


def test_eval_ignores_output_printed_before_the_value(fake):
    _, board = fake
    board.exec("def noisy():\n print('side effect')\n return {'a': 1}")
    assert board.eval("noisy()") == {"a": 1}


def test_the_log_has_everything_with_timestamps(fake, tmp_path):
    _, board = fake
    board.exec("print('logged line')")
    text = (tmp_path / "uart0.log").read_text()
    assert re.search(r"^\[\s*\d+\.\d{3}\] .*logged line", text, re.M)
    assert "MicroPython v1.25.0" in board.log.text
    mark = board.log.mark()
    with board.log.capture(tmp_path / "one-test.log") as path:
        board.exec("print('only here')")
    assert "only here" in path.read_text() and "logged line" not in path.read_text()
    assert "only here" in board.log.since(mark)


def test_a_crash_raises_board_crashed_at_once_and_hard_reset_recovers(fake):
    _, board = fake
    start = time.monotonic()
    with pytest.raises(BoardCrashed) as info:
        board.exec("import machine\nmachine.crash()", timeout=60)
    assert time.monotonic() - start < 30  # not the 60 s exec timeout
    assert "epc1=0x4020a1b2" in info.value.decoded
    assert "pass --firmware" in info.value.decoded  # no ELF given: says how to decode
    board.hard_reset()
    assert board.eval("1 + 1") == 2


def test_a_board_that_never_answers_fails_fast_showing_what_it_printed(tmp_path):
    device, board = make_board(tmp_path, silent=True)
    try:
        start = time.monotonic()
        with pytest.raises(BoardTimeout) as info:
            board.wait_for_boot(timeout=0.5)
        assert time.monotonic() - start < 10
        assert b"ets Jan  8 2013" in info.value.received
        message = str(info.value)
        assert "did not print '>>> ' within 0.5 s" in message
        assert "rst cause:2" in message and "invoke build" in message
        with pytest.raises(BoardTimeout, match="raw REPL banner"):
            board.exec("print(1)", timeout=0.3)
    finally:
        board.close()
        device.stop()


def test_hard_reset_without_a_reset_line_says_what_to_do(tmp_path):
    device = FakeMicroPython(tmp_path)
    board = Board(Transport(SerialStream(device.port)))
    try:
        with pytest.raises(BoardError, match="reset button"):
            board.hard_reset()
    finally:
        board.close()
        device.stop()
