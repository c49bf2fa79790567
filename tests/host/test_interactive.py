"""`invoke repl` terminal and `invoke run` script streaming, against the fake board."""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_device import FakeMicroPython

from harness.board import Board
from harness.board.transport import SerialStream, Transport
from harness.cli.interactive import run_script, terminal


@pytest.fixture
def board(tmp_path) -> Iterator[Board]:
    device = FakeMicroPython(tmp_path)
    b = Board(Transport(SerialStream(device.port)), resetter=device.reset, timeout=5)
    device.start()
    b.wait_for_boot()
    yield b
    b.close()
    device.stop()


class Screen(io.RawIOBase):
    """Collects terminal output; ``wait_for`` blocks until some text appeared."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.changed = threading.Condition()

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        with self.changed:
            self.data += bytes(b)
            self.changed.notify_all()
        return len(b)

    def wait_for(self, text: bytes, timeout: float = 10) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: text in self.data, timeout)


def test_terminal_forwards_keys_and_output_and_quits_on_ctrl_bracket(board):
    keys_r, keys_w = os.pipe()
    screen = Screen()
    session = threading.Thread(target=terminal, args=(board, keys_r, screen))
    session.start()
    try:
        os.write(keys_w, b"print(6*7)\r")
        assert screen.wait_for(b"42\r\n")
    finally:
        os.write(keys_w, b"\x1d")
        session.join(timeout=10)
        os.close(keys_w)
        os.close(keys_r)
    assert not session.is_alive()
    assert b"print(6*7)" in screen.data  # the friendly REPL echoes what we typed


def test_run_script_streams_output_and_reports_exceptions(board, tmp_path):
    script = tmp_path / "blink.py"
    script.write_text("for i in range(3):\n    print('tick', i)\n")
    out: list[bytes] = []
    assert run_script(board, script, write=out.append) == 0
    assert b"".join(out) == b"tick 0\r\ntick 1\r\ntick 2\r\n"
    failing = tmp_path / "bad.py"
    failing.write_text("print('start')\nraise RuntimeError('boom')\n")
    errors: list[str] = []
    assert run_script(board, failing, write=out.append, write_error=errors.append) == 1
    assert "RuntimeError: boom" in errors[0]


REPL_CHILD = """
import sys, termios
from pathlib import Path
from harness.cli.interactive import repl
from harness.cli.targets import TargetOptions
before = termios.tcgetattr(0)
repl(TargetOptions(firmware=Path(sys.argv[1]), qemu_binary=Path(sys.argv[2])))
print("RESTORED", termios.tcgetattr(0) == before, flush=True)
"""


def test_repl_on_a_real_terminal_quits_on_ctrl_bracket_and_restores_it(tmp_path):
    """`invoke repl` end to end on a pty as the user's terminal, QEMU played by fake_qemu.py."""
    import pty
    import select
    import subprocess
    import sys

    fake_qemu = Path(__file__).with_name("fake_qemu.py")
    binary = tmp_path / "qemu-system-xtensa"
    binary.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{fake_qemu}" "$@"\n')
    binary.chmod(0o755)
    (tmp_path / "flash.img").write_bytes(b"\xff" * 4096)
    script = tmp_path / "repl_child.py"
    script.write_text(REPL_CHILD)
    master, slave = pty.openpty()
    child = subprocess.Popen([sys.executable, str(script), str(tmp_path), str(binary)],
                             stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    seen = bytearray()

    def read_until(text: bytes, timeout: float = 20) -> bool:
        while text not in seen:
            ready, _, _ = select.select([master], [], [], timeout)
            if not ready:
                return False
            try:
                seen.extend(os.read(master, 4096))
            except OSError:
                return False
        return True

    try:
        assert read_until(b"Ctrl-] quits"), seen
        os.write(master, b"print(6*7)\r")
        assert read_until(b"42"), seen
        os.write(master, b"\x1d")
        assert read_until(b"RESTORED True"), seen
        assert child.wait(timeout=20) == 0
    finally:
        child.kill()
        child.wait()
        os.close(master)
