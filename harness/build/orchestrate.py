"""What ``invoke sources`` and ``invoke build`` do, start to end (tasks.py only calls these)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from harness import progress

DEFAULT_BOARD = "ESP8266_QEMU"


def prepare_sources(names: list[str] | None = None, origin: str | None = None,
                    fresh: bool = False, cache: Path | None = None) -> dict[str, Path]:
    """Fetch, verify, unpack and patch the pinned sources; prints where each tree is."""
    from harness.build import sources

    trees = sources.prepare(names or None, origin=origin, fresh=fresh, cache=cache)
    for key, tree in trees.items():
        progress.say(f"    {key:<12} {tree}")
    return trees


def build_board(board: str = DEFAULT_BOARD, jobs: int = 0, origin: str | None = None,
                sdk: str | None = None, checkout: str | None = None) -> None:
    """Build the firmware of ``board``: our ESP8266_QEMU (open HAL, pinned sources prepared
    first) or a stock MicroPython board on the Espressif SDK (harness.build.generic)."""
    jobs = jobs or os.cpu_count() or 2
    if board != DEFAULT_BOARD:
        from harness.build import generic

        generic.build_generic(generic.resolve_inputs(board, sdk, checkout), jobs=jobs)
        return
    from harness.build import firmware, sources

    start = time.monotonic()
    names = ["micropython", "lwip"] if firmware.network_enabled() else ["micropython"]
    trees = sources.prepare(names, origin=origin)
    art = firmware.build_firmware(trees["micropython"], jobs=jobs, lwip_tree=trees.get("lwip"))
    progress.summary("invoke build", {"elf": art.elf, "image": art.bin,
                                      "flash image": art.flash_img, "map": art.map},
                     time.monotonic() - start)
