"""Transport: reads with overall and inter-character timeouts over a real pty pair."""

from __future__ import annotations

import os
import threading
import time
import tty
from collections.abc import Iterator

import pytest

from harness.board.transport import SerialStream, Transport
from harness.errors import BoardDisconnected, BoardTimeout


class PtyPeer:
    """The device end of a pty: the test writes what the 'board' prints."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.port = os.ttyname(self.slave)

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def send_later(self, delay: float, data: bytes) -> threading.Timer:
        timer = threading.Timer(delay, self.send, args=(data,))
        timer.start()
        return timer

    def received(self) -> bytes:
        return os.read(self.master, 4096)

    def close(self) -> None:
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass


@pytest.fixture
def peer() -> Iterator[PtyPeer]:
    p = PtyPeer()
    yield p
    p.close()


@pytest.fixture
def transport(peer: PtyPeer) -> Iterator[Transport]:
    t = Transport(SerialStream(peer.port))
    yield t
    t.close()


def test_read_until_returns_through_marker_and_keeps_the_rest(peer, transport):
    peer.send(b"noise>>> after")
    assert transport.read_until(b">>> ", timeout=5) == b"noise>>> "
    assert transport.read_exactly(5, timeout=5) == b"after"


def test_read_until_waits_for_a_marker_split_across_writes(peer, transport):
    peer.send(b"raw REPL; CTRL")
    timer = peer.send_later(0.05, b"-B to exit\r\n>")
    assert transport.read_until(b"raw REPL; CTRL-B to exit\r\n>", timeout=5).endswith(b">")
    timer.join()


def test_overall_timeout_raises_with_the_bytes_received_so_far(peer, transport):
    peer.send(b" ets Jan  8 2013,rst cause:2, boot mode:(3,6)\r\n")
    start = time.monotonic()
    with pytest.raises(BoardTimeout) as info:
        transport.read_until(b">>> ", timeout=0.3, what="'>>> '")
    assert time.monotonic() - start < 5
    assert info.value.received.startswith(b" ets Jan  8 2013")
    assert "did not print '>>> ' within 0.3 s" in str(info.value)
    assert "rst cause:2" in str(info.value)


def test_inter_character_timeout_fires_long_before_the_overall_one(peer, transport):
    peer.send(b"partial output")
    start = time.monotonic()
    with pytest.raises(BoardTimeout) as info:
        transport.read_until(b"\x04", timeout=60, inter_char_timeout=0.2)
    assert time.monotonic() - start < 30
    assert "silent for 0.2 s" in str(info.value)
    assert info.value.received == b"partial output"


def test_a_device_that_never_answers_times_out_with_nothing_received(transport):
    with pytest.raises(BoardTimeout) as info:
        transport.read_exactly(2, timeout=0.2)
    assert info.value.received == b""
    assert "printed nothing" in str(info.value)


def test_listeners_see_every_received_byte_once(peer, transport):
    seen = bytearray()
    transport.add_listener(seen.extend)
    peer.send(b"one\r\ntwo\r\n>")
    transport.read_until(b"two", timeout=5)
    transport.read_until(b">", timeout=5)
    assert bytes(seen) == b"one\r\ntwo\r\n>"


def test_writes_reach_the_device(peer, transport):
    transport.write(b"\r\x01")
    assert peer.received() == b"\r\x01"


def test_closed_pty_raises_board_disconnected(peer, transport):
    peer.close()  # what the line looks like when QEMU exits
    with pytest.raises(BoardDisconnected, match="closed while reading"):
        transport.read_until(b">", timeout=5)


def test_opening_a_missing_port_says_what_to_check():
    with pytest.raises(BoardDisconnected, match="cannot open serial port '/dev/does-not-exist'"):
        SerialStream("/dev/does-not-exist")


def test_read_available_and_drain_return_everything_pending(peer, transport):
    peer.send(b"stale output")
    first = transport.read_available(timeout=5)
    assert first
    assert first + transport.drain(quiet=0.1) == b"stale output"
