"""The pytest plugin, run in an inner pytest against the stand-in QEMU (fake_qemu.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

FAKE_QEMU = Path(__file__).with_name("fake_qemu.py")

BOARD_TESTS = """
import pytest

def test_first(board):
    board.exec("x = 1")
    assert board.eval("x") == 1

def test_soft_reset_between_tests(board):
    assert "NameError" in board.exec("try:\\n x\\nexcept NameError as e:\\n print('NameError')")

def test_fails_and_reports_the_uart_log(board):
    board.exec("print('marker from the board')")
    assert False

def test_crash_is_reported(board):
    board.exec("import machine\\nmachine.crash()")

def test_recovers_after_the_crash(board):
    assert board.eval("2 + 2") == 4

def test_fresh_board_and_gpio(fresh_board, gpio):
    gpio.set_input(2, 1)
    gpio.wait_output(2, 1, timeout=10)
    assert fresh_board.eval("3 * 3") == 9

@pytest.mark.qemu_only
def test_only_on_qemu(board):
    pass

@pytest.mark.needs_net
def test_needs_network(board):
    pass
"""


@pytest.fixture(autouse=True)
def _not_an_xdist_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """The inner pytest runs are plain sessions, even when this one is an xdist worker (the
    plugin suffixes log names with the worker id)."""
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)


@pytest.fixture
def fake_target(pytester: pytest.Pytester, tmp_path: Path) -> list[str]:
    script = tmp_path / "qemu-system-xtensa"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE_QEMU}" "$@"\n')
    script.chmod(0o755)
    firmware = tmp_path / "firmware"
    firmware.mkdir()
    (firmware / "flash.img").write_bytes(b"\xff" * 4096)
    return ["--qemu-binary", str(script), "--firmware", str(firmware),
            "--board-log-dir", str(tmp_path / "logs"), "-p", "no:cacheprovider",
            # the network plugin would make needs_net tests run; this test checks the skip
            "-p", "no:esp8266-net"]


def test_board_fixtures_reports_and_markers(pytester: pytest.Pytester, fake_target, tmp_path,
                                             monkeypatch):
    monkeypatch.setenv("FAKE_QEMU_CRASH", "1")
    pytester.makepyfile(test_boards=BOARD_TESTS)
    result = pytester.runpytest_subprocess(*fake_target, "-rs")
    result.assert_outcomes(passed=5, failed=2, skipped=1)
    output = result.stdout.str()
    assert "UART0 log of board (call)" in output
    assert "marker from the board" in output
    assert "crash of board" in output and "Fatal exception 28" in output
    assert "needs_net: no board network" in output
    logs = {p.name for p in (tmp_path / "logs").iterdir()}
    assert any(name.endswith("test_fails_and_reports_the_uart_log.uart0.log") for name in logs)
    assert "test_boards-qemu.log" in logs


def test_serial_target_skips_qemu_only_tests(pytester: pytest.Pytester, fake_target):
    pytester.makepyfile(test_marks="""
import pytest

@pytest.mark.qemu_only
def test_only_on_qemu():
    pass

def test_gpio_needs_qemu(gpio):
    pass
""")
    result = pytester.runpytest_subprocess(*fake_target, "--target", "serial", "-rs")
    result.assert_outcomes(skipped=2)
    assert "qemu_only: needs the emulated board" in result.stdout.str()


def test_host_only_runs_need_no_board(pytester: pytest.Pytester):
    pytester.makepyfile(test_plain="def test_plain():\n    assert True\n")
    result = pytester.runpytest_subprocess("--qemu-binary", "/nonexistent", "-p",
                                           "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_option_fixtures(pytester: pytest.Pytester, fake_target):
    pytester.makepyfile(test_opts="""
def test_options(target, serial_port, baud, firmware, qemu_binary, board_log_dir):
    assert (target, serial_port, baud) == ("qemu", None, 9600)
    assert firmware.flash_image.name == "flash.img"
    assert qemu_binary.name == "qemu-system-xtensa"
    assert board_log_dir.is_dir()
""")
    result = pytester.runpytest_subprocess(*fake_target, "--baud", "9600")
    result.assert_outcomes(passed=1)


def test_a_board_that_cannot_start_fails_its_tests_with_what_to_do(pytester: pytest.Pytester,
                                                                    tmp_path):
    pytester.makepyfile(test_nobuild="""
def test_one(board):
    pass

def test_two(board):
    pass
""")
    result = pytester.runpytest_subprocess("--qemu-binary", str(tmp_path / "missing-qemu"),
                                           "--firmware", str(tmp_path), "-p", "no:cacheprovider")
    result.assert_outcomes(errors=2)
    output = result.stdout.str()
    assert "invoke build" in output
    assert "the board of this module did not start" in output
