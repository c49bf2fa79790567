"""System packages and toolchain checks (`invoke setup`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from harness import progress
from harness.errors import SetupError

# Debian 12 package names. Why each is here is in docs/architecture.md ("System packages").
APT_PACKAGES = [
    # cross toolchain for the firmware and the bare-metal machine tests
    "gcc-xtensa-lx106", "binutils-xtensa-lx106", "picolibc-xtensa-lx106-elf",
    # QEMU build
    "build-essential", "libglib2.0-dev", "libslirp-dev", "ninja-build", "pkgconf", "ccache",
    "device-tree-compiler",  # QEMU 10.2 builds its (Debian-removed) board DTBs with dtc
    # sources: private apt fetch, dpkg-source, patching, local trees
    "dpkg-dev", "patch", "rsync", "git", "xz-utils", "ca-certificates",
    # Python venv for the harness and QEMU's meson
    "python3-venv",
    # test networking (namespaces, bridge, TAP, DHCP/DNS)
    "iproute2", "dnsmasq-base",
    # a terminal on `invoke serve`'s pty (tests/board/test_serve.py opens it)
    "picocom",
]


def missing_packages(packages: list[str]) -> list[str]:
    """Packages dpkg does not report as installed."""
    if shutil.which("dpkg-query") is None:
        raise SetupError(
            "dpkg-query not found: `invoke setup` supports Debian and Ubuntu. On another system "
            f"install the equivalents of: {' '.join(packages)}"
        )
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package} ${db:Status-Abbrev}\n", *packages],
        capture_output=True, text=True,
    )
    installed = {
        line.split()[0].split(":")[0]
        for line in result.stdout.splitlines()
        if len(line.split()) >= 2 and line.split()[1].startswith("ii")
    }
    return [p for p in packages if p not in installed]


def install_command(packages: list[str]) -> list[str]:
    return ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages]


def install_packages(packages: list[str] = APT_PACKAGES) -> list[str]:
    """Install what is missing (root), or raise with the exact command to run."""
    missing = missing_packages(packages)
    if not missing:
        progress.say(f"    all {len(packages)} system packages are installed")
        return []
    if os.geteuid() != 0:
        raise SetupError(
            "missing system packages: " + " ".join(missing) + "\nRun as root:\n"
            "  sudo apt-get update && sudo " + " ".join(install_command(missing)) +
            "\nthen run the same command again."
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    with progress.step(f"apt-get install {' '.join(missing)}"):
        for cmd in (["apt-get", "update", "-q"], install_command(missing)):
            result = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if result.returncode != 0:
                raise SetupError(
                    f"`{' '.join(cmd)}` failed:\n{(result.stdout + result.stderr)[-2000:]}"
                )
    still = missing_packages(missing)
    if still:
        raise SetupError(f"apt-get reported success but these are still missing: {still}")
    return missing


@dataclass
class ToolVersion:
    name: str
    version: str


def _first_line(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return ""
    return (out.stdout or out.stderr).strip().splitlines()[0] if out.returncode == 0 else ""


CROSS_GCC = "xtensa-lx106-elf-gcc"
CROSS_FLAGS = ["-mforce-l32", "-mlongcalls", "-mtext-section-literals", "-Os"]


def check_cross_toolchain() -> str:
    """Compile a byte load with the flags the port needs; returns the compiler version line."""
    path = shutil.which(CROSS_GCC)
    if path is None:
        raise SetupError(f"{CROSS_GCC} not found on PATH: run `invoke setup` "
                         "(apt: gcc-xtensa-lx106)")
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SetupError(f"{path} is there but does not run: {exc}") from None
    if out.returncode != 0:
        said = (out.stderr or out.stdout).strip()[-1000:] or "(nothing)"
        raise SetupError(f"{path} is there but `--version` failed with status "
                         f"{out.returncode}; it said:\n{said}")
    version = (out.stdout or out.stderr).strip().splitlines()[0]
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "probe.c"
        src.write_text("extern int g(void);\nint f(const char *p) { return *p + g(); }\n")
        result = subprocess.run(
            [CROSS_GCC, *CROSS_FLAGS, "-c", str(src), "-o", str(Path(tmp) / "probe.o")],
            capture_output=True, text=True,
        )
    if result.returncode != 0:
        raise SetupError(
            f"{CROSS_GCC} cannot compile with {' '.join(CROSS_FLAGS)}:\n{result.stderr[-1000:]}\n"
            "The port needs a GCC with -mforce-l32 (Debian 12's gcc-xtensa-lx106 has it)."
        )
    return version


def tool_versions() -> list[ToolVersion]:
    probes = {
        "xtensa-lx106-elf-gcc": [CROSS_GCC, "--version"],
        "xtensa-lx106-elf-ld": ["xtensa-lx106-elf-ld", "--version"],
        "gcc": ["gcc", "--version"],
        "ninja": ["ninja", "--version"],
        "ccache": ["ccache", "--version"],
        "python": ["python3", "--version"],
    }
    return [ToolVersion(name, _first_line(cmd) or "missing") for name, cmd in probes.items()]


def setup(install: bool = True) -> list[ToolVersion]:
    with progress.step("system packages"):
        if install:
            install_packages()
        else:
            missing = missing_packages(APT_PACKAGES)
            if missing:
                raise SetupError("missing: " + " ".join(missing) + "; run `invoke setup`")
    with progress.step("cross toolchain check (-mforce-l32 -mlongcalls)"):
        check_cross_toolchain()
    versions = tool_versions()
    for tool in versions:
        progress.say(f"    {tool.name:<22} {tool.version}")
    return versions
