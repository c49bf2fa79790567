"""UART0 receives like a wire: bytes enter the RX FIFO one character time apart (CLKDIV's
rate), so a firmware whose ISR copies the FIFO into a small ring and whose main loop handles
one byte at a time, fast enough for the baud rate, never drops a byte of a long paste."""

from __future__ import annotations

import random
import re

import pytest

CLK_HZ = 80_000_000
BAUD = 115_200  # the UART's reset CLKDIV
CYCLES_PER_CHAR = 10 * CLK_HZ // BAUD


def _kv(output: str, key: str) -> int:
    return int(re.findall(rf"{key}=0x([0-9a-f]{{8}})", output)[-1], 16)


@pytest.mark.icount
def test_rx_fills_the_fifo_no_faster_than_the_line_rate(machine) -> None:
    # On the icount clock: on the realtime one a descheduled vCPU sees the first byte late
    # while the line runs on, which shortens what it measures (soak with a CPU hog: 390980
    # cycles, 57 % of the line's time). In guest time the line rate is exact.
    m = machine.start("uart_paste")
    m.expect("FILL")
    m.write(b"x" * 120 + b"\n")  # all at once on the host side
    m.expect(re.compile(r"fill_cycles=0x\w{8}\r?\n"))
    # 99 character times between the 1st and the 100th byte, in guest time (CCOUNT): a lower
    # bound (the guest may see the 100th later, if the host delivers late, never earlier)
    assert _kv(m.output, "fill_cycles") >= 0.9 * 99 * CYCLES_PER_CHAR


def test_8k_paste_into_a_small_ring_loses_nothing(machine) -> None:
    m = machine.start("uart_paste")
    m.expect("FILL")
    m.write(b"x" * 120 + b"\n")  # the fill measurement first
    m.expect("READY")
    rng = random.Random(8266)
    data = bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz0123456789 ") for _ in range(8192))
    m.write(data + b"\n")
    m.expect(re.compile(r"dropped=0x\w{8}\r?\n"), timeout=30)
    expected = 0
    for byte in data:
        expected = (expected * 31 + byte) & 0xFFFFFFFF
    assert _kv(m.output, "dropped") == 0
    assert _kv(m.output, "count") == len(data)
    assert _kv(m.output, "sum") == expected
