"""Board layer: talking to a MicroPython board over its UART0 (or WebREPL), the same code for the
emulated and a real board. ``Board`` (raw REPL, files, reset, crash detection, UART log) on a
``Transport`` (transport.py); ``SerialService`` starts one on a serial port. Imports nothing from
emulator/, build/, plugins/, cli/ or network/ (tests/host/test_layering.py checks it)."""

from harness.board.board import Board, RemoteEntry
from harness.board.serial_service import SerialService

__all__ = ["Board", "RemoteEntry", "SerialService"]
