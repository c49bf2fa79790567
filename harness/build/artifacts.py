"""Where the firmware build artefacts are: ELF, firmware.bin, QEMU flash image, map file.

(The emulator binary is found by ``harness.emulator.command.qemu_binary``.)

Default: ``build/firmware/`` (what ``invoke build`` writes; ``$ESP8266_QEMU_BUILD`` moves
``build/``). ``--firmware``
may name that directory or any one file in it (an ELF, a .bin or a .img).
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class FirmwareArtifacts:
    directory: Path
    elf: Path
    bin: Path
    flash_image: Path
    map_file: Path

    @classmethod
    def locate(cls, where: Path | str | None = None) -> FirmwareArtifacts:
        """Artefacts in ``where`` (a directory or a file in it); default build/firmware/."""
        path = Path(where).expanduser() if where else DEFAULT_FIRMWARE_DIR
        directory = path if path.is_dir() or not path.suffix else path.parent
        elf = path if path.suffix == ".elf" else directory / ELF_NAME
        flash = path if path.suffix == ".img" else directory / FLASH_NAME
        binary = path if path.suffix == ".bin" else directory / BIN_NAME
        return cls(directory.resolve(), elf, binary, flash, directory / MAP_NAME)

    def elf_if_present(self) -> Path | None:
        return self.elf if self.elf.is_file() else None

    def require_flash_image(self) -> Path:
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

