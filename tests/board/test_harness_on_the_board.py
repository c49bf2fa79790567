"""The harness's promises, kept on the real emulated board (not a fake): a hung board fails its
test within the timeout and shows its last output, and Ctrl-C during a run leaves no QEMU, no
run directory behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.qemu_only

HANGS = '''
def test_board_hangs(board):
    board.exec("print('about to hang')\\nwhile True:\\n    pass", timeout=3)
'''

SLEEPS = '''
def test_board_sleeps(board):
    print("inner test started", flush=True)
    board.exec("import time\\ntime.sleep(60)", timeout=120)
'''


def _inner_args(firmware, qemu_binary: Path, logs: Path) -> list[str]:
    return ["--qemu-binary", str(qemu_binary), "--firmware", str(firmware.flash_image.parent),
            "--board-log-dir", str(logs), "-p", "no:cacheprovider", "-p", "no:esp8266-net"]


def _processes_mentioning(text: str) -> list[int]:
    """Live processes whose command line contains ``text`` (our QEMUs name the log dir)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            state = Path(f"/proc/{entry}/stat").read_text().split(")")[-1].split()[0]
        except OSError:
            continue
        if text.encode() in cmdline and state != "Z":
            found.append(int(entry))
    return found


def _run_dirs_of(pid: int) -> list[Path]:
    dirs = []
    for run_dir in Path(tempfile.gettempdir()).glob("esp8266-qemu-*"):
        try:
            if int((run_dir / "owner.pid").read_text()) == pid:
                dirs.append(run_dir)
        except (OSError, ValueError):
            continue
    return dirs


def _sigint_as_in_a_terminal() -> None:  # in the child, between fork and exec
    # A pytest started in the background of a non-interactive shell (or from a process that
    # ignores SIGINT, as an xdist worker then does) ignores SIGINT, and an ignored signal
    # stays ignored across exec: the inner pytest would never see the Ctrl-C this test
    # sends. A pytest started from a terminal has the default disposition: give it that.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_hung_board_fails_within_its_timeout_with_the_last_output(
        pytester: pytest.Pytester, firmware, qemu_binary: Path, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    pytester.makepyfile(test_inner=HANGS)
    start = time.monotonic()
    result = pytester.runpytest_subprocess(*_inner_args(firmware, qemu_binary, logs))
    elapsed = time.monotonic() - start
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "BoardTimeout" in out
    assert "about to hang" in out  # the last output, in the error and the UART log section
    assert "UART0 log of board" in out
    assert elapsed < 60, f"the hung test took {elapsed:.0f} s"
    assert _processes_mentioning(str(logs)) == []


def test_ctrl_c_during_a_run_leaves_no_qemu_behind(
        pytester: pytest.Pytester, firmware, qemu_binary: Path, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    inner = pytester.makepyfile(test_inner=SLEEPS)
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-s", str(inner),
         *_inner_args(firmware, qemu_binary, logs)],
        cwd=pytester.path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        preexec_fn=_sigint_as_in_a_terminal,
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # wait until the board is up and the test runs
            if b"inner test started" in line:
                break
        else:
            pytest.fail("the inner pytest ended before its test started")
        assert _processes_mentioning(str(logs)), "no QEMU of the inner run found"
        proc.send_signal(signal.SIGINT)  # what Ctrl-C in the terminal sends
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    deadline = time.monotonic() + 10
    while _processes_mentioning(str(logs)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_mentioning(str(logs)) == []
    assert _run_dirs_of(proc.pid) == []
