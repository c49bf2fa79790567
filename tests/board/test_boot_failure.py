"""A board that does not boot fails at once with the emulator's own words, and the log the
error names is still there afterwards."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from harness.emulator.service import QemuService
from harness.errors import BoardError

pytestmark = pytest.mark.qemu_only


def test_random_flash_fails_at_once_with_the_roms_message(tmp_path: Path, target: str,
                                                          qemu_binary: Path) -> None:
    if target != "qemu":
        pytest.skip("starts its own emulator")
    flash = tmp_path / "random.img"
    flash.write_bytes(b"\x55" + os.urandom((2 << 20) - 1))
    service = QemuService(flash, binary=qemu_binary, name="noboot", log_dir=tmp_path / "logs",
                          boot_timeout=10.0)
    began = time.monotonic()
    with pytest.raises(BoardError) as caught:
        service.start()
    took = time.monotonic() - began
    message = str(caught.value)
    assert "no boot image in flash (byte 0 is 0x55, expected 0xe9)" in message
    assert took < 8, f"waited {took:.1f} s for a board that had already said it cannot boot"
    for path in re.findall(r"(/\S+\.log)", message):
        assert Path(path).exists(), f"the error names {path}, which is gone"
    assert "rst cause:" in (tmp_path / "logs" / "noboot-uart0.log").read_text()  # ROM banner
