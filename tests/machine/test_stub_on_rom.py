"""esptool's flasher stubs (both versions esptool ships) on the bare machine with our ROM.

Download mode, UART0 on a 127.0.0.1 TCP port, ``-bios`` our ROM image (built on demand, like
the test programs). The stub is uploaded, started at MEM_END, and then runs on the emulated
CPU against our ROM's entry points; each command is checked against the flash image file.
"""

from __future__ import annotations

import hashlib
import importlib.util
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.build.machine_programs import flash_image
from harness.build.rom import build_rom

pytestmark = pytest.mark.skipif(importlib.util.find_spec("esptool") is None,
                                reason="esptool is not installed (pip install esptool)")

FLASH_SIZE = 1 << 20


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(machine, flash: Path) -> str:
    port = _free_port()
    machine.start(flash=flash, machine_opts="boot-mode=download",
                  uart0=f"tcp:127.0.0.1:{port},server=on,wait=off",
                  extra_args=["-bios", str(build_rom())])
    deadline = time.monotonic() + 10
    while True:                      # until QEMU listens
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return f"socket://127.0.0.1:{port}"
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _esptool(url: str, stub_version: str, *args: str) -> str:
    cmd = [sys.executable, "-m", "esptool", "--chip", "esp8266", "--port", url,
           "--stub-version", stub_version, "--before", "no-reset", "--after", "no-reset", *args]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, f"{' '.join(cmd)}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.mark.parametrize("stub_version", ["2", "1"])
def test_stub_writes_verifies_reads_and_erases(machine, stub_version: str) -> None:
    image = machine.boot_image("hello")
    data = image.read_bytes()
    flash = flash_image(machine.workdir / "flash.bin", FLASH_SIZE)
    flash.write_bytes(random.Random(1).randbytes(FLASH_SIZE))   # garbage to start with
    url = _start(machine, flash)

    out = _esptool(url, stub_version, "flash-id")
    assert "Stub flasher running" in out, out
    assert "Detected flash size: 1MB" in out, out

    out = _esptool(url, stub_version, "write-flash", "--flash-mode", "keep", "--flash-size",
                   "keep", "0x0", str(image))
    # --after no-reset: the current stub keeps running; the legacy one goes back to the ROM
    # loader through our ROM's software_reset (download mode again), then is uploaded anew
    assert ("already running" if stub_version == "2" else "Uploading stub flasher") in out, out
    assert "Hash of data verified" in out, out                  # our ROM's MD5
    assert flash.read_bytes()[:len(data)] == data

    _esptool(url, stub_version, "verify-flash", "--flash-mode", "keep", "--flash-size", "keep",
             "0x0", str(image))

    # 70 KiB across a 64 KiB block boundary, from an offset that is not sector aligned
    expected = flash.read_bytes()[0xf100:0xf100 + 70 * 1024]
    read_back = machine.workdir / "read.bin"
    _esptool(url, stub_version, "read-flash", "0xf100", str(len(expected)), str(read_back))
    assert hashlib.sha256(read_back.read_bytes()).digest() == hashlib.sha256(expected).digest()

    _esptool(url, stub_version, "erase-region", "0x20000", "0x3000")
    content = flash.read_bytes()
    assert content[0x20000:0x23000] == b"\xff" * 0x3000
    assert content[0x23000:0x24000] != b"\xff" * 0x1000          # the next sector kept

    _esptool(url, stub_version, "erase-flash")
    assert flash.read_bytes() == b"\xff" * FLASH_SIZE
