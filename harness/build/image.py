"""ESP8266 flash images, written with esptool's library (``esptool.bin_image``).

The one image writer of the harness; the firmware build and the machine test programs both use
it:

* ``boot_image(segments, entry)``: an esptool image v1 (what the mask ROM loads from flash
  offset 0: magic 0xE9, segment count, flash mode, size/frequency byte, entry point, the
  segments, an 0xEF-xor checksum in the last byte of the 16-byte aligned image), made by
  esptool's ``ESP8266ROMFirmwareImage``;
* ``elf_image(elf)``: what ``esptool elf2image --version 1`` makes of an ELF (its sections read
  by esptool's ``ELFFile``): the boot image of the RAM segments, plus the ``.irom0.text`` bytes
  and their flash offset (code linked into the flash window at 0x402xxxxx);
* ``firmware_bin(elf)``: MicroPython's esp8266 ``firmware.bin`` in upstream's layout
  (``ports/esp8266/makeimg.py``): the boot image, 0xFF up to 0x9000 - 4, the total length as a
  32-bit word, ``.irom0.text`` at 0x9000, the MD5 of everything from byte 4 on;
* ``flash_image(dest, size, parts)``: a whole 0xFF-filled flash image with blobs at offsets.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from harness.errors import BuildError

IROM_MAP_START = 0x40200000  # the flash window; flash offset = address - this
FIRMWARE_IROM_OFFSET = 0x9000  # upstream makeimg.py: boot image at 0, .irom0.text at 0x9000
FLASH_SIZES = {256 * 1024: "256KB", 512 * 1024: "512KB", 1 << 20: "1MB", 2 << 20: "2MB",
               4 << 20: "4MB"}
FLASH_MODE_QIO = 0
FLASH_FREQ_40M = 0


@dataclass(frozen=True)
class EspImage:
    """An ELF as esptool lays it out: the boot image (flash offset 0) and ``.irom0.text``."""

    boot: bytes
    irom: bytes = b""
    irom_offset: int | None = None  # flash offset of ``irom`` (None: no flash-mapped code)

    def parts(self) -> dict[int, bytes]:
        """Flash offset -> bytes, as ``esptool write_flash`` would place the files."""
        out = {0: self.boot}
        if self.irom_offset is not None:
            out[self.irom_offset] = self.irom
        return out


def _size_code(flash_size: int) -> int:
    from esptool.targets import ESP8266ROM

    if flash_size not in FLASH_SIZES:
        raise BuildError(f"unsupported flash size {flash_size}: use one of "
                         f"{', '.join(map(str, sorted(FLASH_SIZES)))}")
    return int(ESP8266ROM.FLASH_SIZES[FLASH_SIZES[flash_size]])


def _v1_image(segments: Iterable[object], entry: int, flash_size: int) -> tuple[bytes, bytes]:
    """(irom bytes, boot image bytes) of esptool's v1 image with ``segments`` (ImageSegments)."""
    from esptool.bin_image import ESP8266ROMFirmwareImage
    from esptool.util import FatalError

    image = ESP8266ROMFirmwareImage()
    image.entrypoint = entry
    image.flash_mode = FLASH_MODE_QIO
    image.flash_size_freq = _size_code(flash_size) + FLASH_FREQ_40M
    image.segments = list(segments)
    try:
        image.merge_adjacent_segments()
        image.verify()
        saved = image.save(None)
    except FatalError as exc:
        raise BuildError(f"esptool cannot make an ESP8266 image: {exc}") from None
    assert saved is not None
    irom, boot = saved
    return irom or b"", boot


def boot_image(segments: Iterable[tuple[int, bytes]], entry: int,
               flash_size: int = 2 << 20) -> bytes:
    """esptool image v1 of RAM ``segments`` (address, bytes) starting at ``entry``."""
    from esptool.bin_image import ImageSegment

    return _v1_image([ImageSegment(addr, data) for addr, data in segments], entry,
                     flash_size)[1]


def elf_image(elf: Path, flash_size: int = 1 << 20) -> EspImage:
    """What ``esptool elf2image --version 1`` makes of ``elf`` (no files written)."""
    from esptool.bin_image import ELFFile
    from esptool.util import FatalError

    try:
        parsed = ELFFile(str(elf))
    except (FatalError, OSError) as exc:
        raise BuildError(f"esptool cannot read {elf}: {exc}") from None
    irom_sections = [s for s in parsed.sections if s.addr >= IROM_MAP_START]
    irom, boot = _v1_image(parsed.sections, parsed.entrypoint, flash_size)
    if not irom_sections:
        return EspImage(boot)
    return EspImage(boot, irom, min(s.addr for s in irom_sections) - IROM_MAP_START)


def firmware_layout(boot: bytes, irom: bytes) -> bytes:
    """Upstream's firmware.bin from a boot image and ``.irom0.text`` (see the module doc)."""
    if len(boot) > FIRMWARE_IROM_OFFSET - 4:
        raise BuildError(f"the IRAM+DRAM image is {len(boot)} bytes, more than the "
                         f"{FIRMWARE_IROM_OFFSET - 4} bytes before .irom0.text at 0x9000: move "
                         "code from IRAM to flash (board linker script)")
    out = bytearray(boot)
    out += b"\xff" * (FIRMWARE_IROM_OFFSET - 4 - len(out))
    out += struct.pack("<I", FIRMWARE_IROM_OFFSET + len(irom))
    out += irom
    out += hashlib.md5(bytes(out[4:])).digest()
    return bytes(out)


def firmware_bin(elf: Path, flash_size: int = 2 << 20) -> bytes:
    """MicroPython's esp8266 firmware.bin of ``elf`` (``.irom0.text`` must be at 0x9000)."""
    image = elf_image(elf, flash_size)
    if image.irom_offset not in (None, FIRMWARE_IROM_OFFSET):
        raise BuildError(f".irom0.text is at flash {image.irom_offset:#x}, not "
                         f"{FIRMWARE_IROM_OFFSET:#x}: the board's linker script must start it "
                         f"at 0x{IROM_MAP_START + FIRMWARE_IROM_OFFSET:08x}")
    return firmware_layout(image.boot, image.irom)


def flash_image(dest: Path, size: int, parts: Mapping[int, bytes]) -> Path:
    """Write a 0xFF-filled flash image of ``size`` bytes with ``parts`` (offset -> bytes)."""
    content = bytearray(b"\xff" * size)
    for offset, blob in parts.items():
        if offset < 0 or offset + len(blob) > size:
            raise BuildError(f"{len(blob)} bytes at offset {offset:#x} do not fit in a "
                             f"{size:#x}-byte flash image")
        content[offset:offset + len(blob)] = blob
    dest.write_bytes(bytes(content))
    return dest
