"""`invoke flash`: write firmware.bin to a board with esptool.

- A real board: `esptool write-flash 0x0 firmware.bin` on its serial port; esptool resets it into
  the ROM's download mode through DTR/RTS and back afterwards, as usual.
- The emulated board: QEMU started in UART download mode (GPIO0 strapped low) with UART0 on a
  127.0.0.1 TCP port, and esptool `--no-stub` writing into a flash image file that later boots
  with `flash_path=`. esptool's stub works too (on our ROM image, see docs/qemu-machine.md),
  but the machine's own loader is faster here: 2.5 s against 13-16 s for firmware.bin, since
  the stub takes every byte through the emulated UART FIFO.

firmware.bin already has upstream's layout (header image at 0x0, .irom0.text at 0x9000), so it
is written whole at offset 0.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from harness import progress
from harness.build.artifacts import FirmwareArtifacts
from harness.emulator.command import require_qemu_binary
from harness.emulator.service import QemuService
from harness.errors import HarnessError, SetupError
from harness.process_group import death_signal_preexec

FLASH_OFFSET = 0x0


def esptool_command(port: str, image: Path, *, baud: int = 460800,
                    emulated: bool = False) -> list[str]:
    """esptool's argv for writing ``image`` at 0x0 (ESP8266, flash mode/size kept as built)."""
    argv = [sys.executable, "-m", "esptool", "--chip", "esp8266", "--port", port,
            "--baud", str(baud)]
    if emulated:
        # The machine's C loader is faster than the stub; no reset circuit, QEMU is already in
        # download mode.
        argv += ["--no-stub", "--before", "no-reset", "--after", "no-reset"]
    argv += ["write-flash", "--flash-mode", "keep", "--flash-size", "keep",
             f"0x{FLASH_OFFSET:x}", str(image)]
    return argv


def _run_esptool(argv: list[str], what: str) -> str:
    # esptool dies with us even on SIGKILL (it would otherwise hold the port or the emulator).
    result = subprocess.run(argv, capture_output=True, text=True, timeout=600,
                            preexec_fn=death_signal_preexec())
    if result.returncode != 0:
        tail = (result.stdout + result.stderr).strip()[-2000:]
        raise HarnessError(f"esptool could not flash {what}:\n{tail}\n"
                           "Check the port (ls /dev/ttyUSB* /dev/ttyACM*), that nothing else holds "
                           "it, and that the board enters download mode (hold BOOT/GPIO0 low while "
                           "resetting if its auto-reset circuit is missing).")
    return result.stdout


def flash_board(port: str, image: Path | None = None, baud: int = 460800) -> Path:
    """Write firmware.bin (default build/firmware/) to a real board on ``port``."""
    image = image or FirmwareArtifacts.locate(None).bin
    if not image.is_file():
        raise SetupError(f"no firmware image at {image}; run `invoke build` first")
    with progress.step(f"esptool write-flash 0x0 {image.name} -> {port}"):
        _run_esptool(esptool_command(port, image, baud=baud), port)
    return image


def flash_emulated(flash_file: Path, image: Path | None = None,
                   binary: Path | None = None) -> Path:
    """Write firmware.bin with esptool into ``flash_file`` (a 2 MiB image, created blank when
    missing) through the emulated board's UART download mode; returns ``flash_file``."""
    image = image or FirmwareArtifacts.locate(None).bin
    if not image.is_file():
        raise SetupError(f"no firmware image at {image}; run `invoke build` first")
    if not flash_file.exists():
        flash_file.parent.mkdir(parents=True, exist_ok=True)
        flash_file.write_bytes(b"\xff" * (2 * 1024 * 1024))
    start = time.monotonic()
    service = QemuService(flash_file, binary=require_qemu_binary(binary), name="download",
                          flash_path=flash_file)
    try:
        url = service.start_for_esptool()
        with progress.step(f"esptool --no-stub write-flash 0x0 {image.name} (emulated board)"):
            _run_esptool(esptool_command(url, image, baud=115200, emulated=True),
                         "the emulated board")
    finally:
        service.stop()
    progress.summary("invoke flash --qemu", {"flash image": flash_file},
                     time.monotonic() - start)
    return flash_file
