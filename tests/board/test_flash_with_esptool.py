"""`invoke flash` on the emulated board: esptool writes firmware.bin through the ROM-like UART
download mode, and the flash it wrote boots to the REPL."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.build.artifacts import FirmwareArtifacts
from harness.cli import flash as flasher
from harness.emulator.service import QemuService

pytestmark = pytest.mark.qemu_only


def test_esptool_writes_a_blank_board_that_then_boots(
        tmp_path: Path, firmware: FirmwareArtifacts, qemu_binary: Path) -> None:
    flash_file = tmp_path / "blank.img"
    flasher.flash_emulated(flash_file, firmware.bin, qemu_binary)
    written = flash_file.read_bytes()
    image = firmware.bin.read_bytes()
    assert written[:len(image)] == image  # byte for byte at offset 0x0
    assert set(written[len(image):]) == {0xFF}  # nothing else touched
    with QemuService(flash_file, binary=qemu_binary, flash_path=flash_file) as board:
        assert board.eval("__import__('sys').platform") == "esp8266"
        assert "ESP8266 QEMU" in board.log.text


def test_esptool_command_for_the_emulator_avoids_stub_and_reset(tmp_path: Path) -> None:
    argv = flasher.esptool_command("socket://127.0.0.1:4000", tmp_path / "fw.bin", emulated=True)
    assert argv[argv.index("--port") + 1] == "socket://127.0.0.1:4000"
    assert {"--no-stub", "no-reset"} <= set(argv)
    assert argv[-2:] == ["0x0", str(tmp_path / "fw.bin")]
    real = flasher.esptool_command("/dev/ttyUSB0", tmp_path / "fw.bin")
    assert "--no-stub" not in real and "no-reset" not in real
