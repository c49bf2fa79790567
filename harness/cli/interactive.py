"""``invoke repl`` and ``invoke run FILE.py``: a terminal on the board's UART0, a script run.

``terminal()`` puts the local terminal in raw mode, copies keys to the board and its output to
the screen until Ctrl-] and always restores the terminal. ``run_script()`` runs a file through
the raw REPL and streams what it prints.
"""

from __future__ import annotations

import os
import select
import sys
import termios
import tty
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from harness.board.board import Board
from harness.cli.targets import TargetOptions, make_service
from harness.errors import BoardException, HarnessError

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


def run_script(board: Board, script: Path, timeout: float = 60.0,
               write: Callable[[bytes], object] | None = None,
               write_error: Callable[[str], object] | None = None) -> int:
    """Run ``script`` on the board, streaming its output; 0 if it ended cleanly, 1 if it raised."""
    sink = write or _stdout_write
    try:
        board.exec(script.read_text(), timeout=timeout, on_output=sink)
    except BoardException as exc:
        (write_error or sys.stderr.write)(exc.traceback_text)
        return 1
    return 0


def _stdout_write(data: bytes) -> None:
    sys.stdout.buffer.write(data)
    sys.stdout.flush()


def repl(options: TargetOptions) -> None:
    """``invoke repl``: boot the target and hand the terminal to the user."""
    service = make_service(options, name="repl")
    board = service.start()
    try:
        terminal(board, ready_message=f"--- connected to {board.name} ({options.target}); "
                 "Ctrl-] quits ---\r\n")
        sys.stderr.write("\r\n--- bye ---\n")
    finally:
        service.stop()


def run(options: TargetOptions, script: Path, timeout: float = 60.0) -> int:
    """``invoke run FILE.py``: boot the target, run the script, return its exit status."""
    if not script.is_file():
        raise HarnessError(f"no script {script}")
    service = make_service(options, name="run")
    board = service.start()
    try:
        return run_script(board, script, timeout)
    finally:
        service.stop()
