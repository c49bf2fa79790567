"""``machine.UART(1)``: transmit-only UART1, whose output the emulator writes to the UART1
log file of the QEMU service."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from harness.board import Board
from harness.emulator.service import QemuService

pytestmark = pytest.mark.qemu_only


def wait_for_text(path: Path, text: bytes, timeout: float = 3.0) -> bytes:
    deadline = time.monotonic() + timeout
    data = b""
    while time.monotonic() < deadline:
        data = path.read_bytes() if path.exists() else b""
        if text in data:
            return data
        time.sleep(0.02)
    return data


def test_uart1_write_appears_in_uart1_log(board: Board, qemu_service: QemuService) -> None:
    log = qemu_service.uart1_log
    marker = f"UART1-{time.monotonic_ns()}".encode()
    line = marker + b"\r\n"
    written = board.eval(f"__import__('machine').UART(1, 115200).write({line!r})")
    assert written == len(marker) + 2
    data = wait_for_text(log, marker)
    assert marker + b"\r\n" in data
    assert marker not in board.log.raw  # not on UART0


def test_uart1_binary_bytes_pass_unchanged(board: Board, qemu_service: QemuService) -> None:
    payload = bytes(range(256))
    board.exec("import machine\nu = machine.UART(1, 115200)\n"
               f"u.write(b'<<BIN')\nu.write({payload!r})\nu.write(b'BIN>>')")
    data = wait_for_text(qemu_service.uart1_log, b"BIN>>")
    assert b"<<BIN" + payload + b"BIN>>" in data


def test_uart1_repr_and_config(board: Board) -> None:
    text = board.eval("repr(__import__('machine').UART(1, 9600, bits=8, parity=None, stop=1))")
    assert text.startswith("UART(1, baudrate=9600")
    assert "bits=8" in text and "stop=1" in text


def test_uart0_stays_the_repl_after_uart1_use(board: Board) -> None:
    board.exec("import machine\nmachine.UART(1, 115200).write(b'x')")
    assert board.eval("'repl'.upper()") == "REPL"
