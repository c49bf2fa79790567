"""Signals to every task that starts boards: nothing is left behind, and the task says why it
stopped.

Each test starts the real task (`python -m invoke ...`) on the real emulator, waits until its
QEMU runs, sends one signal to the task's process only (as `kill PID` would), then checks the
exit status, the message, the JUnit XML (for `invoke test`) and that no process, namespace
(with its bridge and TAPs), network run dir or QEMU run dir of that process tree is left.
Skipped without the emulator or the firmware; the network parts need root (tap mode).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from leftovers import TreeWatch, leftovers
from netcheck import REPO_ROOT, needs_tap

from harness.build.artifacts import FirmwareArtifacts
from harness.emulator.command import qemu_binary
from harness.emulator.service import sweep_stale_run_dirs
from harness.network.netns import clean_stale


def _missing() -> str | None:
    if not qemu_binary().is_file():
        return f"no emulator at {qemu_binary()} (run `invoke qemu`)"
    try:
        if not FirmwareArtifacts.locate(None).bin.is_file():
            return "no firmware (run `invoke build`)"
    except Exception as exc:  # noqa: BLE001 - any reason means "not built"
        return f"no firmware: {exc}"
    return None


pytestmark = [pytest.mark.skipif(_missing() is not None, reason=str(_missing())),
              pytest.mark.timeout(300)]
QEMU = "qemu-system-xtensa"
SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]
# Long enough (the load tests take minutes) that the signal lands in the middle of the run.
BOARD_TESTS = "test_net_basic or test_net_load"


def _invoke(*args: str, stdin: int | None = subprocess.DEVNULL) -> subprocess.Popen[str]:
    # Its own session: a signal reaches the task only, as `kill PID` from another terminal.
    return subprocess.Popen([sys.executable, "-m", "invoke", *args], cwd=REPO_ROOT,
                            stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def _stop_with(proc: subprocess.Popen[str], watch: TreeWatch, sig: int,
               after: float = 2.0) -> tuple[int, str]:
    import time

    time.sleep(after)
    os.kill(proc.pid, sig)
    try:
        out, err = proc.communicate(timeout=120)
    finally:
        watch.stop()
        if proc.poll() is None:  # the test failed: do not leave it to the next test
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return proc.returncode, out + err


@needs_tap
@pytest.mark.parametrize("sig", SIGNALS, ids=[s.name for s in SIGNALS])
def test_invoke_test_tears_down_writes_junit_and_names_the_signal(
        sig: signal.Signals, tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    proc = _invoke("test", "--suite", "board", "-k", BOARD_TESTS,
                   "--pytest-args", f"--junitxml={junit} -p no:cacheprovider")
    watch = TreeWatch(proc.pid)
    watch.wait_for(QEMU, timeout=120)
    code, output = _stop_with(proc, watch, sig)
    assert code == 128 + sig, output
    assert f"interrupted by {sig.name}" in output
    assert junit.is_file(), f"pytest wrote no JUnit XML:\n{output}"
    ET.parse(junit)  # complete XML
    assert leftovers(watch.seen) == []


@needs_tap
def test_invoke_test_with_xdist_workers_tears_down_on_sigterm(tmp_path: Path) -> None:
    """``--jobs 2``: the signal reaches pytest's whole group, workers included."""
    junit = tmp_path / "junit.xml"
    proc = _invoke("test", "--suite", "board", "-k", BOARD_TESTS, "--jobs", "2",
                   "--pytest-args", f"--junitxml={junit} -p no:cacheprovider")
    watch = TreeWatch(proc.pid)
    watch.wait_for(QEMU, timeout=120)
    code, output = _stop_with(proc, watch, signal.SIGTERM, after=4.0)
    assert code == 128 + signal.SIGTERM, output
    assert "interrupted by SIGTERM" in output
    assert junit.is_file(), f"pytest wrote no JUnit XML:\n{output}"
    assert leftovers(watch.seen) == []


@pytest.mark.parametrize("task,sig", [
    ("run", signal.SIGINT), ("run", signal.SIGTERM), ("run", signal.SIGHUP),
    ("repl", signal.SIGTERM), ("bench", signal.SIGTERM), ("flash", signal.SIGHUP),
])
def test_a_task_that_starts_a_board_tears_down_and_names_the_signal(
        task: str, sig: signal.Signals, tmp_path: Path) -> None:
    stdin: int | None = subprocess.DEVNULL
    if task == "run":
        script = tmp_path / "forever.py"
        script.write_text("import time\nprint('ready')\nwhile True:\n    time.sleep(0.1)\n")
        args = ["run", str(script)]
    elif task == "repl":
        args, stdin = ["repl"], subprocess.PIPE  # an open stdin nobody writes to
    elif task == "bench":
        args = ["bench", "--runs", "1", "--no-build"]
    else:
        args = ["flash", "--qemu", str(tmp_path / "flash.img")]
    proc = _invoke(*args, stdin=stdin)
    watch = TreeWatch(proc.pid)
    watch.wait_for(QEMU, timeout=120)
    if task == "flash":  # flashing takes ~3 s: stop it while esptool writes
        watch.wait_for("esptool", timeout=60)
    code, output = _stop_with(proc, watch, sig, after=0.5 if task == "flash" else 4.0)
    assert code == 128 + sig, output
    assert f"interrupted by {sig.name}" in output
    assert leftovers(watch.seen) == []


@needs_tap
def test_sigkill_of_invoke_still_lets_pytest_tear_down(tmp_path: Path) -> None:
    """pytest's parent-death signal is SIGTERM: it tears down as if it had been sent one."""
    junit = tmp_path / "junit.xml"
    proc = _invoke("test", "--suite", "board", "-k", BOARD_TESTS,
                   "--pytest-args", f"--junitxml={junit} -p no:cacheprovider")
    watch = TreeWatch(proc.pid)
    watch.wait_for(QEMU, timeout=120)
    code, _ = _stop_with(proc, watch, signal.SIGKILL)
    assert code == -signal.SIGKILL
    # The task cannot report; pytest still finishes its teardown and its XML.
    assert leftovers(watch.seen, settle=60) == []
    assert junit.is_file()


@needs_tap
def test_sigkill_of_pytest_kills_every_child_and_the_next_start_sweeps(tmp_path: Path) -> None:
    """Nothing runs on SIGKILL: QEMU and dnsmasq die by their parent-death signal; the
    namespace and run dirs stay until the next start sweeps them."""
    proc = _invoke("test", "--suite", "board", "-k", BOARD_TESTS,
                   "--pytest-args", f"--junitxml={tmp_path / 'junit.xml'} -p no:cacheprovider")
    watch = TreeWatch(proc.pid)
    watch.wait_for(QEMU, timeout=120)
    watch.wait_for("dnsmasq", timeout=30)
    pytest_pid = watch.wait_for("-m pytest", timeout=5)
    os.kill(pytest_pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    watch.stop()
    left = leftovers(watch.seen)
    assert [item for item in left if item.startswith("process")] == [], left
    clean_stale()
    sweep_stale_run_dirs()
    assert leftovers(watch.seen, settle=0) == []
