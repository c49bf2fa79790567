"""The one image writer (harness.build.image, on esptool's library): layouts esptool reads."""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import pytest

from harness.build import image
from harness.errors import BuildError

OFFSET = image.FIRMWARE_IROM_OFFSET


def _firmware(segments: list[tuple[int, bytes]], irom: bytes, entry: int) -> bytes:
    return image.firmware_layout(image.boot_image(segments, entry, 2 << 20), irom)


def test_firmware_bin_layout() -> None:
    iram = bytes(range(10))  # padded to 12
    dram = b"\x01\x02\x03\x04"
    irom = b"\xaa" * 100
    img = _firmware([(0x40100000, iram), (0x3FFE8000, dram)], irom, 0x40101234)
    magic, nseg, mode, size_freq, entry = struct.unpack_from("<BBBBI", img, 0)
    assert (magic, nseg, mode, size_freq, entry) == (0xE9, 2, 0, 0x30, 0x40101234)
    assert struct.unpack_from("<II", img, 8) == (0x40100000, 12)
    assert struct.unpack_from("<II", img, 8 + 8 + 12) == (0x3FFE8000, 4)
    end = 8 + 8 + 12 + 8 + 4
    checksum_at = end + (15 - end % 16)
    expect = 0xEF
    for b in iram + b"\0\0" + dram:
        expect ^= b
    assert img[checksum_at] == expect
    assert set(img[checksum_at + 1:OFFSET - 4]) == {0xFF}
    assert struct.unpack_from("<I", img, OFFSET - 4)[0] == OFFSET + len(irom)
    assert img[OFFSET:OFFSET + len(irom)] == irom
    assert img[-16:] == hashlib.md5(img[4:-16]).digest()


def test_esptool_reads_the_firmware_back(tmp_path: Path) -> None:
    from esptool import bin_image

    img = _firmware([(0x40100000, b"\x00" * 64), (0x3FFE8000, b"\x11" * 8)], b"\x22" * 32,
                    0x40100004)
    path = tmp_path / "firmware.bin"
    path.write_bytes(img)
    parsed = bin_image.LoadFirmwareImage("esp8266", str(path))
    assert parsed.entrypoint == 0x40100004
    assert [s.addr for s in parsed.segments][:2] == [0x40100000, 0x3FFE8000]
    assert parsed.checksum == parsed.calculate_checksum()


def test_adjacent_segments_are_merged_as_esptool_does() -> None:
    boot = image.boot_image([(0x3FFE8000, b"\x01" * 8), (0x3FFE8008, b"\x02" * 4)], 0x40100000)
    assert boot[1] == 1  # one segment
    assert struct.unpack_from("<II", boot, 8) == (0x3FFE8000, 12)


def test_oversized_ram_part_is_rejected() -> None:
    with pytest.raises(BuildError, match="0x9000"):
        _firmware([(0x40100000, b"\0" * 0x9000)], b"", 0x40100000)


def test_unknown_flash_size_is_rejected() -> None:
    with pytest.raises(BuildError, match="flash size"):
        image.boot_image([], 0, flash_size=3 * 1024 * 1024)


def test_flash_image(tmp_path: Path) -> None:
    out = tmp_path / "flash.img"
    image.flash_image(out, 4096, {0: b"\x01\x02", 0x100: b"\x03"})
    data = out.read_bytes()
    assert len(data) == 4096 and data[:2] == b"\x01\x02" and data[0x100] == 3
    assert set(data[2:0x100]) == {0xFF}
    with pytest.raises(BuildError, match="do not fit"):
        image.flash_image(out, 4096, {0: b"\0" * 5000})
