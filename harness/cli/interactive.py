"""``invoke repl`` and ``invoke run FILE.py``: a terminal on the board's UART0, a script run.

``terminal()`` puts the local terminal in raw mode, copies keys to the board and its output to
the screen until Ctrl-] and always restores the terminal. ``run_script()`` runs a file through
the raw REPL and streams what it prints.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import select
import sys
import termios
import tty
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from harness.board.board import Board
from harness.cli.targets import TargetOptions, make_service
from harness.errors import BoardException, BoardTimeout, HarnessError

EXIT_KEY = b"\x1d"  # Ctrl-]


def terminal(board: Board, stdin_fd: int | None = None,
             stdout: BinaryIO | None = None, ready_message: str = "") -> None:
    """Interactive session on the board until Ctrl-] (or the line closes).

    ``ready_message`` is shown once the terminal is in raw mode: switching modes flushes typed
    input, so anything the user types after seeing it reaches the board."""
    stdin_fd = sys.stdin.fileno() if stdin_fd is None else stdin_fd
    out = stdout if stdout is not None else sys.stdout.buffer
    serial_fd = getattr(board.transport.stream, "fileno", lambda: None)()
    if serial_fd is None:
        raise HarnessError("this connection has no file descriptor for an interactive terminal")
    saved = termios.tcgetattr(stdin_fd) if os.isatty(stdin_fd) else None
    try:
        if saved is not None:
            tty.setraw(stdin_fd)
        if ready_message:
            sys.stderr.write(ready_message)
            sys.stderr.flush()
            board.transport.write(b"\r")  # show a prompt
        _pump(board, stdin_fd, serial_fd, out)
    finally:
        if saved is not None:
            termios.tcsetattr(stdin_fd, termios.TCSAFLUSH, saved)


def _pump(board: Board, stdin_fd: int, serial_fd: int, out: BinaryIO) -> None:
    pending = board.transport.read_available()
    if pending:
        out.write(pending)
        out.flush()
    while True:
        ready, _, _ = select.select([stdin_fd, serial_fd], [], [])
        if serial_fd in ready:
            data = board.transport.read_available()
            if data:
                out.write(data)
                out.flush()
        if stdin_fd in ready:
            keys = os.read(stdin_fd, 1024)
            if not keys:
                return  # stdin closed
            if EXIT_KEY in keys:
                keys = keys[:keys.index(EXIT_KEY)]
                if keys:
                    board.transport.write(keys)
                return
            board.transport.write(keys)


def run_script(board: Board, script: Path, timeout: float | None = None,
               write: Callable[[bytes], object] | None = None,
               write_error: Callable[[str], object] | None = None) -> int:
    """Run ``script`` on the board, streaming its output; 0 if it ended cleanly, 1 if it raised."""
    sink = write or _stdout_write
    try:
        # None: no limit (a script may run for ever, like on a real board; Ctrl-C stops it)
        board.exec(script.read_text(), timeout=timeout if timeout else NO_TIMEOUT,
                   on_output=sink)
    except BoardTimeout:
        (write_error or sys.stderr.write)(
            f"\n--- the script was still running after {timeout:g} s (--timeout); stopped ---\n")
        board.interrupt()
        return 1
    except BoardException as exc:
        (write_error or sys.stderr.write)(exc.traceback_text)
        return 1
    return 0


def _stdout_write(data: bytes) -> None:
    sys.stdout.buffer.write(data)
    sys.stdout.flush()


NO_TIMEOUT = 365 * 24 * 3600.0


@contextlib.contextmanager
def _service(options: TargetOptions, name: str, net: str | None) -> Iterator[Board]:
    """The target's board, on a network when ``net`` (emulated boards only)."""
    network = None
    if net:
        if options.target != "qemu":
            raise HarnessError("--net is for the emulated board (a real board has its own WiFi)")
        from harness.network.connect import connect as connect_board
        from harness.network.service import NetworkService

        network = NetworkService(net).start()
        options = dataclasses.replace(options, qemu_args=(*options.qemu_args,
                                                          *network.qemu_args(0)))
    service = make_service(options, name=name)
    try:
        board = service.start()
        if network is not None:
            ip = connect_board(board)[0]
            sys.stderr.write(f"--- the board is on the {net} network, IP {ip} ---\r\n")
        yield board
    finally:
        service.stop()
        if network is not None:
            network.stop()


def repl(options: TargetOptions, net: str | None = None) -> None:
    """``invoke repl``: boot the target and hand the terminal to the user."""
    with _service(options, "repl", net) as board:
        if board.repl.at_raw_prompt:
            board.repl.exit()
        terminal(board, ready_message=f"--- connected to {board.name} ({options.target}); "
                 "Ctrl-] quits ---\r\n")
        sys.stderr.write("\r\n--- bye ---\n")


def run(options: TargetOptions, script: Path, timeout: float | None = None,
        net: str | None = None) -> int:
    """``invoke run FILE.py``: boot the target, run the script, return its exit status."""
    if not script.is_file():
        raise HarnessError(f"no script {script}")
    with _service(options, "run", net) as board:
        return run_script(board, script, timeout)
