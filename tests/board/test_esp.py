"""The ``esp`` module: flash access in the user area, flash size and JEDEC id, firmware
check, memory information; and the free GC heap after boot."""

from __future__ import annotations

import time

import pytest

from harness.board import Board

FLASH_ROUND_TRIP = """
import esp
SECTOR = 4096
sector = {sector}
addr = sector * SECTOR
saved = esp.flash_read(addr, SECTOR)
try:
    esp.flash_erase(sector)
    erased = esp.flash_read(addr, 64)
    pattern = bytes((i * 7 + 3) & 0xFF for i in range(256))
    esp.flash_write(addr + 512, pattern)
    back = esp.flash_read(addr + 512, 256)
    around = esp.flash_read(addr + 256, 256) + esp.flash_read(addr + 768, 256)
    print(erased == b'\\xff' * 64, back == pattern, around == b'\\xff' * 512)
finally:
    esp.flash_erase(sector)
    esp.flash_write(addr, saved)
    print(esp.flash_read(addr, SECTOR) == saved)
"""


def last_filesystem_sector(board: Board) -> int:
    """The filesystem's last sector: FAT fills from the start, so it is free on a young FS;
    the test restores its bytes anyway."""
    start = board.eval("__import__('esp').flash_user_start()")
    blocks = board.eval("__import__('flashbdev').bdev.ioctl(4, 0)")  # block count
    return start // 4096 + blocks - 1


def test_flash_user_start_is_after_the_firmware(board: Board) -> None:
    start = board.eval("__import__('esp').flash_user_start()")
    assert start % 4096 == 0
    assert 0x9000 < start < board.eval("__import__('esp').flash_size()")


def test_flash_erase_write_read_round_trip(board: Board) -> None:
    sector = last_filesystem_sector(board)
    out = board.exec(FLASH_ROUND_TRIP.format(sector=sector)).split()
    assert out == ["True", "True", "True", "True"]
    assert board.eval("__import__('os').listdir('/')")  # the filesystem is intact


def test_flash_write_without_erase_only_clears_bits(board: Board) -> None:
    # NOR flash: programming can only turn 1s into 0s
    sector = last_filesystem_sector(board)
    out = board.exec(
        "import esp\n"
        f"addr = {sector} * 4096\n"
        "saved = esp.flash_read(addr, 4096)\n"
        "try:\n"
        f"    esp.flash_erase({sector})\n"
        "    esp.flash_write(addr, b'\\xf0\\x0f\\xff\\x00')\n"
        "    esp.flash_write(addr, b'\\x3c\\x3c\\x3c\\x3c')\n"
        "    print(esp.flash_read(addr, 4))\n"
        "finally:\n"
        f"    esp.flash_erase({sector})\n"
        "    esp.flash_write(addr, saved)")
    assert out.strip() == repr(bytes([0xF0 & 0x3C, 0x0F & 0x3C, 0x3C, 0x00]))


def test_flash_size(board: Board) -> None:
    size = board.eval("__import__('esp').flash_size()")
    assert size >= 1024 * 1024 and size & (size - 1) == 0


def test_flash_id_matches_flash_size(board: Board) -> None:
    flash_id = board.eval("__import__('esp').flash_id()")
    capacity = (flash_id >> 16) & 0xFF  # JEDEC: manufacturer, type, capacity (log2 bytes)
    assert 2**capacity == board.eval("__import__('esp').flash_size()")


@pytest.mark.qemu_only
def test_flash_id_is_the_emulated_winbond_chip(board: Board) -> None:
    flash_id = board.eval("__import__('esp').flash_id()")
    assert flash_id & 0xFFFF == 0x40EF  # JEDEC 0xEF 0x40 xx, read as a little-endian word
    assert flash_id == 0x1540EF  # 2 MiB


def test_check_fw_passes(board: Board) -> None:
    out = board.exec("import esp\nprint('result', esp.check_fw())", timeout=30)
    assert "result True" in out
    assert "md5:" in out  # it prints the size and md5 it checked


def test_freemem_and_meminfo(board: Board) -> None:
    assert board.eval("__import__('esp').freemem()") > 10000
    # meminfo prints through the SDK's os_printf, which goes to UART0 once osdebug selects it
    out = board.exec("import esp\nesp.osdebug(0)\nesp.meminfo()\nesp.osdebug(None)")
    assert "heap" in out and "bss" in out and "data" in out


def test_malloc_and_free(board: Board) -> None:
    before = board.eval("__import__('esp').freemem()")
    out = board.exec("import esp\np = esp.malloc(1000)\nprint(p != 0, esp.freemem())\n"
                     "esp.free(p)\nprint(esp.freemem())").split()
    assert out[0] == "True"
    assert int(out[1]) <= before - 1000
    assert abs(int(out[2]) - before) <= 64


def test_gc_heap_free_after_boot(board: Board) -> None:
    board.soft_reset()
    assert board.eval("__import__('gc').mem_free()") >= 30000


@pytest.mark.qemu_only  # a real board wakes only with GPIO16 wired to RST
@pytest.mark.realtime
def test_esp_deepsleep_wakes_with_deepsleep_cause(board: Board) -> None:
    start = time.monotonic()
    board.machine_reset("import esp\nesp.deepsleep(300000)")  # microseconds
    assert time.monotonic() - start >= 0.3
    assert board.eval("__import__('machine').reset_cause()") == 5  # DEEPSLEEP_RESET
