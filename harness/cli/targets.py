"""Choose and build the service for a target: the emulated board (QEMU) or a serial port.

The pytest plugin and the ``invoke repl`` / ``invoke run`` helpers share this, so a board is
configured the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.board.serial_service import SerialService
from harness.build.artifacts import FirmwareArtifacts
from harness.emulator.command import CLOCKS, require_qemu_binary
from harness.emulator.service import QemuService
from harness.errors import SetupError

TARGETS = ("qemu", "serial")


@dataclass(frozen=True)
class TargetOptions:
    target: str = "qemu"
    port: str | None = None
    baud: int = 115200
    firmware: Path | None = None
    qemu_binary: Path | None = None
    log_dir: Path | None = None
    reset: bool = False  # serial: pulse DTR/RTS at start
    qemu_args: tuple[str, ...] = field(default_factory=tuple)
    timeout: float = 10.0
    boot_timeout: float = 10.0
    flash: Path | None = None  # qemu: a flash file kept across runs (made when missing)
    clock: str = "realtime"  # qemu: the guest clock (harness.emulator.command.CLOCKS)
    record: bool = False  # qemu: QEMU record/replay (icount) unless the board has a network


def make_service(options: TargetOptions, name: str = "board") -> QemuService | SerialService:
    """A not yet started service for ``options.target``."""
    firmware = FirmwareArtifacts.locate(options.firmware)
    if options.target == "qemu":
        return QemuService(
            firmware.require_flash_image(), elf=firmware.elf_if_present(),
            binary=require_qemu_binary(options.qemu_binary), name=name,
            log_dir=options.log_dir if options.log_dir is not None else default_log_dir(),
            flash_path=options.flash, extra_args=options.qemu_args, timeout=options.timeout,
            boot_timeout=options.boot_timeout, clock=options.clock,
            record=options.record and not _networked(options.qemu_args),
        )
    if options.target == "serial":
        if not options.port:
            raise SetupError("--target serial needs --port (e.g. --port /dev/ttyUSB0)")
        return SerialService(
            options.port, baudrate=options.baud, elf=firmware.elf_if_present(), name=name,
            log_dir=options.log_dir, reset=options.reset, timeout=options.timeout,
            boot_timeout=options.boot_timeout,
        )
    raise SetupError(f"unknown target {options.target!r}; use one of {', '.join(TARGETS)}")


def _networked(qemu_args: Sequence[str]) -> bool:
    """A NIC with a peer: its packets are not recorded, so such a board runs unrecorded."""
    return any(arg in ("-nic", "-netdev") for arg in qemu_args)


def check_clock(clock: str) -> str:
    """``clock`` if it names a guest clock, else a SetupError listing them."""
    if clock not in CLOCKS:
        raise SetupError(f"unknown clock {clock!r}; use one of {', '.join(CLOCKS)} "
                         "(docs/timing.md)")
    return clock


def default_log_dir() -> Path:
    """Where ``invoke repl/run/bench`` keep an emulated board's logs: an error names these
    files, so they outlive the run (the run dir does not)."""
    from harness import paths

    return paths.build_dir() / "run" / "logs"


def qemu_args_from(values: Sequence[str] | None) -> tuple[str, ...]:
    """Split option strings like '-nic user' into argv items."""
    import shlex

    return tuple(arg for value in values or () for arg in shlex.split(value))
