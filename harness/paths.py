"""Where things live: the repository, build output and the download cache."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

CACHE_ENV = "ESP8266_QEMU_CACHE"
BUILD_ENV = "ESP8266_QEMU_BUILD"


def cache_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """Download cache: option, else $ESP8266_QEMU_CACHE, else ~/.cache/esp8266-qemu."""
    if override:
        return Path(override).expanduser().resolve()
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser().resolve()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "esp8266-qemu"


def build_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """Build output: option, else $ESP8266_QEMU_BUILD, else <repo>/build."""
    if override:
        return Path(override).expanduser().resolve()
    env = os.environ.get(BUILD_ENV)
    return Path(env).expanduser().resolve() if env else REPO_ROOT / "build"


def src_dir(build: Path | None = None) -> Path:
    """Unpacked and patched third-party trees."""
    return (build or build_dir()) / "src"


def qemu_build_dir(build: Path | None = None, version: str | None = None) -> Path:
    """build/qemu for the default QEMU pin; build/qemu-<X.Y.Z> for another pinned version."""
    if version:
        return (build or build_dir()) / f"qemu-{version}"
    return (build or build_dir()) / "qemu"


def built_qemu_binary(build: Path | None = None, version: str | None = None) -> Path:
    """Where `invoke qemu` writes the emulator. To find the emulator to *run* (an option or
    $ESP8266_QEMU_BINARY first), use ``harness.emulator.command.qemu_binary``."""
    return qemu_build_dir(build, version) / "qemu-system-xtensa"


def reports_dir(build: Path | None = None) -> Path:
    return (build or build_dir()) / "reports"
