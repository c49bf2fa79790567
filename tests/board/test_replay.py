"""Record a board's run and replay it instruction for instruction (``--record``,
``invoke replay``; harness/emulator/replay.py, docs/timing.md)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from harness import paths
from harness.emulator.replay import RAW_UART0, replay
from harness.emulator.service import QemuService

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.qemu_only

WORK = ("import time, machine\n"
        "hits = []\n"
        "tim = machine.Timer(-1)\n"
        "tim.init(period=3, mode=machine.Timer.PERIODIC, callback=lambda t: "
        "hits.append(time.ticks_us()))\n"
        "for i in range(20):\n"
        "    print(i, time.ticks_us(), time.ticks_cpu())\n"
        "    time.sleep_ms(i % 3)\n"
        "tim.deinit()\n"
        "print('hits', len(hits), hits[:5])")

FAILS = '''
def test_board_answers_wrongly(board):
    board.exec("import time\\nfor i in range(5):\\n    print(i, time.ticks_us())")
    assert board.eval("1 + 1") == 3
'''


def test_recorded_run_replays_byte_for_byte(new_qemu: Callable[..., QemuService],
                                            tmp_path: Path) -> None:
    service = new_qemu("recorded", record=True)
    board = service.start()
    out = board.exec(WORK)
    board.put("data.txt", "0123456789" * 800)  # 8 KB through the UART's line backlog
    assert board.eval("len(open('data.txt').read())") == 8000
    service.keep_replay = tmp_path / "bundle"
    service.stop()
    result = replay(tmp_path / "bundle")
    assert result.identical, (result.first_difference(), len(result.output),
                              len(result.recorded))
    assert out.encode() in result.output.replace(b"\r\n", b"\n")
    assert b"8000" in result.output


def test_failing_test_keeps_a_replay_that_invoke_replay_reruns(
        pytester: pytest.Pytester, firmware, qemu_binary: Path, tmp_path: Path) -> None:
    replays = tmp_path / "replays"
    pytester.makepyfile(test_inner=FAILS)
    result = pytester.runpytest_subprocess(
        "--record", "--replay-dir", str(replays), "--qemu-binary", str(qemu_binary),
        "--firmware", str(firmware.flash_image.parent), "--board-log-dir",
        str(tmp_path / "logs"), "-p", "no:cacheprovider", "-p", "no:esp8266-net")
    result.assert_outcomes(failed=1)
    assert "invoke replay" in result.stdout.str()
    bundles = list(replays.iterdir())
    assert len(bundles) == 1, bundles
    recorded = (bundles[0] / RAW_UART0).read_bytes()
    assert b"4 " in recorded  # the loop ran in the recording
    # the CLI a user runs: UART0 again on stdout, then the verdict
    done = subprocess.run([sys.executable, "-m", "invoke", "replay", str(bundles[0])],
                          cwd=paths.REPO_ROOT, capture_output=True, timeout=180)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    assert done.stdout.startswith(recorded)
    assert b"replay identical to the recording" in done.stdout + done.stderr


def test_replay_under_gdb_stops_inside_the_recorded_run(
        new_qemu: Callable[..., QemuService], tmp_path: Path) -> None:
    from harness.build import gdb as gdb_build
    from harness.errors import BuildError, SourceError

    try:
        gdb_build.ensure_gdb()
    except (BuildError, SourceError) as exc:
        pytest.skip(f"xtensa-lx106-elf-gdb cannot be built here: {exc}")
    service = new_qemu("for-gdb", record=True)
    service.start().exec("import time\ntime.sleep_ms(7)\nprint('slept')")
    service.keep_replay = tmp_path / "bundle"
    service.stop()
    done = subprocess.run(
        [sys.executable, "-m", "invoke", "replay", str(tmp_path / "bundle"), "--gdb",
         "--ex", "break mp_hal_delay_ms", "--ex", "continue", "--ex", "bt 2", "--ex", "delete",
         "--batch"], cwd=paths.REPO_ROOT, capture_output=True, timeout=240)
    text = (done.stdout + done.stderr).decode(errors="replace")
    assert done.returncode == 0, text[-3000:]
    # the recorded sleep_ms(7) is where gdb stopped, and the run went on to the same end
    assert "Breakpoint 1, mp_hal_delay_ms (delay=7)" in text, text[-3000:]
    assert "replay identical to the recording" in text
