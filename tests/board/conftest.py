"""Local fixtures of the board tests (Python-level behaviour of MicroPython on the board).

The harness plugin (``harness/pytest_plugin.py``) provides ``board``, ``fresh_board`` and
``gpio``. Here:

* ``qemu_service``: the ``QemuService`` behind this test's board (QEMU only): UART1 log,
  QMP. Tests that use it are skipped on ``--target serial``.
* ``new_qemu``: a factory for QEMU services a test starts and stops itself (e.g. a QEMU
  restart on one flash file); all are stopped at the end of the test.
* ``stamped_exec``: runs code and returns its output lines with the host time each one
  arrived, for comparing the board's clocks with the host's.
* ``friendly``: the friendly REPL (``>>>``) of the board, typed into line by line.
* ``mpy_version``: the MicroPython version the firmware was built from, e.g. ``(1, 26, 1)``;
  ``mpy_name``: as the banner names it, ``"MicroPython v1.26.1"``.
* ``timing``: ``timing(check)`` runs a timing measurement (a function that asserts) up to
  three times and passes on the first success: QEMU shares the host's cores, and a host
  that deschedules it for a while makes one measurement late without the board being wrong.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.app import FirmwareArtifacts
from harness.board import Board
from harness.qemu_service import QemuService

StampedLines = list[tuple[float, str]]


@pytest.fixture
def new_qemu(request: pytest.FixtureRequest, target: str, firmware: FirmwareArtifacts,
             qemu_binary: Path, board_log_dir: Path) -> Iterator[Callable[..., QemuService]]:
    """``new_qemu(name, **kwargs)`` -> a not yet started ``QemuService`` for this firmware."""
    if target != "qemu":
        pytest.skip("starts its own emulator")
    services: list[QemuService] = []

    def make(name: str, **kwargs: Any) -> QemuService:
        service = QemuService(firmware.require_flash_image(), elf=firmware.elf_if_present(),
                              binary=qemu_binary, name=f"{request.node.name}-{name}",
                              log_dir=board_log_dir, **kwargs)
        services.append(service)
        return service

    yield make
    for service in services:
        service.stop()


def run_stamped(board: Board, code: str, timeout: float = 20.0) -> StampedLines:
    """Run ``code``; each complete output line with the host's ``time.monotonic()`` when its
    newline arrived."""
    lines: StampedLines = []
    partial = bytearray()

    def on_output(data: bytes) -> None:
        now = time.monotonic()
        partial.extend(data)
        while b"\n" in partial:
            line, _, rest = bytes(partial).partition(b"\n")
            partial[:] = rest
            lines.append((now, line.decode("utf-8", "replace").strip()))

    board.exec(code, timeout=timeout, on_output=on_output)
    return lines


@pytest.fixture
def stamped_exec(board: Board) -> Callable[..., StampedLines]:
    return lambda code, timeout=20.0: run_stamped(board, code, timeout)


TIMING_ATTEMPTS = 3


def retry_timing(check: Callable[[], object], attempts: int = TIMING_ATTEMPTS) -> None:
    """Run ``check`` until it passes (at most ``attempts`` times); the last failure is raised
    with the earlier ones noted."""
    failures: list[str] = []
    for _ in range(attempts):
        try:
            check()
            return
        except AssertionError as exc:
            failures.append(str(exc).splitlines()[0] if str(exc) else "AssertionError")
    raise AssertionError(f"timing check failed {attempts} times: " + " | ".join(failures))


@pytest.fixture
def timing() -> Callable[..., None]:
    return retry_timing


class FriendlyRepl:
    """Types into the friendly REPL; the next ``board.exec`` re-enters the raw REPL."""

    PROMPT = b">>> "

    def __init__(self, board: Board) -> None:
        self.board = board
        self.transport = board.transport

    def enter(self, timeout: float = 5.0) -> str:
        """Leave the raw REPL (Ctrl-B); returns the banner printed before the prompt."""
        self.board.exec("")  # at the raw prompt now, nothing pending
        self.board.repl.exit()
        return self.read_until(self.PROMPT, timeout)

    def write(self, data: bytes) -> None:
        self.transport.write(data)

    def read_until(self, marker: bytes, timeout: float = 5.0) -> str:
        data = self.transport.read_until(marker, timeout, what=repr(marker))
        return data.decode("utf-8", "replace").replace("\r\n", "\n")

    def line(self, text: str, timeout: float = 5.0) -> str:
        """Type ``text`` and Enter; returns what the board printed up to the next prompt
        (the echo of ``text`` first)."""
        self.write(text.encode() + b"\r")
        return self.read_until(self.PROMPT, timeout)

    def leave(self) -> None:
        self.board.repl.at_raw_prompt = False


@pytest.fixture
def friendly(board: Board) -> Iterator[FriendlyRepl]:
    repl = FriendlyRepl(board)
    try:
        yield repl
    finally:
        repl.leave()


@pytest.fixture(scope="session")
def mpy_version(firmware: FirmwareArtifacts) -> tuple[int, int, int]:
    """The MicroPython version the firmware was built from, as its build recorded it from the
    source tree (``obj/genhdr/mpversion.h``): the board must report this one."""
    header = firmware.directory / "obj" / "genhdr" / "mpversion.h"
    try:
        text = header.read_text()
    except OSError:
        pytest.fail(f"{header} is missing: the version checks need the firmware's build "
                    "directory (pass --firmware DIR of an `invoke build` output)")
    m = re.search(r'MICROPY_GIT_TAG "v(\d+)\.(\d+)\.(\d+)', text)
    if m is None:
        pytest.fail(f"{header} names no vX.Y.Z MICROPY_GIT_TAG")
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)))


@pytest.fixture(scope="session")
def mpy_name(mpy_version: tuple[int, int, int]) -> str:
    return "MicroPython v" + ".".join(map(str, mpy_version))
