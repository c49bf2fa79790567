"""What ``invoke test`` and ``invoke test-qemu`` run: pytest over the chosen suites with JUnit XML
in build/reports/, then the network tests once more in QEMU's user mode.

The main run uses the default network mode (tap when we may create TAPs); when it included
tests/board (and no ``-k``, ``--net`` or ``--netem`` narrowed it), the network tests run a
second time with ``--net user`` into ``junit-net-user.xml``, so both modes stay covered, and
(tap mode only) the transfer tests a third time on ``lossy`` links (``--netem lossy``: loss,
delay, duplicates, reordering; every byte still verified) into ``junit-net-lossy.xml``.
Then the machine suite runs on every other pinned QEMU (``junit-qemu-<version>.xml``; built
first into build/qemu-<version>/) and the board suite on every other pinned MicroPython
(``junit-micropython-<version>.xml``; built first into build/firmware-<version>/), so one
``invoke test`` covers every version sources.toml pins. ``--micropython V`` runs the chosen
suites on that version only. Last, MicroPython's own tests (``harness.cli.upstream``,
``build/reports/upstream/``) on two boards: bytecode on every pinned version, and the native
emitter on the newest one (``UPSTREAM_STAGE``), then (tap mode) ``run-multitests.py``'s
multi_net on two boards per version (``harness.cli.multitests``): about 6 minutes on 2 cores.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from harness import paths
from harness.errors import SetupError, TestsFailed
from harness.process_group import death_signal_preexec
from harness.signals import Interrupted, forward_signals

SUITES = ("host", "machine", "board")
NO_TESTS_COLLECTED = 5  # pytest's exit status when a selection is empty
# MicroPython's own tests after the board suites, on at least two boards: bytecode on every
# pinned version (each firmware), and the native emitter (mpy-cross's xtensa code run from IRAM;
# it goes through .mpy, so via-mpy is left to `invoke test-upstream --via-mpy`) on the newest
# one: 1.25.0's emitter mis-encodes long branches and crashes the board on four tests (listed
# as upstream-bug), which once left a board hanging. docs/upstream-tests.md.
# `invoke test`'s default workers: measured on 2 cores, the board suite took 412 s with one,
# 215 s with two and 172 s with four, but four lost two tests to overload (docs/harness.md
# "Parallel runs"). Two, or one on a single core.
MAX_DEFAULT_JOBS = 2


def default_jobs() -> int:
    """pytest-xdist workers when ``--jobs`` is not given: ``MAX_DEFAULT_JOBS``, at most one
    per CPU this process may use."""
    return max(1, min(MAX_DEFAULT_JOBS, len(os.sched_getaffinity(0))))


UPSTREAM_STAGE = ("bytecode", "native")
UPSTREAM_JOBS = 2
# The transfer tests that run once more on lossy links (stream, accept, callbacks, dupterm,
# WebREPL, load): each checks every byte it moved.
LOSSY_TESTS = ("tests/board/test_net_stream.py", "tests/board/test_net_callbacks.py",
               "tests/board/test_net_dupterm.py", "tests/board/test_webrepl.py",
               "tests/board/test_net_load.py")


def run_pytest(args: Sequence[str], junit_name: str) -> int:
    """pytest with ``args`` in the repository, JUnit XML into build/reports/; its exit status.

    pytest runs in its own process group (same session, so it still writes to the terminal).
    SIGINT, SIGTERM and SIGHUP to this process go to that group once: pytest (and its xdist
    workers) tear down and write the JUnit XML, then ``Interrupted`` names the signal. If this
    process is SIGKILLed, pytest gets SIGTERM (its parent-death signal) and tears down too.
    """
    reports = paths.reports_dir()
    reports.mkdir(parents=True, exist_ok=True)
    junit = reports / junit_name
    cmd = [sys.executable, "-m", "pytest", f"--junitxml={junit}", *args]
    print("==> " + " ".join(cmd), flush=True)
    proc = subprocess.Popen(cmd, cwd=paths.REPO_ROOT,
                            preexec_fn=death_signal_preexec(signal.SIGTERM, own_group=True))
    with forward_signals(proc.pid) as received:
        while True:
            try:
                code = proc.wait()
                break
            except KeyboardInterrupt:  # a signal that slipped in before the handlers
                continue
    if received:
        raise Interrupted(received[0], f" (pytest exit {code}; JUnit XML: {junit})")
    return code


def suite_dirs(suites: Sequence[str] | None) -> list[str]:
    """tests/<suite> for each chosen suite (default: all) that holds tests."""
    chosen = list(suites or SUITES)
    unknown = set(chosen) - set(SUITES)
    if unknown:
        raise SetupError(f"unknown suite(s): {', '.join(sorted(unknown))}; use "
                         f"{', '.join(SUITES)}")
    dirs = [f"tests/{s}" for s in chosen if any((paths.REPO_ROOT / "tests" / s).glob("test_*.py"))]
    if not dirs:
        raise SetupError("no tests found in " + ", ".join(f"tests/{s}" for s in chosen))
    return dirs


PYTEST_EXITS = {1: "some tests failed", 2: "pytest was interrupted", 3: "pytest's internal error",
                4: "pytest usage error (see above)", 5: "no tests selected (check -k / the suite)"}


def describe_exit(code: int) -> str:
    """pytest's exit status in words; a negative one is the signal that killed it."""
    if code < 0:
        try:
            return f"pytest was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"pytest was killed by signal {-code}"
    return f"{PYTEST_EXITS.get(code, 'tests failed')} (pytest exit {code})"


def run_suites(suites: Sequence[str] | None = None, k: str = "", pytest_args: str = "",
               jobs: int = 0, micropython: str | None = None, netem: str = "",
               clock: str = "", record: bool = False) -> None:
    """``invoke test``: the suites, then the network tests in user mode and on lossy links, then
    the board suite on every other pinned MicroPython version (see the module doc).
    ``micropython``: run the chosen suites on that version's firmware only (built first).
    ``clock``: every board on that guest clock (default: the plugin's per-test choice).
    ``record``: record the boards, keep replays of failing tests; the main run only.
    ``jobs``: pytest-xdist workers, 0 for ``default_jobs()``."""
    dirs = suite_dirs(suites)
    jobs = jobs or default_jobs()
    parallel = ["-n", str(jobs)] if jobs > 1 else []
    extra = pytest_args.split()
    if clock:  # else the plugin's auto: icount for the tests marked icount
        from harness.cli.targets import check_clock

        extra += ["--clock", check_clock(clock)]
    if record:
        extra.append("--record")
    if micropython:
        extra += ["--firmware", str(_built_firmware(micropython))]
    faults = ["--netem", netem] if netem else []
    code = run_pytest([*dirs, *(["-k", k] if k else []), *parallel, *faults, *extra],
                      "junit.xml")
    _check(code, "tests", "junit.xml")
    if not k and not netem and not record:
        _other_versions(dirs, parallel, extra, micropython, pytest_args)
        if "tests/board" in dirs and "--firmware" not in pytest_args and \
                "--qemu-binary" not in pytest_args:
            run_upstream_stage(micropython, jobs)


def run_upstream_stage(micropython: str | None = None, jobs: int = 1) -> None:
    """MicroPython's own tests (``UPSTREAM_STAGE``) on every pinned version, or on
    ``micropython`` only; the firmware of each was built by the board suites before."""
    from harness.build.versions import pinned_versions
    from harness.cli.upstream import UpstreamOptions
    from harness.cli.upstream import run as run_upstream

    versions = [micropython] if micropython else pinned_versions()
    newest = max(versions, key=lambda v: tuple(int(x) for x in v.split(".") if x.isdigit()))
    for version in versions:
        for variant in UPSTREAM_STAGE:
            if variant == "native" and version != newest:
                continue
            run_upstream(UpstreamOptions(jobs=max(jobs, UPSTREAM_JOBS), micropython=version,
                                         emit="native" if variant == "native" else "bytecode"))
    from harness.network.service import default_mode

    if default_mode() != "tap":  # two boards on one network need tap mode
        print("==> multitests left out: they need tap mode (root or CAP_NET_ADMIN)", flush=True)
        return
    from harness.cli.multitests import MultiOptions
    from harness.cli.multitests import run as run_multitests

    for version in versions:
        run_multitests(MultiOptions(micropython=version))


def _other_versions(dirs: list[str], parallel: list[str], extra: list[str],
                    micropython: str | None, pytest_args: str) -> None:
    """After the main run: the network tests in user mode and on lossy links, the machine
    suite on every other pinned QEMU, the board suite on every other pinned MicroPython."""
    if "tests/machine" in dirs and "--qemu-binary" not in pytest_args:
        from harness.build.pins import load_pins
        from harness.build.qemu import build_qemu

        for pin in load_pins().values():
            if pin.variant_of != "qemu":
                continue
            print(f"==> QEMU {pin.version}", flush=True)
            binary = build_qemu(version=pin.version)
            junit = f"junit-qemu-{pin.version}.xml"
            code = run_pytest(["tests/machine", *parallel, *extra, "--qemu-binary", str(binary)],
                              junit)
            _check(code, f"machine tests on QEMU {pin.version}", junit)
    if "tests/board" not in dirs or "--net" in pytest_args:
        return
    code = run_pytest(["tests/board", "-m", "needs_net", "--net", "user", *parallel, *extra],
                      "junit-net-user.xml")
    _check(code, "network tests in user mode", "junit-net-user.xml")
    from harness.network.service import default_mode

    if default_mode() == "tap":  # faults need tap mode; the main run's header said why not
        code = run_pytest([*LOSSY_TESTS, "-m", "needs_net", "--netem", "lossy", *parallel,
                           *extra], "junit-net-lossy.xml")
        _check(code, "network tests on lossy links", "junit-net-lossy.xml")
    if micropython or "--firmware" in pytest_args:
        return
    from harness.build.versions import pinned_versions

    for version in pinned_versions()[1:]:
        junit = f"junit-micropython-{version}.xml"
        firmware = _built_firmware(version)
        code = run_pytest(["tests/board", *parallel, *extra, "--firmware", str(firmware)], junit)
        _check(code, f"board tests on MicroPython {version}", junit)


def _check(code: int, what: str, junit: str) -> None:
    """A TestsFailed for a failed pytest run (no tests selected counts as a pass after the
    main run, whose selection the user made)."""
    if code == 0 or (code == NO_TESTS_COLLECTED and junit != "junit.xml"):
        return
    raise TestsFailed(f"{what}: {describe_exit(code)}; JUnit XML: build/reports/{junit}",
                      code if code > 0 else 128 - code)


def _built_firmware(micropython: str) -> Path:
    """The firmware directory of that MicroPython version, built (incrementally) first."""
    from harness.build.orchestrate import build_board

    print(f"==> firmware on MicroPython {micropython}", flush=True)
    out = build_board(micropython=micropython)
    assert out is not None
    return out


def run_on_qemu(k: str = "", pytest_args: str = "", qemu_binary: str = "") -> None:
    """``invoke test-qemu``: machine and board tests on the emulator (built first if missing)."""
    from harness.emulator.command import qemu_binary as find_qemu

    if not qemu_binary and not find_qemu().is_file():
        from harness.build.qemu import build_qemu

        build_qemu()
    dirs = [f"tests/{s}" for s in ("machine", "board")
            if any((paths.REPO_ROOT / "tests" / s).glob("test_*.py"))]
    args = [*dirs, "--target", "qemu", *(["-k", k] if k else []),
            *(["--qemu-binary", qemu_binary] if qemu_binary else []), *pytest_args.split()]
    code = run_pytest(args, "junit-qemu.xml")
    if code != 0:
        raise TestsFailed(f"{describe_exit(code)}; JUnit XML: build/reports/junit-qemu.xml",
                          code if code > 0 else 128 - code)
