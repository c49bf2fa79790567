"""QemuService's process handling, against a stand-in for QEMU (fake_qemu.py), not QEMU.

The stand-in listens on the UART0 socket, speaks QMP on ours and runs the fake MicroPython behind
UART0, so start-up, reset, GPIO and above all teardown (process group, temp files) are
tested without an emulator.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.emulator.qmp import QmpError
from harness.emulator.service import QemuService
from harness.errors import BoardError, SetupError

FAKE_QEMU = Path(__file__).with_name("fake_qemu.py")


@pytest.fixture
def fake_binary(tmp_path) -> Path:
    script = tmp_path / "qemu-system-xtensa"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE_QEMU}" "$@"\n')
    script.chmod(0o755)
    return script


@pytest.fixture
def flash(tmp_path) -> Path:
    image = tmp_path / "flash.img"
    image.write_bytes(b"\xff" * 4096)
    return image


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purposes (its parent has not reaped it yet).
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def gone(pid: int, timeout: float = 10.0) -> bool:
    """True once ``pid`` has died (polls: a process's death has no event we can wait on)."""
    deadline = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def helper_pid(log: Path) -> int:
    match = re.search(r"helper pid (\d+)", log.read_text())
    assert match, log.read_text()
    return int(match.group(1))


def our_run_dirs() -> set[str]:
    """Run dirs owned by this process (other test runs on the machine have their own)."""
    mine = set()
    for p in Path(tempfile.gettempdir()).glob("esp8266-qemu-*"):
        try:
            if int((p / "owner.pid").read_text()) == os.getpid():
                mine.add(p.name)
        except (OSError, ValueError):
            continue
    return mine


@pytest.fixture
def service(fake_binary, flash, tmp_path) -> Iterator[QemuService]:
    svc = QemuService(flash, binary=fake_binary, log_dir=tmp_path / "logs", name="t",
                      startup_timeout=10, kill_grace=1)
    yield svc
    svc.stop()


def test_start_boots_the_board_and_stop_leaves_only_the_logs(service, tmp_path):
    before = our_run_dirs()
    board = service.start()
    assert board.eval("6 * 7") == 42
    run_dir = service.run_dir
    assert run_dir is not None and (run_dir / "flash.img").is_file()
    pid = service.process.pid
    helper = helper_pid(service.qemu_log)
    assert alive(pid) and alive(helper)
    service.stop()
    assert not alive(pid) and not alive(helper)  # the whole process group is gone
    assert not run_dir.exists() and our_run_dirs() <= before
    logs = sorted(p.name for p in (tmp_path / "logs").iterdir())
    assert logs == ["t-qemu.log", "t-uart0.log", "t-uart1.log"]
    assert "MicroPython" in (tmp_path / "logs" / "t-uart0.log").read_text()
    assert "fake boot messages" in (tmp_path / "logs" / "t-uart1.log").read_text()
    assert "-M esp8266" in (tmp_path / "logs" / "t-qemu.log").read_text()


def test_the_flash_image_is_a_private_copy(service, flash):
    service.start()
    assert service.run_dir is not None
    copy = service.run_dir / "flash.img"
    copy.write_bytes(b"changed by the board")
    assert flash.read_bytes() == b"\xff" * 4096


def test_hard_reset_goes_through_qmp(service):
    board = service.start()
    board.exec("x = 1")
    assert "rst cause:2" in board.hard_reset()
    with pytest.raises(BoardError, match="NameError"):
        board.exec("x")


def test_gpio_inputs_and_outputs_over_qmp(service):
    service.start()
    gpio = service.gpio
    gpio.set_input(5, 1)
    assert gpio.inputs() == 1 << 5
    gpio.wait_output(5, 1, timeout=10)  # the stand-in wires 'out' to 'in' a moment later
    assert gpio.output(5) == 1 and gpio.is_output(5)
    gpio.set_input(5, 0)
    gpio.wait_output(5, 0, timeout=10)
    with pytest.raises(ValueError, match="GPIO0..GPIO16"):
        gpio.set_input(17, 1)


def test_a_qemu_that_never_connects_qmp_is_killed_even_if_it_ignores_sigterm(
        fake_binary, flash, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_QEMU_MODE", "hang")
    before = our_run_dirs()
    svc = QemuService(flash, binary=fake_binary, log_dir=tmp_path / "logs",
                      startup_timeout=0.5, kill_grace=0.5)
    with pytest.raises(QmpError, match="never connected"):
        svc.start()
    assert svc.process is None and our_run_dirs() <= before
    pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    leftovers = []
    for pid in pids:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if str(flash).encode() in cmdline and alive(pid):
            leftovers.append(pid)
    assert leftovers == []


def test_a_qemu_that_exits_at_once_reports_its_message(fake_binary, flash, monkeypatch):
    monkeypatch.setenv("FAKE_QEMU_MODE", "fail")
    svc = QemuService(flash, binary=fake_binary, startup_timeout=10)
    with pytest.raises(BoardError) as info:
        svc.start()
    assert "exited with status 1" in str(info.value)
    assert "unsupported machine type" in str(info.value)


def test_missing_binary_or_flash_image_say_what_to_build(flash, tmp_path):
    with pytest.raises(SetupError, match="invoke qemu"):
        QemuService(flash, binary=tmp_path / "none").start()
    with pytest.raises(SetupError, match="invoke build"):
        QemuService(tmp_path / "none.img", binary=Path(sys.executable)).start()


def test_flash_path_persists_between_services(fake_binary, flash, tmp_path):
    kept = tmp_path / "kept-flash.img"
    for _ in range(2):
        svc = QemuService(flash, binary=fake_binary, flash_path=kept)
        svc.start()
        svc.stop()
    assert kept.read_bytes() == flash.read_bytes()


def test_a_refused_qmp_command_says_which_qemu_is_needed(service):
    from harness.emulator.gpio import Gpio

    service.start()
    assert service.qmp is not None
    with pytest.raises(QmpError, match="esp8266 machine"):
        Gpio(service.qmp, path="/machine/no-such-device").output(0)


HARNESS_SCRIPT = """
import sys, time
from pathlib import Path
from harness.emulator.service import QemuService
svc = QemuService(Path(sys.argv[1]), binary=Path(sys.argv[2]), kill_grace=1)
with svc as board:
    print("qemu", svc.process.pid, svc.run_dir, flush=True)
    # QEMU's output reaches the log through the service's reader thread, which may not have
    # copied the stand-in's "helper pid" line yet (seen in CI under load): wait for it.
    deadline = time.monotonic() + 60
    while "helper pid" not in Path(svc.qemu_log).read_text() and time.monotonic() < deadline:
        time.sleep(0.02)
    print(Path(svc.qemu_log).read_text(), flush=True)
    print("--- end of log", flush=True)
    time.sleep(600)
"""


@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM", "SIGKILL"])
def test_no_emulator_outlives_the_harness(fake_binary, flash, tmp_path, how):
    """Ctrl-C, a kill from CI (SIGTERM) or a harness crash (SIGKILL) take QEMU with them."""
    import signal
    import subprocess

    script = tmp_path / "harness_run.py"
    script.write_text(HARNESS_SCRIPT)
    proc = subprocess.Popen([sys.executable, str(script), str(flash), str(fake_binary)],
                            stdout=subprocess.PIPE, text=True)
    helper = None
    try:
        assert proc.stdout is not None
        _, pid_text, run_dir_text = proc.stdout.readline().split()
        qemu_pid, run_dir = int(pid_text), Path(run_dir_text)
        for line in proc.stdout:
            match = re.search(r"helper pid (\d+)", line)
            if match:
                helper = int(match.group(1))
                break
            if line.startswith("--- end of log"):
                break
        assert helper is not None, "the stand-in's helper pid never reached the QEMU log"
        assert alive(qemu_pid) and alive(helper)
        proc.send_signal(getattr(signal, how))
        proc.wait(timeout=30)
        assert gone(qemu_pid)
        if how != "SIGKILL":  # the kernel kills only the leader when the harness is SIGKILLed
            assert gone(helper)
            assert not run_dir.exists()
        else:  # nothing runs in a SIGKILLed process: the next service sweeps its run dir
            assert run_dir.exists()
            with QemuService(flash, binary=fake_binary):
                pass
            assert not run_dir.exists()
    finally:
        proc.kill()
        proc.wait()
        if helper is not None and alive(helper):
            os.kill(helper, signal.SIGKILL)  # the stand-in's own child, orphaned by SIGKILL
