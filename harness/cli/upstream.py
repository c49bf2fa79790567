"""``invoke test-upstream``: MicroPython's own ``tests/run-tests.py``, from the pinned tree the
firmware was built from and unmodified, against emulated boards.

Each board is served like ``invoke serve`` serves it (``harness.cli.serve.Server``: UART0 as a
pty, a fresh flash, ``unittest`` put into ``/lib``) and gets its own run-tests.py process with
``-t port:<pty>``: run-tests.py talks to the board through its own ``pyboard.py`` exactly as to a
real board on a serial port. ``--jobs N`` splits the test list over N boards (every N-th test,
so slow directories spread out) and merges their results; ``--dirs``, ``--include`` and
``--exclude`` choose tests (run-tests.py's ``-d``, ``-i``, ``-e``); ``--via-mpy`` and
``--emit native`` are run-tests.py's variants (mpy-cross from the same tree, built by
``invoke build``). Results are judged against ``tests/upstream/expected-failures.toml``
(``harness.cli.upstream_report``); JUnit XML, the summary table and each shard's log go to
``build/reports/upstream/<version>-<variant>/``. docs/upstream-tests.md.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from harness import paths, process_group, progress
from harness.cli import upstream_report as report
from harness.cli.upstream_reference import reference_was_wrong, result_base
from harness.errors import SetupError, TestsFailed

if TYPE_CHECKING:
    from harness.cli.serve import ServedBoard

EXPECTED_FILE = paths.REPO_ROOT / "tests" / "upstream" / "expected-failures.toml"
# What run-tests.py runs on platform "esp8266" when given no directory (1.25 and 1.26):
# basics, micropython, misc, extmod, float, and inlineasm/<arch> where the tree has it.
DEFAULT_DIRS = ("basics", "micropython", "misc", "extmod", "float", "inlineasm/xtensa")
UNITTEST_ON_BOARD = "/lib/unittest.mpy"
SHARD_TIMEOUT = 1800.0  # seconds for one board's whole share; a hung board fails, not stalls
# run-tests.py printed nothing for this long: its board stopped answering (pyboard.py then
# waits forever in a blocking read). Tests time out after 10 s (1.25) or 30 s (1.26).
IDLE_TIMEOUT = 120.0


@dataclass(frozen=True)
class UpstreamOptions:
    jobs: int = 1
    dirs: tuple[str, ...] = ()  # empty: DEFAULT_DIRS
    include: tuple[str, ...] = ()  # run-tests.py -i REGEX
    exclude: tuple[str, ...] = ()  # run-tests.py -e REGEX
    via_mpy: bool = False
    emit: str = "bytecode"  # or "native" (goes through .mpy, as run-tests.py requires)
    micropython: str | None = None  # a pinned version (prefix); None: the default
    firmware: Path | None = None  # default: build/firmware-<version>/
    qemu_binary: Path | None = None
    expected_file: Path = EXPECTED_FILE
    shard_timeout: float = SHARD_TIMEOUT
    test_timeout: float = 0  # MICROPY_TEST_TIMEOUT for run-tests.py >= 1.26 (0: its default)
    # the boards' guest clock (docs/timing.md): realtime, icount, or auto (TIMING_TESTS on
    # icount boards, the rest on realtime ones)
    clock: str = "auto"

    @property
    def variant(self) -> str:
        if self.emit == "native":
            return "native"
        return "via-mpy" if self.via_mpy else "bytecode"

    def run_tests_flags(self) -> list[str]:
        flags = []
        if self.via_mpy or self.emit == "native":
            flags.append("--via-mpy")
        if self.emit != "bytecode":
            flags += ["--emit", self.emit]
        return flags


@dataclass(frozen=True)
class Tree:
    version: str
    root: Path  # build/src/micropython-<version>

    @property
    def tests(self) -> Path:
        return self.root / "tests"

    @property
    def mpy_cross(self) -> Path:
        return self.root / "mpy-cross" / "build" / "mpy-cross"


def _built_unpinned_tree(micropython: str) -> Tree | None:
    """A tree of a version that is not pinned but was built here from a local or git tree
    (``ESP8266_QEMU_MICROPYTHON_DIR=... invoke build``: build/src/micropython-1.28.0)."""
    found = sorted(paths.src_dir().glob(f"micropython-{micropython}*"))
    exact = [p for p in found if p.name == f"micropython-{micropython}"]
    if len(exact) == 1 or len(found) == 1:
        root = (exact or found)[0]
        return Tree(root.name.removeprefix("micropython-"), root)
    return None


def locate_tree(micropython: str | None) -> Tree:
    """The pinned tree of that version, or the tree of another version built here; a
    SetupError when it or its run-tests.py is missing."""
    from harness.build.versions import micropython_pin
    from harness.errors import SourceError

    try:
        pin = micropython_pin(micropython)
    except SourceError:
        tree = _built_unpinned_tree(micropython) if micropython else None
        if tree is None:
            raise
        return tree
    root = paths.src_dir() / pin.tree
    version_flag = f" --micropython {pin.version}" if micropython else ""
    if not root.is_dir():
        raise SetupError(f"no MicroPython tree at {root}; run `invoke sources{version_flag}` "
                         f"and `invoke build{version_flag}`")
    if not (root / "tests" / "run-tests.py").is_file():
        raise SetupError(f"{root} has no tests/run-tests.py: the tree is incomplete; re-create "
                         f"it with `invoke sources --fresh{version_flag}`")
    return Tree(pin.version, root)


def select_tests(tests_dir: Path, dirs: tuple[str, ...], include: tuple[str, ...] = (),
                 exclude: tuple[str, ...] = ()) -> list[str]:
    """The test files (paths under tests/) run-tests.py would run for these directories and
    filters. Filters follow run-tests.py: applied in order, the last matching one decides, and
    a test no filter matches gets the opposite of the first filter's action. (run-tests.py is
    given the same filters, so it has the last word.)"""
    chosen = dirs or tuple(d for d in DEFAULT_DIRS if (tests_dir / d).is_dir())
    missing = [d for d in chosen if not (tests_dir / d).is_dir()]
    if missing:
        known = sorted(p.name for p in tests_dir.iterdir() if p.is_dir())
        raise SetupError(f"no test directory {', '.join(missing)} in {tests_dir}; "
                         f"directories there: {', '.join(known)}")
    filters = [("include", re.compile(p)) for p in include] + \
        [("exclude", re.compile(p)) for p in exclude]
    tests = sorted(str(p.relative_to(tests_dir)) for d in chosen
                   for p in (tests_dir / d).glob("*.py"))
    if not filters:
        return tests
    default = "include" if filters[0][0] == "exclude" else "exclude"
    out = []
    for test in tests:
        verdict = default
        for action, pattern in filters:
            if pattern.search(test):
                verdict = action
        if verdict == "include":
            out.append(test)
    return out


# Tests whose expected output depends on the chip's timing (sleeps tens of ms apart, a PWM
# timed by time_pulse_us, an SPI transfer rate): with --clock auto they run on icount boards,
# where guest time follows executed instructions and a host stall cannot reorder them. On the
# realtime clock asyncio_fair, asyncio_cancel_task and asyncio_gather_notimpl failed now and
# then under load, machine_spi_rate twice, and extmod_hardware/machine_pwm.py always (edge
# latency ~60 us against its 50 us margin); on icount each passed every run.
TIMING_TESTS = re.compile(r"^(extmod/asyncio_|extmod/machine_spi_rate\.py|extmod_hardware/)")


def clock_groups(tests: list[str], clock: str) -> list[tuple[str, list[str]]]:
    """(clock, tests) to run: everything on ``clock``, or with ``auto`` the timing tests on
    icount and the rest on realtime (empty groups left out)."""
    if clock != "auto":
        return [(clock, tests)]
    timing = [t for t in tests if TIMING_TESTS.match(t)]
    rest = [t for t in tests if not TIMING_TESTS.match(t)]
    return [(c, group) for c, group in (("realtime", rest), ("icount", timing)) if group]


# The wiring files run-tests.py chooses for our board (tests/target_wiring/README.md: an exact
# match to sys.implementation._build first, then the port's file).
TARGET_WIRING_FILES = ("ESP8266_QEMU.py", "esp8266.py")
# Variables of a target wiring script that name pin pairs to be wired together.
_WIRED_PAIRS = ("pwm_loopback_pins",)


def target_wiring_wires(tests_dir: Path) -> str:
    """The pad wires (the GPIO model's "wires", e.g. "4-5") that the tree's target wiring
    script asks of an esp8266 board (MicroPython after 1.26: pwm_loopback_pins = [(4, 5)]:
    GPIO4 to GPIO5), or "" for a tree without one."""
    import ast

    for name in TARGET_WIRING_FILES:
        script = tests_dir / "target_wiring" / name
        if script.is_file():
            break
    else:
        return ""
    wires = []
    for node in ast.parse(script.read_text()).body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id in _WIRED_PAIRS for t in node.targets):
            for a, b in ast.literal_eval(node.value):
                wires.append(f"{int(a)}-{int(b)}")
    return ",".join(wires)


def shard(tests: list[str], jobs: int) -> list[list[str]]:
    """Every ``jobs``-th test to each board (neighbouring tests cost alike, so shares even out);
    no empty shards."""
    jobs = max(1, min(jobs, len(tests)))
    return [tests[i::jobs] for i in range(jobs)]


class _Shard:
    """One run-tests.py process against one board; its output, time-stamped, into a log."""

    def __init__(self, index: int, tests: list[str], argv: list[str], cwd: Path,
                 log: Path, env: dict[str, str], expected: dict[str, report.Expected]) -> None:
        self.index = index
        self.expected = expected
        self.tests = tests
        self.lines: list[tuple[float, str]] = []
        self.log = log
        self.started = time.monotonic()
        self.process = process_group.spawn(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.reader = threading.Thread(target=self._read, daemon=True,
                                       name=f"run-tests-{index}")
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        with self.log.open("w") as log:
            log.write("$ " + " ".join(self.process.args[:8]) + " ... "  # type: ignore[index]
                      f"({len(self.tests)} test files)\n")
            for raw in iter(self.process.stdout.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                self.lines.append((time.monotonic(), line))
                log.write(line + "\n")
                log.flush()
                if line.startswith("FAIL "):
                    entry = self.expected.get(line.split()[1])
                    note = f"  (expected: {entry.klass})" if entry else ""
                    print(f"  board {self.index}: {line.rstrip()}{note}", flush=True)

    def stop(self, why: str) -> str:
        process_group.kill_group(self.process)
        self.reader.join(timeout=10)
        return why


def _wait_all(shards: list[_Shard], boards: list[ServedBoard], deadline: float,
              idle_timeout: float = IDLE_TIMEOUT) -> dict[int, str]:
    """Wait for every run-tests.py; each gets '' when it ended by itself, else why it was
    stopped: the deadline passed, its board's QEMU exited (every later test would only time
    out), or it printed nothing for ``idle_timeout`` s (its board hangs)."""
    stopped: dict[int, str] = {}
    while len(stopped) < len(shards):
        for s, served in zip(shards, boards, strict=True):
            if s.index in stopped:
                continue
            if s.process.poll() is not None:
                s.reader.join(timeout=10)
                stopped[s.index] = ""
                continue
            qemu = served.service.process
            if qemu is None or qemu.poll() is not None:
                stopped[s.index] = s.stop(f"was stopped: QEMU exited (see "
                                          f"{served.service.qemu_log})")
            elif time.monotonic() > deadline:
                stopped[s.index] = s.stop("timed out")
            elif time.monotonic() - (s.lines[-1][0] if s.lines else s.started) > idle_timeout:
                last = s.lines[-1][1] if s.lines else "(nothing)"
                stopped[s.index] = s.stop(f"printed nothing for {idle_timeout:.0f} s after "
                                          f"{last!r}: its board stopped answering (UART log "
                                          f"{served.service.uart0_log})")
        time.sleep(0.2)
    return stopped


def _failure_output(result_dir: Path, test: str) -> str:
    """A failed test's expected and actual output as run-tests.py saved them."""
    base = result_base(result_dir, test)
    parts = []
    for suffix, label in ((".exp", "expected"), (".out", "board printed")):
        path = Path(str(base) + suffix)
        if path.is_file():
            text = path.read_bytes().decode("utf-8", "replace")
            parts.append(f"--- {label} ---\n{text[-4000:]}")
    return "\n".join(parts)


def judged_result(r: report.TestResult, tests_dir: Path, result_dir: Path,
                  env: dict[str, str]) -> report.TestResult:
    """A result with its failure output; a failure whose CPython reference was wrong (a re-run
    prints what the board printed: upstream_reference.py) counts as a pass, said aloud."""
    if r.outcome != "fail":
        return r
    if reference_was_wrong(tests_dir, result_dir, r.test, env):
        progress.say(f"  {r.test}: CPython's reference printed other lines during the run "
                     "(host load); a re-run prints what the board printed: passed")
        return report.TestResult(r.test, "pass", "(CPython reference re-run)", r.seconds)
    return report.TestResult(r.test, r.outcome, r.detail, r.seconds,
                             _failure_output(result_dir, r.test))


def run(options: UpstreamOptions) -> report.RunReport:
    """Run, write the reports, print the summary; TestsFailed when anything is not as
    expected (the message lists what)."""
    from harness.build.artifacts import FirmwareArtifacts
    from harness.build.board_libs import compile_mpy, unittest_module
    from harness.build.versions import firmware_dir
    from harness.cli.serve import ServeOptions, Server
    from harness.emulator.service import HARNESS_BAUD

    if options.emit not in ("bytecode", "native"):
        raise SetupError(f"--emit {options.emit!r}: use bytecode or native")
    if options.jobs < 1:
        raise SetupError("--jobs must be at least 1")
    from harness.cli.targets import check_clock

    if options.clock != "auto":
        check_clock(options.clock)
    tree = locate_tree(options.micropython)
    firmware = FirmwareArtifacts.locate(options.firmware or firmware_dir(tree.version))
    firmware.require_flash_image()  # a clear "run invoke build" before anything starts
    if not tree.mpy_cross.is_file():  # for unittest.mpy, --via-mpy and --emit native
        raise SetupError(f"no mpy-cross of the same tree at {tree.mpy_cross}; "
                         f"`invoke build --micropython {tree.version}` builds it")
    expected = report.expected_for(report.load_expected(options.expected_file), tree.version,
                                   options.variant)
    tests = select_tests(tree.tests, options.dirs, options.include, options.exclude)
    if not tests:
        raise SetupError("no test matches the chosen directories and filters")
    groups = [(clock, shard(group, options.jobs)) for clock, group in
              clock_groups(tests, options.clock)]
    out = paths.reports_dir() / "upstream" / f"{tree.version}-{options.variant}"
    out.mkdir(parents=True, exist_ok=True)
    for stale in [*out.glob("shard*/*"), *out.glob("shard*.log")]:
        stale.unlink()  # a run replaces the previous run's reports of this version and variant
    unittest_mpy = compile_mpy(unittest_module(), tree.mpy_cross,
                               paths.build_dir() / "board-libs" / tree.version / "unittest.mpy")
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "MICROPY_MPYCROSS": str(tree.mpy_cross)}
    if options.test_timeout:
        env["MICROPY_TEST_TIMEOUT"] = str(options.test_timeout)
    filters = [x for p in options.include for x in ("-i", p)] + \
        [x for p in options.exclude for x in ("-e", p)]
    started = time.monotonic()
    shards: list[_Shard] = []
    stopped: dict[int, str] = {}
    for clock, shares in groups:
        progress.say(f"==> MicroPython {tree.version}'s tests/run-tests.py ({options.variant}): "
                     f"{sum(map(len, shares))} test files on {len(shares)} board(s), "
                     f"{clock} clock")
        serve = ServeOptions(boards=len(shares), firmware=firmware.directory,
                             qemu_binary=options.qemu_binary, forwards=(), fresh=True,
                             uart_baud=HARNESS_BAUD,
                             root=paths.build_dir() / "run" / "upstream" / clock,
                             files=((UNITTEST_ON_BOARD, unittest_mpy),), clock=clock,
                             gpio_wires=target_wiring_wires(tree.tests))
        first = len(shards)  # shard numbers go on across the clock groups
        with Server(serve) as boards:
            group = []
            for served, share in zip(boards, shares, strict=True):
                index = first + served.index
                argv = [sys.executable, "run-tests.py", "-t", f"port:{served.pty}",
                        "-r", str(out / f"shard{index}"), *options.run_tests_flags(),
                        *filters, *share]
                group.append(_Shard(index, share, argv, tree.tests, out / f"shard{index}.log",
                                    env, expected))
            deadline = time.monotonic() + options.shard_timeout
            stopped.update(_wait_all(group, boards, deadline))
            uart_logs = [(s.index, served.service.uart0_log)
                         for s, served in zip(group, boards, strict=True)]
        for index, uart_log in uart_logs:  # kept beside the shard's log (CI keeps reports/)
            if uart_log.is_file():
                shutil.copyfile(uart_log, out / f"shard{index}.uart0.log")
        shards += group
    parsed = {s.index: report.parse_output(s.lines) for s in shards}
    results = [[judged_result(r, tree.tests, out / f"shard{s.index}", env)
                for r in parsed[s.index]] for s in shards]
    merged = report.merge(results)
    verdicts = report.judge(merged, expected, assigned=tests if not filters else ())
    run_report = report.RunReport(tree.version, options.variant, verdicts,
                                  time.monotonic() - started, out)
    suite = f"upstream.{tree.version}.{options.variant}"
    (out / "junit.xml").write_text(report.junit_xml(verdicts, suite))
    summary = run_report.summary()
    (out / "summary.txt").write_text(summary + "\n")
    print(summary, flush=True)
    issues = run_report.problems()
    for s in shards:
        code = s.process.returncode
        tail = "\n    ".join(line for _, line in s.lines[-5:])
        if stopped[s.index]:
            issues.append(f"board {s.index}: run-tests.py {stopped[s.index]} (timeout "
                          f"{options.shard_timeout:.0f} s); log {s.log}")
        elif not report.exit_code_explained(code, parsed[s.index]):
            issues.append(f"board {s.index}: run-tests.py exited with {code}; its last "
                          f"lines:\n    {tail}\n  log: {s.log}")
    print(f"reports: {out}/ (junit.xml, summary.txt, shard*.log)", flush=True)
    table = report.counts(verdicts)["total"]
    # the plain closing line CI readers look for (expected failures count as skipped)
    print(f"upstream: {table['passed']} passed, "
          f"{table['failed'] + table['unexpected-pass'] + table['not-run']} failed, "
          f"{table['skipped'] + table['expected-fail']} skipped", flush=True)
    if issues:
        raise TestsFailed("MicroPython's own tests on the board are not as expected:\n  "
                          + "\n  ".join(issues), 1)
    return run_report
