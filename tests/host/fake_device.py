"""A scripted stand-in for a MicroPython board on a pty pair (the DEVICE side, not our code).

It follows MicroPython 1.25's ``shared/runtime/pyexec.c``: friendly REPL, raw REPL, raw-paste
with a flow-control window (and it checks that the host never overruns the window), soft
reset, Ctrl-C as KeyboardInterrupt while code runs. Code is run by CPython in a namespace whose
``open``/``os`` work on a private directory and whose ``print`` writes to the "UART" with
``\\r\\n`` line endings, so the host's file transfer code really moves bytes.

Two threads, like the firmware: a "UART ISR" reading the pty (Ctrl-C while code runs raises
KeyboardInterrupt instead of being queued) and a "main loop" running the REPL.
"""

from __future__ import annotations

import os
import queue
import select
import sys
import threading
import traceback
import tty
from pathlib import Path
from typing import Any

BANNER = (b"MicroPython v1.25.0 on 2025-04-15; ESP module (fake) with ESP8266\r\n"
          b'Type "help()" for more information.\r\n')
ROM_LINE = b"\r\n ets Jan  8 2013,rst cause:2, boot mode:(3,6)\r\n\r\n"
RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n"


class _Dead(Exception):
    """The fake firmware crashed: stop running the REPL until reset."""


class _Reset(Exception):
    """The reset pin was pulsed."""


class FakeOs:
    """The few ``os`` functions the harness uses, on a host directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, path: str) -> Path:
        return self.root / path.lstrip("/")

    def ilistdir(self, path: str = "/"):
        for entry in sorted(self._path(path).iterdir()):
            kind = 0x4000 if entry.is_dir() else 0x8000
            yield (entry.name, kind, 0, entry.stat().st_size if kind == 0x8000 else 0)

    def remove(self, path: str) -> None:
        self._path(path).unlink()

    def mkdir(self, path: str) -> None:
        self._path(path).mkdir()

    def stat(self, path: str):
        st = self._path(path).stat()
        kind = 0x4000 if self._path(path).is_dir() else 0x8000
        return (kind, 0, 0, 0, 0, 0, st.st_size, 0, 0, 0)


class FakeMicroPython:
    """Start with ``start()``; ``port`` is the pty path the host opens."""

    def __init__(
        self,
        fs_root: Path,
        *,
        raw_paste: str = "yes",  # "yes" | "refuse" (R\x00) | "old" (firmware before raw-paste)
        window: int = 128,
        silent: bool = False,
        crash_text: bytes = b"",
    ) -> None:
        self.fs_root = fs_root
        self.raw_paste = raw_paste
        self.window = window
        self.silent = silent
        self.crash_text = crash_text
        self.window_violations = 0
        self.raw_paste_sessions = 0
        self.programs: list[bytes] = []
        self._rx: queue.Queue[int | None] = queue.Queue()
        self._executing = threading.Event()
        self._kbd = threading.Event()
        self._stop_r, self._stop_w = os.pipe()
        self._threads: list[threading.Thread] = []
        self._write_lock = threading.Lock()
        self._globals: dict[str, Any] = {}
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)  # as a serial port: no echo, no CR/LF mangling
        self.port = os.ttyname(self.slave)

    # ----------------------------------------------------------------- lifecycle
    def start(self, boot: bool = True) -> FakeMicroPython:
        for target in (self._isr, self._main):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)
        if boot:
            self.reset()
        return self

    def reset(self) -> None:
        """Like the reset pin: reboot and print the ROM line, the banner and '>>> '."""
        self._rx.put(-1)

    def stop(self) -> None:
        os.write(self._stop_w, b"x")
        self._rx.put(None)
        for thread in self._threads:
            thread.join(timeout=5)
        for fd in (self.master, self.slave, self._stop_r, self._stop_w):
            try:
                os.close(fd)
            except OSError:
                pass

    def hang_up(self) -> None:
        """Close the pty like QEMU exiting: the host's reads fail afterwards."""
        self.stop()

    # ----------------------------------------------------------------- UART
    def _write(self, data: bytes) -> None:
        with self._write_lock:
            view = memoryview(data)
            while view:
                view = view[os.write(self.master, view):]

    def _isr(self) -> None:
        while True:
            ready, _, _ = select.select([self.master, self._stop_r], [], [])
            if self._stop_r in ready:
                return
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return
            for byte in data:
                if byte == 3 and self._executing.is_set():
                    self._kbd.set()
                else:
                    self._rx.put(byte)

    def _getc(self) -> int:
        byte = self._rx.get()
        if byte is None:
            raise SystemExit
        if byte == -1:
            raise _Reset
        return byte

    # ----------------------------------------------------------------- main loop
    def _main(self) -> None:
        booted = False
        while True:
            try:
                if booted:
                    self._globals = {}
                    self._write(ROM_LINE + BANNER)
                    self._friendly()
                else:
                    self._getc()  # powered off or crashed: wait for the reset
            except _Reset:
                booted = True
            except _Dead:
                booted = False
            except SystemExit:
                return

    def _friendly(self) -> None:
        if self.silent:
            while True:
                self._getc()
        self._write(b">>> ")
        line = bytearray()
        while True:
            c = self._getc()
            if c == 1:
                self._write(b"\r\n")
                self._raw()
                line.clear()
                self._write(b"\r\n" + BANNER + b">>> ")
            elif c == 3:
                line.clear()
                self._write(b"\r\n>>> ")
            elif c == 4:
                self._soft_reboot(raw=False)
            elif c == 13:
                self._write(b"\r\n")
                if line.strip():
                    self._run(bytes(line), repl_line=True)
                line.clear()
                self._write(b">>> ")
            else:
                line.append(c)
                self._write(bytes([c]))

    def _soft_reboot(self, raw: bool) -> None:
        self._write(b"\r\nMPY: soft reboot\r\n")
        self._globals = {}
        if raw:
            self._write(RAW_BANNER + b">")
        else:
            self._write(BANNER + b">>> ")

    def _raw(self) -> None:
        """pyexec_raw_repl(): returns on Ctrl-B."""
        self._write(RAW_BANNER + b">")
        line = bytearray()
        while True:
            c = self._getc()
            if c == 1:
                if bytes(line) == b"\x05A" and self.raw_paste == "yes":
                    self._raw_paste()
                elif len(line) == 2 and line[0] == 5 and self.raw_paste != "old":
                    self._write(b"R\x00>")
                else:
                    self._write(RAW_BANNER + b">")
                line.clear()
            elif c == 2:
                return
            elif c == 3:
                line.clear()
            elif c == 4:
                self._write(b"OK")
                if not line:
                    self._soft_reboot(raw=True)
                    continue
                self._execute(bytes(line))
                line.clear()
            else:
                line.append(c)

    def _raw_paste(self) -> None:
        self.raw_paste_sessions += 1
        window = self.window
        self._write(b"R\x01" + window.to_bytes(2, "little") + b"\x01")
        credit = 2 * window
        remain = window
        received = 0
        code = bytearray()
        while True:
            c = self._getc()
            if c in (3, 4):
                self._write(b"\x04")
                break
            received += 1
            if received > credit:
                self.window_violations += 1
            code.append(c)
            remain -= 1
            if remain == 0:
                remain = window
                credit += window
                self._write(b"\x01")
        self._execute(bytes(code))

    # ----------------------------------------------------------------- running code
    def _execute(self, code: bytes) -> None:
        self.programs.append(code)
        err = self._run(code)  # output goes to the UART as it is printed
        self._write(b"\x04" + err + b"\x04>")

    def _run(self, code: bytes, repl_line: bool = False) -> bytes:
        def uart_print(*args: Any, sep: str = " ", end: str = "\n") -> None:
            text = sep.join(str(a) for a in args) + end
            self._write(text.replace("\n", "\r\n").encode())

        namespace = self._globals
        namespace.setdefault("__name__", "__main__")
        namespace["__builtins__"] = self._builtins(uart_print)
        self._kbd.clear()
        self._executing.set()
        sys.settrace(self._trace)
        err = b""
        try:
            exec(compile(code.decode(), "<stdin>", "exec"), namespace)
        except _Dead:
            raise
        except BaseException as exc:  # the board reports every exception
            err = self._traceback(exc)
        finally:
            sys.settrace(None)
            self._executing.clear()
        if repl_line and err:
            self._write(err)
        return err

    def _trace(self, frame, event, arg):
        if self._kbd.is_set():
            self._kbd.clear()
            raise KeyboardInterrupt
        return self._trace

    def _traceback(self, exc: BaseException) -> bytes:
        name = type(exc).__name__
        if isinstance(exc, OSError):
            name, msg = "OSError", f"[Errno {exc.errno}] " + {2: "ENOENT", 21: "EISDIR"}.get(
                exc.errno or 0, "EIO")
        else:
            msg = str(exc)
        line = 1
        frames = traceback.extract_tb(exc.__traceback__)
        stdin_frames = [f for f in frames if f.filename == "<stdin>"]
        if stdin_frames:
            line = stdin_frames[-1].lineno or 1
        if isinstance(exc, SyntaxError):
            line = exc.lineno or 1
            name, msg = "SyntaxError", "invalid syntax"
        body = f"{name}: {msg}" if msg else name
        text = ("Traceback (most recent call last):\n"
                f'  File "<stdin>", line {line}, in <module>\n{body}\n')
        return text.replace("\n", "\r\n").encode()

    def _builtins(self, uart_print) -> dict[str, Any]:
        import builtins
        import time as host_time

        fake_os = FakeOs(self.fs_root)
        device = self

        def fake_open(path: str, mode: str = "r", *args: Any, **kwargs: Any):
            return open(fake_os._path(path), mode, *args, **kwargs)

        class FakeTime:
            @staticmethod
            def sleep(seconds: float) -> None:
                if device._kbd.wait(seconds):
                    device._kbd.clear()
                    raise KeyboardInterrupt

            ticks_ms = staticmethod(lambda: int(host_time.monotonic() * 1000))

        class FakeMachine:
            @staticmethod
            def crash() -> None:
                """Print the firmware's fatal-exception dump and stop (like a real crash)."""
                device._write(device.crash_text)
                raise _Dead

            @staticmethod
            def reset() -> None:
                """Restart the chip: the program never returns."""
                device._rx.put(-1)
                raise _Dead

        modules = {"os": fake_os, "time": FakeTime, "machine": FakeMachine}

        def fake_import(name: str, *args: Any, **kwargs: Any):
            if name in modules:
                return modules[name]
            return builtins.__import__(name, *args, **kwargs)

        table = dict(vars(builtins))
        table.update(print=uart_print, open=fake_open, __import__=fake_import)
        return table
