"""``invoke soak``: the test suites N times in a row (optionally with a CPU hog beside them),
then a table of failures per test, and build/reports/soak.json.

Each run is one pytest over the chosen suites (``invoke test``'s main run, without its
user-mode and lossy re-runs) with its own JUnit XML in build/reports/soak/. After each run
the soak looks for what the run left behind: namespaces (with their bridges and TAPs) and
run directories of dead owners, and QEMU or dnsmasq processes re-parented to init, that
were not there before the run. The hog is one busy process per ``--hog`` (started before
the first run, killed at the end; it shares the cores with QEMU, as a loaded CI host does).
Nothing is retried: a test that failed once counts once.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from harness import paths, process_group
from harness.cli.test_runner import run_pytest, suite_dirs
from harness.errors import SetupError
from harness.signals import Interrupted

HOG = "while True: pass"


@dataclass
class RunResult:
    run: int
    exit_code: int
    seconds: float
    tests: int = 0
    failed: list[str] = field(default_factory=list)
    skipped: int = 0
    leftovers: list[str] = field(default_factory=list)


def _junit_results(path: Path) -> tuple[list[str], list[str], int]:
    """(every test id, the failed or errored ones, skipped count) of one JUnit XML file."""
    if not path.is_file():
        return [], [], 0
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        return [], [f"{path.name}: unreadable JUnit XML"], 0
    tests, failed, skipped = [], [], 0
    for case in root.iter("testcase"):
        test_id = f"{case.get('classname', '')}::{case.get('name', '')}"
        tests.append(test_id)
        if case.find("failure") is not None or case.find("error") is not None:
            failed.append(test_id)
        elif case.find("skipped") is not None:
            skipped += 1
    return tests, failed, skipped


def _stale_resources() -> set[str]:
    """Our namespaces and run dirs whose owner is dead, and orphaned QEMU/dnsmasq processes."""
    from harness.emulator.service import OWNER_FILE, RUN_DIR_PREFIX
    from harness.network.netns import STALE_NAME, our_namespaces, pid_alive

    found: set[str] = set()
    for name in our_namespaces():
        if (match := STALE_NAME.match(name)) and not pid_alive(int(match.group(1))):
            found.add(f"namespace {name}")
    tmp = Path(tempfile.gettempdir())
    for entry in tmp.glob("e8q-*-net-*"):
        if (match := STALE_NAME.match(entry.name)) and not pid_alive(int(match.group(1))):
            found.add(f"network run dir {entry}")
    for entry in tmp.glob(RUN_DIR_PREFIX + "*"):
        try:
            owner = int((entry / OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue
        if not pid_alive(owner):
            found.add(f"QEMU run dir {entry}")
    for pid in (int(p) for p in os.listdir("/proc") if p.isdigit()):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            comm = stat[stat.index("(") + 1:stat.rindex(")")]
            parent = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if parent == 1 and comm in ("qemu-system-xte", "dnsmasq"):
            found.add(f"orphaned {comm} pid {pid}")
    return found


def soak(runs: int, jobs: int = 2, hog: int = 0, suites: Sequence[str] | None = None,
         k: str = "", pytest_args: str = "") -> list[RunResult]:
    """Run the suites ``runs`` times; print the table; write build/reports/soak.json."""
    if runs < 1:
        raise SetupError("--runs must be at least 1")
    dirs = suite_dirs(suites or ("machine", "board"))
    out_dir = paths.reports_dir() / "soak"
    out_dir.mkdir(parents=True, exist_ok=True)
    hogs = [process_group.spawn([sys.executable, "-c", HOG]) for _ in range(hog)]
    results: list[RunResult] = []
    interrupted: Interrupted | None = None
    began = time.monotonic()
    try:
        for run in range(1, runs + 1):
            print(f"==> soak run {run}/{runs}" + (f" with {hog} CPU hog(s)" if hog else ""),
                  flush=True)
            before = _stale_resources()
            junit = out_dir / f"run-{run}.xml"
            start = time.monotonic()
            args = [*dirs, *(["-k", k] if k else []), *(["-n", str(jobs)] if jobs > 1 else []),
                    "-p", "no:cacheprovider", *pytest_args.split()]
            try:
                code = run_pytest(args, f"soak/run-{run}.xml")
            except Interrupted as exc:
                interrupted, code = exc, exc.exit_code
            tests, failed, skipped = _junit_results(junit)
            time.sleep(1.0)  # let killed processes be reaped before looking
            result = RunResult(run, code, round(time.monotonic() - start, 1), len(tests),
                               failed, skipped, sorted(_stale_resources() - before))
            results.append(result)
            print(f"    run {run}: {len(tests)} tests, {len(failed)} failed, {skipped} skipped, "
                  f"{len(result.leftovers)} leftovers, {result.seconds:.0f} s", flush=True)
            if interrupted is not None:
                break
    finally:
        for proc in hogs:
            process_group.kill_group(proc, grace=0.5)
    report = _report(results, runs, jobs, hog, dirs, time.monotonic() - began)
    (paths.reports_dir() / "soak.json").write_text(json.dumps(report, indent=2) + "\n")
    _print_table(report)
    if interrupted is not None:
        raise interrupted
    return results


def _report(results: list[RunResult], runs: int, jobs: int, hog: int, dirs: list[str],
            seconds: float) -> dict[str, object]:
    failures: dict[str, int] = {}
    for result in results:
        for test_id in result.failed:
            failures[test_id] = failures.get(test_id, 0) + 1
    return {
        "runs_requested": runs, "runs_done": len(results), "jobs": jobs, "cpu_hogs": hog,
        "suites": dirs, "seconds": round(seconds, 1),
        "failures_per_test": dict(sorted(failures.items(), key=lambda kv: (-kv[1], kv[0]))),
        "leftovers": sum(len(r.leftovers) for r in results),
        "runs": [asdict(r) for r in results],
    }


def _print_table(report: dict[str, object]) -> None:
    failures: dict[str, int] = report["failures_per_test"]  # type: ignore[assignment]
    done = report["runs_done"]
    print(f"\nsoak: {done} run(s) of {', '.join(report['suites'])} "  # type: ignore[arg-type]
          f"(-n {report['jobs']}, {report['cpu_hogs']} CPU hog(s)) in {report['seconds']} s")
    if failures:
        width = max(len(t) for t in failures)
        print(f"{'test':<{width}}  failed")
        for test_id, count in failures.items():
            print(f"{test_id:<{width}}  {count}/{done}")
    else:
        print("no test failed")
    print(f"leftovers: {report['leftovers']}")
    print(f"report: {paths.reports_dir() / 'soak.json'}")
