"""Build and run the esp8266 machine's qtests (QEMU's own libqtest framework).

The qtests are our C files ``qemu/tests/qtest/esp8266-<device>-test.c``; patch 0006 lists them
as ``qtests_xtensa`` in QEMU's ``tests/qtest/meson.build``, so they build in the emulator's build
directory (``build/qemu``) with ``ninja tests/qtest/esp8266-<device>-test``. Each binary speaks
TAP (``--tap``) and starts the emulator named by ``QTEST_QEMU_BINARY`` once per test case.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from harness.build import sources
from harness.build.qemu import build_lock
from harness.errors import BuildError
from harness.paths import REPO_ROOT, qemu_build_dir

QTEST_DIR = REPO_ROOT / "qemu" / "tests" / "qtest"
TAP_LINE = re.compile(r"^(not ok|ok)\s+(\d+)\s*(?:-\s*)?(.*?)(\s+#\s*(SKIP|TODO).*)?$")


def qtest_names(qtest_dir: Path = QTEST_DIR) -> list[str]:
    """Our qtests, e.g. ``esp8266-uart-test``, from the C files in ``qemu/tests/qtest``."""
    return sorted(p.stem for p in qtest_dir.glob("esp8266-*-test.c"))


def build_qtests(names: list[str], jobs: int = 2, build: Path | None = None) -> dict[str, Path]:
    """Bring the QEMU tree up to date and build the qtest binaries; returns name -> binary."""
    build = build or qemu_build_dir()
    if not (build / "build.ninja").is_file():
        raise BuildError(f"{build} is not a configured QEMU build: run `invoke qemu` first")
    with build_lock(build):
        sources.prepare(["qemu"], build_src=build.parent / "src")
        targets = [f"tests/qtest/{name}" for name in names]
        result = subprocess.run(["ninja", "-C", str(build), f"-j{jobs}", *targets],
                                capture_output=True, text=True)
    if result.returncode != 0:
        lines = (result.stdout + result.stderr).splitlines()
        errors = [ln for ln in lines if re.search(r"error|undefined|FAILED", ln)]
        tail = "\n".join((errors or lines)[-40:])
        raise BuildError(f"building the qtests failed:\n{tail}\n"
                         "Fix qemu/tests/qtest/*.c (or the machine) and run the tests again.")
    return {name: build / "tests" / "qtest" / name for name in names}


@dataclass
class TapResult:
    """One qtest binary's run: its TAP verdicts and its whole output."""

    returncode: int
    output: str
    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def parse_tap(returncode: int, output: str) -> TapResult:
    result = TapResult(returncode, output)
    for line in output.splitlines():
        m = TAP_LINE.match(line.strip())
        if not m:
            continue
        name = m.group(3) or m.group(2)
        if m.group(5) == "SKIP":
            result.skipped.append(name)
        elif m.group(1) == "ok":
            result.passed.append(name)
        else:
            result.failed.append(name)
    return result


def run_qtest(binary: Path, qemu: Path, timeout: float = 120.0) -> TapResult:
    """Run one qtest binary against ``qemu``; its TAP output parsed."""
    env = dict(os.environ, QTEST_QEMU_BINARY=str(qemu))
    try:
        proc = subprocess.run([str(binary), "--tap", "-k"], env=env, capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) \
            else (exc.stdout or "")
        return TapResult(-1, out + f"\n{binary.name}: timed out after {timeout:.0f} s")
    return parse_tap(proc.returncode, proc.stdout + proc.stderr)
