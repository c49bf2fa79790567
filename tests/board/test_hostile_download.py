"""Hostile input to the UART download mode (the ROM's serial flasher protocol, our
qemu/hw/xtensa/esp8266_download.c): garbage, broken SLIP frames, bad checksums, lengths and
addresses out of range. Each bad request gets the ROM's error reply (or, for what is not a
request at all, silence, as on the chip), QEMU never dies, and nothing is written to the
flash file outside what a valid FLASH_BEGIN erased. docs/reliability.md.
"""

from __future__ import annotations

import os
import random
import socket
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.build.artifacts import FirmwareArtifacts
from harness.emulator.service import QemuService

pytestmark = [pytest.mark.qemu_only, pytest.mark.timeout(180)]
SEED = int(os.environ.get("HOSTILE_SEED", "8266"))
FLASH_SIZE = 2 * 1024 * 1024
SECTOR = 0x1000
END, ESC = 0xC0, 0xDB
FLASH_BEGIN, FLASH_DATA, FLASH_END, MEM_BEGIN, MEM_END, MEM_DATA = 2, 3, 4, 5, 6, 7
SYNC, WRITE_REG, READ_REG = 8, 9, 0x0A
ERR_INVALID_MSG, ERR_FAILED, ERR_BAD_CHECKSUM, ERR_FLASH_WRITE = 5, 6, 7, 8
SYNC_BODY = b"\x07\x07\x12\x20" + b"\x55" * 32


def _slip(payload: bytes) -> bytes:
    body = payload.replace(bytes([ESC]), b"\xdb\xdd").replace(bytes([END]), b"\xdb\xdc")
    return bytes([END]) + body + bytes([END])


def _request(op: int, data: bytes = b"", checksum: int = 0, size: int | None = None) -> bytes:
    size = len(data) if size is None else size
    return _slip(struct.pack("<BBHI", 0, op, size, checksum) + data)


def _checksum(data: bytes) -> int:
    value = 0xEF
    for byte in data:
        value ^= byte
    return value


def _block(data: bytes, seq: int, length: int | None = None) -> bytes:
    return struct.pack("<IIII", len(data) if length is None else length, seq, 0, 0) + data


class Loader:
    """The host side of the protocol on QEMU's UART0 TCP port."""

    def __init__(self, url: str) -> None:
        host, port = url.removeprefix("socket://").rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        self.pending = b""

    def send(self, raw: bytes) -> None:
        self.sock.sendall(raw)

    def replies(self, wait: float = 1.0) -> list[tuple[int, int, int, int]]:
        """Every (op, value, status, error) the board sent within ``wait`` s."""
        self.sock.settimeout(0.1)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                continue
            if not data:
                break
            self.pending += data
        frames, self.pending = self.pending.split(bytes([END])), b""
        out = []
        for frame in frames:
            frame = frame.replace(b"\xdb\xdc", bytes([END])).replace(b"\xdb\xdd", bytes([ESC]))
            if len(frame) >= 10 and frame[0] == 1:
                op, _size, value = struct.unpack_from("<BHI", frame, 1)
                out.append((op, value, frame[8], frame[9]))
        return out

    def ask(self, raw: bytes, wait: float = 1.0) -> list[tuple[int, int, int, int]]:
        self.send(raw)
        return self.replies(wait)

    def synced(self) -> bool:
        return any(op == SYNC and status == 0 for op, _, status, _ in
                   self.ask(_request(SYNC, SYNC_BODY), wait=2.0))


@pytest.fixture
def loader(tmp_path: Path) -> Iterator[tuple[Loader, QemuService, Path]]:
    flash = tmp_path / "flash.img"
    flash.write_bytes(random.Random(SEED).randbytes(FLASH_SIZE))  # every byte recognisable
    image = FirmwareArtifacts.locate(None).bin
    service = QemuService(image, name="hostile-download", flash_path=flash)
    try:
        loader = Loader(service.start_for_esptool())
        assert loader.synced(), "no answer to SYNC before any hostile input"
        yield loader, service, flash
        loader.sock.close()
    finally:
        service.stop()


def _alive(service: QemuService) -> None:
    assert service.process is not None and service.process.poll() is None, "QEMU died"


def _error(replies: list[tuple[int, int, int, int]], op: int) -> int:
    answers = [(status, error) for got, _, status, error in replies if got == op]
    assert answers, f"no reply to op {op:#x}: {replies}"
    status, error = answers[-1]
    assert status == 1, f"op {op:#x} was accepted: {replies}"
    return error


def test_garbage_and_broken_frames_then_sync_still_works(loader) -> None:  # type: ignore[no-untyped-def]
    link, service, flash = loader
    before = flash.read_bytes()
    rng = random.Random(SEED)
    link.send(rng.randbytes(20000))  # no frame structure at all
    link.send(bytes([END]) + rng.randbytes(0x5000) + bytes([END]))  # oversized frame
    link.send(bytes([END, ESC, END, ESC, ESC, 0x42, END]))  # escapes at the wrong places
    for _ in range(200):  # frames of random bytes, requests with random ops and sizes
        link.send(_slip(rng.randbytes(rng.randrange(1, 64))))
        link.send(_slip(bytes([0, rng.randrange(256)]) + rng.randbytes(rng.randrange(0, 40))))
    link.replies(2.0)
    _alive(service)
    assert link.synced()
    # size field disagrees with the frame: an error reply, not a crash
    assert _error(link.ask(_request(SYNC, SYNC_BODY, size=200)), SYNC) == ERR_INVALID_MSG
    assert _error(link.ask(_request(0x77)), 0x77) == ERR_INVALID_MSG  # unknown command
    assert _error(link.ask(_request(FLASH_BEGIN, b"\0" * 3)), FLASH_BEGIN) == ERR_INVALID_MSG
    assert _error(link.ask(_request(FLASH_DATA, b"\0" * 8)), FLASH_DATA) == ERR_INVALID_MSG
    _alive(service)
    assert flash.read_bytes() == before, "garbage changed the flash file"


def test_bad_checksum_and_lengths_get_error_replies(loader) -> None:  # type: ignore[no-untyped-def]
    link, service, flash = loader
    offset = 0x100000
    begin = struct.pack("<IIII", SECTOR, 1, SECTOR, offset)
    assert link.ask(_request(FLASH_BEGIN, begin))[-1][2] == 0
    before = flash.read_bytes()
    data = bytes(range(256)) * 16
    bad = _checksum(data) ^ 0x5A
    assert _error(link.ask(_request(FLASH_DATA, _block(data, 0), bad)), FLASH_DATA) \
        == ERR_BAD_CHECKSUM
    # the block's own length field larger than what came
    assert _error(link.ask(_request(FLASH_DATA, _block(data, 0, length=len(data) + 1),
                                    _checksum(data))), FLASH_DATA) == ERR_INVALID_MSG
    assert _error(link.ask(_request(FLASH_DATA, _block(data, 0, length=0xFFFFFFFF),
                                    _checksum(data))), FLASH_DATA) == ERR_INVALID_MSG
    _alive(service)
    assert flash.read_bytes() == before, "a refused block was written"
    # and a good block still goes where it should
    assert link.ask(_request(FLASH_DATA, _block(data, 0), _checksum(data)))[-1][2] == 0
    after = flash.read_bytes()
    programmed = bytes(a & b for a, b in zip(before[offset:offset + len(data)], data,
                                             strict=True))
    assert after[offset:offset + len(data)] == programmed
    assert after[:offset] == before[:offset] and after[offset + len(data):] == \
        before[offset + len(data):]


def test_addresses_out_of_range_get_error_replies_and_write_nothing(loader) -> None:  # type: ignore[no-untyped-def]
    link, service, flash = loader
    data = b"\0" * SECTOR  # programming zeros would show anywhere it lands
    begin = struct.pack("<IIII", SECTOR, 1, SECTOR, FLASH_SIZE - SECTOR)
    assert link.ask(_request(FLASH_BEGIN, begin))[-1][2] == 0  # erases the last sector
    before = flash.read_bytes()
    for seq in (1, 2, 0x7FFFFFFF, 0xFFFFFFFF,
                # seq * block size wraps around 2^32 back to flash offset 0
                ((1 << 32) - (FLASH_SIZE - SECTOR)) // SECTOR):
        replies = link.ask(_request(FLASH_DATA, _block(data, seq), _checksum(data)))
        assert _error(replies, FLASH_DATA) == ERR_FLASH_WRITE, (seq, replies)
    # a FLASH_BEGIN beyond the end erases nothing; its blocks are refused
    link.ask(_request(FLASH_BEGIN, struct.pack("<IIII", SECTOR, 1, SECTOR, 0xFFFFF000)))
    assert _error(link.ask(_request(FLASH_DATA, _block(data, 0), _checksum(data))),
                  FLASH_DATA) == ERR_FLASH_WRITE
    # registers and memory that are not there
    assert _error(link.ask(_request(READ_REG, struct.pack("<I", 0xFFFFFFF0))), READ_REG) \
        == ERR_FAILED
    assert _error(link.ask(_request(WRITE_REG, struct.pack("<IIII", 0xFFFFFFF0, 1,
                                                           0xFFFFFFFF, 0))), WRITE_REG) \
        == ERR_FAILED
    link.ask(_request(MEM_BEGIN, struct.pack("<IIII", 16, 1, 16, 0xFFFFFFF0)))
    assert _error(link.ask(_request(MEM_DATA, _block(b"\0" * 16, 0), _checksum(b"\0" * 16))),
                  MEM_DATA) == ERR_FAILED
    _alive(service)
    assert link.synced()
    assert flash.read_bytes() == before, "an out-of-range request wrote into the flash file"
