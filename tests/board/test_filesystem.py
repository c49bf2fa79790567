"""The filesystem on SPI flash: FAT made on first boot and mounted at ``/``, ``boot.py`` and
``main.py`` run, files persist across soft reset, ``machine.reset()`` and a QEMU restart."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from harness.board import Board
from harness.emulator.service import QemuService


@pytest.fixture
def restore_boot_files(board: Board) -> Iterator[None]:
    """Put ``boot.py`` back and remove ``main.py`` after the test."""
    boot = board.get("boot.py") if "boot.py" in board.eval("__import__('os').listdir()") else None
    yield
    board.crash.reset()
    board.exec("import os\ntry:\n    os.remove('main.py')\nexcept OSError:\n    pass")
    if boot is not None:
        board.put("boot.py", boot)


def test_root_is_a_mounted_fat_filesystem(board: Board) -> None:
    mounts = board.exec("import vfs\nfor fs, path in vfs.mount():\n"
                        "    print(type(fs).__name__, path)")
    assert "VfsFat /" in mounts.splitlines()
    bsize, frsize, blocks, bfree, *_ = board.eval("__import__('os').statvfs('/')")
    assert bsize == 4096 and frsize == 4096
    assert blocks * 4096 > 500_000  # most of the flash after the firmware
    assert 0 < bfree <= blocks


def test_write_read_append_rename_remove(board: Board) -> None:
    board.exec("f = open('a.txt', 'w')\nf.write('hello ')\nf.close()\n"
               "f = open('a.txt', 'a')\nf.write('world')\nf.close()")
    assert board.eval("open('a.txt').read()") == "hello world"
    board.exec("import os\nos.rename('a.txt', 'b.txt')")
    names = board.eval("__import__('os').listdir()")
    assert "b.txt" in names and "a.txt" not in names
    board.rm("b.txt")
    assert "b.txt" not in board.eval("__import__('os').listdir()")


def test_directories(board: Board) -> None:
    board.exec("import os\nos.mkdir('dir1')\nos.chdir('dir1')\n"
               "with open('inner.txt', 'w') as f:\n    f.write('x')\nos.chdir('/')")
    assert board.eval("__import__('os').listdir('dir1')") == ["inner.txt"]
    entries = {e.name: e for e in board.ls("/")}
    assert entries["dir1"].is_dir
    board.exec("import os\nos.remove('dir1/inner.txt')\nos.rmdir('dir1')")
    assert "dir1" not in board.eval("__import__('os').listdir()")


def test_binary_file_round_trip(board: Board) -> None:
    data = bytes(range(256)) * 20 + os.urandom(1000)
    board.put("blob.bin", data)
    assert board.get("blob.bin") == data
    assert board.eval("__import__('os').stat('blob.bin')[6]") == len(data)
    board.rm("blob.bin")


def test_missing_file_raises_enoent(board: Board) -> None:
    out = board.exec("try:\n    open('no-such-file')\nexcept OSError as e:\n    print(e.errno)")
    assert int(out) == board.eval("__import__('errno').ENOENT")


def test_files_persist_across_soft_reset(board: Board) -> None:
    board.put("keep-soft.txt", b"soft reset survivor")
    board.soft_reset()
    assert board.get("keep-soft.txt") == b"soft reset survivor"
    board.rm("keep-soft.txt")


def test_files_persist_across_machine_reset(board: Board) -> None:
    board.put("keep-reset.txt", b"machine.reset survivor")
    board.machine_reset()
    assert board.get("keep-reset.txt") == b"machine.reset survivor"
    board.rm("keep-reset.txt")


def test_boot_py_runs_on_every_boot(board: Board, restore_boot_files: None) -> None:
    board.put("boot.py", "print('BOOT' + 'PY-RAN')\n")
    assert "BOOTPY-RAN" in board.soft_reset()
    assert "BOOTPY-RAN" in board.machine_reset()


def test_main_py_runs_after_reset(board: Board, restore_boot_files: None) -> None:
    board.put("main.py", "print('MAIN' + 'PY-RAN')\nmain_py_ran = True\n")
    boot = board.machine_reset()
    assert "MAINPY-RAN" in boot
    # main.py ran in __main__, before the friendly prompt
    assert boot.index("MAINPY-RAN") < boot.rindex(">>> ")


@pytest.mark.qemu_only
def test_fat_made_on_first_boot_and_files_persist_across_qemu_restart(
        new_qemu: Callable[..., QemuService], tmp_path, mpy_name: str) -> None:
    flash = tmp_path / "flash.img"  # copied from the build's image at the first start
    first = new_qemu("first", flash_path=flash)
    board = first.start()
    fs_start = board.eval("__import__('esp').flash_user_start()")
    assert first.flash_image.read_bytes()[fs_start:fs_start + 4096] == b"\xff" * 4096, \
        "the build's flash image should have a blank filesystem area"
    assert mpy_name in board.log.text
    assert board.exec("import vfs\nprint(type(vfs.mount()[0][0]).__name__)").strip() == "VfsFat"
    board.put("persist.txt", b"across a QEMU restart")
    board.exec("import os\nos.mkdir('sub')\n"
               "with open('sub/n.txt', 'w') as f:\n    f.write('nested')")
    first.stop()
    boot_sector = flash.read_bytes()[fs_start:fs_start + 512]
    assert boot_sector[510:512] == b"\x55\xaa"  # a FAT boot sector was written to flash
    assert b"FAT" in boot_sector[54:62]  # BS_FilSysType

    second = new_qemu("second", flash_path=flash)
    board = second.start()
    assert board.get("persist.txt") == b"across a QEMU restart"
    assert board.get("sub/n.txt") == b"nested"
    assert "boot.py" in board.eval("__import__('os').listdir()")
    second.stop()


@pytest.mark.qemu_only
def test_blank_flash_is_formatted_only_once(new_qemu: Callable[..., QemuService],
                                            tmp_path) -> None:
    flash = tmp_path / "flash.img"
    first = new_qemu("first", flash_path=flash)
    board = first.start()
    board.put("boot.py", b"# user boot.py\n")
    first.stop()
    board = new_qemu("second", flash_path=flash).start()
    # a reformat would have replaced the user's boot.py with the default one
    assert board.get("boot.py") == b"# user boot.py\n"
