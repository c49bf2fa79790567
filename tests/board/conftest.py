"""Local fixtures of the board tests (Python-level behaviour of MicroPython on the board).

The harness plugin (``harness/plugins/board.py``) provides ``board``, ``fresh_board`` and
``gpio``. Here:

* ``qemu_service``: the ``QemuService`` behind this test's board (QEMU only): UART1 log,
  QMP. Tests that use it are skipped on ``--target serial``.
* ``new_qemu``: a factory for QEMU services a test starts and stops itself (e.g. a QEMU
  restart on one flash file); all are stopped at the end of the test.
* ``friendly``: the friendly REPL (``>>>``) of the board, typed into line by line.
* ``host_wait``: ``w = host_wait()`` starts a window; ``w.seconds`` is how long the host has
  since kept this test's QEMU waiting for a CPU (``harness/emulator/host_load.py``; 0 on a
  real board).
  Timing checks are measured in guest time (the board's ticks, CCOUNT, the pad meter), which
  never runs early; their upper bounds allow what the host took and nothing more. No check
  is retried: a one-in-three regression must fail one run in three.
* ``mpy_version``: the MicroPython version the firmware was built from, e.g. ``(1, 26, 1)``;
  ``mpy_tag``: its full tag, e.g. ``"v1.29.0-preview"`` for a tree from master;
  ``mpy_name``: as the banner names it, ``"MicroPython v1.26.1"``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.board import Board
from harness.build.artifacts import FirmwareArtifacts
from harness.emulator.host_load import HostWait
from harness.emulator.service import QemuService


@pytest.fixture
def new_qemu(request: pytest.FixtureRequest, target: str, firmware: FirmwareArtifacts,
             qemu_binary: Path, board_log_dir: Path,
             clock: str) -> Iterator[Callable[..., QemuService]]:
    """``new_qemu(name, **kwargs)`` -> a not yet started ``QemuService`` for this firmware."""
    if target != "qemu":
        pytest.skip("starts its own emulator")
    services: list[QemuService] = []

    def make(name: str, **kwargs: Any) -> QemuService:
        service = QemuService(firmware.require_flash_image(), elf=firmware.elf_if_present(),
                              binary=qemu_binary, name=f"{request.node.name}-{name}",
                              log_dir=board_log_dir, **{"clock": clock, **kwargs})
        services.append(service)
        return service

    yield make
    for service in services:
        service.stop()


@pytest.fixture
def host_wait(request: pytest.FixtureRequest, target: str) -> Callable[[], HostWait]:
    pid = None
    if target == "qemu":
        service = request.getfixturevalue("qemu_service")
        if service.process is not None and service.clock == "realtime":
            pid = service.process.pid  # on the icount clock the host's wait costs no guest time
    return lambda: HostWait(pid)


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
def mpy_tag(firmware: FirmwareArtifacts) -> str:
    """The MicroPython version the firmware was built from, as its build recorded it from the
    source tree (``obj/genhdr/mpversion.h``), e.g. ``v1.26.1`` or ``v1.29.0-preview`` for a
    tree from master: the board must report this one."""
    header = firmware.directory / "obj" / "genhdr" / "mpversion.h"
    try:
        text = header.read_text()
    except OSError:
        pytest.fail(f"{header} is missing: the version checks need the firmware's build "
                    "directory (pass --firmware DIR of an `invoke build` output)")
    m = re.search(r'MICROPY_GIT_TAG "(v\d+\.\d+\.\d+[^"]*)"', text)
    if m is None:
        pytest.fail(f"{header} names no vX.Y.Z MICROPY_GIT_TAG")
    return m.group(1)


@pytest.fixture(scope="session")
def mpy_version(mpy_tag: str) -> tuple[int, int, int]:
    """``mpy_tag`` as numbers, e.g. ``(1, 26, 1)``."""
    major, minor, micro = re.match(r"v(\d+)\.(\d+)\.(\d+)", mpy_tag).groups()  # type: ignore[union-attr]
    return (int(major), int(minor), int(micro))


@pytest.fixture(scope="session")
def mpy_name(mpy_version: tuple[int, int, int]) -> str:
    return "MicroPython v" + ".".join(map(str, mpy_version))
