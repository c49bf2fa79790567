"""Fixtures for the machine tests: bare-metal programs run on ``qemu-system-xtensa -M esp8266``.

``machine`` is a factory: ``m = machine.start("hello")`` builds ``programs/hello.c``, boots it
(as ``-kernel`` ELF by default, or from a flash image) and gives the UART0 text::

    m = machine.start("hello")
    m.expect("DONE")                      # waits, returns everything read so far
    m.write(b"abc")                       # to UART0's RX
    m.qmp.execute("system_reset")         # with start(..., qmp=True)

``start()`` accepts ``flash=`` (a raw image file, used in place), ``kernel=False`` (boot
from the flash image only), ``machine_opts=`` (``-M esp8266,<opts>``) and ``extra_args=``
(more QEMU arguments). The guest clock is the test's (``--clock``; tests marked ``icount``
run on the icount clock by default). Every QEMU is killed (process group) at the end of the
test.
``Machine`` itself is ``harness.emulator.machine.Machine``. The emulator is ``--qemu-binary``,
else ``$ESP8266_QEMU_BINARY``, else the one ``invoke qemu`` builds
(``harness.emulator.command.qemu_binary``); tests are skipped with the reason when it or the
toolchain is missing.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from harness.build import machine_programs
from harness.emulator.command import QEMU_BINARY_ENV
from harness.emulator.command import qemu_binary as find_qemu_binary
from harness.emulator.machine import Machine
from harness.errors import SetupError


class MachineFactory:
    """Creates machines for one test and stops them all afterwards."""

    def __init__(self, binary: Path, workdir: Path, clock: str = "realtime") -> None:
        self.binary = binary
        self.clock = clock
        self.workdir = workdir
        self.machines: list[Machine] = []

    def program(self, name: str) -> Path:
        """Build ``programs/<name>.c``; returns the ELF."""
        try:
            return machine_programs.build_program(name)
        except SetupError as exc:
            pytest.skip(str(exc))

    def start(self, program: str | None = None, *, kernel: bool = True,
              flash: Path | None = None, machine_opts: str = "",
              extra_args: Sequence[str] = (), qmp: bool = False, nic: bool = False,
              uart0: str | None = None, timeout: float = 10.0) -> Machine:
        """Start QEMU; ``program`` is booted with -kernel unless ``kernel=False``.

        ``uart0`` replaces our UART0 socket with another -serial backend (then expect()
        and write() are not available), e.g. ``tcp:127.0.0.1:PORT,server=on,wait=off``.
        """
        m = Machine(self.binary, self.workdir, f"m{len(self.machines)}")
        self.machines.append(m)
        m.launch(kernel=self.program(program) if program is not None and kernel else None,
                 flash=flash, machine_opts=machine_opts, extra_args=extra_args, qmp=qmp,
                 nic=nic, uart0=uart0, timeout=timeout, clock=self.clock)
        return m

    def boot_image(self, name: str) -> Path:
        """esptool v1 image (flash offset 0) of ``programs/<name>.c``."""
        try:
            return machine_programs.boot_image(self.program(name))
        except SetupError as exc:
            pytest.skip(str(exc))

    def stop_all(self) -> None:
        for m in self.machines:
            m.stop()


@pytest.fixture(scope="session")
def machine_qemu_binary(pytestconfig: pytest.Config) -> Path:
    option = None
    try:
        option = pytestconfig.getoption("--qemu-binary")
    except ValueError:
        pass
    path = find_qemu_binary(option)
    if not path.is_file():
        pytest.skip(f"no emulator at {path}: build it with `invoke qemu` or set "
                    f"{QEMU_BINARY_ENV}")
    return path


@pytest.fixture(scope="session")
def xtensa_toolchain() -> str:
    if not shutil.which(machine_programs.CROSS + "gcc"):
        pytest.skip("xtensa-lx106-elf-gcc not found: install gcc-xtensa-lx106 "
                    "(`invoke setup`) to build the machine test programs")
    return machine_programs.CROSS + "gcc"


@pytest.fixture
def machine_workdir() -> Iterator[Path]:
    # Short path: unix socket names are limited to 107 bytes.
    path = Path(tempfile.mkdtemp(prefix="esp8266-m-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def machine(request: pytest.FixtureRequest, machine_qemu_binary: Path, xtensa_toolchain: str,
            machine_workdir: Path, clock: str) -> Iterator[MachineFactory]:
    factory = MachineFactory(machine_qemu_binary, machine_workdir, clock)
    yield factory
    factory.stop_all()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        for m in factory.machines:
            request.node.add_report_section("call", f"{m.name} UART0", m.output)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every machine test needs the emulator: mark it qemu_only (skipped on --target serial)."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.qemu_only)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    report = yield
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
    return report
