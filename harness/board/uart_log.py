"""Everything a board printed on UART0: kept in memory and written, time-stamped, to files.

The log is a ``Transport`` listener. Each line in the files starts with the seconds since the
log began; control bytes of the raw-REPL protocol are shown as escapes (``\\x04``), so the file
reads like a terminal session. ``capture(path)`` tees into one more file for a while (the
pytest plugin uses it for a per-test log).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO


def printable(data: bytes) -> str:
    """Text of ``data`` with control bytes other than newline and tab escaped."""
    text = data.decode("utf-8", "backslashreplace")
    out = []
    for char in text:
        if char in "\n\t" or char >= " " and char != "\x7f":
            out.append(char)
        elif char != "\r":
            out.append(f"\\x{ord(char):02x}")
    return "".join(out)


class UartLog:
    """Listener that records UART0 output; ``text`` is all of it, ``tail()`` the last lines."""

    def __init__(self, path: Path | None = None, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._start = clock()
        self.started = datetime.now(UTC).isoformat(timespec="milliseconds")
        self.raw = bytearray()
        self._files: list[TextIO] = []
        self._at_line_start: dict[int, bool] = {}
        self.path = path
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._open(path)

    def _open(self, path: Path) -> TextIO:
        handle = path.open("w", encoding="utf-8")
        handle.write(f"# UART0 log; [seconds] since {self.started}\n")
        self._files.append(handle)
        self._at_line_start[id(handle)] = True
        return handle

    def __call__(self, data: bytes) -> None:
        self.raw += data
        if not self._files:
            return
        stamp = f"[{self._clock() - self._start:9.3f}] "
        text = printable(data)
        for handle in self._files:
            handle.write(self._stamped(handle, text, stamp))
            handle.flush()

    def _stamped(self, handle: TextIO, text: str, stamp: str) -> str:
        out = []
        at_start = self._at_line_start[id(handle)]
        for piece in text.splitlines(keepends=True):
            out.append(stamp + piece if at_start else piece)
            at_start = piece.endswith("\n")
        self._at_line_start[id(handle)] = at_start
        return "".join(out)

    def note(self, message: str) -> None:
        """Write a harness remark (``# ...``) into the files, e.g. 'hard reset'."""
        for handle in self._files:
            prefix = "" if self._at_line_start[id(handle)] else "\n"
            handle.write(f"{prefix}[{self._clock() - self._start:9.3f}] # {message}\n")
            handle.flush()
            self._at_line_start[id(handle)] = True

    @property
    def text(self) -> str:
        return printable(bytes(self.raw))

    def mark(self) -> int:
        """A position to pass to ``since()``."""
        return len(self.raw)

    def since(self, mark: int) -> str:
        return printable(bytes(self.raw[mark:]))

    def tail(self, lines: int = 30, since: int = 0) -> str:
        return "\n".join(printable(bytes(self.raw[since:])).splitlines()[-lines:])

    @contextmanager
    def capture(self, path: Path) -> Iterator[Path]:
        """Also write everything received while the block runs to ``path``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = self._open(path)
        try:
            yield path
        finally:
            self._files.remove(handle)
            del self._at_line_start[id(handle)]
            handle.close()

    def close(self) -> None:
        for handle in self._files:
            handle.close()
        self._files.clear()
