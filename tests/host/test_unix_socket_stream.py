"""UnixSocketStream: QEMU's UART0 socket is read all the time, so QEMU never waits for us.

The far end here is a plain unix socket server standing in for QEMU's chardev; what is under
test is our reader, not QEMU.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.board.transport import Transport, UnixSocketStream
from harness.errors import BoardDisconnected


@pytest.fixture
def chardev(tmp_path: Path) -> Iterator[tuple[UnixSocketStream, socket.socket]]:
    path = tmp_path / "uart0.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    stream = UnixSocketStream(path)
    qemu_end, _ = server.accept()
    server.close()
    yield stream, qemu_end
    stream.close()
    qemu_end.close()


def test_the_writer_never_waits_while_nobody_reads(chardev) -> None:
    stream, qemu_end = chardev
    # 4 MiB is far more than a socket buffer holds: without the reader thread, sendall would
    # block (QEMU's UART would freeze the machine the same way)
    payload = bytes(range(256)) * (16 * 1024)
    qemu_end.settimeout(10)
    started = time.monotonic()
    qemu_end.sendall(payload)
    assert time.monotonic() - started < 10
    got = bytearray()
    while len(got) < len(payload):
        chunk = stream.read_some(5)
        assert chunk, f"only {len(got)} of {len(payload)} bytes came back"
        got += chunk
    assert got == payload


def test_fileno_is_readable_exactly_while_output_waits(chardev) -> None:
    stream, qemu_end = chardev
    assert select.select([stream.fileno()], [], [], 0.05)[0] == []
    qemu_end.sendall(b">>> ")
    assert select.select([stream.fileno()], [], [], 5)[0] == [stream.fileno()]
    assert stream.read_some(1) == b">>> "
    assert select.select([stream.fileno()], [], [], 0.05)[0] == []


def test_output_before_the_close_is_read_then_the_close_is_reported(chardev) -> None:
    stream, qemu_end = chardev
    transport = Transport(stream)
    qemu_end.sendall(b"last words\r\n")
    qemu_end.close()
    assert transport.read_until(b"\r\n", 5) == b"last words\r\n"
    with pytest.raises(BoardDisconnected, match="did QEMU exit"):
        transport.read_until(b"more", 5)


def test_a_read_waits_for_data_that_comes_later(chardev) -> None:
    stream, qemu_end = chardev
    threading.Timer(0.2, qemu_end.sendall, args=(b"late",)).start()
    assert Transport(stream).read_until(b"late", 5) == b"late"


def test_unread_output_beyond_the_limit_drops_the_oldest_and_says_so(chardev, monkeypatch) -> None:
    stream, qemu_end = chardev
    monkeypatch.setattr(stream, "BUFFER_LIMIT", 1000)
    qemu_end.sendall(b"a" * 1500 + b"END")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and stream._dropped + len(stream._buffer) < 1503:
        time.sleep(0.01)
    data = stream.read_some(1)
    assert b"503 bytes of UART output were dropped" in data
    assert data.endswith(b"a" * 997 + b"END")


def test_after_close_reads_report_the_close(chardev) -> None:
    stream, _ = chardev
    stream.close()
    with pytest.raises(BoardDisconnected):
        stream.read_some(0.1)
