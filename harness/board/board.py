"""``Board``: one object for the emulated and the real ESP8266, driven over the raw REPL.

A service (``QemuService``, ``SerialService``) opens the UART and hands it to a ``Board`` with
a way to hard-reset it. Everything the board prints is recorded in ``board.log``; a fatal
exception dump is raised as ``BoardCrashed`` (decoded with the firmware ELF); an exception in
code run on the board is raised as ``BoardException`` with the board's traceback.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.board.crash import CrashDetector
from harness.board.raw_repl import RawRepl
from harness.board.transport import Transport
from harness.board.uart_log import UartLog
from harness.errors import (
    BoardCrashed,
    BoardDisconnected,
    BoardError,
    BoardException,
    BoardTimeout,
)

FILE_CHUNK = 256  # bytes per file read/write call on the board (its heap is ~30 KiB)
PUT_BATCH = 2048  # payload bytes per exec when writing a file


@dataclass(frozen=True)
class RemoteEntry:
    """One directory entry on the board."""

    name: str
    is_dir: bool
    size: int


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace").replace("\r\n", "\n")


class Board:
    """A MicroPython board behind ``transport``.

    ``resetter`` pulses the board's reset (QMP ``system_reset``, or DTR/RTS); ``hint`` is added
    to timeout messages (e.g. where the QEMU log is and how to build the firmware).
    """

    def __init__(
        self,
        transport: Transport,
        *,
        name: str = "board",
        log: UartLog | None = None,
        elf: Path | None = None,
        resetter: Callable[[], None] | None = None,
        timeout: float = 10.0,
        boot_timeout: float = 10.0,
        hint: str = "",
    ) -> None:
        self.name = name
        self.transport = transport
        self.log = log if log is not None else UartLog()
        self.crash = CrashDetector(elf)
        # The log listens first, so a crash raised by the detector is already logged.
        transport.add_listener(self.log)
        transport.add_listener(self.crash)
        self.repl = RawRepl(transport, timeout=timeout)
        self.timeout = timeout
        self.boot_timeout = boot_timeout
        self.hint = hint
        self._resetter = resetter

    def __repr__(self) -> str:
        return f"<Board {self.name}>"

    # ------------------------------------------------------------------ errors
    @contextmanager
    def _talking(self, action: str) -> Iterator[None]:
        try:
            yield
        except BoardTimeout as exc:
            self.repl.at_raw_prompt = False
            self.crash.check()  # a dump cut short is a crash, not a timeout
            hint = f"; {self.hint}" if self.hint else ""
            raise BoardTimeout(f"{self.name}: {action}: {exc.reason}{hint}",
                               exc.received) from None
        except BoardCrashed:
            self.repl.at_raw_prompt = False
            raise
        except BoardDisconnected as exc:
            self.repl.at_raw_prompt = False
            hint = f"; {self.hint}" if self.hint else ""
            raise BoardDisconnected(f"{self.name}: {action}: {exc}{hint}") from exc
        except BoardError:
            self.repl.at_raw_prompt = False
            raise

    # ------------------------------------------------------------------ boot and reset
    def wait_for_boot(self, timeout: float | None = None) -> str:
        """Wait for the friendly prompt ``>>> `` (after power-on or reset); returns the output."""
        timeout = self.boot_timeout if timeout is None else timeout
        with self._talking("waiting for boot"):
            return _text(self.repl.wait_friendly_prompt(timeout))

    def soft_reset(self, timeout: float | None = None) -> str:
        """Ctrl-D in the raw REPL; returns what the board printed while restarting."""
        self.log.note("soft reset")
        with self._talking("soft reset"):
            return _text(self.repl.soft_reset(self.boot_timeout if timeout is None else timeout))

    def hard_reset(self, timeout: float | None = None) -> str:
        """Reset the chip (QMP system_reset or the DTR/RTS reset circuit) and wait for boot."""
        if self._resetter is None:
            raise BoardError(f"{self.name} has no reset line; press the board's reset button "
                             "or use soft_reset()")
        try:
            self.transport.drain(quiet=0.0, limit=0.5)
        except BoardCrashed:
            pass  # the dump is why we reset
        self.log.note("hard reset")
        self.crash.reset()
        self._resetter()
        return self.wait_for_boot(timeout)

    def machine_reset(self, code: str = "import machine\nmachine.reset()",
                      timeout: float | None = None) -> str:
        """Run ``code`` that restarts the board (default ``machine.reset()``) and wait for the
        prompt after the reboot; returns the boot output."""
        self.log.note("reset by code")
        with self._talking("reset by code"):
            self.repl.exec_no_follow(code, self.timeout)
        return self.wait_for_boot(timeout)

    def interrupt(self) -> None:
        """Ctrl-C: stop what runs on the board."""
        self.repl.interrupt()

    # ------------------------------------------------------------------ code
    def exec(
        self,
        code: str,
        timeout: float | None = None,
        on_output: Callable[[bytes], None] | None = None,
    ) -> str:
        """Run ``code``; returns what it printed (newlines as ``\\n``).

        Raises ``BoardException`` with the board's traceback if the code raised.
        """
        with self._talking("exec"):
            result = self.repl.exec_raw(code, timeout, on_output)
        if result.stderr:
            raise BoardException(_text(result.stderr), _text(result.stdout))
        return _text(result.stdout)

    def eval(self, expression: str, timeout: float | None = None) -> Any:
        """Value of ``expression`` on the board (its repr, parsed with ``ast.literal_eval``)."""
        lines = self.exec(f"print(repr({expression}))", timeout).strip().splitlines()
        out = lines[-1] if lines else ""  # the repr is the last line, after any side output
        try:
            return ast.literal_eval(out)
        except (ValueError, SyntaxError) as exc:
            raise BoardError(f"eval({expression!r}): the board's repr {out!r} is not a Python "
                             "literal; use exec() and print what you need") from exc

    # ------------------------------------------------------------------ files
    def put(self, remote: str, data: bytes | str | Path) -> None:
        """Write a file on the board (binary-safe, in chunks)."""
        if isinstance(data, Path):
            data = data.read_bytes()
        elif isinstance(data, str):
            data = data.encode("utf-8")
        self.exec(f"_hf=open({remote!r},'wb')\n_hw=_hf.write")
        try:
            for start in range(0, len(data), PUT_BATCH):
                batch = data[start:start + PUT_BATCH]
                lines = [f"_hw({batch[i:i + FILE_CHUNK]!r})"
                         for i in range(0, len(batch), FILE_CHUNK)]
                self.exec("\n".join(lines))
        finally:
            self.exec("_hf.close()\ndel _hf,_hw")

    def get(self, remote: str) -> bytes:
        """Contents of a file on the board."""
        out = self.exec(
            f"_hf=open({remote!r},'rb')\n"
            "while 1:\n"
            f" _hb=_hf.read({FILE_CHUNK})\n"
            " if not _hb:break\n"
            " print(repr(_hb))\n"
            "_hf.close()\ndel _hf,_hb"
        )
        data = bytearray()
        for line in out.splitlines():
            if line.strip():
                data += _literal_bytes(line.strip(), remote)
        return bytes(data)

    def ls(self, path: str = "/") -> list[RemoteEntry]:
        """Entries of a directory on the board, sorted by name."""
        out = self.exec(
            "import os\n"
            f"for _he in os.ilistdir({path!r}):\n"
            " print(repr((_he[0],_he[1],_he[3] if len(_he)>3 else 0)))"
        )
        entries = []
        for line in out.splitlines():
            if line.strip():
                name, kind, size = ast.literal_eval(line.strip())
                entries.append(RemoteEntry(name, kind == 0x4000, size))
        return sorted(entries, key=lambda e: e.name)

    def rm(self, remote: str) -> None:
        """Delete a file on the board."""
        self.exec(f"import os\nos.remove({remote!r})")

    # ------------------------------------------------------------------ teardown
    def close(self) -> None:
        self.transport.remove_listener(self.crash)
        self.transport.remove_listener(self.log)
        self.transport.close()
        self.log.close()


def _literal_bytes(line: str, remote: str) -> bytes:
    try:
        value = ast.literal_eval(line)
    except (ValueError, SyntaxError) as exc:
        raise BoardError(f"reading {remote}: unexpected line {line!r} in the board's output; "
                         "did something else print on the UART?") from exc
    if not isinstance(value, bytes):
        raise BoardError(f"reading {remote}: expected bytes, got {line!r}")
    return value
