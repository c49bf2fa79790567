"""``invoke gdb``: xtensa-lx106-elf-gdb on the emulated board, symbols and sources in place.

- ``--port [HOST:]PORT``: attach to the gdbstub of a board that already runs (``invoke serve
  --gdb``, or QEMU started by hand with ``-gdb tcp:127.0.0.1:PORT``).
- otherwise: start a board with QEMU's gdbstub on a free 127.0.0.1 port and UART0 on another
  (for the user's terminal), run gdb in the foreground, stop the board when gdb exits.

gdb gets the firmware ELF as its symbol file (nothing is written to the board), the MicroPython
tree and our firmware sources as source directories, and a ``set substitute-path`` when the ELF
was built in another place than this tree's ``build/src``.
"""

from __future__ import annotations

import re
import shlex
import signal
import socket
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.build import gdb as gdb_build
from harness.build.artifacts import FirmwareArtifacts
from harness.emulator.command import qemu_binary
from harness.emulator.service import QemuService
from harness.errors import HarnessError
from harness.paths import REPO_ROOT, src_dir


class GdbError(HarnessError):
    """gdb could not be started or could not reach the board."""


@dataclass(frozen=True)
class GdbOptions:
    port: str | None = None  # "PORT" or "HOST:PORT" of a running gdbstub
    firmware: Path | None = None
    qemu_binary: Path | None = None
    wait: bool = False  # started board: halt at reset until gdb continues
    batch: bool = False
    commands: tuple[str, ...] = field(default_factory=tuple)  # -ex ... after attaching
    gdb_binary: Path | None = None


def parse_address(value: str) -> tuple[str, int]:
    """'1234', ':1234', 'localhost:1234', '127.0.0.1:1234' -> (host, port)."""
    host, _, port = value.rpartition(":")
    host = host or "127.0.0.1"
    try:
        number = int(port)
    except ValueError:
        number = -1
    if not 0 < number < 65536:
        raise GdbError(f"--port {value!r} is not a port: use PORT or HOST:PORT (e.g. 1234)")
    return host, number


def check_listening(host: str, port: int) -> None:
    """A clear error when no gdbstub listens there (gdb's own would be 'Connection refused')."""
    try:
        with socket.create_connection((host, port), timeout=3):
            pass
    except OSError as exc:
        raise GdbError(
            f"nothing accepts connections on {host}:{port} ({exc.strerror or exc}). Start a "
            "board with its gdbstub (`invoke serve --gdb PORT`), or run `invoke gdb` without "
            "--port: it starts one."
        ) from None


def micropython_tree(build: Path | None = None) -> Path | None:
    trees = sorted(src_dir(build).glob("micropython-*"))
    trees = [t for t in trees if t.is_dir() and not t.name.endswith(".unpacking")]
    return trees[-1] if trees else None


def dwarf_paths(elf: Path) -> list[str]:
    """The compile directories and absolute file names in the ELF's debug info (read with the
    cross binutils' objdump, which `invoke setup` installs)."""
    try:
        out = subprocess.run(["xtensa-lx106-elf-objdump", "--dwarf=info", str(elf)],
                             capture_output=True, text=True, timeout=300).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    found = re.findall(r"DW_AT_(?:comp_dir|name)\s*:\s*(?:\(.*?\):\s*)?(/\S+)", out)
    return sorted(set(found))


def source_commands(elf: Path, tree: Path | None) -> list[str]:
    """`directory` for the MicroPython tree and our firmware; `set substitute-path` where the
    ELF names other places (built in another checkout, a moved tree, a CI artefact)."""
    commands = []
    paths = dwarf_paths(elf)
    old_tree = next((m.group(1) for p in paths
                     if (m := re.match(r"(.*/micropython-[^/]+)(/|$)", p))), None)
    if tree is not None and old_tree is not None and Path(old_tree) != tree:
        commands.append(f"set substitute-path {old_tree} {tree}")
    ours = REPO_ROOT / "firmware"
    old_ours = next((m.group(1) for p in paths if (m := re.match(r"(.*/firmware)/hal/", p))),
                    None)
    if old_ours is not None and Path(old_ours) != ours:
        commands.append(f"set substitute-path {old_ours} {ours}")
    if tree is not None:
        commands.append(f"directory {tree / 'ports/esp8266'}")
        commands.append(f"directory {tree}")
    commands.append(f"directory {ours}")
    return commands


def gdb_argv(gdb: Path, elf: Path, host: str, port: int, tree: Path | None,
             commands: Sequence[str] = (), batch: bool = False) -> list[str]:
    argv = [str(gdb), "-q", "-nx"]
    if batch:
        argv.append("-batch")
    pre = ["set pagination off", "set confirm off"] if batch else []
    pre += source_commands(elf, tree)
    pre.append(f"target remote {host}:{port}")
    for command in [*pre, *commands]:
        argv += ["-ex", command]
    argv.append(str(elf))
    return argv


def banner(host: str, port: int, uart_url: str | None, wait: bool) -> str:
    lines = [f"--- {gdb_build.GDB_NAME} attached to the board's gdbstub at {host}:{port}"]
    if uart_url:
        host_port = uart_url.split("//", 1)[1]
        lines.append(f"--- the board's REPL (UART0), in another terminal: "
                     f"{shlex.quote(sys.executable)} -m serial.tools.miniterm {uart_url} 115200"
                     f"  (or: nc {host_port.replace(':', ' ')})")
    if wait:
        lines.append("--- the CPU is halted at reset: `continue` boots it")
    lines += [
        "--- try:  break mp_builtin_print   continue   then type print(1) on the REPL",
        "---       bt   info registers   finish   Ctrl-C stops the CPU   quit detaches",
    ]
    return "\n".join(lines)


def run_gdb(argv: list[str]) -> int:
    """gdb in the foreground; Ctrl-C belongs to gdb (it stops the target), not to us."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return subprocess.run(argv).returncode
    except FileNotFoundError:
        raise GdbError(f"{argv[0]} is missing: run `invoke setup --gdb`") from None
    finally:
        signal.signal(signal.SIGINT, previous)


def run(options: GdbOptions) -> int:
    """``invoke gdb``: attach to --port, or start a board with its gdbstub and attach."""
    gdb = options.gdb_binary or gdb_build.ensure_gdb()
    firmware = FirmwareArtifacts.locate(options.firmware)
    elf = firmware.require_elf()
    tree = micropython_tree()
    if options.port:
        host, port = parse_address(options.port)
        check_listening(host, port)
        print(banner(host, port, None, False), flush=True)
        return run_gdb(gdb_argv(gdb, elf, host, port, tree, options.commands, options.batch))
    service = QemuService(firmware.require_flash_image(), elf=elf,
                          binary=qemu_binary(options.qemu_binary), name="gdb", gdb_port=0)
    uart_url = service.start_uart0_tcp(run=not options.wait)
    try:
        assert service.gdb_port is not None
        print(banner("127.0.0.1", service.gdb_port, uart_url, options.wait), flush=True)
        return run_gdb(gdb_argv(gdb, elf, "127.0.0.1", service.gdb_port, tree,
                                options.commands, options.batch))
    finally:
        service.stop()
