"""The bare-metal machine of the machine tests: one QEMU running a test program, UART0 as text.

``Machine`` differs from ``QemuService`` in what it boots and waits for, not in how it starts
QEMU: its argv comes from ``harness.emulator.command`` too, and its UART0 is read by the same
``UnixSocketStream`` (a background thread, so QEMU never blocks on a full socket). UART0 is a
unix socket *we* listen on and QEMU connects to at start-up, so not one byte of a program's
output is lost even without ``-S``/QMP; ``expect`` waits for a pattern in everything UART0 said::

    m = Machine(binary, workdir, "m0")
    m.launch(kernel=elf, qmp=True)
    m.expect("DONE")
    m.qmp.execute("system_reset")
    m.stop()

The machine tests' ``machine`` fixture (tests/machine/conftest.py) builds the programs and makes
these.
"""

from __future__ import annotations

import re
import socket
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from harness.board.transport import UnixSocketStream
from harness.emulator.command import MACHINE, QemuCommand, build_command
from harness.emulator.host_load import HostWait
from harness.emulator.qmp import QmpConnection
from harness.errors import BoardDisconnected, HarnessError
from harness.process_group import kill_group, spawn


class MachineError(HarnessError):
    """The emulated machine did not do what the test waited for."""


class Machine:
    """One running QEMU: UART0 over a unix socket we listen on, optional QMP."""

    def __init__(self, binary: Path, workdir: Path, name: str) -> None:
        self.binary = binary
        self.workdir = workdir
        self.name = name
        self.proc: subprocess.Popen[bytes] | None = None
        self.qmp_conn: QmpConnection | None = None
        self.log_path = workdir / f"{name}.qemu.log"
        self.argv: list[str] = []
        self.clock = "realtime"
        self._stream: UnixSocketStream | None = None
        self._text = bytearray()
        self._eof = False
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle
    def launch(self, *, kernel: Path | None = None, flash: Path | None = None,
               machine_opts: str = "", extra_args: Sequence[str] = (), qmp: bool = False,
               nic: bool = False, uart0: str | None = None, timeout: float = 10.0,
               clock: str = "realtime") -> None:
        """Start QEMU: ``kernel`` (-kernel ELF), ``flash`` (a raw image, used in place),
        ``machine_opts`` (``-M esp8266,<opts>``), ``nic`` (else ``-nic none``), ``extra_args``
        last, ``clock`` the guest clock (``harness.emulator.command.CLOCKS``). UART0 comes
        to us unless ``uart0`` names another -serial backend (then
        ``expect``/``write`` are not available), e.g. ``tcp:127.0.0.1:PORT,server=on,wait=off``.
        """
        self.clock = clock
        sock_path = self.workdir / f"{self.name}.uart0"
        listener: socket.socket | None = None
        if uart0 is None:
            sock_path.unlink(missing_ok=True)
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(str(sock_path))
            listener.listen(1)
            listener.settimeout(timeout)
        if qmp:
            self.qmp_conn = QmpConnection(self.name)
            self.qmp_conn.listen(self.workdir / f"{self.name}.qmp")
        self.argv = build_command(QemuCommand(
            binary=self.binary, machine=f"{MACHINE},{machine_opts}" if machine_opts else MACHINE,
            kernel=kernel, flash_image=flash,
            qmp_socket=self.qmp_conn.path if self.qmp_conn is not None else None,
            uart0_connect=sock_path if uart0 is None else None, uart0_serial=uart0,
            paused=False, nodefaults=False, nic=nic, debug_log=self.log_path,
            clock=clock, extra_args=tuple(extra_args)))
        with open(self.workdir / f"{self.name}.stderr", "wb") as err:
            self.proc = spawn(self.argv, stdin=subprocess.DEVNULL, stdout=err, stderr=err)
        if listener is not None:
            try:
                conn, _ = listener.accept()
            except TimeoutError as exc:
                raise MachineError(f"QEMU did not connect to UART0 within {timeout:g} s\n"
                                   f"{self.diagnostics()}") from exc
            finally:
                listener.close()
                sock_path.unlink(missing_ok=True)
            self._stream = UnixSocketStream(sock_path, sock=conn)
        if self.qmp_conn is not None:
            self.qmp_conn.accept(timeout)

    def stop(self) -> None:
        if self.qmp_conn is not None:
            self.qmp_conn.close()
            self.qmp_conn = None
        if self.proc is not None:
            kill_group(self.proc, grace=2.0)
            self.proc = None
        if self._stream is not None:
            self._pull(0.0)  # keep what QEMU said last
            self._stream.close()
            self._stream = None

    def host_wait(self) -> HostWait:
        """A window of the host's run-queue wait for this QEMU (``host_load``); always 0 on
        the icount clock, where guest time does not run while the host holds QEMU."""
        running = self.proc is not None and self.clock == "realtime"
        return HostWait(self.proc.pid if running and self.proc is not None else None)

    @property
    def qmp(self) -> QmpConnection:
        if self.qmp_conn is None:
            raise MachineError("this machine was started without qmp=True")
        return self.qmp_conn

    # ------------------------------------------------------------------ UART0
    def _pull(self, timeout: float) -> None:
        """Move what UART0 said (waiting up to ``timeout`` for something) into the text."""
        with self._lock:
            if self._stream is None or self._eof:
                return
            try:
                self._text += self._stream.read_some(timeout)
            except BoardDisconnected:
                self._eof = True

    @property
    def output(self) -> str:
        """Everything UART0 said so far (since the last ``clear``)."""
        self._pull(0.0)
        with self._lock:
            return self._text.decode("latin-1")

    def clear(self) -> None:
        """Forget the UART0 text read so far (the next expect() starts fresh)."""
        self._pull(0.0)
        with self._lock:
            self._text.clear()

    def expect(self, pattern: str | re.Pattern[str], timeout: float = 10.0) -> re.Match[str]:
        """Wait until the UART0 text matches ``pattern`` (a regex or a plain string)."""
        if self._stream is None:
            raise MachineError("UART0 is not connected to the test (started with uart0=...)")
        regex = pattern if isinstance(pattern, re.Pattern) else re.compile(re.escape(pattern))
        deadline = time.monotonic() + timeout
        while True:
            text = self.output
            match = regex.search(text)
            if match:
                return match
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._eof:
                why = "QEMU closed UART0" if self._eof else f"{timeout:g} s passed"
                raise MachineError(f"waited for {regex.pattern!r} on UART0 but {why}; UART0 so "
                                   f"far:\n{text}\n{self.diagnostics()}")
            self._pull(min(remaining, 0.5))

    def write(self, data: bytes) -> None:
        if self._stream is None:
            raise MachineError("UART0 is not connected")
        self._stream.write(data)

    def diagnostics(self) -> str:
        parts = [f"command: {' '.join(self.argv)}"]
        if self.proc is not None and self.proc.poll() is not None:
            parts.append(f"QEMU exited with status {self.proc.returncode}")
        for path in (self.workdir / f"{self.name}.stderr", self.log_path):
            if path.exists():
                text = path.read_text(errors="replace")[-3000:]
                if text.strip():
                    parts.append(f"--- {path.name} (tail)\n{text}")
        return "\n".join(parts)
