"""Build qemu-system-xtensa (with our esp8266 machine) from the pinned, patched QEMU tree.

Layout: tree build/src/qemu-10.0.13 (sources.prepare_tree: pristine + qemu/ overlay + series),
build directory build/qemu/, binary build/qemu/qemu-system-xtensa. Meson comes from a venv in
the cache (Debian 12's meson is too old). Rebuilds are incremental (ninja, ccache); a lock
serializes concurrent builds of the same build directory.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from harness import progress
from harness.build import sources
from harness.build.pins import load_pins, select_version
from harness.errors import BuildError
from harness.paths import built_qemu_binary, cache_dir, qemu_build_dir

# Only the xtensa system emulator, no optional features but user-mode networking (slirp).
CONFIGURE_FLAGS = [
    "--disable-download",
    "--target-list=xtensa-softmmu",
    "--without-default-features",
    "--enable-slirp",
    "--disable-install-blobs",
]
# QEMU's configure checks these in its own venv; offline it must find them in ours.
BUILD_VENV_PACKAGES = ["meson==1.5.0", "pycotap==1.3.1"]
TARGET = "qemu-system-xtensa"


def build_venv(cache: Path) -> Path:
    """A venv with the Python packages QEMU's configure needs; returns its python."""
    venv = cache / "venv-qemu-build"
    python = venv / "bin" / "python3"
    stamp = venv / ".packages"
    wanted = " ".join(BUILD_VENV_PACKAGES)
    if python.exists() and stamp.is_file() and stamp.read_text() == wanted:
        return python
    with progress.step(f"venv for QEMU's build ({wanted})"):
        if not python.exists():
            _check(subprocess.run([sys.executable, "-m", "venv", str(venv)],
                                  capture_output=True, text=True),
                   "creating the build venv (is python3-venv installed? run `invoke setup`)")
        _check(subprocess.run([str(python), "-m", "pip", "install", "-q",
                               "--disable-pip-version-check", *BUILD_VENV_PACKAGES],
                              capture_output=True, text=True),
               f"pip install {wanted} into {venv}")
        stamp.write_text(wanted)
    return python


def _check(result: subprocess.CompletedProcess[str], what: str) -> None:
    if result.returncode != 0:
        tail = (result.stdout + result.stderr).strip()[-2000:]
        raise BuildError(f"{what} failed:\n{tail}")


@contextmanager
def build_lock(build: Path) -> Iterator[None]:
    build.parent.mkdir(parents=True, exist_ok=True)
    with open(build.parent / f".{build.name}.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            progress.say(f"    waiting for another build of {build} to finish ...")
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def configure_args(tree: Path, python: Path, cc: str) -> list[str]:
    return [str(tree / "configure"), f"--python={python}", *CONFIGURE_FLAGS, f"--cc={cc}"]


def compiler() -> str:
    return "ccache gcc" if shutil.which("ccache") else "gcc"


def configure(tree: Path, build: Path, python: Path) -> None:
    """(Re)configure when the build dir is new or was configured differently."""
    args = configure_args(tree, python, compiler())
    record = build / ".esp8266-configure"
    wanted = "\n".join(args) + "\n"
    if (build / "build.ninja").is_file() and record.is_file() and record.read_text() == wanted:
        return
    if build.exists():
        shutil.rmtree(build)
    build.mkdir(parents=True)
    with progress.step("configure QEMU (xtensa-softmmu)"):
        result = subprocess.run(args, cwd=build, capture_output=True, text=True)
        (build / "configure.log").write_text(result.stdout + result.stderr)
        if result.returncode != 0:
            tail = (result.stdout + result.stderr).strip()[-2500:]
            raise BuildError(
                f"QEMU's configure failed (full log: {build / 'configure.log'}):\n{tail}\n"
                "Missing libraries usually mean `invoke setup` has not run."
            )
    record.write_text(wanted)


_NINJA_PROGRESS = re.compile(r"^\[(\d+)/(\d+)\]\s*(.*)")


def ninja(build: Path, jobs: int) -> None:
    log_path = build / "ninja.log.txt"
    cmd = ["ninja", "-C", str(build), f"-j{jobs}", TARGET]
    tail: list[str] = []
    counter: progress.Counter | None = None
    with progress.step(f"compile {TARGET} (ninja -j{jobs})"), log_path.open("w") as log:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            m = _NINJA_PROGRESS.match(line)
            if m:
                done, total = int(m.group(1)), int(m.group(2))
                if counter is None or counter.total != total:
                    counter = progress.Counter("compile", total)
                counter.update(done, m.group(3).split(" ")[-1])
            else:
                tail = (tail + [line.rstrip()])[-80:]
        code = proc.wait()
        if counter:
            counter.finish()
    if code != 0:
        errors = "\n".join(tail)
        raise BuildError(
            f"compiling QEMU failed (full log: {log_path}):\n{errors}\n"
            "If the error is in our files (qemu/...), fix them and run `invoke qemu` again."
        )


def build_qemu(jobs: int | None = None, origin: str | None = None, fresh: bool = False,
               cache: Path | None = None, build_root: Path | None = None,
               version: str | None = None) -> Path:
    """Fetch + patch the QEMU source, configure once, compile incrementally; returns the binary.
    ``version``: another pinned QEMU (e.g. "10.2", sources.toml's variants of [qemu]), built
    into build/qemu-<X.Y.Z>/ next to the default one in build/qemu/."""
    start = time.monotonic()
    cache = cache or cache_dir()
    jobs = jobs or os.cpu_count() or 2
    pins = load_pins()
    name = select_version("qemu", version, pins)
    other = pins[name].version if name != "qemu" else None
    build = qemu_build_dir(build_root, other)
    with build_lock(build):
        tree = sources.prepare([name], origin=origin, fresh=fresh, cache=cache,
                               build_src=build.parent / "src")[name]
        python = build_venv(cache)
        configure(tree, build, python)
        ninja(build, jobs)
    binary = built_qemu_binary(build_root, other)
    if not binary.is_file():
        raise BuildError(f"ninja finished but {binary} is missing; see {build / 'ninja.log.txt'}")
    progress.summary("invoke qemu", {"emulator": binary}, time.monotonic() - start)
    return binary
