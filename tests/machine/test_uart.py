"""UART0: interrupt-driven RX (full threshold and timeout interrupts) echoed back over TX."""

from __future__ import annotations

import re


def _counts(m) -> tuple[int, int]:
    full = re.findall(r"full_irqs=0x([0-9a-f]{8})", m.output)[-1]
    tout = re.findall(r"tout_irqs=0x([0-9a-f]{8})", m.output)[-1]
    return int(full, 16), int(tout, 16)


def test_rx_timeout_interrupt_short_line(machine) -> None:
    m = machine.start("uart_echo")
    m.expect("READY")
    m.write(b"abc\n")               # 4 bytes < threshold 8: only the timeout fires
    m.expect(re.compile(r"ECHO:abc\r\n.*tout_irqs=0x\w+\r\n", re.S))
    full, tout = _counts(m)
    assert tout >= 1
    assert full == 0


def test_rx_full_threshold_interrupt_long_line(machine) -> None:
    m = machine.start("uart_echo")
    m.expect("READY")
    text = b"the quick brown fox jumps over the lazy dog 0123456789"
    m.write(text + b"\n")
    m.expect(re.compile(r"ECHO:" + re.escape(text.decode()) + r"\r\n.*tout_irqs=0x\w+\r\n",
                        re.S))
    full, _ = _counts(m)
    assert full >= 1


def test_rx_more_than_fifo_size(machine) -> None:
    """150 bytes at once exceed the 128-byte FIFO: flow control keeps every byte."""
    m = machine.start("uart_echo")
    m.expect("READY")
    text = bytes(ord("A") + i % 26 for i in range(150))
    m.write(text + b"\n")
    m.expect(re.compile(r"ECHO:" + text.decode() + r"\r\n"))


def test_ccompare_timer_interrupt(machine) -> None:
    m = machine.start("ccompare")
    m.expect("DONE")
    assert "ticks=0x0000000a" in m.output
    assert "cycles_at_least_ticks=0x00000001" in m.output
