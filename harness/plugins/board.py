"""pytest plugin (entry point ``esp8266``): boards as fixtures, UART logs in failure reports.

Options (each also a fixture): ``--target qemu|serial`` (``target``), ``--port``
(``serial_port``), ``--baud`` (``baud``), ``--firmware`` (``firmware``: the build artefacts),
``--qemu-binary`` (``qemu_binary``), ``--board-log-dir`` (``board_log_dir``), ``--clock``
(``clock``: realtime or icount, docs/timing.md).

Fixtures:

* ``board``: one board per test module (QEMU boots once), soft-reset before every test but the
  first; if the soft reset fails (a crash, a hung program) it is hard-reset, then restarted.
* ``fresh_board``: a board of its own (a new QEMU) for this test only.
* ``gpio``: host access to the pins of the QEMU board the test uses (QEMU only).

``--record`` records every emulated board without a network (icount clock, QEMU's
record/replay); the boards of a failing test are kept as replay bundles in
``build/reports/replays/`` (``invoke replay DIR``).

Markers: ``qemu_only`` (skipped with --target serial), ``needs_net`` (skipped unless a network
plugin registered as ``esp8266-net`` is active). Every test that uses a board gets its UART0
output in ``<board-log-dir>/<test>.uart0.log`` (default ``build/reports/board-logs``); when it
fails, the last lines and the path are added to the report. Board tests get a default
``timeout`` marker (pytest-timeout) unless they set one.

Nothing here starts QEMU unless a test asks for a board, so ``pytest tests/host`` needs none.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from harness.board.board import Board
    from harness.board.serial_service import SerialService
    from harness.build.artifacts import FirmwareArtifacts
    from harness.cli.targets import TargetOptions
    from harness.emulator.gpio import Gpio
    from harness.emulator.service import QemuService

BOARD_FIXTURES = ("board", "fresh_board", "gpio")
DEFAULT_BOARD_TEST_TIMEOUT = 60.0  # seconds per test that uses a board (setup included)
FAILURE_LOG_LINES = 40
NET_PLUGIN = "esp8266-net"

_MARKERS = {
    "qemu_only": "needs the emulated board (skipped on --target serial)",
    "needs_net": "needs the board network (TAP or user mode)",
    "realtime": "compares the board with the host's clock: skipped on the icount clock",
    "icount": "a timing check in guest time: runs on the icount clock (--clock auto)",
}

# Per test: (fixture name, board, log position at start, log file, crash seen before).
_log_key = pytest.StashKey[list[tuple[str, "Board", int, Path, str | None]]]()
_service_key = pytest.StashKey[Any]()
_services_key = pytest.StashKey[list[tuple[str, Any]]]()  # (label, service) this test used


# --------------------------------------------------------------------------- options
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("esp8266", "ESP8266 board (emulated or real)")
    group.addoption("--target", choices=("qemu", "serial"), default="qemu",
                    help="run board tests on the emulator (default) or a board on --port")
    group.addoption("--port", default=None,
                    help="serial port of the real board (--target serial), e.g. /dev/ttyUSB0")
    group.addoption("--baud", type=int, default=115200, help="serial baud rate (115200)")
    group.addoption("--firmware", default=None,
                    help="firmware build dir or file (default: build/firmware/)")
    group.addoption("--qemu-binary", default=None,
                    help="qemu-system-xtensa to run (default: build/qemu/qemu-system-xtensa)")
    group.addoption("--board-log-dir", default=None,
                    help="where UART/QEMU logs go (default: build/reports/board-logs/)")
    group.addoption("--clock", choices=("auto", "realtime", "icount"), default="auto",
                    help="the emulated boards' guest clock: realtime (QEMU's virtual clock "
                         "follows the host's), icount (deterministic: 16 ns per instruction, "
                         "idle time skipped without a network) or auto (default: icount for "
                         "tests marked icount, realtime for the rest); docs/timing.md")
    group.addoption("--record", action="store_true", default=False,
                    help="record every emulated board without a network (icount clock, QEMU "
                         "record/replay); a failing test's boards are kept as replay bundles "
                         "in --replay-dir for `invoke replay DIR`")
    group.addoption("--replay-dir", default=None,
                    help="where --record keeps replay bundles (default build/reports/replays/)")
    group.addoption("--board-reset", action="store_true", default=False,
                    help="serial target: reset the board through DTR/RTS before the tests")


_signal_handlers_key = pytest.StashKey[dict]()

def pytest_configure(config: pytest.Config) -> None:
    from harness.signals import install_raising_handlers

    # SIGTERM/SIGHUP unwind the session like Ctrl-C: fixtures tear down, JUnit XML is written.
    config.stash[_signal_handlers_key] = install_raising_handlers()
    existing = "\n".join(config.getini("markers"))
    for name, text in _MARKERS.items():
        if not re.search(rf"^{name}\b", existing, re.M):
            config.addinivalue_line("markers", f"{name}: {text}")


def pytest_unconfigure(config: pytest.Config) -> None:
    from harness.signals import restore

    restore(config.stash.get(_signal_handlers_key, {}))  # an in-process run leaves no trace


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    from harness.signals import hold_signals

    # Session fixtures are torn down and the JUnit XML written from here on: a SIGTERM now
    # (e.g. `invoke test` passing one on) must not interrupt that; the run is ending anyway.
    hold_signals()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    target = config.getoption("--target")
    has_net = config.pluginmanager.has_plugin(NET_PLUGIN)
    for item in items:
        if target != "qemu" and item.get_closest_marker("qemu_only"):
            item.add_marker(pytest.mark.skip(reason=f"qemu_only: needs the emulated board, "
                                                    f"this run targets {target}"))
        if item.get_closest_marker("needs_net") and not has_net:
            item.add_marker(pytest.mark.skip(reason="needs_net: no board network in this run "
                                                    f"(no '{NET_PLUGIN}' plugin active)"))
        if item.get_closest_marker("realtime") and clock_for(item) != "realtime":
            item.add_marker(pytest.mark.skip(reason="realtime: compares the board with the "
                                                    "host's clock, this run uses icount"))
        uses_board = any(name in getattr(item, "fixturenames", ()) for name in BOARD_FIXTURES)
        if uses_board and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(DEFAULT_BOARD_TEST_TIMEOUT))


# --------------------------------------------------------------------------- option fixtures
@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> str:
    return str(pytestconfig.getoption("--target"))


@pytest.fixture(scope="session")
def serial_port(pytestconfig: pytest.Config) -> str | None:
    return pytestconfig.getoption("--port")


@pytest.fixture(scope="session")
def baud(pytestconfig: pytest.Config) -> int:
    return int(pytestconfig.getoption("--baud"))


@pytest.fixture(scope="session")
def firmware(pytestconfig: pytest.Config) -> FirmwareArtifacts:
    from harness.build.artifacts import FirmwareArtifacts

    return FirmwareArtifacts.locate(pytestconfig.getoption("--firmware"))


@pytest.fixture(scope="session")
def qemu_binary(pytestconfig: pytest.Config) -> Path:
    from harness.emulator.command import qemu_binary as find

    return find(pytestconfig.getoption("--qemu-binary"))


def clock_for(item: pytest.Item) -> str:
    """The guest clock of this test's emulated boards: ``--clock``, or with ``auto`` icount
    for a test marked ``icount`` (a timing check host load must not fail) else realtime;
    ``--record`` runs every board on icount."""
    if item.config.getoption("--record"):
        return "icount"
    chosen = str(item.config.getoption("--clock"))
    if chosen != "auto":
        return chosen
    return "icount" if item.get_closest_marker("icount") else "realtime"


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> str:
    """The guest clock of this test's emulated boards (``clock_for``)."""
    return clock_for(request.node)


@pytest.fixture(scope="session")
def board_log_dir(pytestconfig: pytest.Config) -> Path:
    from harness import paths

    option = pytestconfig.getoption("--board-log-dir")
    path = Path(option) if option else paths.reports_dir() / "board-logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def target_options(target: str, serial_port: str | None, baud: int, firmware: FirmwareArtifacts,
                   qemu_binary: Path, board_log_dir: Path,
                   pytestconfig: pytest.Config) -> TargetOptions:
    """The boards' options; the clock is each test's (``clock_for``), realtime here unless
    ``--clock`` names one for all."""
    from harness.cli.targets import TargetOptions

    clock = str(pytestconfig.getoption("--clock"))
    return TargetOptions(target=target, port=serial_port, baud=baud,
                         firmware=firmware.directory, qemu_binary=qemu_binary,
                         log_dir=board_log_dir, reset=pytestconfig.getoption("--board-reset"),
                         clock="realtime" if clock == "auto" else clock,
                         record=bool(pytestconfig.getoption("--record")))


# --------------------------------------------------------------------------- boards
def _safe_name(text: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")[-120:]
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return f"{name}-{worker}" if worker else name


class _ModuleBoard:
    """The service behind the module's ``board``; restarts it if resets do not help."""

    def __init__(self, options: TargetOptions, name: str) -> None:
        self.options = options
        self.name = name
        self.service: QemuService | SerialService | None = None
        self.board: Board | None = None
        self.tests_run = 0
        self.start_error: Exception | None = None

    def start(self) -> Board:
        from harness.cli.targets import make_service
        from harness.errors import HarnessError

        if self.start_error is not None:  # fail the module's other tests at once
            raise HarnessError(f"the board of this module did not start: {self.start_error}")
        try:
            self.service = make_service(self.options, self.name)
            self.board = self.service.start()
        except HarnessError as exc:
            self.start_error = exc
            self.service = None
            raise
        return self.board

    def ready_for_next_test(self) -> Board:
        from harness.errors import BoardError

        if self.board is None:
            return self.start()
        if self.tests_run == 0:
            return self.board
        if not self.board.crash.crashed:  # a crashed board ignores Ctrl-D: reset it
            try:
                self.board.soft_reset()
                return self.board
            except BoardError as soft_error:
                self.board.log.note(f"soft reset failed ({soft_error}); trying a hard reset")
        try:
            self.board.hard_reset()
            return self.board
        except BoardError:
            if self.options.target != "qemu":
                raise
        self.stop()
        return self.start()

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()
        self.service = None
        self.board = None


class _ModuleBoards:
    """The module's boards, one per guest clock its tests ask for (usually one)."""

    def __init__(self, options: TargetOptions, name: str) -> None:
        self.options = options
        self.name = name
        self.by_clock: dict[str, _ModuleBoard] = {}

    def for_clock(self, clock: str) -> _ModuleBoard:
        if clock not in self.by_clock:
            import dataclasses

            name = self.name if clock == "realtime" else f"{self.name}-{clock}"
            self.by_clock[clock] = _ModuleBoard(dataclasses.replace(self.options, clock=clock),
                                                name)
        return self.by_clock[clock]

    def stop(self) -> None:
        for holder in self.by_clock.values():
            holder.stop()


@pytest.fixture(scope="module")
def _esp8266_module_board(request: pytest.FixtureRequest,
                          target_options: TargetOptions) -> Iterator[_ModuleBoards]:
    holders = _ModuleBoards(target_options, _safe_name(request.module.__name__))
    try:
        yield holders
    finally:
        holders.stop()


def _capture_log(request: pytest.FixtureRequest, board: Board, log_dir: Path,
                 label: str) -> Iterator[Board]:
    path = log_dir / f"{_safe_name(request.node.nodeid)}.uart0.log"
    with board.log.capture(path):
        entry = (label, board, board.log.mark(), path, board.crash.last_crash)
        request.node.stash.setdefault(_log_key, []).append(entry)
        yield board


@pytest.fixture
def board(request: pytest.FixtureRequest, _esp8266_module_board: _ModuleBoards,
          board_log_dir: Path, clock: str) -> Iterator[Board]:
    """The module's board (on this test's clock), soft-reset unless this is its first test."""
    holder = _esp8266_module_board.for_clock(clock)
    current = holder.ready_for_next_test()
    holder.tests_run += 1
    request.node.stash[_service_key] = holder.service
    request.node.stash.setdefault(_services_key, []).append(("board", holder.service))
    yield from _capture_log(request, current, board_log_dir, "board")


@pytest.fixture
def fresh_board(request: pytest.FixtureRequest, target_options: TargetOptions,
                board_log_dir: Path, clock: str) -> Iterator[Board]:
    """A board of its own: a new QEMU (or a hard reset of the serial board)."""
    import dataclasses

    from harness.cli.targets import make_service

    service = make_service(dataclasses.replace(target_options, clock=clock),
                           _safe_name(request.node.name))
    fresh = service.start()
    if target_options.target == "serial" and not target_options.reset:
        fresh.soft_reset()
    request.node.stash[_service_key] = service
    request.node.stash.setdefault(_services_key, []).append(("fresh_board", service))
    try:
        yield from _capture_log(request, fresh, board_log_dir, "fresh_board")
    finally:
        service.stop()



@pytest.fixture
def qemu_service(request: pytest.FixtureRequest, target: str) -> QemuService:
    """The QEMU service behind the board this test uses (``fresh_board`` if the test asks for
    it, else ``board``): its QMP, GPIO, UART1 log and flash file (QEMU only)."""
    if target != "qemu":
        pytest.skip("needs the emulated board's QEMU service")
    if "fresh_board" in request.fixturenames:
        request.getfixturevalue("fresh_board")
    else:
        request.getfixturevalue("board")
    from harness.emulator.service import QemuService as Service  # lazy: keep the plugin light

    service = request.node.stash.get(_service_key, None)
    if not isinstance(service, Service):
        pytest.skip("this board is not run by a QemuService")
    return service


@pytest.fixture
def gpio(request: pytest.FixtureRequest, target: str) -> Gpio:
    """Host side of the emulated GPIO pins of the board this test uses (QEMU only)."""
    if target != "qemu":
        pytest.skip("gpio: host access to pins exists only on the emulated board")
    return request.getfixturevalue("qemu_service").gpio


# --------------------------------------------------------------------------- reports
@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]):
    report = yield
    if report.failed:
        for label, used_board, mark, path, crash_before in item.stash.get(_log_key, []):
            tail = used_board.log.tail(FAILURE_LOG_LINES, since=mark)
            report.sections.append(
                (f"UART0 log of {label} ({report.when})",
                 f"full log: {path}\n--- last {FAILURE_LOG_LINES} lines ---\n{tail}"))
            if used_board.crash.last_crash not in (None, crash_before):
                report.sections.append((f"crash of {label}", used_board.crash.last_crash))
        _keep_replays(item, report)
    return report


def _keep_replays(item: pytest.Item, report: pytest.TestReport) -> None:
    """A failing test's recorded boards are saved as replay bundles when they stop."""
    from harness import paths

    option = item.config.getoption("--replay-dir")
    where = Path(option).absolute() if option else paths.reports_dir() / "replays"
    for label, service in item.stash.get(_services_key, []):
        if not getattr(service, "record", False) or service.keep_replay is not None:
            continue
        service.keep_replay = where / f"{_safe_name(item.nodeid)}-{label}"
        report.sections.append((f"replay of {label}",
                                f"kept when the board stops: invoke replay "
                                f"{service.keep_replay}"))
