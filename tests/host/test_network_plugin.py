"""The network pytest plugin (harness.plugins.net), in inner pytest runs."""

from __future__ import annotations

import importlib.metadata
import shlex
import shutil
import sys
from pathlib import Path

import pytest
from netcheck import needs_tap

pytest_plugins = ["pytester"]

FAKE_QEMU = Path(__file__).with_name("fake_qemu.py")


def _plugin_args() -> list[str]:
    """Load the plugin by module name unless its entry point is installed already."""
    installed = any(ep.name == "esp8266-net"
                    for ep in importlib.metadata.entry_points(group="pytest11"))
    return ["-p", "no:cacheprovider"] + ([] if installed else ["-p", "harness.plugins.net"])


def _fake_qemu_target(tmp_path: Path) -> list[str]:
    """Options for the stand-in QEMU (fake_qemu.py: boots a fake MicroPython, no network)."""
    script = tmp_path / "qemu-system-xtensa"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE_QEMU}" "$@"\n')
    script.chmod(0o755)
    firmware = tmp_path / "firmware"
    firmware.mkdir()
    (firmware / "flash.img").write_bytes(b"\xff" * 4096)
    return ["--qemu-binary", str(script), "--firmware", str(firmware)]


NEEDS_NET_TESTS = """
import pytest

@pytest.mark.needs_net
def test_needs_net_runs(net, net_mode):
    assert net.mode == net_mode == "{mode}"
    assert net.host_ip == "10.0.2.2" and net.board_ip(1) == "10.0.2.16"
    with net.tcp_server() as server:
        assert server.getsockname()[1] > 0
"""


def test_needs_net_tests_run_in_user_mode(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_net=NEEDS_NET_TESTS.format(mode="user"))
    result = pytester.runpytest_subprocess(*_plugin_args(), "--net", "user", "-rs")
    result.assert_outcomes(passed=1)
    assert "network: user mode" in result.stdout.str()


@needs_tap
def test_default_is_tap_as_root_and_dns_names_are_per_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_net=NEEDS_NET_TESTS.format(mode="tap") + """
from harness.network.probes import dns_query

def test_register(net, dns_names):
    dns_names("a.test", "10.0.2.60")
    assert dns_query("10.0.2.3", "a.test", make_socket=net.socket).addresses == ("10.0.2.60",)

def test_gone_afterwards(net):
    assert dns_query("10.0.2.3", "a.test", make_socket=net.socket).addresses == ()
""")
    result = pytester.runpytest_subprocess(*_plugin_args(), "-rs")
    result.assert_outcomes(passed=3)
    assert "network: tap mode" in result.stdout.str()


def test_without_the_privileges_it_is_user_mode_and_tap_is_refused(
        pytester: pytest.Pytester) -> None:
    capsh = shutil.which("capsh")
    if capsh is None:
        pytest.skip("needs capsh (apt package libcap2-bin) to drop capabilities")
    pytester.makepyfile(test_net=NEEDS_NET_TESTS.format(mode="user"))
    base = [sys.executable, "-m", "pytest", *_plugin_args(), "-rs"]
    drop = [capsh, "--drop=cap_net_admin,cap_sys_admin", "--", "-c"]
    result = pytester.run(*drop, shlex.join(base))
    result.assert_outcomes(passed=1)
    assert "network: user mode (tap mode needs" in result.stdout.str()
    refused = pytester.run(*drop, shlex.join([*base, "--net", "tap"]))
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    assert "--net tap: tap mode needs" in refused.stderr.str()


def test_net_board_gives_qemu_the_network_arguments(pytester: pytest.Pytester,
                                                    tmp_path: Path) -> None:
    fake = _fake_qemu_target(tmp_path)
    logs = tmp_path / "logs"
    pytester.makepyfile(test_board="""
def test_board_on_the_network(net_board):
    assert net_board.eval("1 + 1") == 2
""")
    result = pytester.runpytest_subprocess(
        *_plugin_args(), "--net", "user", *fake, "--board-log-dir", str(logs))
    result.assert_outcomes(passed=1)
    qemu_log = next(logs.glob("*-net0-qemu.log")).read_text()
    assert "-machine mac=52:54:00:12:34:56" in qemu_log
    assert "-nic user," in qemu_log and "restrict=on" in qemu_log


@needs_tap
def test_net_boards_put_several_boards_on_one_bridge(pytester: pytest.Pytester,
                                                     tmp_path: Path) -> None:
    fake = _fake_qemu_target(tmp_path)
    logs = tmp_path / "logs"
    pytester.makepyfile(test_two="""
def test_two_boards(net, net_boards):
    first, second = net_boards(2)
    assert first.eval("1") == 1 and second.eval("2") == 2
    assert net.board_ip(1) == "10.0.2.16"
""")
    result = pytester.runpytest_subprocess(
        *_plugin_args(), "--net", "tap", *fake, "--board-log-dir", str(logs))
    result.assert_outcomes(passed=1)
    for index in (0, 1):
        qemu_log = next(logs.glob(f"*-net{index}-qemu.log")).read_text()
        assert f"--tap e8qtap{index}" in qemu_log
        assert f"mac=52:54:00:12:34:5{6 + index}" in qemu_log
    assert list((logs / "network").glob("e8q-*-dnsmasq.log"))
