"""Build our open ESP8266 ROM image (``firmware/rom/``) for QEMU's ``-bios``.

The mask ROM's entry points that code built for it calls (esptool's flasher stub: SPI flash,
UART, delays, MD5, interrupt dispatch) are implemented in our C and placed at the chip's
addresses by ``firmware/rom/rom.ld``. Output: ``build/rom/esp8266-rom.elf`` and the raw image
of the ROM window ``build/rom/esp8266-rom.bin``; rebuilt only when a source is newer.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path

from harness.errors import BuildError, SetupError
from harness.paths import REPO_ROOT, build_dir

ROM_SOURCE_DIR = REPO_ROOT / "firmware" / "rom"
CROSS = "xtensa-lx106-elf-"
CFLAGS = [
    "-Os", "-g", "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-ffreestanding", "-nostdlib",
    "-mtext-section-literals", "-fno-builtin", "-fno-tree-loop-distribute-patterns",
]
ROM_WINDOW_SIZE = 64 * 1024


def output_dir(build: Path | None = None) -> Path:
    return (build or build_dir()) / "rom"


def rom_image(build: Path | None = None) -> Path:
    """Where the ROM image is (whether it was built or not)."""
    return output_dir(build) / "esp8266-rom.bin"


def _tool(name: str) -> str:
    path = shutil.which(CROSS + name)
    if not path:
        raise SetupError(
            f"{CROSS}{name} not found: install the Debian packages gcc-xtensa-lx106 and "
            "binutils-xtensa-lx106 (`invoke setup` does it) to build the ROM image")
    return path


def _sources() -> list[Path]:
    return sorted([*ROM_SOURCE_DIR.glob("*.c"), *ROM_SOURCE_DIR.glob("*.S")])


def _inputs() -> list[Path]:
    return [*_sources(), *ROM_SOURCE_DIR.glob("*.h"), ROM_SOURCE_DIR / "rom.ld", Path(__file__)]


def _up_to_date(target: Path, inputs: list[Path]) -> bool:
    if not target.exists():
        return False
    mtime = target.stat().st_mtime
    return all(p.stat().st_mtime <= mtime for p in inputs)


def _run(cmd: list[str], what: str) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BuildError(f"{what} failed:\n{' '.join(cmd)}\n{result.stdout}{result.stderr}")


def build_rom(build: Path | None = None) -> Path:
    """Compile and link the ROM, then cut the raw image of the ROM window; returns the image."""
    out = output_dir(build)
    out.mkdir(parents=True, exist_ok=True)
    image = rom_image(build)
    elf = out / "esp8266-rom.elf"
    with open(out / ".rom.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _up_to_date(image, _inputs()):
            return image
        _run([_tool("gcc"), *CFLAGS, "-T", str(ROM_SOURCE_DIR / "rom.ld"),
              "-Wl,--gc-sections", "-Wl,-Map," + str(out / "esp8266-rom.map"),
              "-o", str(elf), *map(str, _sources())], "linking the ROM")
        _run([_tool("objcopy"), "-O", "binary", str(elf), str(image) + ".tmp"],
             "cutting the ROM image")
        size = Path(str(image) + ".tmp").stat().st_size
        if size > ROM_WINDOW_SIZE:
            raise BuildError(f"the ROM image has {size} bytes; the ROM window holds "
                             f"{ROM_WINDOW_SIZE}: see {out / 'esp8266-rom.map'}")
        os.replace(str(image) + ".tmp", image)
    return image
