"""QEMU's command line and which QEMU binary: the only place in the harness that knows either.

``qemu_binary(option)`` picks the emulator: the option (``--qemu-binary``), else
``$ESP8266_QEMU_BINARY``, else ``build/qemu/qemu-system-xtensa`` (what ``invoke qemu`` builds);
``require_qemu_binary`` also checks it exists and says how to get one.

``build_command(QemuCommand(...))`` is QEMU's argv for every user: the ``QemuService`` of the
boards (UART0 a unix socket QEMU listens on, QMP, UART1 into a log file, paused), the
bare-metal ``Machine`` of the machine tests (UART0 a socket *we* listen on, optional QMP,
``-kernel``), esptool's download-mode board (UART0 on a 127.0.0.1 TCP port) and the small
probes of the tests (``-serial null``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from harness import paths
from harness.errors import SetupError

QEMU_BINARY_ENV = "ESP8266_QEMU_BINARY"
# Guest clocks (docs/timing.md): "realtime" (QEMU's virtual clock follows the host's) or
# "icount" (guest time advances with executed instructions, 2**ICOUNT_SHIFT ns each).
CLOCKS = ("realtime", "icount")
ICOUNT_SHIFT = 4  # 16 ns per instruction: 1.28 CCOUNT cycles at 80 MHz
MACHINE = "esp8266"
UART0_SOCKET = "uart0.sock"


def qemu_binary(option: str | os.PathLike[str] | None = None) -> Path:
    """The emulator to run: ``option``, else $ESP8266_QEMU_BINARY, else the built one."""
    if option:
        return Path(option).expanduser()
    env = os.environ.get(QEMU_BINARY_ENV)
    if env:
        return Path(env).expanduser()
    return paths.built_qemu_binary()


def require_qemu_binary(option: str | os.PathLike[str] | None = None) -> Path:
    """``qemu_binary(option)``, or a SetupError saying where it looked and what to do."""
    path = qemu_binary(option)
    if not path.is_file():
        source = ("--qemu-binary" if option else f"${QEMU_BINARY_ENV}"
                  if os.environ.get(QEMU_BINARY_ENV) else "the default")
        raise SetupError(f"no QEMU binary at {path} ({source}); build our emulator with "
                         f"`invoke qemu` (or pass --qemu-binary PATH, or set {QEMU_BINARY_ENV})")
    return path


def qemu_path(path: str | os.PathLike[str]) -> str:
    """A path inside a QEMU option list (commas are doubled)."""
    return str(path).replace(",", ",,")


@dataclass(frozen=True)
class QemuCommand:
    """What goes on QEMU's command line; ``build_command`` turns it into argv.

    UART0 is, in this order of preference: ``uart0_serial`` (any ``-serial`` backend, e.g.
    ``null``), ``uart0_tcp_port`` (QEMU listens on 127.0.0.1:port, for esptool),
    ``uart0_connect`` (QEMU connects to a unix socket we listen on: nothing is lost even
    without ``-S``), else ``uart0_socket`` (QEMU listens there; default ``uart0.sock`` beside
    the QMP socket).
    """

    binary: Path = field(default_factory=qemu_binary)
    machine: str = MACHINE  # with options: "esp8266,boot-mode=download"
    flash_image: Path | None = None  # -drive if=mtd
    kernel: Path | None = None  # -kernel ELF
    qmp_socket: Path | None = None  # QEMU connects to our QMP listener there
    uart0_socket: Path | None = None
    uart0_tcp_port: int | None = None
    uart0_connect: Path | None = None
    uart0_serial: str | None = None
    # More ways into UART0 at the same time (``invoke serve``): a pty and/or a 127.0.0.1 TCP
    # server, joined with the socket above in one QEMU ``hub`` chardev (closed ones skipped)
    uart0_pty: bool = False
    uart0_tcp_server: int | None = None
    uart_baud: int | None = None  # the UARTs' line rate, both ways (None: CLKDIV's, a wire)
    gpio_wires: str = ""  # pads wired together outside the chip, "4-5[,A-B...]" (GPIO model)
    gdb_port: int | None = None  # QEMU's gdbstub on 127.0.0.1:PORT
    uart1_log: Path | None = None  # UART1 into this file (else UART1 has no backend)
    paused: bool = True  # -S: the CPU waits for QMP "cont"
    rom: Path | None = None  # our open ROM image (-bios): entry points for esptool's stub
    nodefaults: bool = True  # -nodefaults (no default NIC either)
    nic: bool = True  # False: -nic none
    debug_log: Path | None = None  # -D file, with ``debug_items`` as -d
    debug_items: str = "guest_errors,unimp"
    clock: str = "realtime"  # one of CLOCKS
    # icount record/replay (clock "icount"): ("record"|"replay", the replay log)
    rr: tuple[str, Path] | None = None
    extra_args: tuple[str, ...] = ()  # last, e.g. -nic ... of the network service

    @property
    def has_network(self) -> bool:
        """A NIC with a peer (the network service's ``-nic``/``-netdev`` in ``extra_args``)."""
        return self.nic and any(arg in ("-nic", "-netdev") for arg in self.extra_args)


def clock_args(clock: str, network: bool = False,
               rr: tuple[str, Path] | None = None) -> list[str]:
    """QEMU options for ``clock``. icount without a network peer skips idle time
    (``sleep=off``: a wait for a timer ends at once, so nothing the host does can make a timer
    late); with one, idle time follows the host clock (``sleep=on``) so peers that live in real
    time do not see the board's timers race ahead."""
    if clock == "realtime":
        if rr is not None:
            raise ValueError("record/replay needs the icount clock")
        return []
    if clock == "icount":
        rr_opts = f",rr={rr[0]},rrfile={qemu_path(rr[1])}" if rr is not None else ""
        sleep = "on" if network or rr is not None else "off"
        return ["-icount", f"shift={ICOUNT_SHIFT},sleep={sleep}{rr_opts}"]
    raise ValueError(f"unknown clock {clock!r}; use one of {', '.join(CLOCKS)}")


def _uart0_chardevs(cmd: QemuCommand, chardev: str) -> list[str]:
    """UART0's chardev ``uart0``: ``chardev`` alone, or a hub of it, a pty and a TCP server."""
    if not cmd.uart0_pty and not cmd.uart0_tcp_server:
        return ["-chardev", chardev]
    parts = ["-chardev", chardev.replace("id=uart0,", "id=uart0-harness,", 1)]
    members = ["uart0-harness"]
    if cmd.uart0_pty:
        parts += ["-chardev", "pty,id=uart0-pty"]
        members.append("uart0-pty")
    if cmd.uart0_tcp_server:
        parts += ["-chardev", f"socket,id=uart0-tcp,host=127.0.0.1,port={cmd.uart0_tcp_server},"
                  "server=on,wait=off,nodelay=on"]
        members.append("uart0-tcp")
    hub = ",".join(f"chardevs.{i}={name}" for i, name in enumerate(members))
    return parts + ["-chardev", f"hub,id=uart0,{hub}"]


def build_command(cmd: QemuCommand) -> list[str]:
    """QEMU's argv. UART0's chardev comes before QMP's: QEMU creates chardevs in command-line
    order, so UART0's socket exists by the time QEMU connects to our QMP listener."""
    argv = [str(cmd.binary), "-M", cmd.machine]
    if cmd.nodefaults:
        argv.append("-nodefaults")
    argv += ["-display", "none", "-monitor", "none"]
    if cmd.flash_image is not None and cmd.rr is not None:
        # the flash's asynchronous writes complete at recorded points (QEMU's blkreplay)
        argv += ["-drive", f"if=none,format=raw,id=flash-file,file={qemu_path(cmd.flash_image)}",
                 "-drive", "if=mtd,driver=blkreplay,image=flash-file"]
    elif cmd.flash_image is not None:
        argv += ["-drive", f"if=mtd,format=raw,file={qemu_path(cmd.flash_image)}"]
    if cmd.kernel is not None:
        argv += ["-kernel", str(cmd.kernel)]
    if cmd.uart0_serial is not None:
        uart0: list[str] = ["-serial", cmd.uart0_serial]
    else:
        if cmd.uart0_tcp_port:
            chardev = (f"socket,id=uart0,host=127.0.0.1,port={cmd.uart0_tcp_port},server=on,"
                       "wait=off")
        elif cmd.uart0_connect is not None:
            chardev = f"socket,id=uart0,path={qemu_path(cmd.uart0_connect)}"
        else:
            socket = cmd.uart0_socket
            if socket is None:
                if cmd.qmp_socket is None:
                    raise ValueError("QemuCommand: give uart0_socket or qmp_socket")
                socket = cmd.qmp_socket.with_name(UART0_SOCKET)
            chardev = f"socket,id=uart0,path={qemu_path(socket)},server=on,wait=off"
        uart0 = _uart0_chardevs(cmd, chardev) + ["-serial", "chardev:uart0"]
    serial_at = uart0.index("-serial")
    argv += uart0[:serial_at]  # UART0's chardev first ...
    if cmd.qmp_socket is not None:
        argv += ["-chardev", f"socket,id=qmp,path={qemu_path(cmd.qmp_socket)}",
                 "-mon", "chardev=qmp,mode=control"]
    argv += uart0[serial_at:]  # ... and UART0 the first -serial
    if cmd.uart1_log is not None:
        argv += ["-chardev", f"file,id=uart1,path={qemu_path(cmd.uart1_log)}",
                 "-serial", "chardev:uart1"]
    if not cmd.nic:
        argv += ["-nic", "none"]
    if cmd.uart_baud:
        # both ways: a board echoes what it reads, so output must keep up with input (TX
        # pacing applies on icount only; docs/qemu-machine.md)
        argv += ["-global", f"esp8266-uart.rx-baud={int(cmd.uart_baud)}",
                 "-global", f"esp8266-uart.tx-baud={int(cmd.uart_baud)}"]
    if cmd.gpio_wires:
        argv += ["-global", f"esp8266-gpio.wires={cmd.gpio_wires}"]
    if cmd.gdb_port:
        argv += ["-gdb", f"tcp:127.0.0.1:{int(cmd.gdb_port)}"]
    if cmd.debug_log is not None:
        argv += ["-d", cmd.debug_items, "-D", str(cmd.debug_log)]
    if cmd.rom is not None:
        argv += ["-bios", str(cmd.rom)]
    argv += clock_args(cmd.clock, cmd.has_network, cmd.rr)
    if cmd.paused:
        argv.append("-S")
    argv.extend(cmd.extra_args)
    return argv
