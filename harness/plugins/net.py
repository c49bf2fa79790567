"""pytest plugin (entry point ``esp8266-net``): the boards' network as fixtures.

Option ``--net tap|user`` (default: ``tap`` when this process may create namespaces and TAP
devices, i.e. root, else ``user``; an explicit ``--net tap`` without the privileges is a usage
error saying what to do). While this plugin is active, ``needs_net`` tests run (the board
plugin skips them only when no ``esp8266-net`` plugin is present).

Fixtures:

* ``net_mode``: ``"tap"`` or ``"user"``.
* ``net``: the session's ``NetworkService`` (started on first use, torn down at the end).
* ``dns_names``: ``dns_names("a.test", "10.0.2.50")`` serves a name for this test only
  (tap mode; skipped in user mode, which has no DNS).
* ``net_board``: a board (module-scoped QEMU) attached to the network as board 0.
* ``net_boards``: ``net_boards(2)`` starts that many boards on one bridge (tap mode; boards
  0, 1, ... at 10.0.2.15, .16, ...), stopped after the test.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from harness.board.board import Board
    from harness.cli.targets import TargetOptions
    from harness.network.service import NetworkService

NET_PLUGIN = "esp8266-net"  # the name harness.plugins.board looks for


class _NetPresence:
    """Registered under ``esp8266-net`` when this module was loaded under another name
    (``-p harness.plugins.net``), so the board plugin sees a network plugin either way."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("esp8266-net", "ESP8266 board network")
    group.addoption("--net", choices=("tap", "user"), default=None,
                    help="board network: tap (namespace + bridge + dnsmasq; needs root) or "
                         "user (QEMU slirp, 127.0.0.1 forwards). Default: tap if root, else user")
    group.addoption("--netem", default=None, metavar="PROFILE",
                    help="tap mode: faults on every board's link, both directions: lossy (5%% "
                         "loss, 20 ms +- 10 ms, 1%% duplicates, 2%% reordered), slow (1 Mbit/s, "
                         "100 ms) or netem's words, e.g. 'loss 10%% delay 50ms 5ms rate 512kbit'")


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin(NET_PLUGIN):
        config.pluginmanager.register(_NetPresence(), NET_PLUGIN)
    if config.getoption("--net") == "tap":
        from harness.network.netns import tap_mode_problem

        if problem := tap_mode_problem():
            raise pytest.UsageError(f"--net tap: {problem}")
    if netem := config.getoption("--netem"):
        from harness.errors import NetworkError
        from harness.network.impair import parse

        try:
            parse(netem)
        except NetworkError as exc:
            raise pytest.UsageError(str(exc)) from None
        if _resolved_mode(config) != "tap":
            raise pytest.UsageError("--netem needs tap mode (--net tap, as root)")


def _resolved_mode(config: pytest.Config) -> str:
    from harness.network.service import default_mode

    return config.getoption("--net") or default_mode()


def pytest_report_header(config: pytest.Config) -> str:
    from harness.network.netns import tap_mode_problem

    mode = _resolved_mode(config)
    if mode == "user" and config.getoption("--net") is None:
        return f"network: user mode ({tap_mode_problem()})"
    if netem := config.getoption("--netem"):
        from harness.network.impair import PROFILES

        return f"network: {mode} mode, links impaired: {PROFILES.get(netem, netem)}"
    return f"network: {mode} mode"


@pytest.fixture(scope="session")
def net_mode(pytestconfig: pytest.Config) -> str:
    return _resolved_mode(pytestconfig)


@pytest.fixture(scope="session")
def net(net_mode: str, pytestconfig: pytest.Config) -> Iterator[NetworkService]:
    """The test network of this session (per xdist worker)."""
    from harness.network.service import NetworkService

    log_option = pytestconfig.getoption("--board-log-dir", default=None)
    logs = Path(log_option) if log_option else pytestconfig.rootpath / "build" / "board-logs"
    service = NetworkService(net_mode, log_dir=logs / "network",
                             netem=pytestconfig.getoption("--netem"))
    service.start()
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture
def dns_names(net: NetworkService) -> Iterator[Callable[[str, str], None]]:
    """Register DNS names for this test; they are removed afterwards (tap mode only)."""
    if net.mode != "tap":
        pytest.skip("DNS names need tap mode (user mode has no DNS server); run as root "
                    "or with --net tap")
    added: list[str] = []

    def register(name: str, ip: str) -> None:
        net.add_name(name, ip)
        added.append(name)

    yield register
    for name in added:
        net.remove_name(name)


def _board_options(options: TargetOptions, net: NetworkService, index: int) -> TargetOptions:
    return dataclasses.replace(options, qemu_args=(*options.qemu_args, *net.qemu_args(index)))


@pytest.fixture(scope="module")
def net_board(request: pytest.FixtureRequest, net: NetworkService,
              target_options: TargetOptions) -> Iterator[Board]:
    """A QEMU board on the network as board 0 (module-scoped)."""
    from harness.cli.targets import make_service

    if target_options.target != "qemu":
        pytest.skip("net_board: the emulated board only (a real board uses its own network)")
    service = make_service(_board_options(target_options, net, 0),
                           f"{request.module.__name__}-net0")
    try:
        yield service.start()
    finally:
        service.stop()


@pytest.fixture
def net_boards(request: pytest.FixtureRequest, net: NetworkService,
               target_options: TargetOptions) -> Iterator[Callable[[int], list[Board]]]:
    """``net_boards(n)``: n QEMU boards on one bridge (tap mode), stopped after the test."""
    from harness.cli.targets import make_service

    if net.mode != "tap":
        pytest.skip("several boards on one network need tap mode (in user mode every board "
                    "has its own slirp); run as root or with --net tap")
    if target_options.target != "qemu":
        pytest.skip("net_boards: emulated boards only")
    services = []

    def start(count: int = 2) -> list[Board]:
        boards = []
        for index in range(len(services), len(services) + count):
            service = make_service(_board_options(target_options, net, index),
                                   f"{request.node.name}-net{index}")
            services.append(service)
            boards.append(service.start())
        return boards

    try:
        yield start
    finally:
        for service in reversed(services):
            service.stop()
