"""One emulated ESP8266: a QEMU process, its UARTs, its QMP monitor, and a ``Board`` on UART0.

``build_command()`` is the only place that knows QEMU's command line. ``QemuService.start()``:

1. makes a private run dir (``esp8266-qemu-*`` in the temp dir) with a copy of the flash image
   (or uses ``flash_path``, kept across runs to test persistence);
2. listens for QMP on ``run_dir/qmp.sock`` and starts QEMU paused (``-S``) in its own process
   group, UART0 on a unix socket QEMU listens on (``run_dir/uart0.sock``), UART1 into a log file;
3. accepts QEMU's QMP connection (QEMU creates chardevs in command-line order and UART0's comes
   first, so its socket exists by then), connects to UART0, then lets the CPU run (``cont``), so
   not one byte of the boot output is lost. A socket rather than ``-serial pty``: QEMU's pty
   backend notices a reader only on a 1 s poll, which delayed the first command after start;
4. waits for the ``>>> `` prompt.

``stop()`` (also on ``with`` exit, at interpreter exit and on SIGTERM) kills the process group
and deletes the run dir; logs survive only in ``log_dir``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from harness import process_group
from harness.app import DEFAULT_QEMU_BINARY
from harness.board import Board
from harness.errors import BoardError, HarnessError, SetupError
from harness.gpio import Gpio
from harness.qmp import QmpConnection, QmpError
from harness.transport import Transport, UnixSocketStream
from harness.uart_log import UartLog

UART0_LABEL = "serial0"
UART0_SOCKET = "uart0.sock"
MACHINE = "esp8266"
RUN_DIR_PREFIX = "esp8266-qemu-"
OWNER_FILE = "owner.pid"


def sweep_stale_run_dirs(parent: Path | None = None) -> list[Path]:
    """Delete run dirs whose harness process is gone (it was SIGKILLed); returns them."""
    removed = []
    for run_dir in Path(parent or tempfile.gettempdir()).glob(RUN_DIR_PREFIX + "*"):
        try:
            owner = int((run_dir / OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue  # not ours, or being created right now
        if owner == os.getpid() or Path(f"/proc/{owner}").exists():
            continue
        shutil.rmtree(run_dir, ignore_errors=True)
        removed.append(run_dir)
    return removed


def _free_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _qemu_path(path: Path) -> str:
    """A path inside a QEMU option list (commas are doubled)."""
    return str(path).replace(",", ",,")


@dataclass(frozen=True)
class QemuCommand:
    """What goes on QEMU's command line (everything else is fixed by ``build_command``)."""

    flash_image: Path
    qmp_socket: Path
    uart1_log: Path
    uart0_socket: Path | None = None  # default: uart0.sock beside the QMP socket
    uart0_tcp_port: int | None = None  # instead: UART0 on 127.0.0.1:port (for esptool)
    binary: Path = DEFAULT_QEMU_BINARY
    machine: str = MACHINE
    paused: bool = True
    gdb: str | None = None  # QEMU's gdbstub, e.g. "tcp:127.0.0.1:1234" (docs/debugging.md)
    extra_args: tuple[str, ...] = field(default_factory=tuple)  # e.g. -nic ... (network issue)


def build_command(cmd: QemuCommand) -> list[str]:
    """QEMU's argv: UART0 = first -serial (a unix socket QEMU listens on), UART1 = second
    -serial (a log file). UART0's chardev comes before QMP's: it must exist when QEMU connects
    to our QMP listener."""
    uart0 = cmd.uart0_socket or cmd.qmp_socket.with_name(UART0_SOCKET)
    argv = [
        str(cmd.binary),
        "-M", cmd.machine,
        "-nodefaults",
        "-display", "none",
        "-monitor", "none",
        "-drive", f"if=mtd,format=raw,file={_qemu_path(cmd.flash_image)}",
        "-chardev", (f"socket,id=uart0,host=127.0.0.1,port={cmd.uart0_tcp_port},server=on,"
                     "wait=off" if cmd.uart0_tcp_port else
                     f"socket,id=uart0,path={_qemu_path(uart0)},server=on,wait=off"),
        "-chardev", f"socket,id=qmp,path={_qemu_path(cmd.qmp_socket)}",
        "-mon", "chardev=qmp,mode=control",
        "-serial", "chardev:uart0",
        "-chardev", f"file,id=uart1,path={_qemu_path(cmd.uart1_log)}",
        "-serial", "chardev:uart1",
    ]
    if cmd.gdb:
        argv.extend(["-gdb", cmd.gdb])
    if cmd.paused:
        argv.append("-S")
    argv.extend(cmd.extra_args)
    return argv


class _OutputWatcher(threading.Thread):
    """Copies QEMU's stdout/stderr to a log file; ``ended`` is set when QEMU closed it."""

    def __init__(self, stream: IO[bytes], log_path: Path) -> None:
        super().__init__(daemon=True, name="qemu-output")
        self.stream = stream
        self.log_path = log_path
        self.ended = threading.Event()
        self.output = bytearray()

    def run(self) -> None:
        try:
            with self.log_path.open("ab") as log:
                for line in iter(self.stream.readline, b""):
                    log.write(line)
                    log.flush()
                    self.output += line
        finally:
            self.ended.set()

    def text(self) -> str:
        return self.output.decode("utf-8", "replace").strip()[-2000:]


class QemuService:
    """Start with ``start()`` (returns the ``Board``) or ``with QemuService(...) as board``."""

    def __init__(
        self,
        flash_image: Path,
        *,
        elf: Path | None = None,
        binary: Path = DEFAULT_QEMU_BINARY,
        name: str = "qemu",
        log_dir: Path | None = None,
        flash_path: Path | None = None,
        extra_args: Sequence[str] = (),
        startup_timeout: float = 10.0,
        boot_timeout: float = 10.0,
        timeout: float = 10.0,
        wait_for_boot: bool = True,
        kill_grace: float = 3.0,
        gdb_port: int | None = None,
    ) -> None:
        # QEMU runs in its run directory: relative paths are the caller's, so anchor them now
        self.flash_image = Path(flash_image).absolute()
        self.elf = elf.absolute() if elf is not None else None
        binary = Path(binary)
        self.binary = binary.absolute() if len(binary.parts) > 1 else binary  # else: on PATH
        self.name = name
        self.log_dir = log_dir.absolute() if log_dir is not None else None
        self.flash_path = flash_path.absolute() if flash_path is not None else None
        self.extra_args = tuple(extra_args)
        self.startup_timeout = startup_timeout
        self.boot_timeout = boot_timeout
        self.timeout = timeout
        self.wait_for_boot = wait_for_boot
        self.kill_grace = kill_grace
        self.gdb_port = gdb_port  # gdbstub on 127.0.0.1:gdb_port; 0: a free port, set on start
        self.run_dir: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.qmp: QmpConnection | None = None
        self.board: Board | None = None
        self._watcher: _OutputWatcher | None = None

    # ------------------------------------------------------------------ paths
    def _log_path(self, suffix: str) -> Path:
        assert self.run_dir is not None
        base = self.log_dir if self.log_dir is not None else self.run_dir
        base.mkdir(parents=True, exist_ok=True)
        return base / f"{self.name}-{suffix}"

    @property
    def qemu_log(self) -> Path:
        return self._log_path("qemu.log")

    @property
    def uart0_log(self) -> Path:
        return self._log_path("uart0.log")

    @property
    def uart1_log(self) -> Path:
        return self._log_path("uart1.log")

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> Board:
        self._check_inputs()
        self._make_run_dir()
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _check_inputs(self) -> None:
        if not self.binary.is_file():
            raise SetupError(f"no QEMU binary at {self.binary}; build the emulator with "
                             "`invoke qemu` (or pass --qemu-binary PATH)")
        if not self.flash_image.is_file():
            raise SetupError(f"no flash image at {self.flash_image}; is the firmware built? "
                             "run `invoke build` (or pass --firmware DIR)")

    def _make_run_dir(self) -> None:
        sweep_stale_run_dirs()
        self.run_dir = Path(tempfile.mkdtemp(prefix=RUN_DIR_PREFIX))
        (self.run_dir / OWNER_FILE).write_text(str(os.getpid()))
        process_group.register_cleanup(self._remove_run_dir)

    def start_for_esptool(self) -> str:
        """Start in UART download mode (GPIO0 strapped low) with UART0 on a free 127.0.0.1 TCP
        port; returns its pyserial URL for esptool. No Board: esptool owns UART0 until stop()."""
        self._check_inputs()
        self._make_run_dir()
        try:
            port = _free_loopback_port()
            self._launch(MACHINE + ",boot-mode=download", uart0_tcp_port=port)
            assert self.qmp is not None
            self.qmp.execute("cont")
            return f"socket://127.0.0.1:{port}"
        except BaseException:
            self.stop()
            raise

    def start_uart0_tcp(self, run: bool = True) -> str:
        """Start with UART0 on a free 127.0.0.1 TCP port for a user's terminal (no Board);
        returns its pyserial URL. ``run=False`` keeps the CPU halted at reset (for gdb)."""
        self._check_inputs()
        self._make_run_dir()
        try:
            port = _free_loopback_port()
            self._launch(MACHINE, uart0_tcp_port=port)
            assert self.qmp is not None
            if run:
                self.qmp.execute("cont")
            return f"socket://127.0.0.1:{port}"
        except BaseException:
            self.stop()
            raise

    def _launch(self, machine: str, uart0_tcp_port: int | None = None) -> None:
        """Private flash, QMP listener, QEMU (paused) in its own process group, QMP accepted."""
        assert self.run_dir is not None
        flash = self._private_flash()
        self.qmp = QmpConnection(self.name)
        self.qmp.listen(self.run_dir / "qmp.sock")
        if self.gdb_port == 0:
            self.gdb_port = _free_loopback_port()
        gdb = f"tcp:127.0.0.1:{self.gdb_port}" if self.gdb_port is not None else None
        argv = build_command(QemuCommand(
            flash_image=flash, qmp_socket=self.run_dir / "qmp.sock", uart1_log=self.uart1_log,
            binary=self.binary, machine=machine, uart0_tcp_port=uart0_tcp_port,
            gdb=gdb, extra_args=self.extra_args))
        with self.qemu_log.open("w") as log:
            log.write("$ " + " ".join(argv) + "\n")
        self.process = process_group.spawn(argv, stdin=subprocess.DEVNULL,
                                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                           cwd=self.run_dir)
        self._watcher = _OutputWatcher(self.process.stdout, self.qemu_log)
        self._watcher.start()
        self._accept_qmp()

    def _start(self) -> Board:
        assert self.run_dir is not None
        self._launch(MACHINE)
        assert self.qmp is not None
        log = UartLog(self.uart0_log)
        transport = Transport(UnixSocketStream(self.run_dir / UART0_SOCKET))
        self.board = Board(
            transport, name=self.name, log=log, elf=self.elf, resetter=self.hard_reset_line,
            timeout=self.timeout, boot_timeout=self.boot_timeout,
            hint=f"QEMU log: {self.qemu_log}; is the firmware built? run `invoke build`",
        )
        self.qmp.execute("cont")
        if self.wait_for_boot:
            self.board.wait_for_boot()
        return self.board

    def _private_flash(self) -> Path:
        assert self.run_dir is not None
        if self.flash_path is not None:
            if not self.flash_path.exists():
                self.flash_path.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(self.flash_image, self.flash_path)
            return self.flash_path
        copy = self.run_dir / "flash.img"
        shutil.copyfile(self.flash_image, copy)
        return copy

    def _accept_qmp(self) -> None:
        """QEMU connects to our QMP listener once its chardevs (UART0's first) exist."""
        assert self._watcher is not None and self.process is not None and self.qmp is not None
        try:
            self.qmp.accept(self.startup_timeout, abort=self._watcher.ended)
            return
        except QmpError as exc:
            failure = exc
        try:
            status: int | None = self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            status = None
        said = self._watcher.text() or "(nothing)"
        where = f"\nfull log: {self.qemu_log}" if self.log_dir is not None else ""
        if status is not None:
            raise BoardError(f"QEMU exited with status {status} before it was ready; QEMU said:"
                             f"\n{said}{where}")
        raise QmpError(f"{failure}; QEMU is still running; it said:\n{said}{where}")

    def hard_reset_line(self) -> None:
        """Pulse the reset (QMP ``system_reset``); ``Board.hard_reset`` also waits for boot."""
        if self.qmp is None:
            raise BoardError(f"{self.name} is not running; call start() first")
        self.qmp.execute("system_reset")

    @property
    def gpio(self) -> Gpio:
        if self.qmp is None:
            raise BoardError(f"{self.name} is not running; call start() first")
        return Gpio(self.qmp)

    def stop(self) -> None:
        """Kill QEMU (process group), close everything, delete the run dir (logs stay)."""
        errors: list[str] = []
        if self.board is not None:
            self.board.close()
            self.board = None
        if self.qmp is not None:
            self.qmp.close()
            self.qmp = None
        if self.process is not None:
            process_group.kill_group(self.process, self.kill_grace)
            if self._watcher is not None:
                self._watcher.join(timeout=5)  # EOF on the pipe once the group is dead
                self._watcher = None
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None
        if self.run_dir is not None:
            process_group.unregister_cleanup(self._remove_run_dir)
            self._remove_run_dir()
            if self.run_dir.exists():
                errors.append(f"could not delete {self.run_dir}")
            self.run_dir = None
        if errors:
            raise HarnessError("; ".join(errors))

    def _remove_run_dir(self) -> None:
        if self.run_dir is not None:
            shutil.rmtree(self.run_dir, ignore_errors=True)

    def __enter__(self) -> Board:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
