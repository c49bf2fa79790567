"""UART0: interrupt-driven RX (full threshold and timeout interrupts) echoed back over TX;
the TX FIFO when UART0's reader does not read."""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path

import pytest


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


@pytest.mark.icount  # guest-time window: on realtime a starved main loop fires the timer late
def test_rx_timeout_fires_again_after_a_clear_that_leaves_bytes(machine) -> None:
    """The race of an ISR that emptied the FIFO, then a byte came and its timeout fired before
    the ISR's INT_CLR (a chip's ISR takes microseconds there; a descheduled vCPU on the realtime
    clock can take milliseconds): the timeout comes again, or the byte would wait for the next
    one, which a host waiting for an answer never sends (raw-paste's end ack, seen in CI)."""
    m = machine.start("uart_tout_again")
    m.expect("SEND")
    m.write(b"Z")
    m.expect(re.compile(r"DONE\r\n"))
    assert re.search(r"tout_again=0x00000001", m.output), m.output
    assert re.search(r"rx_cnt=0x00000001", m.output), m.output
    assert re.search(r"byte=0x0000005a", m.output), m.output


def test_rx_line_through_threshold_and_timeout_interrupts(machine) -> None:
    # The ISR drains the FIFO as the paced line fills it: the RX timeout interrupt ends
    # every burst; whether a FULL interrupt comes first depends on timing (tested below).
    m = machine.start("uart_echo")
    m.expect("READY")
    text = b"the quick brown fox jumps over the lazy dog 0123456789"
    m.write(text + b"\n")
    m.expect(re.compile(r"ECHO:" + re.escape(text.decode()) + r"\r\n.*tout_irqs=0x\w+\r\n",
                        re.S))
    full, tout = _counts(m)
    assert full + tout >= 1


def test_rx_full_threshold_raises_the_full_interrupt(machine) -> None:
    # Nothing reads the FIFO: once it holds the threshold's 8 bytes, INT_RAW's FULL bit is
    # set. (Whether it was already set when the program first saw a byte depends on how many
    # the paced line had delivered by then: the program reports it, the test does not judge.)
    m = machine.start("uart_full_threshold")
    m.expect("READY")
    m.write(b"0123456789abcdef")
    m.expect("DONE")
    assert "full_raw=0x00000001" in m.output
    assert int(re.search(r"count=0x(\w+)", m.output).group(1), 16) >= 8


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


@pytest.mark.realtime
def test_ccount_runs_at_80mhz(machine) -> None:
    """CCOUNT advances 80 million per second of the host's monotonic clock (QEMU's virtual
    clock without -icount). The program reads CCOUNT when a byte arrives: each read lies
    between the host's write and the host's receipt of the line, so the cycles between the
    two reads lie between the inner and the outer host interval, however loaded the host."""
    m = machine.start("ccount_rate")
    m.expect("READY")
    sent_a = time.monotonic()
    m.write(b"a")
    m.expect(re.compile(r"ccount=0x\w{8}\r\n"))
    seen_a = time.monotonic()
    time.sleep(1.0)
    sent_b = time.monotonic()
    m.write(b"b")
    m.expect("DONE")
    seen_b = time.monotonic()
    first, second = (int(v, 16) for v in re.findall(r"ccount=0x(\w{8})", m.output))
    seconds = ((second - first) & 0xFFFFFFFF) / 80e6
    assert sent_b - seen_a <= seconds <= seen_b - sent_a, (
        f"CCOUNT advanced {seconds:.6f} s at 80 MHz between host intervals of "
        f"{sent_b - seen_a:.6f} (inner) and {seen_b - sent_a:.6f} s (outer)"
    )


def test_uart0_and_uart1_share_interrupt_5(machine) -> None:
    m = machine.start("uart_shared_irq")
    m.expect("DONE")
    out = m.output
    assert "pending_after_uart1=0x00000001" in out
    assert "pending_after_uart0=0x00000001" in out      # UART0's low line does not hide UART1
    assert "uart1_irqs=0x00000001" in out
    assert "uart1_byte=0x00000078" in out               # 'x' through UART1 loopback
    assert "pending_after_isr=0x00000000" in out


# ---------------------------------------------------------------------------- TX FIFO stall

STALL_LINES = 20000     # as in programs/uart_tx_stall.c: ~800 KB, far more than a socket holds
ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+/"


def _stall_text() -> bytes:
    return "".join(f"{i:08x} " + "".join(ALPHABET[(i + k) & 63] for k in range(31)) + "\n"
                   for i in range(STALL_LINES)).encode()


class _SlowReader:
    """UART0 on a socket that the test reads only when it wants to (no reader thread)."""

    def __init__(self, path: Path) -> None:
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(path))
        self.listener.listen(1)
        self.conn: socket.socket | None = None
        self.buf = bytearray()

    def accept(self, timeout: float = 10.0) -> None:
        self.listener.settimeout(timeout)
        self.conn, _ = self.listener.accept()
        self.listener.close()

    def read_until(self, marker: bytes, timeout: float = 30.0) -> bytes:
        assert self.conn is not None
        deadline = time.monotonic() + timeout
        while marker not in self.buf:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no {marker!r} on UART0 within {timeout:g} s; tail: " \
                                  f"{bytes(self.buf[-300:])!r}"
            self.conn.settimeout(min(remaining, 1.0))
            try:
                data = self.conn.recv(65536)
            except TimeoutError:
                continue
            assert data, f"QEMU closed UART0 before {marker!r}"
            self.buf += data
        return bytes(self.buf)

    def close(self) -> None:
        self.listener.close()
        if self.conn is not None:
            self.conn.close()


def _txfifo_cnt(m) -> int:
    """UART0 STATUS.TXFIFO_CNT, read through the monitor (a side-effect-free register)."""
    out = m.qmp.execute("human-monitor-command", {"command-line": "xp /1wx 0x6000001c"},
                        timeout=2.0)
    return (int(out.split(":")[1].split()[0], 16) >> 16) & 0xFF


def _assert_responsive(m) -> None:
    # Before the TX FIFO, QEMU retried the chardev write holding its global lock and QMP did
    # not answer at all until UART0 was read; a few seconds' slack covers a loaded host.
    status = m.qmp.execute("query-status", timeout=5.0)
    assert status["status"] == "running"


def test_tx_fifo_fills_while_uart0_is_not_read(machine, machine_workdir) -> None:
    """A reader that does not read fills the chardev, then the 128-byte TX FIFO: the guest waits
    on TXFIFO_CNT, the machine (QMP, timers) keeps running, and once read every byte arrives
    in order. Then: a write to a full FIFO is dropped, CONF0.TXFIFO_RST empties it."""
    uart0 = _SlowReader(machine_workdir / "stall.uart0")
    try:
        # the unpaced line (the default without -icount), whatever the run's clock
        m = machine.start("uart_tx_stall", qmp=True, uart0=f"unix:{uart0.listener.getsockname()}",
                          extra_args=("-global", "esp8266-uart.tx-pace=off"))
        uart0.accept()

        # Never read yet: the chardev fills, then the TX FIFO; the guest waits, QEMU must not.
        # (Reading READY first made this flaky: the read frees socket space, QEMU's G_IO_OUT
        # watch then drains a FIFO already seen full, and on a loaded host the guest has not
        # refilled it when the next check reads TXFIFO_CNT, e.g. 0. Without any read the
        # socket never becomes writable again, so a full FIFO stays full.)
        deadline = time.monotonic() + 10.0
        while (cnt := _txfifo_cnt(m)) < 126:
            assert time.monotonic() < deadline, f"TXFIFO_CNT stays {cnt} while UART0 is unread"
            time.sleep(0.05)
        # ~1 s more without reading: QMP answers at once, the FIFO stays full.
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            _assert_responsive(m)
            assert _txfifo_cnt(m) >= 126
            time.sleep(0.1)

        out = uart0.read_until(b"DONE\r\n", timeout=60.0)
        body = out.split(b"READY\r\n", 1)[1].split(b"END\r\n", 1)[0]
        expected = _stall_text()
        assert len(body) == len(expected), f"{len(body)} bytes arrived, {len(expected)} sent"
        assert body == expected, "UART0 bytes lost or out of order"
        text = out.decode("latin-1")
        assert int(re.search(r"waits=0x(\w{8})", text).group(1), 16) > 0
        assert int(re.search(r"max_cnt=0x(\w{8})", text).group(1), 16) >= 126
        assert "empty_raw_full=0x00000000" in text        # 126 bytes >= threshold 0x60
        assert "empty_raw_drained=0x00000002" in text     # 0 bytes < threshold

        # Phase 2: stop reading again, the guest fills the FIFO to 128 and overflows it.
        uart0.buf.clear()
        assert uart0.conn is not None
        uart0.conn.sendall(b"s")
        # the guest fills the chardev and the FIFO again (bytes stay in the FIFO only while
        # the chardev takes none): QMP must answer meanwhile
        deadline = time.monotonic() + 10.0
        while _txfifo_cnt(m) == 0:
            assert time.monotonic() < deadline, "the TX FIFO stays empty after 's'"
            time.sleep(0.05)
        _assert_responsive(m)
        out = uart0.read_until(b"DONE2\r\n", timeout=30.0).decode("latin-1")
        phase2 = out.split("PHASE2", 1)[1]
        assert "cnt_full=0x00000080" in phase2
        assert "cnt_after_drop=0x00000080" in phase2      # the 129th byte was dropped
        assert "cnt_after_rst=0x00000000" in phase2
        assert "empty_raw_after_rst=0x00000002" in phase2
        assert "Q" not in out.split("PHASE2", 1)[0]
        m.stop()                                          # flushes QEMU's -D log
        assert "TX FIFO full, byte 0x51 dropped" in m.log_path.read_text()
    finally:
        uart0.close()


PACED_BAUD = 2_000_000
PACED_CYCLES_PER_CHAR = 10 * 80_000_000 // PACED_BAUD  # CCOUNT at 80 MHz


@pytest.mark.icount
@pytest.mark.parametrize("host", ["reads", "stalls"])
def test_paced_tx_takes_guest_time_the_host_cannot_change(machine, machine_workdir,
                                                          host: str) -> None:
    """With tx-pace (the default under -icount) the TX FIFO drains one character time per
    byte on the guest's clock into a host-side line buffer: 256 KiB take the same guest time
    whether the host reads at once or stops reading for 2 s, and every byte arrives in order.
    (Unpaced, a host that stops reading stops the FIFO, and the guest's clock runs on.)"""
    uart0 = _SlowReader(machine_workdir / f"paced-{host}.uart0")
    try:
        machine.start("uart_tx_paced", uart0=f"unix:{uart0.listener.getsockname()}",
                      extra_args=("-global", "esp8266-uart.tx-pace=on",
                                  "-global", f"esp8266-uart.tx-baud={PACED_BAUD}"))
        uart0.accept()
        uart0.read_until(b"GO?\r\n")
        uart0.buf.clear()
        assert uart0.conn is not None
        uart0.conn.sendall(b"g")
        if host == "stalls":
            time.sleep(2.0)  # more than the guest needs: the socket fills, the line buffers
        out = uart0.read_until(b"DONE\r\n", timeout=60.0)
        body = out.split(b"\r\nEND\r\n", 1)[0]
        size = 256 * 1024
        assert body == bytes(ord("a") + i % 26 for i in range(size)), "bytes lost or reordered"
        cycles = int(re.search(rb"tx_cycles=0x(\w{8})", out).group(1), 16)
        # one character time per byte; the last FIFO's worth may finish a little after the
        # first byte's start, and the polling loop adds a few cycles per byte at most
        assert 0.99 * size * PACED_CYCLES_PER_CHAR <= cycles <= 1.01 * size * PACED_CYCLES_PER_CHAR
    finally:
        uart0.close()
