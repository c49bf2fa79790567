"""``invoke multitests``: MicroPython's own ``tests/run-multitests.py`` (the pinned tree's,
unmodified) with two emulated boards talking to each other over the test network.

Two boards are served as ``invoke serve --boards 2 --net tap`` serves them (one namespace, a
bridge, a TAP each, DHCP: 10.0.2.15 and .16 see each other) and run-multitests.py drives them
as ``-i pyb:<pty0> -i pyb:<pty1>``: the tests' ``multitest.get_network_ip()`` reads each
board's ``network.WLAN().ifconfig()``. User mode cannot do this (each board has its own
slirp), so tap mode is required. The results are judged like ``invoke test-upstream``'s, against
the same expected-failures file (``harness.cli.upstream_report``); JUnit XML and the summary go
to ``build/reports/upstream/<version>-multi/``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from harness import paths, progress
from harness.cli import upstream_report as report
from harness.errors import SetupError, TestsFailed

DEFAULT_DIRS = ("multi_net",)
_LINE = re.compile(r"^(multi_\w+/\S+\.py) on \S+: (pass|FAIL|skip)\s*$")
_OUTCOME = {"pass": "pass", "FAIL": "fail", "skip": "skip"}
VARIANT = "multi"  # the expected-failures variant name of these runs


@dataclass(frozen=True)
class MultiOptions:
    micropython: str | None = None
    dirs: tuple[str, ...] = DEFAULT_DIRS
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    firmware: Path | None = None
    qemu_binary: Path | None = None
    timeout: float = 1200.0


def parse_multitests(lines: list[tuple[float, str]] | list[str]) -> list[report.TestResult]:
    """run-multitests.py's ``TEST on A|B: pass|FAIL|skip`` lines; a failure keeps the
    ``### TEST ###`` ... ``### DIFF ###`` block that follows it."""
    results: list[report.TestResult] = []
    texts = [item[1] if isinstance(item, tuple) else item for item in lines]
    for number, line in enumerate(texts):
        match = _LINE.match(line.rstrip())
        if not match:
            continue
        test, word = match.groups()
        output = ""
        if word == "FAIL":
            block = []
            for following in texts[number + 1:]:
                if _LINE.match(following.rstrip()) or following.endswith("tests performed"):
                    break
                block.append(following)
            output = "\n".join(block)[-4000:]
        results.append(report.TestResult(test, _OUTCOME[word], output=output))
    return results


def run(options: MultiOptions) -> report.RunReport:
    from harness.build.artifacts import FirmwareArtifacts
    from harness.build.versions import firmware_dir
    from harness.cli.serve import ServeOptions, Server
    from harness.cli.upstream import EXPECTED_FILE, locate_tree, select_tests
    from harness.emulator.service import HARNESS_BAUD
    from harness.network import netns

    problem = netns.tap_mode_problem()
    if problem is not None:
        raise SetupError(f"multitests need two boards on one network, i.e. tap mode: {problem}")
    tree = locate_tree(options.micropython)
    if not (tree.tests / "run-multitests.py").is_file():
        raise SetupError(f"{tree.tests} has no run-multitests.py")
    firmware = FirmwareArtifacts.locate(options.firmware or firmware_dir(tree.version))
    firmware.require_flash_image()
    expected = report.expected_for(report.load_expected(EXPECTED_FILE), tree.version, VARIANT)
    tests = select_tests(tree.tests, options.dirs, options.include, options.exclude)
    if not tests:
        raise SetupError("no multitest matches the chosen directories and filters")
    out = paths.reports_dir() / "upstream" / f"{tree.version}-{VARIANT}"
    out.mkdir(parents=True, exist_ok=True)
    log = out / "run-multitests.log"
    progress.say(f"==> MicroPython {tree.version}'s tests/run-multitests.py: {len(tests)} "
                 "tests on 2 boards (tap network)")
    started = time.monotonic()
    serve = ServeOptions(boards=2, firmware=firmware.directory, qemu_binary=options.qemu_binary,
                         net="tap", forwards=(), fresh=True, uart_baud=HARNESS_BAUD,
                         root=paths.build_dir() / "run" / "multitests")
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "MICROPY_MPYCROSS": str(tree.mpy_cross)}
    with Server(serve) as boards:
        argv = [sys.executable, "run-multitests.py",
                *[x for b in boards for x in ("-i", f"pyb:{b.pty}")], *tests]
        try:
            result = subprocess.run(argv, cwd=tree.tests, env=env, capture_output=True,
                                    text=True, timeout=options.timeout, check=False)
            text = result.stdout + result.stderr
            stopped = ""
        except subprocess.TimeoutExpired as exc:
            text = (exc.stdout or b"").decode("utf-8", "replace") \
                if isinstance(exc.stdout, bytes) else (exc.stdout or "")
            stopped = f"run-multitests.py timed out after {options.timeout:.0f} s"
    log.write_text("$ " + " ".join(argv) + "\n" + text)
    verdicts = report.judge(parse_multitests(text.splitlines()), expected, assigned=tests)
    run_report = report.RunReport(tree.version, VARIANT, verdicts, time.monotonic() - started,
                                  out)
    (out / "junit.xml").write_text(report.junit_xml(verdicts, f"upstream.{tree.version}.multi"))
    summary = run_report.summary()
    (out / "summary.txt").write_text(summary + "\n")
    print(summary, flush=True)
    table = report.counts(verdicts)["total"]
    print(f"multitests: {table['passed']} passed, "
          f"{table['failed'] + table['unexpected-pass'] + table['not-run']} failed, "
          f"{table['skipped'] + table['expected-fail']} skipped", flush=True)
    issues = run_report.problems() + ([stopped] if stopped else [])
    if issues:
        raise TestsFailed("MicroPython's multitests on two boards are not as expected:\n  "
                          + "\n  ".join(issues) + f"\n  log: {log}", 1)
    return run_report
