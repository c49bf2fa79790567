"""MicroPython's unix port, built from a pinned tree as a reference for ``run-perfbench.py``.

Built out of the tree (``make -C ports/unix BUILD=build/unix-<version>``): the source tree
stays as fetched. The Debian source lacks micropython-lib, mbedtls and Berkeley DB, so the
build leaves out what needs them (frozen modules, ``ssl``, ``btree``); the benchmarks use
none of it. Threads and FFI are left out too (fewer host libraries; no benchmark needs them).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from harness import paths, progress
from harness.errors import BuildError, SetupError

MAKE_FLAGS = ("FROZEN_MANIFEST=", "MICROPY_PY_BTREE=0", "MICROPY_PY_SSL=0", "MICROPY_PY_FFI=0",
              "MICROPY_PY_THREAD=0", "MICROPY_USE_READLINE=0")


def unix_build_dir(version: str, build: Path | None = None) -> Path:
    return (build or paths.build_dir()) / f"unix-{version}"


def build_unix_port(tree: Path, version: str, jobs: int = 2, build: Path | None = None) -> Path:
    """``build/unix-<version>/micropython`` (make is incremental); a BuildError with make's
    tail when it fails."""
    port = tree / "ports" / "unix"
    if not (port / "Makefile").is_file():
        raise SetupError(f"{tree} has no ports/unix/Makefile; re-create it with "
                         "`invoke sources --fresh`")
    out = unix_build_dir(version, build)
    binary = out / "micropython"
    argv = ["make", "-C", str(port), f"-j{max(1, jobs)}", f"BUILD={out}",
            *MAKE_FLAGS]
    with progress.step(f"unix port of MicroPython {version} (reference for run-perfbench.py)"):
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if result.returncode != 0 or not binary.is_file():
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise BuildError(f"building the unix port failed ({' '.join(argv)}):\n{tail}")
    return binary
