"""Fixtures for the machine tests: bare-metal programs run on ``qemu-system-xtensa -M esp8266``.

``machine`` is a factory: ``m = machine.start("hello")`` builds ``programs/hello.c``, boots it
(as ``-kernel`` ELF by default, or from a flash image) and gives the UART0 text::

    m = machine.start("hello")
    m.expect("DONE")                      # waits, returns everything read so far
    m.write(b"abc")                       # to UART0's RX
    m.qmp.execute("system_reset")         # with start(..., qmp=True)

``start()`` accepts ``flash=`` (a raw image file, used in place), ``kernel=False`` (boot
from the flash image only), ``machine_opts=`` (``-M esp8266,<opts>``) and ``extra_args=``
(more QEMU arguments). Every QEMU is killed (process group) at the end of the test.
The emulator is ``$ESP8266_QEMU_BINARY``, else ``--qemu-binary``, else the one
``invoke qemu`` builds; tests are skipped with the reason when it or the toolchain is missing.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from harness.build import machine_programs
from harness.emulator.command import qemu_binary as find_qemu_binary
from harness.errors import HarnessError, SetupError
from harness.process_group import kill_group, spawn
from harness.qmp import QmpConnection

QEMU_ENV = "ESP8266_QEMU_BINARY"


class MachineError(HarnessError):
    """The emulated machine did not do what the test waited for."""


class Machine:
    """One running QEMU: UART0 over a unix socket we listen on, optional QMP."""

    def __init__(self, binary: Path, workdir: Path, name: str) -> None:
        self.binary = binary
        self.workdir = workdir
        self.name = name
        self.proc: subprocess.Popen[bytes] | None = None
        self.qmp_conn: QmpConnection | None = None
        self.log_path = workdir / f"{name}.qemu.log"
        self.argv: list[str] = []
        self._buf = bytearray()
        self._cond = threading.Condition()
        self._conn: socket.socket | None = None
        self._eof = False

    # ------------------------------------------------------------------ lifecycle
    def launch(self, args: Sequence[str], qmp: bool = False, timeout: float = 10.0,
               uart0: str | None = None) -> None:
        """Start QEMU; UART0 comes to us unless ``uart0`` names another -serial backend."""
        sock_path = self.workdir / f"{self.name}.uart0"
        listener: socket.socket | None = None
        if uart0 is None:
            sock_path.unlink(missing_ok=True)
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(str(sock_path))
            listener.listen(1)
            listener.settimeout(timeout)
            uart0_args = ["-chardev", f"socket,id=uart0,path={sock_path}",
                          "-serial", "chardev:uart0"]
        else:
            uart0_args = ["-serial", uart0]
        qmp_args: list[str] = []
        if qmp:
            self.qmp_conn = QmpConnection(self.name)
            self.qmp_conn.listen(self.workdir / f"{self.name}.qmp")
            qmp_args = ["-chardev", f"socket,id=qmp,path={self.qmp_conn.path}",
                        "-mon", "chardev=qmp,mode=control"]
        self.argv = [str(self.binary), "-M", "esp8266", "-display", "none", "-monitor", "none",
                     *uart0_args, *qmp_args,
                     "-d", "guest_errors,unimp", "-D", str(self.log_path), *args]
        with open(self.workdir / f"{self.name}.stderr", "wb") as err:
            self.proc = spawn(self.argv, stdin=subprocess.DEVNULL, stdout=err, stderr=err)
        if listener is None:
            if self.qmp_conn is not None:
                self.qmp_conn.accept(timeout)
            return
        try:
            self._conn, _ = listener.accept()
        except TimeoutError as exc:
            raise MachineError(f"QEMU did not connect to UART0 within {timeout:g} s\n"
                               f"{self.diagnostics()}") from exc
        finally:
            listener.close()
            sock_path.unlink(missing_ok=True)
        if self.qmp_conn is not None:
            self.qmp_conn.accept(timeout)
        threading.Thread(target=self._reader, name=f"{self.name}-uart0", daemon=True).start()

    def _reader(self) -> None:
        assert self._conn is not None
        while True:
            try:
                data = self._conn.recv(4096)
            except OSError:
                data = b""
            with self._cond:
                if not data:
                    self._eof = True
                    self._cond.notify_all()
                    return
                self._buf += data
                self._cond.notify_all()

    def stop(self) -> None:
        if self.qmp_conn is not None:
            self.qmp_conn.close()
            self.qmp_conn = None
        if self.proc is not None:
            kill_group(self.proc, grace=2.0)
            self.proc = None
        if self._conn is not None:
            try:
                self._conn.close()
            except OSError:
                pass
            self._conn = None

    @property
    def qmp(self) -> QmpConnection:
        if self.qmp_conn is None:
            raise MachineError("this machine was started without qmp=True")
        return self.qmp_conn

    # ------------------------------------------------------------------ UART0
    @property
    def output(self) -> str:
        with self._cond:
            return self._buf.decode("latin-1")

    def clear(self) -> None:
        """Forget the UART0 text read so far (the next expect() starts fresh)."""
        with self._cond:
            self._buf.clear()

    def expect(self, pattern: str | re.Pattern[str], timeout: float = 10.0) -> re.Match[str]:
        """Wait until the UART0 text matches ``pattern`` (a regex or a plain string)."""
        if self._conn is None:
            raise MachineError("UART0 is not connected to the test (started with uart0=...)")
        regex = pattern if isinstance(pattern, re.Pattern) else re.compile(re.escape(pattern))
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                match = regex.search(self._buf.decode("latin-1"))
                if match:
                    return match
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._eof:
                    why = "QEMU closed UART0" if self._eof else f"{timeout:g} s passed"
                    raise MachineError(
                        f"waited for {regex.pattern!r} on UART0 but {why}; UART0 so far:\n"
                        f"{self._buf.decode('latin-1')}\n{self.diagnostics()}")
                self._cond.wait(min(remaining, 0.5))

    def write(self, data: bytes) -> None:
        if self._conn is None:
            raise MachineError("UART0 is not connected")
        self._conn.sendall(data)

    def diagnostics(self) -> str:
        parts = [f"command: {' '.join(self.argv)}"]
        if self.proc is not None and self.proc.poll() is not None:
            parts.append(f"QEMU exited with status {self.proc.returncode}")
        for path in (self.workdir / f"{self.name}.stderr", self.log_path):
            if path.exists():
                text = path.read_text(errors="replace")[-3000:]
                if text.strip():
                    parts.append(f"--- {path.name} (tail)\n{text}")
        return "\n".join(parts)


class MachineFactory:
    """Creates machines for one test and stops them all afterwards."""

    def __init__(self, binary: Path, workdir: Path) -> None:
        self.binary = binary
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
        args: list[str] = []
        if machine_opts:
            args = ["-M", f"esp8266,{machine_opts}"]
        if program is not None and kernel:
            args += ["-kernel", str(self.program(program))]
        if flash is not None:
            args += ["-drive", f"if=mtd,format=raw,file={flash}"]
        if not nic:
            args += ["-nic", "none"]
        args += list(extra_args)
        m = Machine(self.binary, self.workdir, f"m{len(self.machines)}")
        self.machines.append(m)
        m.launch(args, qmp=qmp, timeout=timeout, uart0=uart0)
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
        pytest.skip(f"no emulator at {path}: build it with `invoke qemu` or set {QEMU_ENV}")
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
            machine_workdir: Path) -> Iterator[MachineFactory]:
    factory = MachineFactory(machine_qemu_binary, machine_workdir)
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
