"""The machine's qtests: register-level checks in QEMU's own framework (libqtest).

``qemu/tests/qtest/esp8266-<device>-test.c`` (UART, GPIO, FRC, SPI flash, RTC, watchdog) are
built in the emulator's build directory (``harness/build/qtests.py``) and each binary runs
against the emulator under test (``QTEST_QEMU_BINARY``); one pytest item per binary, which
passes when every TAP test case of it passes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.build import qtests
from harness.errors import HarnessError
from harness.paths import qemu_build_dir

NAMES = qtests.qtest_names()


@pytest.fixture(scope="session")
def qtest_binaries(machine_qemu_binary: Path) -> dict[str, Path]:
    # the qtests of the QEMU tree under test (its build directory), else the default build's
    build = machine_qemu_binary.parent
    if not (build / "build.ninja").is_file():
        build = qemu_build_dir()
    if not (build / "build.ninja").is_file():
        pytest.skip(f"no configured QEMU build in {build}: run `invoke qemu`")
    try:
        return qtests.build_qtests(NAMES, build=build)
    except HarnessError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.mark.parametrize("name", NAMES)
def test_qtest(name: str, qtest_binaries: dict[str, Path], machine_qemu_binary: Path,
               record_property) -> None:
    result = qtests.run_qtest(qtest_binaries[name], machine_qemu_binary)
    record_property("qtest_cases_passed", len(result.passed))
    assert result.returncode == 0 and not result.failed and result.passed, (
        f"{name}: {len(result.failed)} failed ({', '.join(result.failed)}), "
        f"{len(result.passed)} passed, exit {result.returncode}\n{result.output[-4000:]}"
    )
