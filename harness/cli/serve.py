"""``invoke serve``: emulated boards for other tools (mpremote, picocom, Thonny, esptool,
WebREPL, gdb), kept until Ctrl-C / SIGTERM, nothing left behind.

Per board ``i`` (files under ``build/run/board<i>/``):

* UART0 three ways at once through QEMU's ``hub`` chardev: a pty (stable link ``uart0``), a
  TCP server on 127.0.0.1 (pyserial ``socket://``) and the harness's own socket, whose reader
  writes ``uart0.log`` from the first byte (the ROM banner included);
* UART1 into ``uart1.log``; QEMU's own output in ``qemu.log``;
* a persistent flash file (``flash.img``, or ``--flash FILE``), made from the firmware when
  missing and kept across runs (``--fresh`` starts over);
* optionally a NIC (``--net user|tap``) with TCP forwards on 127.0.0.1 (WebREPL's 8266 by
  default; tap mode relays from host loopback into the namespace), QEMU's gdbstub on
  127.0.0.1 (``--gdb``), download mode for esptool (``--download``).

``Server`` is the API the tests use; ``serve()`` is the task: start, print how to connect,
wait for a signal, stop.
"""

from __future__ import annotations

import functools
import select
import shlex
import signal
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from harness import paths
from harness.board.board import Board
from harness.build.artifacts import FirmwareArtifacts
from harness.emulator.command import require_qemu_binary
from harness.emulator.service import QemuService
from harness.errors import BoardCrashed, HarnessError, SetupError

DEFAULT_FORWARDS = (8266,)  # WebREPL
DEFAULT_WEBREPL_PASSWORD = "esp8266"
LOOPBACK = "127.0.0.1"


def run_root() -> Path:
    return paths.build_dir() / "run"


@dataclass(frozen=True)
class ServeOptions:
    boards: int = 1
    firmware: Path | None = None
    qemu_binary: Path | None = None
    net: str | None = None  # None, "user" or "tap"
    forwards: tuple[int, ...] = DEFAULT_FORWARDS
    flash: Path | None = None  # board 0's flash file (board i: FILE with "-i" before the suffix)
    fresh: bool = False
    download: bool = False
    gdb: int | None = None  # gdbstub port of board 0 (board i: gdb + i); 0: a free port
    wait_gdb: bool = False
    webrepl_password: str = DEFAULT_WEBREPL_PASSWORD
    uart_baud: int = 0  # 0: the rate the firmware configures (CLKDIV), like a wire
    clock: str = "realtime"  # the boards' guest clock (harness.emulator.command.CLOCKS)
    gpio_wires: str = ""  # pads wired together on every board, e.g. "4-5" (GPIO model)
    root: Path = field(default_factory=run_root)
    # (path on the board, local file): put on each board before it is served
    files: tuple[tuple[str, Path], ...] = ()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


class _LogPump(threading.Thread):
    """Reads UART0 all the time (so the UART log has every byte and the hub never waits on the
    harness); remembers whether a prompt came."""

    def __init__(self, board: Board) -> None:
        super().__init__(daemon=True, name=f"uart0-log-{board.name}")
        self.board = board
        self.stop_event = threading.Event()
        self.seen = bytearray()

    def run(self) -> None:
        fd = self.board.transport.stream.fileno()  # type: ignore[attr-defined]
        while not self.stop_event.is_set():
            try:
                ready, _, _ = select.select([fd], [], [], 0.2)
                if ready:
                    data = self.board.transport.read_available()
                    self.seen = (self.seen + data)[-4096:]
            except BoardCrashed:
                # the dump is in the UART log; the board restarts as a chip does and the log
                # goes on (another tool, e.g. run-tests.py, may still be using it)
                self.board.crash.reset()
                continue
            except (OSError, ValueError, HarnessError):
                return

    def stop(self) -> None:
        self.stop_event.set()
        self.join(timeout=2)


class _Relay(threading.Thread):
    """127.0.0.1:``port`` -> a connection made by ``connect()`` (tap mode: into the namespace)."""

    def __init__(self, port: int, connect: Callable[[], socket.socket]) -> None:
        super().__init__(daemon=True, name=f"relay-{port}")
        self.connect = connect
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((LOOPBACK, port))
        self.listener.listen(4)
        self.port = int(self.listener.getsockname()[1])

    def run(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._pipe, args=(client,), daemon=True).start()

    def _pipe(self, client: socket.socket) -> None:
        try:
            upstream = self.connect()
        except OSError:
            client.close()
            return
        pair = {client: upstream, upstream: client}
        try:
            while True:
                ready, _, _ = select.select(list(pair), [], [])
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    pair[sock].sendall(data)
        except OSError:
            return
        finally:
            client.close()
            upstream.close()

    def close(self) -> None:
        self.listener.close()


@dataclass
class ServedBoard:
    index: int
    service: QemuService
    directory: Path
    flash: Path
    tcp_port: int
    gdb_port: int | None
    forwards: dict[int, int]  # board port -> 127.0.0.1 port
    pump: _LogPump | None = None
    ip: str | None = None

    @property
    def pty(self) -> str:
        assert self.service.pty_path is not None
        return self.service.pty_path

    @property
    def link(self) -> Path:
        return self.directory / "uart0"

    @property
    def url(self) -> str:
        return f"socket://{LOOPBACK}:{self.tcp_port}"

    def commands(self, options: ServeOptions, elf: Path | None,
                 image: Path | None = None) -> list[tuple[str, str]]:
        link = shlex.quote(str(self.link))
        lines = [
            ("mpremote", f"mpremote connect {link} repl"),
            ("picocom", f"picocom -b 115200 {link}   (quit: Ctrl-A Ctrl-X)"),
            ("pyserial", f"{self.url}   (e.g. python -m serial.tools.miniterm {self.url})"),
        ]
        if options.download:
            lines.append(("esptool", f"esptool --chip esp8266 --port {self.url} --no-stub "
                                     "--before no-reset --after no-reset write-flash 0 "
                                     f"{shlex.quote(str(image or 'firmware.bin'))}"))
        if 8266 in self.forwards:
            lines.append(("webrepl", f"invoke webrepl --port {self.forwards[8266]} "
                                     f"--password {shlex.quote(options.webrepl_password)}"))
        for board_port, host_port in sorted(self.forwards.items()):
            if board_port != 8266:
                lines.append((f"port {board_port}", f"{LOOPBACK}:{host_port}"))
        if self.gdb_port is not None:
            target = f"-ex 'target remote {LOOPBACK}:{self.gdb_port}'"
            lines.append(("gdb", f"xtensa-lx106-elf-gdb {shlex.quote(str(elf or 'firmware.elf'))}"
                                 f" {target}   (or: invoke gdb)"))
        lines += [("UART0 log", str(self.service.uart0_log)),
                  ("UART1 log", str(self.service.uart1_log)),
                  ("flash", str(self.flash))]
        return lines


def _put_files(board: Board, files: tuple[tuple[str, Path], ...]) -> None:
    """Each (remote, local) onto the board's filesystem, parent directories made."""
    for remote, local in files:
        parts = remote.strip("/").split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            directory = "/" + "/".join(parts[:depth])
            board.exec(f"import os\ntry:\n os.mkdir({directory!r})\nexcept OSError:\n pass")
        board.put(remote, Path(local))


class Server:
    """Boards served for other tools; ``start()`` then ``stop()`` (or ``with``)."""

    def __init__(self, options: ServeOptions) -> None:
        if options.boards < 1:
            raise SetupError("--boards must be at least 1")
        if options.net not in (None, "user", "tap"):
            raise SetupError(f"--net {options.net!r}: use user or tap")
        if options.wait_gdb and options.gdb is None:
            options = ServeOptions(**{**options.__dict__, "gdb": 0})
        self.options = options
        self.firmware = FirmwareArtifacts.locate(options.firmware)
        self.boards: list[ServedBoard] = []
        self.net = None
        self._relays: list[_Relay] = []

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> list[ServedBoard]:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self.boards

    def _flash_file(self, index: int) -> Path:
        base = self.options.flash
        if base is None:
            return self.options.root / f"board{index}" / "flash.img"
        base = base.expanduser().absolute()
        return base if index == 0 else base.with_name(f"{base.stem}-{index}{base.suffix}")

    def _start(self) -> None:
        opts = self.options
        image = self.firmware.require_flash_image()
        binary = require_qemu_binary(opts.qemu_binary)
        if opts.net:
            from harness.network.service import NetworkService

            self.net = NetworkService(opts.net, log_dir=opts.root / "net",
                                      board_ports=opts.forwards).start()
        for index in range(opts.boards):
            directory = opts.root / f"board{index}"
            directory.mkdir(parents=True, exist_ok=True)
            flash = self._flash_file(index)
            if opts.fresh and flash.exists():
                flash.unlink()
            tcp_port = _free_port()
            gdb_port = None
            if opts.gdb is not None:
                gdb_port = opts.gdb + index if opts.gdb else _free_port()
            extra = self.net.qemu_args(index) if self.net is not None else []
            service = QemuService(
                image, elf=self.firmware.elf_if_present(), binary=binary, name="board",
                log_dir=directory, flash_path=flash, extra_args=extra, uart0_pty=True,
                uart0_tcp_server=tcp_port, uart_baud=opts.uart_baud, gdb_port=gdb_port,
                wait_gdb=opts.wait_gdb, download=opts.download, boot_timeout=20.0,
                clock=opts.clock, gpio_wires=opts.gpio_wires,
            )
            served = ServedBoard(index, service, directory, flash, tcp_port, gdb_port, {})
            self.boards.append(served)
            board = service.start()
            self._link(served)
            if self.net is not None and not (opts.download or opts.wait_gdb):
                self._network(served, board)
            if opts.files and not (opts.download or opts.wait_gdb):
                _put_files(board, opts.files)
            if not opts.download and not opts.wait_gdb:
                board.repl.exit()  # leave the board at the friendly prompt
            served.pump = _LogPump(board)
            served.pump.start()

    def _link(self, served: ServedBoard) -> None:
        link = served.link
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(served.pty)

    def _network(self, served: ServedBoard, board: Board) -> None:
        from harness.network.connect import connect as connect_board

        assert self.net is not None
        served.ip = connect_board(board)[0]
        if 8266 in self.options.forwards:
            board.exec(f"import webrepl\nwebrepl.start(password={self.options.webrepl_password!r})")
        for port in self.options.forwards:
            if self.net.mode == "user":
                served.forwards[port] = self.net.board_endpoint(port, served.index)[1]
            else:
                relay = _Relay(0, functools.partial(self.net.connect_to_board, port,
                                                    served.index))
                relay.start()
                self._relays.append(relay)
                served.forwards[port] = relay.port

    def stop(self) -> None:
        for relay in self._relays:
            relay.close()
        self._relays = []
        for served in self.boards:
            if served.pump is not None:
                served.pump.stop()
            served.service.stop()
            if served.link.is_symlink():
                served.link.unlink()
        self.boards = []
        if self.net is not None:
            self.net.stop()
            self.net = None

    def __enter__(self) -> list[ServedBoard]:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ the task
    def describe(self) -> str:
        out = []
        for served in self.boards:
            state = ("download mode (GPIO0 low): esptool only" if self.options.download else
                     "waiting for gdb (the CPU starts on `continue`)" if self.options.wait_gdb
                     else "at the >>> prompt")
            where = f", IP {served.ip}" if served.ip else ""
            out.append(f"board {served.index}: {state}{where}")
            image = self.firmware.bin if self.firmware.bin.is_file() else None
            for what, command in served.commands(self.options, self.firmware.elf_if_present(),
                                                 image):
                out.append(f"  {what + ':':<11} {command}")
        return "\n".join(out)


def serve(options: ServeOptions, write: Callable[[str], object] = sys.stdout.write) -> None:
    """Start, print how to connect, wait for Ctrl-C / SIGTERM / SIGHUP, stop. (SIGINT gets
    our handler too: a shell's background job inherits it ignored.)"""
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set())
                for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    server = Server(options)
    try:
        server.start()
        write(server.describe() + "\n\nserving; Ctrl-C stops the board(s)\n")
        if hasattr(sys.stdout, "flush"):
            sys.stdout.flush()
        while not stop.is_set():
            stop.wait(0.5)
            for served in server.boards:
                process = served.service.process
                if process is not None and process.poll() is not None:
                    raise HarnessError(f"board {served.index}: QEMU exited with status "
                                       f"{process.returncode}; see {served.service.qemu_log}")
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        write("stopped; nothing left running\n")
