"""``invoke perfbench``: MicroPython's own ``tests/run-perfbench.py`` (the pinned tree's,
unmodified) on an emulated board, with the tree's unix port as the reference.

The board is served as for ``invoke test-upstream`` (``harness.cli.serve.Server``, UART0 on a
pty) and run-perfbench.py reaches it with ``-p -d <pty>``, on the icount clock by default: its
timings are then guest time at about an lx106's pace (docs/timing.md), not the host's. The
same benchmarks then run on the unix port built from the same tree
(``harness.build.unix_port``), and each result gets the board/unix time ratio. Results go to
``build/reports/bench-upstream.json`` in ``invoke bench``'s format (``bench.report``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from harness import paths, progress
from harness.errors import SetupError, TestsFailed

# run-perfbench.py's own suggestion for the esp8266: "N, M = 50, 25" (N: about the CPU's MHz,
# M: about the heap's KiB; with M <= 25 it leaves out the three scripts too big to compile).
DEFAULT_N, DEFAULT_M = 50, 25
_RESULT = re.compile(r"^(perf_bench/\S+\.py): (.*)$")


@dataclass(frozen=True)
class PerfOptions:
    micropython: str | None = None
    firmware: Path | None = None
    qemu_binary: Path | None = None
    clock: str = "icount"
    average: int = 3  # run-perfbench.py -a
    n: int = DEFAULT_N
    m: int = DEFAULT_M
    files: tuple[str, ...] = ()  # perf_bench/NAME.py; empty: all
    reference: bool = True  # also on the unix port of the same tree
    timeout: float = 1800.0


@dataclass(frozen=True)
class Bench:
    name: str  # perf_bench/bm_chaos.py
    time_us: float = -1.0
    time_sd: float = 0.0  # percent
    score: float = 0.0
    score_sd: float = 0.0  # percent
    error: str = ""  # SKIP, CRASH ..., FAIL truth ...


def parse_perfbench(text: str) -> dict[str, Bench]:
    """run-perfbench.py's result lines: ``NAME: time sd% score sd%`` or ``NAME: SKIP|CRASH|
    FAIL ...``."""
    out: dict[str, Bench] = {}
    for line in text.splitlines():
        match = _RESULT.match(line.strip())
        if not match:
            continue
        name, rest = match.groups()
        fields = rest.split()
        try:
            values = [float(v) for v in fields]
        except ValueError:
            values = []
        if len(values) == 4:
            out[name] = Bench(name, *values)
        else:
            out[name] = Bench(name, error=rest.strip() or "no result")
    return out


def _run_perfbench(argv: list[str], tests: Path, env: dict[str, str], timeout: float,
                   log: Path) -> str:
    try:
        result = subprocess.run(argv, cwd=tests, env=env, capture_output=True, text=True,
                                timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise TestsFailed(f"run-perfbench.py did not finish in {timeout:.0f} s", 1) from exc
    text = result.stdout + result.stderr
    log.write_text("$ " + " ".join(argv) + "\n" + text)
    if not parse_perfbench(text):
        raise TestsFailed(f"run-perfbench.py gave no result (exit {result.returncode}); "
                          f"see {log}", 1)
    return text


def run(options: PerfOptions) -> Path:
    """Board (and unix) runs, the table, bench-upstream.json; returns the JSON's path."""
    from harness.build.artifacts import FirmwareArtifacts
    from harness.build.unix_port import build_unix_port
    from harness.build.versions import firmware_dir
    from harness.cli.bench import Result, report
    from harness.cli.serve import ServeOptions, Server
    from harness.cli.targets import check_clock
    from harness.cli.upstream import locate_tree
    from harness.emulator.service import HARNESS_BAUD

    check_clock(options.clock)
    if options.average < 1:
        raise SetupError("--average must be at least 1")
    tree = locate_tree(options.micropython)
    if not (tree.tests / "run-perfbench.py").is_file():
        raise SetupError(f"{tree.tests} has no run-perfbench.py")
    firmware = FirmwareArtifacts.locate(options.firmware or firmware_dir(tree.version))
    firmware.require_flash_image()
    out = paths.reports_dir() / "upstream"
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "MICROPY_MPYCROSS": str(tree.mpy_cross)}
    common = ["-a", str(options.average), "--mpy-cross-flags=-march=xtensa",
              str(options.n), str(options.m), *options.files]
    unix = None
    if options.reference:
        binary = build_unix_port(tree.root, tree.version)
        progress.say(f"==> run-perfbench.py on the unix port of {tree.version} (N={options.n} "
                     f"M={options.m})")
        unix_env = {**env, "MICROPY_MICROPYTHON": str(binary)}
        unix_text = _run_perfbench([sys.executable, "run-perfbench.py", *common], tree.tests,
                                   unix_env, options.timeout,
                                   out / f"perfbench-{tree.version}-unix.log")
        unix = parse_perfbench(unix_text)
    progress.say(f"==> run-perfbench.py on the board, MicroPython {tree.version}, "
                 f"{options.clock} clock (N={options.n} M={options.m})")
    serve = ServeOptions(boards=1, firmware=firmware.directory, qemu_binary=options.qemu_binary,
                         forwards=(), fresh=True, uart_baud=HARNESS_BAUD,
                         root=paths.build_dir() / "run" / "perfbench", clock=options.clock)
    with Server(serve) as boards:
        board_text = _run_perfbench(
            [sys.executable, "run-perfbench.py", "-p", "-d", boards[0].pty, *common],
            tree.tests, env, options.timeout, out / f"perfbench-{tree.version}-board.log")
    board = parse_perfbench(board_text)
    results = []
    for name, b in sorted(board.items()):
        short = name.rsplit("/", 1)[-1].removesuffix(".py")
        if b.error:
            results.append(Result(f"perfbench {short}", "us", [0.0], note=b.error))
            continue
        extra = {"time_sd_percent": b.time_sd, "score": b.score, "score_sd_percent": b.score_sd}
        note = f"score {b.score:.1f}"
        ref = unix.get(name) if unix else None
        if ref is not None and not ref.error and ref.time_us > 0:
            extra |= {"unix_us": ref.time_us, "board_over_unix": b.time_us / ref.time_us}
            note += f"; {b.time_us / ref.time_us:.1f}x the unix port's time"
        results.append(Result(f"perfbench {short}", "us", [b.time_us], note=note, extra=extra))
    for r in results:
        r.target = f"qemu {options.clock}, MicroPython {tree.version}"
    return report(results, out.parent / "bench-upstream.json")
