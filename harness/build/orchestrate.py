"""What ``invoke sources`` and ``invoke build`` do, start to end (tasks.py only calls these)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from harness import progress

DEFAULT_BOARD = "ESP8266_QEMU"


def prepare_sources(names: list[str] | None = None, origin: str | None = None,
                    fresh: bool = False, cache: Path | None = None,
                    micropython: str | None = None, ref: str | None = None) -> dict[str, Path]:
    """Fetch, verify, unpack and patch the pinned sources; prints where each tree is.
    ``micropython``: which pinned MicroPython stands for the name ``micropython``."""
    from harness.build import sources, versions

    if micropython:
        chosen = versions.micropython_pin(micropython).name
        names = [chosen if n == "micropython" else n
                 for n in (names or sources.default_names())]
        if chosen not in names:
            names.append(chosen)
    trees = sources.prepare(names or None, origin=origin, fresh=fresh, cache=cache, ref=ref)
    for key, tree in trees.items():
        progress.say(f"    {key:<12} {tree}")
    return trees


def build_board(board: str = DEFAULT_BOARD, jobs: int = 0, origin: str | None = None,
                sdk: str | None = None, checkout: str | None = None,
                micropython: str | None = None, ref: str | None = None) -> Path | None:
    """Build the firmware of ``board``: our ESP8266_QEMU (open HAL, pinned sources prepared
    first) or a stock MicroPython board on the Espressif SDK (harness.build.generic).
    ``micropython``: which pinned version (harness.build.versions); returns the firmware
    directory, build/firmware-<version> (build/firmware links to the default version's)."""
    jobs = jobs or os.cpu_count() or 2
    if board != DEFAULT_BOARD:
        from harness.build import generic

        generic.build_generic(generic.resolve_inputs(board, sdk, checkout), jobs=jobs)
        return None
    from harness.build import firmware, rom, sources, versions

    start = time.monotonic()
    pin = versions.micropython_pin(micropython)
    names = [pin.name, "mbedtls", "berkeley-db"] + (["lwip"] if firmware.network_enabled()
                                                    else [])
    trees = sources.prepare(names, origin=origin, ref=ref)
    tree = trees[pin.name]
    out = versions.firmware_dir(sources.tree_version(pin, tree))
    art = firmware.build_firmware(tree, out, jobs=jobs, lwip_tree=trees.get("lwip"),
                                  mbedtls_tree=trees["mbedtls"],
                                  berkeley_db_tree=trees["berkeley-db"])
    if pin.name == "micropython":
        versions.link_default(out)
    rom_image = rom.build_rom()  # the emulator's -bios (esptool's stub calls its entry points)
    progress.summary("invoke build", {"elf": art.elf, "image": art.bin,
                                      "flash image": art.flash_img, "map": art.map,
                                      "rom": rom_image},
                     time.monotonic() - start)
    return out
