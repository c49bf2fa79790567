"""esptool as people run it: the PyPI package, unmodified, with its default flasher stub.

The board is in UART download mode (GPIO0 low) with UART0 on a 127.0.0.1 TCP port
(pyserial ``socket://``). esptool uploads its stub into IRAM/DRAM with MEM_BEGIN/MEM_DATA,
the machine's download mode starts it at MEM_END, and from then on the stub itself speaks
esptool's protocol through the UART registers, calling our open ROM's entry points (SPI
flash, UART, delays, MD5, interrupt dispatch; ``firmware/rom/``). One stub serves every
command below: each later esptool run finds it already running.
"""

from __future__ import annotations

import hashlib
import random
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.build.artifacts import FirmwareArtifacts
from harness.build.rom import rom_image
from harness.emulator.service import QemuService

pytestmark = pytest.mark.qemu_only

ESPTOOL_TIMEOUT = 300.0


def _esptool(url: str, *args: str) -> str:
    cmd = [sys.executable, "-m", "esptool", "--chip", "esp8266", "--port", url,
           "--before", "no-reset", "--after", "no-reset", *args]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=ESPTOOL_TIMEOUT,
                            check=False)
    assert result.returncode == 0, f"{' '.join(cmd)}\n{result.stdout}\n{result.stderr}"
    assert "--no-stub" not in " ".join(cmd)
    return result.stdout


def test_esptool_with_its_stub_flashes_and_the_board_boots(
        tmp_path: Path, firmware: FirmwareArtifacts,
        new_qemu: Callable[..., QemuService], record_property: Callable[[str, object], None],
) -> None:
    if not rom_image().is_file():
        pytest.fail(f"no ROM image at {rom_image()}: run `invoke qemu` or `invoke build`")
    image = firmware.bin.read_bytes()
    flash_size = firmware.require_flash_image().stat().st_size
    flash_file = tmp_path / "flash.img"
    # garbage to start with, so that erase and write show in every byte
    flash_file.write_bytes(random.Random(8266).randbytes(flash_size))

    url = new_qemu("download", flash_path=flash_file).start_for_esptool()

    out = _esptool(url, "chip-id")
    assert "Uploading stub flasher" in out, out
    assert "Stub flasher running" in out, out
    assert "Chip ID: 0x00e551a1" in out, out

    out = _esptool(url, "read-mac")
    assert "already running" in out, out  # the same stub serves every later command
    assert re.search(r"MAC:\s+5c:cf:7f:e5:51:a1", out), out

    out = _esptool(url, "flash-id")
    assert "Manufacturer: ef" in out, out
    assert f"Detected flash size: {flash_size >> 20}MB" in out, out

    _esptool(url, "erase-flash")
    assert flash_file.read_bytes() == b"\xff" * flash_size

    start = time.monotonic()
    out = _esptool(url, "write-flash", "0x0", str(firmware.bin))
    write_seconds = time.monotonic() - start
    record_property("esptool_write_flash_seconds", round(write_seconds, 2))
    record_property("firmware_bytes", len(image))
    print(f"esptool write-flash of {len(image)} bytes: {write_seconds:.1f} s")
    assert "Hash of data verified" in out, out  # the stub's MD5 (our ROM's MD5 routines)

    _esptool(url, "verify-flash", "0x0", str(firmware.bin))

    read_back = tmp_path / "read.bin"
    _esptool(url, "read-flash", "0x0", str(len(image)), str(read_back))
    assert hashlib.sha256(read_back.read_bytes()).hexdigest() == \
        hashlib.sha256(image).hexdigest()

    written = flash_file.read_bytes()
    assert written[:len(image)] == image
    assert written[len(image):] == b"\xff" * (flash_size - len(image))

    board = new_qemu("boot", flash_path=flash_file).start()
    assert board.eval("__import__('sys').platform") == "esp8266"
