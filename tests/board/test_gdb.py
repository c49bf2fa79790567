"""xtensa-lx106-elf-gdb on the emulated board, through QEMU's gdbstub (docs/debugging.md).

One session in gdb's batch mode against a booted board whose UART0 the test drives: a
breakpoint on ``mp_builtin_print``; ``print()`` typed on the REPL stops there (and prints
nothing while stopped); ``bt`` shows MicroPython's ``py/`` frames with file:line, through the
VM and the REPL down to the reset vector; ``continue`` lets the REPL print; an interrupt and
``detach`` leave a board that still answers.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness.build import gdb as gdb_build
from harness.build.artifacts import FirmwareArtifacts
from harness.cli import gdb as gdb_cli
from harness.emulator.service import QemuService
from harness.errors import BuildError, SourceError

GDB_TIMEOUT = 60.0


@pytest.fixture(scope="module")
def lx106_gdb() -> Path:
    """The gdb, built on first use (CI builds it in `invoke setup --gdb`)."""
    try:
        return gdb_build.ensure_gdb()
    except (BuildError, SourceError) as exc:
        pytest.skip(f"xtensa-lx106-elf-gdb cannot be built here: {exc}")


class GdbSession:
    """gdb as a child process; its output lines arrive in a queue as they are printed."""

    def __init__(self, argv: list[str]) -> None:
        self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def wait_for(self, pattern: str, timeout: float = GDB_TIMEOUT) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None:
                raise AssertionError(f"gdb never printed {pattern!r}; it printed:\n"
                                     + "\n".join(self.seen))
            self.seen.append(line)
            if re.search(pattern, line):
                return line

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def gdb_session() -> Iterator[Callable[[list[str]], GdbSession]]:
    sessions: list[GdbSession] = []

    def start(argv: list[str]) -> GdbSession:
        sessions.append(GdbSession(argv))
        return sessions[-1]

    yield start
    for session in sessions:
        session.close()


@pytest.mark.timeout(3600)  # the first run may build the gdb (CI builds it in bootstrap.sh)
@pytest.mark.realtime
def test_gdb_stops_print_typed_on_the_repl(
    new_qemu: Callable[..., QemuService], lx106_gdb: Path, firmware: FirmwareArtifacts,
    gdb_session: Callable[[list[str]], GdbSession], tmp_path: Path,
) -> None:
    service = new_qemu("gdb", gdb_port=0)
    board = service.start()
    assert service.gdb_port
    go = tmp_path / "go"
    commands = [
        "break mp_builtin_print",
        "echo continuing\\n",  # (batch mode prints no "Continuing.")
        "continue",          # until print() is typed below
        "bt",
        "echo bt-done\\n",
        f"shell while [ ! -e {go} ]; do sleep 0.05; done",  # stay stopped until the test looked
        "delete",
        "continue",          # the REPL prints; the test interrupts gdb (SIGINT) afterwards
        "echo continued\\n",
        "detach",
    ]
    argv = gdb_cli.gdb_argv(lx106_gdb, firmware.require_elf(), "127.0.0.1", service.gdb_port,
                            gdb_cli.micropython_tree(), commands, batch=True)
    gdb = gdb_session(argv)
    gdb.wait_for(r"^Breakpoint 1 at 0x[0-9a-f]+: file .*modbuiltins\.c, line \d+")
    gdb.wait_for(r"^continuing")  # typed bytes wait in the UART's FIFO until the CPU runs

    board.transport.write(b"print('gdb' + 'stop')\r")  # the echo never contains "gdbstop"
    gdb.wait_for(r"^Breakpoint 1, mp_builtin_print \(")
    gdb.wait_for(r"^bt-done")
    frames = [line for line in gdb.seen if re.match(r"#\d+ ", line)]
    assert re.search(r"mp_builtin_print .* at .*py/modbuiltins\.c:\d+", frames[0]), frames
    py_frames = [f for f in frames if re.search(r" at \S*py/\w+\.c:\d+$", f)]
    assert len(py_frames) >= 3, frames  # print <- call <- the VM (py/runtime.c, py/vm.c ...)
    # the whole chain, not a loop: the VM, the REPL, down to the reset vector
    assert any(re.search(r" mp_execute_bytecode .* at \S*py/vm\.c:\d+$", f) for f in frames)
    assert any(" pyexec_friendly_repl " in f for f in frames), frames
    assert len(frames) < 40 and "hal_reset_entry" in frames[-1], frames
    stopped_output = board.transport.read_available(timeout=0.5)
    assert b"gdbstop" not in stopped_output  # the CPU is halted in mp_builtin_print
    go.touch()

    board.transport.read_until(b"gdbstop", timeout=20)  # printed after gdb's `continue`
    board.transport.read_until(b">>> ", timeout=10)
    os.kill(gdb.process.pid, signal.SIGINT)  # stop the running target, as Ctrl-C would
    gdb.wait_for(r"^continued")
    assert gdb.process.wait(timeout=GDB_TIMEOUT) == 0, "\n".join(gdb.seen)
    assert not any("Truncated register" in line or "too long" in line for line in gdb.seen)

    assert board.exec("print(6 * 7)").strip() == "42"  # detached: the board runs on
