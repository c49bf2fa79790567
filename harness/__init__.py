"""Build, boot and test MicroPython on an emulated (or real) ESP8266.

The package holds all logic; ``tasks.py`` only wraps it. See docs/harness.md (every module) and
docs/architecture.md (the layers). Layers, each a subpackage:

- ``harness.build``: sources, patches, the emulator and firmware builds, images, artefacts;
- ``harness.board``: a MicroPython board over UART0 (emulated or real), the WebREPL client;
- ``harness.emulator``: QEMU's command line and binary, ``QemuService``, QMP, GPIO, ``Machine``;
- ``harness.network``: the boards' test network (tap or user mode);
- ``harness.plugins``: the pytest plugins; ``harness.cli``: what the tasks run.

The names below are the stable surface for tests and users (``from harness import Board``).
They are imported on first use, so ``import harness`` stays cheap and cycle-free.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from harness.errors import (
    BoardCrashed,
    BoardDisconnected,
    BoardError,
    BoardException,
    BoardTimeout,
    BuildError,
    ChecksumError,
    HarnessError,
    NetworkError,
    PatchError,
    SetupError,
    SourceError,
    TestsFailed,
)

if TYPE_CHECKING:
    from harness.board.board import Board, RemoteEntry
    from harness.board.serial_service import SerialService
    from harness.build.artifacts import FirmwareArtifacts
    from harness.cli.targets import TargetOptions, make_service
    from harness.emulator.command import qemu_binary
    from harness.emulator.gpio import Gpio
    from harness.emulator.machine import Machine, MachineError
    from harness.emulator.service import QemuService
    from harness.network.connect import connect as connect_board
    from harness.network.service import NetworkService

__version__ = "0.1.0"

_LAZY = {
    "Board": ("harness.board.board", "Board"),
    "RemoteEntry": ("harness.board.board", "RemoteEntry"),
    "SerialService": ("harness.board.serial_service", "SerialService"),
    "FirmwareArtifacts": ("harness.build.artifacts", "FirmwareArtifacts"),
    "TargetOptions": ("harness.cli.targets", "TargetOptions"),
    "make_service": ("harness.cli.targets", "make_service"),
    "qemu_binary": ("harness.emulator.command", "qemu_binary"),
    "Gpio": ("harness.emulator.gpio", "Gpio"),
    "Machine": ("harness.emulator.machine", "Machine"),
    "MachineError": ("harness.emulator.machine", "MachineError"),
    "QemuService": ("harness.emulator.service", "QemuService"),
    "connect_board": ("harness.network.connect", "connect"),
    "NetworkService": ("harness.network.service", "NetworkService"),
}

__all__ = [
    "Board", "BoardCrashed", "BoardDisconnected", "BoardError", "BoardException",
    "BoardTimeout", "BuildError", "ChecksumError", "FirmwareArtifacts", "Gpio", "HarnessError",
    "Machine", "MachineError", "NetworkError", "NetworkService", "PatchError", "QemuService",
    "RemoteEntry", "SerialService", "SetupError", "SourceError", "TargetOptions", "TestsFailed",
    "connect_board", "make_service", "qemu_binary",
]


def __getattr__(name: str) -> Any:
    """The lazily imported names of ``__all__``."""
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'harness' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
