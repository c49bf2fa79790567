"""Build the bare-metal test programs of tests/machine/ with the xtensa-lx106 toolchain.

Every ``tests/machine/programs/<name>.c`` is one program, linked with the small runtime in
``programs/common/`` (vectors, startup, UART output, interrupt dispatch) into
``build/machine-programs/<name>.elf``. ``esptool_images()`` makes its esptool v1 image files
(``harness.build.image``, on esptool's library); ``flash_image()`` places them in a blank flash
image of a size the emulator accepts.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from harness.build import image
from harness.errors import BuildError, SetupError
from harness.paths import REPO_ROOT, build_dir

PROGRAMS_DIR = REPO_ROOT / "tests" / "machine" / "programs"
COMMON_DIR = PROGRAMS_DIR / "common"
CROSS = "xtensa-lx106-elf-"
CFLAGS = [
    "-Os", "-g", "-std=gnu11", "-Wall", "-Werror", "-ffreestanding", "-nostdlib",
    "-mlongcalls", "-mtext-section-literals", "-fno-builtin",
]
FLASH_SIZES = (1 << 20, 2 << 20, 4 << 20)


def output_dir(build: Path | None = None) -> Path:
    return (build or build_dir()) / "machine-programs"


def toolchain() -> str:
    """Path of xtensa-lx106-elf-gcc, or a SetupError saying how to get it."""
    gcc = shutil.which(CROSS + "gcc")
    if not gcc:
        raise SetupError(
            "xtensa-lx106-elf-gcc not found: install the Debian packages gcc-xtensa-lx106 and "
            "binutils-xtensa-lx106 (`invoke setup` does it) to build the machine test programs")
    return gcc


def available() -> list[str]:
    """Names of all test programs."""
    return sorted(p.stem for p in PROGRAMS_DIR.glob("*.c"))


def _sources(name: str) -> list[Path]:
    main = PROGRAMS_DIR / f"{name}.c"
    if not main.is_file():
        raise BuildError(f"no machine test program {name!r}: expected {main} "
                         f"(available: {', '.join(available()) or 'none'})")
    return [main, *sorted(COMMON_DIR.glob("*.c")), *sorted(COMMON_DIR.glob("*.S"))]


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Serialise builds of the same program across processes (pytest-xdist)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _up_to_date(target: Path, inputs: list[Path]) -> bool:
    if not target.exists():
        return False
    mtime = target.stat().st_mtime
    return all(p.stat().st_mtime <= mtime for p in inputs)


def build_program(name: str, build: Path | None = None) -> Path:
    """Compile and link ``programs/<name>.c``; returns the ELF (rebuilt only when stale)."""
    gcc = toolchain()
    sources = _sources(name)
    inputs = [*sources, COMMON_DIR / "program.ld", COMMON_DIR / "esp8266.h", Path(__file__)]
    out = output_dir(build)
    elf = out / f"{name}.elf"
    with _locked(out / f".{name}.lock"):
        if _up_to_date(elf, inputs):
            return elf
        cmd = [gcc, *CFLAGS, "-I", str(PROGRAMS_DIR), "-T", str(COMMON_DIR / "program.ld"),
               "-Wl,--gc-sections", "-Wl,-Map," + str(out / f"{name}.map"),
               "-o", str(elf) + ".tmp", *map(str, sources), "-lgcc"]
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise BuildError(f"building machine test program {name!r} failed:\n"
                             f"{' '.join(cmd)}\n{result.stdout}{result.stderr}")
        os.replace(str(elf) + ".tmp", elf)
    return elf


def esptool_images(elf: Path) -> dict[int, Path]:
    """The esptool v1 image files of ``elf`` (as ``esptool elf2image`` names them): flash
    offset -> file.

    Offset 0 is the boot image the ROM loads (IRAM/DRAM segments); code linked into the
    flash window (``.irom0.text`` at 0x402xxxxx) comes as a separate file at its offset.
    """
    prefix = elf.with_suffix("")
    boot = Path(f"{prefix}-0x00000.bin")
    with _locked(elf.parent / f".{elf.stem}.lock"):
        if not _up_to_date(boot, [elf]):
            for stale in elf.parent.glob(f"{prefix.name}-0x*.bin"):
                stale.unlink()
            for offset, data in image.elf_image(elf).parts().items():
                Path(f"{prefix}-0x{offset:05x}.bin").write_bytes(data)
    return {int(p.stem.rsplit("-", 1)[1], 16): p
            for p in elf.parent.glob(f"{prefix.name}-0x*.bin")}


def boot_image(elf: Path) -> Path:
    """esptool v1 boot image (what the ROM loads from flash offset 0) of ``elf``."""
    return esptool_images(elf)[0]


def flash_image(dest: Path, size: int = 1 << 20, *, boot: Path | None = None,
                data: Mapping[int, bytes] | None = None) -> Path:
    """Write a blank (0xFF) flash image of ``size`` bytes to ``dest``.

    ``boot`` (an esptool v1 image) goes to offset 0, ``data`` maps offsets to more bytes.
    """
    if size not in FLASH_SIZES:
        raise BuildError(f"flash size {size} is not one the emulator accepts: "
                         f"use one of {', '.join(map(str, FLASH_SIZES))}")
    parts = dict(data or {})
    if boot is not None:
        parts[0] = boot.read_bytes()
    return image.flash_image(dest, size, parts)


def main(argv: list[str]) -> int:
    """``python -m harness.build.machine_programs [NAME...]``: build programs, print their paths."""
    for name in argv or available():
        print(build_program(name))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
