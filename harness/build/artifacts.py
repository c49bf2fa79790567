"""Where the firmware build artefacts are: ELF, firmware.bin, QEMU flash image, map file.

(The emulator binary is found by ``harness.emulator.command.qemu_binary``.)

Default: ``build/firmware/`` (what ``invoke build`` writes; ``$ESP8266_QEMU_BUILD`` moves
``build/``). ``--firmware``
may name that directory or any one file in it (an ELF, a .bin or a .img).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from harness import paths
from harness.errors import SetupError

# Defaults follow harness.paths (build/ or $ESP8266_QEMU_BUILD), read when the module loads.
DEFAULT_FIRMWARE_DIR = paths.build_dir() / "firmware"

ELF_NAME = "firmware.elf"
BIN_NAME = "firmware.bin"
FLASH_NAME = "flash.img"
MAP_NAME = "firmware.map"
BOOT_MAGIC = 0xE9  # byte 0 of an esptool v1 boot image
FLASH_IMAGE_SIZE = 2 << 20  # the emulated board's flash (as `invoke build` makes flash.img)


@dataclass(frozen=True)
class FirmwareArtifacts:
    directory: Path
    elf: Path
    bin: Path
    flash_image: Path
    map_file: Path
    bin_named: bool = False  # --firmware named a .bin: boot exactly that image

    @classmethod
    def locate(cls, where: Path | str | None = None) -> FirmwareArtifacts:
        """Artefacts in ``where`` (a directory or a file in it); default build/firmware/."""
        # absolute: tests hand these paths to QEMU and to pytest runs in other directories
        path = (Path(where).expanduser() if where else DEFAULT_FIRMWARE_DIR).absolute()
        directory = path if path.is_dir() or not path.suffix else path.parent
        elf = path if path.suffix == ".elf" else directory / ELF_NAME
        flash = path if path.suffix == ".img" else directory / FLASH_NAME
        binary = path if path.suffix == ".bin" else directory / BIN_NAME
        return cls(directory.resolve(), elf, binary, flash, directory / MAP_NAME,
                   bin_named=path.suffix == ".bin")

    def _flash_from_bin(self) -> Path:
        """firmware.bin at offset 0 of a 0xFF-filled 2 MiB image (as ``invoke build`` does),
        in build/run/; refuses a file that is not an ESP8266 boot image."""
        from harness.build import image

        if not self.bin.is_file():
            raise SetupError(f"no firmware image at {self.bin}; run `invoke build` or pass an "
                             "existing firmware.bin, flash image (.img) or firmware directory")
        data = self.bin.read_bytes()
        if not data or data[0] != BOOT_MAGIC:
            first = f"0x{data[0]:02x}" if data else "empty"
            raise SetupError(f"{self.bin} is not an ESP8266 boot image (byte 0 is {first}, "
                             f"expected 0x{BOOT_MAGIC:02x}); pass a firmware.bin made by "
                             "`invoke build` or esptool elf2image, or a whole flash image (.img)")
        if len(data) > FLASH_IMAGE_SIZE:
            raise SetupError(f"{self.bin} ({len(data)} bytes) does not fit in the emulated "
                             f"board's {FLASH_IMAGE_SIZE >> 20} MiB flash")
        tag = hashlib.sha256(str(self.bin.resolve()).encode()).hexdigest()[:8]
        dest = paths.build_dir() / "run" / f"{self.bin.stem}-{tag}.img"
        dest.parent.mkdir(parents=True, exist_ok=True)
        return image.flash_image(dest, FLASH_IMAGE_SIZE, {0: data})

    def elf_if_present(self) -> Path | None:
        return self.elf if self.elf.is_file() else None

    def require_flash_image(self) -> Path:
        """The flash image to boot; for ``--firmware X.bin`` one made from that image (or a
        SetupError saying why it cannot boot)."""
        if self.bin_named:
            return self._flash_from_bin()
        if not self.flash_image.is_file():
            raise SetupError(
                f"no flash image at {self.flash_image}; is the firmware built? run "
                "`invoke build` (or pass --firmware DIR with flash.img)"
            )
        return self.flash_image

    def require_elf(self) -> Path:
        if not self.elf.is_file():
            raise SetupError(f"no firmware ELF at {self.elf}; run `invoke build` "
                             "(or pass --firmware DIR with firmware.elf)")
        return self.elf

