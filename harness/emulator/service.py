"""One emulated ESP8266: a QEMU process, its UARTs, its QMP monitor, and a ``Board`` on UART0.

QEMU's command line comes from ``harness.emulator.command``. ``QemuService.start()``:

1. makes a private run dir (``esp8266-qemu-*`` in the temp dir) with a copy of the flash image
   (or uses ``flash_path``, kept across runs to test persistence);
2. listens for QMP on ``run_dir/qmp.sock`` and for UART0 on ``run_dir/uart0.sock`` and starts
   QEMU paused (``-S``) in its own process group, UART1 into a log file;
3. QEMU connects to UART0's socket as it creates the chardev (before QMP's, command-line
   order), i.e. before the machine's power-on reset prints the ROM banner; we accept QMP, then
   UART0, then let the CPU run (``cont``): not one byte of the output from power-on is lost.
   A socket rather than ``-serial pty``: QEMU's pty backend notices a reader only on a 1 s
   poll, which delayed the first command after start. ``invoke serve`` adds a pty and a TCP
   server to the same UART0 (QEMU's ``hub`` chardev, ``uart0_pty``/``uart0_tcp_server``);
4. waits for the ``>>> `` prompt.

``stop()`` (also on ``with`` exit, at interpreter exit and on SIGTERM) kills the process group
and deletes the run dir; logs survive only in ``log_dir``.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from harness import process_group
from harness.board.board import Board
from harness.board.transport import Transport, UnixSocketStream
from harness.board.uart_log import UartLog
from harness.build.rom import rom_image
from harness.emulator.command import (
    MACHINE,
    UART0_SOCKET,
    QemuCommand,
    build_command,
    qemu_binary,
    require_qemu_binary,
)
from harness.emulator.gpio import Gpio
from harness.emulator.qmp import QmpConnection, QmpError
from harness.emulator.replay import RAW_UART0, RR_LOG, START_FLASH, RawCapture, save_bundle
from harness.errors import BoardError, HarnessError, SetupError

UART0_LABEL = "serial0"
# The UART line of the harness's boards, both ways (the firmware configures 115200): fast
# enough that raw-paste transfers are not limited by it, slow enough that the friendly REPL and
# paste mode take 8 KiB typed at once (tests/board/test_uart_paste.py); transmit is paced only
# on icount. 0: the rate CLKDIV configures, a wire like a real board's (what `invoke serve`
# uses). docs/serving.md, "The receive line".
HARNESS_BAUD = 2_000_000
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


ICOUNT_NICE = 10  # the host priority of boards on the icount clock (nice value)


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


# What our ROM model prints when it halts instead of booting (qemu/hw/xtensa/esp8266_boot.c)
_BOOT_FAILURE = re.compile(r"(no boot image in flash[^\r\n]*|boot image (?:truncated|segment|has "
                           r"no)[^\r\n]*|csum err:[^\r\n]*)\r?\n")


class BootFailureDetector:
    """Transport listener: the emulator's own "no boot image ..." line fails the boot at once
    (the CPU is halted; waiting for a prompt would only time out)."""

    def __init__(self, name: str, flash_image: Path) -> None:
        self.name = name
        self.flash_image = flash_image
        self._window = ""

    def __call__(self, data: bytes) -> None:
        self._window = (self._window + data.decode("latin-1"))[-512:]
        match = _BOOT_FAILURE.search(self._window)
        if match:
            self._window = ""
            raise BoardError(f"{self.name} did not boot: the emulator says "
                             f"{match.group(1).strip()!r}; the flash image "
                             f"({self.flash_image}) holds no bootable firmware: build it with "
                             "`invoke build`, or pass a firmware.bin/flash image with --firmware")


class QemuService:
    """Start with ``start()`` (returns the ``Board``) or ``with QemuService(...) as board``."""

    def __init__(
        self,
        flash_image: Path,
        *,
        elf: Path | None = None,
        binary: Path | None = None,
        name: str = "qemu",
        log_dir: Path | None = None,
        flash_path: Path | None = None,
        extra_args: Sequence[str] = (),
        startup_timeout: float = 10.0,
        boot_timeout: float = 10.0,
        timeout: float = 10.0,
        wait_for_boot: bool = True,
        kill_grace: float = 3.0,
        rom: Path | None = None,
        uart0_pty: bool = False,
        uart0_tcp_server: int | None = None,
        uart_baud: int = HARNESS_BAUD,
        gpio_wires: str = "",
        gdb_port: int | None = None,
        wait_gdb: bool = False,
        download: bool = False,
        clock: str = "realtime",
        rr: tuple[str, Path] | None = None,
        record: bool = False,
    ) -> None:
        # QEMU runs in its run directory: relative paths are the caller's, so anchor them now
        self.flash_image = Path(flash_image).absolute()
        self.elf = elf.absolute() if elf is not None else None
        binary = qemu_binary(binary)  # None: $ESP8266_QEMU_BINARY, else build/qemu/...
        self.binary = binary.absolute() if len(binary.parts) > 1 else binary  # else: on PATH
        self.name = name
        self.log_dir = log_dir.absolute() if log_dir is not None else None
        self.flash_path = flash_path.absolute() if flash_path is not None else None
        self.extra_args = tuple(extra_args)
        # default: the ROM image `invoke qemu`/`invoke build` made, when there is one
        default_rom = rom_image()
        self.rom = (Path(rom).absolute() if rom is not None
                    else default_rom if default_rom.is_file() else None)
        self.startup_timeout = startup_timeout
        self.boot_timeout = boot_timeout
        self.timeout = timeout
        self.wait_for_boot = wait_for_boot
        self.kill_grace = kill_grace
        self.uart0_pty = uart0_pty
        self.uart0_tcp_server = uart0_tcp_server
        self.uart_baud = uart_baud
        self.gpio_wires = gpio_wires  # "4-5": pads wired together (GPIO model's "wires")
        self.gdb_port = gdb_port
        self.wait_gdb = wait_gdb
        self.download = download
        self.clock = clock  # harness.emulator.command.CLOCKS
        self.rr = rr  # ("record"|"replay", log): QEMU's record/replay on the icount clock
        # record=True: run on the icount clock with rr=record into the run dir; stop() saves
        # the run as a replay bundle into keep_replay when that is set (harness.emulator.replay)
        self.record = record
        if record:
            self.clock = "icount"
        self.keep_replay: Path | None = None
        self._raw_uart0: RawCapture | None = None
        self.pty_path: str | None = None  # UART0's pty (uart0_pty=True), once started
        self.run_dir: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.qmp: QmpConnection | None = None
        self.board: Board | None = None
        self._watcher: _OutputWatcher | None = None
        self._uart0_listener: socket.socket | None = None

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
        require_qemu_binary(self.binary)
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
        if self.record:
            shutil.copyfile(flash, self.run_dir / START_FLASH)
            self.rr = ("record", self.run_dir / RR_LOG)
        self.qmp = QmpConnection(self.name)
        self.qmp.listen(self.run_dir / "qmp.sock")
        if self.gdb_port == 0:
            self.gdb_port = _free_loopback_port()
        uart0_connect = None
        if uart0_tcp_port is None:
            # QEMU connects to UART0's socket as it creates the chardev, before the machine's
            # reset prints the ROM banner: the log has every byte from power-on
            uart0_connect = self.run_dir / UART0_SOCKET
            self._uart0_listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self._uart0_listener.bind(str(uart0_connect))
            self._uart0_listener.listen(1)
        argv = build_command(QemuCommand(
            flash_image=flash, qmp_socket=self.run_dir / "qmp.sock", uart1_log=self.uart1_log,
            binary=self.binary, machine=machine, uart0_tcp_port=uart0_tcp_port,
            uart0_connect=uart0_connect, uart0_pty=self.uart0_pty,
            uart0_tcp_server=self.uart0_tcp_server,
            uart_baud=self.uart_baud, gpio_wires=self.gpio_wires,
            gdb_port=self.gdb_port, rom=self.rom,
            clock=self.clock, rr=self.rr, extra_args=self.extra_args))
        if self.clock == "icount":
            # A board on the icount clock keeps its own time: a host that runs it later changes
            # nothing it sees. Without a network peer it also never idles (idle time is skipped
            # at full speed), so it gives way to the processes that keep the host's time: the
            # realtime boards, run-tests.py, and the CPython that writes a test's expected
            # output (starved by two icount boards, CPython's asyncio_fair printed 2 lines of
            # 5 and the board's correct output "failed").
            argv = ["nice", "-n", str(ICOUNT_NICE), *argv]
        with self.qemu_log.open("w") as log:
            log.write("$ " + " ".join(argv) + "\n")
        self.process = process_group.spawn(argv, stdin=subprocess.DEVNULL,
                                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                           cwd=self.run_dir)
        self._watcher = _OutputWatcher(self.process.stdout, self.qemu_log)
        self._watcher.start()
        self._accept_qmp()
        if self.uart0_pty:
            self.pty_path = self._chardev_pty("uart0-pty")

    def _accept_uart0(self) -> socket.socket:
        """QEMU's UART0 connection (made before QMP's, so it is queued by now)."""
        assert self._uart0_listener is not None
        listener, self._uart0_listener = self._uart0_listener, None
        listener.settimeout(self.startup_timeout)
        try:
            sock, _ = listener.accept()
        except OSError as exc:
            raise BoardError(f"QEMU did not connect to UART0's socket: {exc}; QEMU log: "
                             f"{self.qemu_log}") from None
        finally:
            listener.close()
        sock.settimeout(None)
        return sock

    def _chardev_pty(self, label: str) -> str:
        assert self.qmp is not None
        for chardev in self.qmp.execute("query-chardev"):
            if chardev.get("label") == label and chardev.get("filename", "").startswith("pty:"):
                return str(chardev["filename"][4:])
        raise BoardError(f"QEMU made no pty for {label}; QEMU log: {self.qemu_log}")

    def _start(self) -> Board:
        assert self.run_dir is not None
        self._launch(MACHINE + (",boot-mode=download" if self.download else ""))
        assert self.qmp is not None
        log = UartLog(self.uart0_log)
        transport = Transport(UnixSocketStream(self.run_dir / UART0_SOCKET,
                                               sock=self._accept_uart0()))
        # logs in the run dir go away with it: name them only when they are kept
        where = f"QEMU log: {self.qemu_log}; " if self.log_dir is not None else ""
        self.board = Board(
            transport, name=self.name, log=log, elf=self.elf, resetter=self.hard_reset_line,
            timeout=self.timeout, boot_timeout=self.boot_timeout,
            hint=f"{where}is the firmware built? run `invoke build`",
        )
        transport.add_listener(BootFailureDetector(self.name, self.flash_image))
        if self.record:
            self._raw_uart0 = RawCapture(self.run_dir / RAW_UART0)
            transport.add_listener(self._raw_uart0)
        if not self.wait_gdb:
            self.qmp.execute("cont")  # else gdb's `continue` starts the CPU
        if self.wait_for_boot and not self.download and not self.wait_gdb:
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
            if self._raw_uart0 is not None:
                try:  # what UART0 said last belongs to the recording
                    self.board.transport.drain(quiet=0.1, limit=1.0)
                except HarnessError:
                    pass
            self.board.close()
            self.board = None
        if self.qmp is not None:
            self.qmp.close()
            self.qmp = None
        if self._uart0_listener is not None:
            self._uart0_listener.close()
            self._uart0_listener = None
        if self.process is not None:
            process_group.kill_group(self.process, self.kill_grace)
            if self._watcher is not None:
                self._watcher.join(timeout=5)  # EOF on the pipe once the group is dead
                self._watcher = None
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None
        if self._raw_uart0 is not None:
            self._raw_uart0.close()
            self._raw_uart0 = None
            if self.keep_replay is not None and self.run_dir is not None:
                try:
                    save_bundle(self.run_dir, self.keep_replay, elf=self.elf, rom=self.rom,
                                binary=self.binary, name=self.name)
                except OSError as exc:
                    errors.append(f"could not keep the replay in {self.keep_replay}: {exc}")
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
