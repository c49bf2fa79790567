"""Which MicroPython a command means, and where its firmware is built.

``--micropython VERSION`` (a prefix such as ``1.26``; default: the pin named ``micropython`` in
sources.toml) chooses one of the pinned MicroPython sources. Each version's firmware is built into
its own directory, ``build/firmware-<X.Y.Z>/`` (named by the version the tree holds, so a local or
git tree of another version gets its own), and ``build/firmware`` is a link to the default
version's: that is where tests, ``repl``, ``run`` and ``bench`` look unless told otherwise.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from harness import paths, progress
from harness.build.pins import Pin, load_pins, select_version

DEFAULT_LINK = "firmware"


def micropython_pin(version: str | None = None) -> Pin:
    """The pinned MicroPython source for ``version`` (None: the default pin)."""
    pins = load_pins()
    return pins[select_version("micropython", version, pins)]


def pinned_versions() -> list[str]:
    """Every pinned MicroPython version, the default first."""
    pins = load_pins()
    default = pins["micropython"].version
    others = sorted(p.version for p in pins.values() if p.variant_of == "micropython")
    return [default, *others]


def firmware_dir(version: str, build: Path | None = None) -> Path:
    """Where the firmware of MicroPython ``version`` (X.Y.Z) is built."""
    return (build or paths.build_dir()) / f"firmware-{version}"


def firmware_dir_for(version: str | None, build: Path | None = None) -> Path:
    """The firmware directory a ``--micropython`` option names (None: the default link)."""
    if not version:
        return (build or paths.build_dir()) / DEFAULT_LINK
    return firmware_dir(micropython_pin(version).version, build)


def link_default(out: Path, build: Path | None = None) -> None:
    """Point build/firmware at ``out`` (the default version's build directory)."""
    link = (build or paths.build_dir()) / DEFAULT_LINK
    if link.is_symlink() or link.is_file():
        link.unlink()
    elif link.is_dir():
        # build/firmware of a checkout from before versioned build directories
        progress.notice(f"{link} was a build directory; builds now go to {out.name}/ and "
                        f"{link.name} links to the default version's")
        shutil.rmtree(link)
    link.symlink_to(out.name)
