"""UART0: interrupt-driven RX (full threshold and timeout interrupts) echoed back over TX."""

from __future__ import annotations

import re
import time


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


def test_ccount_runs_at_80mhz(machine) -> None:
    """CCOUNT advances 80 million per second (loose bounds: a property, not a benchmark)."""
    m = machine.start("ccount_rate")
    m.expect("READY")
    m.write(b"a")
    m.expect(re.compile(r"ccount=0x\w{8}\r\n"))
    start = time.monotonic()
    time.sleep(1.0)
    m.write(b"b")
    m.expect("DONE")
    elapsed = time.monotonic() - start
    first, second = (int(v, 16) for v in re.findall(r"ccount=0x(\w{8})", m.output))
    rate = ((second - first) & 0xFFFFFFFF) / elapsed
    assert 0.6 * 80e6 < rate < 1.4 * 80e6, f"CCOUNT rate {rate / 1e6:.1f} MHz"


def test_uart0_and_uart1_share_interrupt_5(machine) -> None:
    m = machine.start("uart_shared_irq")
    m.expect("DONE")
    out = m.output
    assert "pending_after_uart1=0x00000001" in out
    assert "pending_after_uart0=0x00000001" in out      # UART0's low line does not hide UART1
    assert "uart1_irqs=0x00000001" in out
    assert "uart1_byte=0x00000078" in out               # 'x' through UART1 loopback
    assert "pending_after_isr=0x00000000" in out
