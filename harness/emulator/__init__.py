"""Emulator layer: QEMU's command line and binary (command.py, the only place for either), the
``QemuService`` of the boards (service.py), QMP (qmp.py), host access to the emulated GPIO pins
(gpio.py) and the bare-metal ``Machine`` of the machine tests (machine.py). May import board/
(a started QemuService gives a ``Board``) and build/ (where build output is); never plugins/,
cli/ or network/ (tests/host/test_layering.py checks it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.emulator.machine import Machine, MachineError
    from harness.emulator.service import QemuService

_LAZY = {"QemuService": "harness.emulator.service", "Machine": "harness.emulator.machine",
         "MachineError": "harness.emulator.machine"}

__all__ = ["Machine", "MachineError", "QemuService"]


def __getattr__(name: str) -> Any:
    """Import on first use: ``harness.emulator.command`` alone stays light."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'harness.emulator' has no attribute {name!r}")
