"""SPI0 flash controller on a -drive if=mtd image, the 0x40200000 window, persistence."""

from __future__ import annotations

import re
import struct

import pytest

from harness.build import machine_programs
from harness.build.machine_programs import flash_image

PATTERN = bytes(range(32))


def _kv(out: str, key: str) -> int:
    return int(re.findall(rf"{key}=0x([0-9a-f]{{8}})", out)[-1], 16)


def _words(out: str, key: str) -> list[int]:
    return [int(v, 16) for v in re.findall(rf"{key}=0x([0-9a-f]{{8}})", out)]


def test_flash_operations_and_window(machine) -> None:
    flash = flash_image(machine.workdir / "flash.bin", 1 << 20, data={0x80000: PATTERN})
    m = machine.start("flash", flash=flash)
    m.expect("DONE")
    out = m.output
    assert _kv(out, "jedec") == 0x1440EF
    assert _kv(out, "status_after_wren") & 0x3 == 0x2      # WEL set, WIP clear
    assert _kv(out, "status_after_wrdi") & 0x3 == 0x0
    expected = list(struct.unpack("<8I", PATTERN))
    assert _words(out, "spi_word") == expected
    assert _words(out, "window_word") == expected
    assert _kv(out, "boot_count") == 0
    assert _kv(out, "erased_word") == 0xFFFFFFFF
    assert _kv(out, "counter_window") == 1
    assert _kv(out, "counter_spi") == 1
    assert _kv(out, "pp_without_wren") == 0xFFFFFFFF
    assert _kv(out, "nor_and") == 0x0000FF00
    assert _kv(out, "pp64_ok") == 1
    assert _kv(out, "wrap_end") == 0xAAAAAAAA
    assert _kv(out, "wrap_start") == 0xBBBBBBBB
    assert _kv(out, "wrap_next_page") == 0xFFFFFFFF

    # Every write went through to the image file.
    m.stop()
    data = flash.read_bytes()
    assert struct.unpack_from("<I", data, 0x82000)[0] == 1
    assert data[0x84000:0x84040] == b"".join(
        struct.pack("<I", 0x01010101 * (i + 1)) for i in range(16))
    assert data[0x80000:0x80020] == PATTERN


def test_flash_persists_across_restart(machine) -> None:
    flash = flash_image(machine.workdir / "flash.bin", 1 << 20)
    for run in range(3):
        m = machine.start("flash", flash=flash)
        m.expect("DONE")
        assert _kv(m.output, "boot_count") == run
        m.stop()


@pytest.mark.parametrize(("size", "jedec"), [(2 << 20, 0x1540EF), (4 << 20, 0x1640EF)])
def test_jedec_id_follows_image_size(machine, size: int, jedec: int) -> None:
    flash = flash_image(machine.workdir / "flash.bin", size)
    m = machine.start("flash", flash=flash)
    m.expect("DONE")
    assert _kv(m.output, "jedec") == jedec


def test_no_drive_gives_blank_4mib_flash(machine) -> None:
    m = machine.start("flash")
    m.expect("DONE")
    assert _kv(m.output, "jedec") == 0x1640EF
    assert _kv(m.output, "boot_count") == 0
    assert _words(m.output, "window_word") == [0xFFFFFFFF] * 8


def test_code_runs_from_flash_window_and_reflash_takes_effect(machine) -> None:
    images = machine_programs.esptool_images(machine.program("flash_exec"))
    assert sorted(images) == [0x0, 0x10000]
    flash = flash_image(machine.workdir / "flash.bin", 1 << 20,
                        data={off: path.read_bytes() for off, path in images.items()})
    m = machine.start(kernel=False, flash=flash)
    m.expect("DONE")
    out = m.output
    assert _kv(out, "irom_a_addr") == 0x40210000
    assert _kv(out, "irom_b_addr") == 0x40211000
    assert _kv(out, "a_before") == 0x11
    assert _kv(out, "b") == 0x22
    assert _kv(out, "a_after") == 0x22           # no stale translated code


def test_kernel_elf_with_flash_code(machine) -> None:
    """-kernel puts .irom0.text into the emulated flash (no drive: the blank 4 MiB chip)."""
    m = machine.start("flash_exec")
    m.expect("DONE")
    assert _kv(m.output, "a_before") == 0x11
    assert _kv(m.output, "a_after") == 0x22
