"""UART download mode (-M esp8266,boot-mode=download): esptool --no-stub talks to the machine."""

from __future__ import annotations

import importlib.util
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.build.machine_programs import flash_image

pytestmark = pytest.mark.skipif(importlib.util.find_spec("esptool") is None,
                                reason="esptool is not installed (pip install esptool)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_download(machine, flash: Path | None, machine_opts: str = "boot-mode=download"):
    port = _free_port()
    m = machine.start(flash=flash, machine_opts=machine_opts,
                      uart0=f"tcp:127.0.0.1:{port},server=on,wait=off")
    deadline = time.monotonic() + 10
    while True:                      # until QEMU listens
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    return m, port


def _esptool(port: int | str, *args: str) -> str:
    url = f"socket://127.0.0.1:{port}" if isinstance(port, int) else port
    cmd = [sys.executable, "-m", "esptool", "--chip", "esp8266", "--port", url,
           "--no-stub", "--before", "no-reset", "--after", "no-reset", *args]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, f"{' '.join(cmd)}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_esptool_chip_id_mac_flash_id(machine) -> None:
    _, port = _start_download(machine, None)
    out = _esptool(port, "chip-id")
    assert "ESP8266EX" in out
    assert "Chip ID: 0x00e551a1" in out
    assert "MAC:                5c:cf:7f:e5:51:a1" in out
    out = _esptool(port, "flash-id")
    assert "Manufacturer: ef" in out
    assert "Device: 4016" in out                 # blank 4 MiB flash without a drive
    assert "Detected flash size: 4MB" in out


def test_mac_machine_property(machine) -> None:
    _, port = _start_download(machine, None, "boot-mode=download,mac=5c:cf:7f:01:02:03")
    out = _esptool(port, "read-mac")
    assert "5c:cf:7f:01:02:03" in out


def test_write_flash_then_boot_it(machine) -> None:
    image = machine.boot_image("hello")
    flash = flash_image(machine.workdir / "flash.bin", 1 << 20)
    m, port = _start_download(machine, flash)
    out = _esptool(port, "write-flash", "--flash-mode", "keep", "--flash-size", "keep",
                   "0x0", str(image))
    assert "Wrote" in out
    # Read back through the machine: the flash window shows the new bytes.
    first = int.from_bytes(image.read_bytes()[:4], "little")
    out = _esptool(port, "read-mem", "0x40200000")
    assert f"0x{first:08x}" in out.lower()
    m.stop()
    # The image file holds exactly what esptool sent...
    data = flash.read_bytes()
    assert data[:len(image.read_bytes())] == image.read_bytes()
    # ...and the machine boots it like the ROM would.
    booted = machine.start(kernel=False, flash=flash)
    booted.expect("DONE")
    assert "hello from the emulated esp8266" in booted.output


def test_load_ram_runs_the_program(machine) -> None:
    """MEM_BEGIN/DATA/END: esptool load-ram starts a program, which then owns UART0."""
    image = machine.boot_image("uart_echo")
    _, port = _start_download(machine, None)
    out = _esptool(port, "load-ram", str(image))
    assert "executing at" in out
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.settimeout(10)
        conn.sendall(b"loaded over the serial protocol\n")
        received = b""
        deadline = time.monotonic() + 10
        while b"tout_irqs=" not in received and time.monotonic() < deadline:
            received += conn.recv(4096)
    assert b"ECHO:loaded over the serial protocol\r\n" in received


def test_esptool_over_a_pty(machine) -> None:
    m = machine.start(machine_opts="boot-mode=download", uart0="pty")
    stderr = m.workdir / f"{m.name}.stderr"
    deadline = time.monotonic() + 10
    while not (found := re.search(r"redirected to (/dev/pts/\d+)", stderr.read_text())):
        assert time.monotonic() < deadline, m.diagnostics()
        time.sleep(0.05)
    out = _esptool(found.group(1), "read-mac")
    assert "5c:cf:7f:e5:51:a1" in out
