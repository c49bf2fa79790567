"""Raw REPL and raw-paste, against a scripted MicroPython on a pty (fake_device.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_device import FakeMicroPython

from harness.board.raw_repl import RawRepl
from harness.board.transport import SerialStream, Transport
from harness.errors import BoardTimeout


def start(tmp_path, **options) -> tuple[FakeMicroPython, Transport, RawRepl]:
    device = FakeMicroPython(tmp_path, **options)
    transport = Transport(SerialStream(device.port))
    device.start()
    transport.read_until(b">>> ", timeout=5)
    return device, transport, RawRepl(transport, timeout=5)


@pytest.fixture
def session(tmp_path) -> Iterator[tuple[FakeMicroPython, Transport, RawRepl]]:
    device, transport, repl = start(tmp_path)
    yield device, transport, repl
    transport.close()
    device.stop()


def test_enter_and_exec_separates_stdout_and_stderr(session):
    device, _, repl = session
    repl.enter()
    result = repl.exec_raw("print('to stdout')\nraise ValueError('to stderr')")
    assert result.stdout == b"to stdout\r\n"
    assert b"ValueError: to stderr" in result.stderr
    assert result.stderr.startswith(b"Traceback (most recent call last):")
    assert repl.at_raw_prompt


def test_exec_enters_the_raw_repl_by_itself_and_uses_raw_paste(session):
    device, _, repl = session
    assert repl.exec_raw("print(6 * 7)").stdout == b"42\r\n"
    assert device.raw_paste_sessions == 1
    assert device.programs == [b"print(6 * 7)"]


def test_raw_paste_respects_a_small_flow_control_window(tmp_path):
    device, transport, repl = start(tmp_path, window=16)
    try:
        lines = [f"x{i} = {i} * 3" for i in range(300)] + ["print(x299)"]
        code = "\n".join(lines)
        assert repl.exec_raw(code).stdout == b"897\r\n"
        assert device.programs[-1] == code.encode()
        assert device.window_violations == 0
    finally:
        transport.close()
        device.stop()


@pytest.mark.parametrize("mode", ["refuse", "old"])
def test_falls_back_to_plain_raw_repl_when_raw_paste_is_refused(tmp_path, mode):
    device, transport, repl = start(tmp_path, raw_paste=mode)
    try:
        assert repl.exec_raw("print('first')").stdout == b"first\r\n"
        assert repl.use_raw_paste is False
        assert repl.exec_raw("print('second')").stdout == b"second\r\n"
        assert device.raw_paste_sessions == 0
        assert device.programs == [b"print('first')", b"print('second')"]
    finally:
        transport.close()
        device.stop()


def test_soft_reset_is_detected_and_clears_the_board_state(session):
    _, _, repl = session
    repl.exec_raw("kept = 1")
    out = repl.soft_reset()
    assert b"MPY: soft reboot" in out
    assert repl.at_raw_prompt
    assert b"NameError" in repl.exec_raw("print(kept)").stderr


def test_timeout_then_interrupt_recovers_the_repl(session):
    _, _, repl = session
    with pytest.raises(BoardTimeout) as info:
        repl.exec_raw("import time\nprint('sleeping')\ntime.sleep(100)", timeout=0.5)
    assert b"sleeping" in info.value.received
    repl.at_raw_prompt = False  # what Board does after an error
    assert repl.exec_raw("print('awake')").stdout == b"awake\r\n"


def test_output_is_streamed_while_the_program_runs(session):
    _, _, repl = session
    chunks: list[bytes] = []
    result = repl.exec_raw("for i in range(3):\n print('line', i)", on_output=chunks.append)
    assert b"".join(chunks) == b"line 0\r\nline 1\r\nline 2\r\n" == result.stdout


def test_exit_returns_to_the_friendly_repl(session):
    _, transport, repl = session
    repl.enter()
    repl.exit()
    assert transport.read_until(b">>> ", timeout=5).endswith(b">>> ")
    assert not repl.at_raw_prompt
