"""The deterministic icount clock (``--clock icount``, docs/timing.md) on the board.

Guest time advances with executed instructions (16 ns each); without a network peer a wait
for a timer ends at once. So a program that reads nothing from outside prints the same
``ticks_us()``/``ticks_cpu()`` sequence in every run, however busy the host is, and a long
``time.sleep`` costs the host almost nothing.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness.emulator.service import QemuService
from harness.process_group import kill_group, spawn

pytestmark = pytest.mark.qemu_only

# main.py: clock reads between work, sleeps and the interrupts of a periodic timer
PROGRAM = """\
import time, machine
seq = []
hits = []
tim = machine.Timer(-1)
tim.init(period=7, mode=machine.Timer.PERIODIC, callback=lambda t: hits.append(time.ticks_us()))
for i in range(30):
    seq.append((time.ticks_us(), time.ticks_cpu()))
    x = 0
    for j in range(i * 40):
        x += j
    time.sleep_ms(i % 4)
tim.deinit()
print('SEQ', seq)
print('HITS', hits)
"""


@pytest.fixture
def cpu_hog() -> Iterator[Callable[[], None]]:
    """``cpu_hog()`` starts one busy process per host CPU; all are killed after the test."""
    hogs: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        import os

        for _ in range(os.cpu_count() or 1):
            hogs.append(spawn([sys.executable, "-c", "while True: pass"]))

    yield start
    for hog in hogs:
        kill_group(hog, grace=0.5)


def _boot_output(new_qemu: Callable[..., QemuService], name: str, flash: Path) -> str:
    service = new_qemu(name, clock="icount", wait_for_boot=False)
    service.flash_image = flash
    board = service.start()
    out = board.wait_for_boot(timeout=60)
    service.stop()
    return out


def test_same_program_prints_same_ticks_with_and_without_host_load(
        new_qemu: Callable[..., QemuService], cpu_hog: Callable[[], None],
        tmp_path: Path) -> None:
    flash = tmp_path / "flash.img"
    writer = new_qemu("writer", flash_path=flash)
    writer.start().put("main.py", PROGRAM)
    writer.stop()

    quiet = _boot_output(new_qemu, "quiet", flash)
    cpu_hog()
    loaded = _boot_output(new_qemu, "loaded", flash)

    def lines(text: str) -> list[str]:
        return re.findall(r"^(?:SEQ|HITS) .*$", text, re.M)

    first = lines(quiet)
    assert len(first) == 2, quiet
    assert len(first[1]) > 40  # the timer fired many times
    assert lines(loaded) == first


def test_long_sleep_skips_idle_time_without_a_network(new_qemu: Callable[..., QemuService]
                                                       ) -> None:
    board = new_qemu("sleeper", clock="icount").start()
    start = time.monotonic()
    out = board.exec("import time\nt = time.ticks_ms()\ntime.sleep(60)\n"
                     "print(time.ticks_diff(time.ticks_ms(), t))", timeout=60)
    host = time.monotonic() - start
    assert 60_000 <= int(out) <= 60_010
    assert host < 1.0, host


def test_watchdog_resets_the_board_during_upstream_list_sort(
        new_qemu: Callable[..., QemuService], mpy_version: tuple[int, int, int]) -> None:
    # Upstream's run-tests.py skips stress/list_sort.py on the esp8266: "watchdog kicks in
    # because it takes too long". At chip speed each of its sorts of a sorted 2000-item list
    # is O(n^2) C code (~1.8 s here) that never feeds the soft watchdog: the board resets,
    # as a real one does. (On the realtime clock the CPU is ~10x faster and the test passes.)
    from harness import paths
    from harness.errors import BoardTimeout

    version = ".".join(map(str, mpy_version))
    source = paths.src_dir() / f"micropython-{version}" / "tests" / "stress" / "list_sort.py"
    if not source.is_file():
        pytest.skip(f"{source} is missing: `invoke sources` unpacks MicroPython {version}")
    board = new_qemu("list-sort", clock="icount").start()
    with pytest.raises(BoardTimeout) as raised:
        board.exec(source.read_text(), timeout=10)
    printed = raised.value.received.decode("latin-1")
    assert "Soft WDT reset" in printed and "rst cause:3" in printed, printed[-600:]
    assert board.eval("__import__('machine').reset_cause()") == 3  # REASON_SOFT_WDT_RST
