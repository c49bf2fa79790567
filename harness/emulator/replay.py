"""Record a board's run and replay it instruction for instruction (QEMU's record/replay).

A ``QemuService(record=True)`` runs on the icount clock with ``rr=record``: QEMU logs every
input from outside (UART bytes, QMP, the flash image's writes, the clock warps) into
``run.rr``. The service keeps the flash image the run started from and every byte UART0 sent.
``save_bundle`` copies the three into a directory with ``replay.json`` (firmware ELF, ROM); a
``replay(bundle)`` boots the same machine from the same flash with ``rr=replay`` and returns
what UART0 printed: the same bytes, because the same instructions ran. With ``gdb_port`` the
replay waits for gdb, which can then stop anywhere in it.

What is not recorded (docs/timing.md, "Record and replay"): a board network (boards with a
NIC run unrecorded) and pin levels set from the host through QMP (they are QMP commands,
which the replay sends again only if the log holds them).
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from harness.errors import BoardDisconnected, HarnessError, SetupError

RR_LOG = "run.rr"
START_FLASH = "flash-start.img"
RAW_UART0 = "uart0.raw"
META = "replay.json"


class RawCapture:
    """Transport listener: every byte UART0 sent, appended to ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = path.open("wb")

    def __call__(self, data: bytes) -> None:
        if not self._file.closed:
            self._file.write(data)
            self._file.flush()

    def close(self) -> None:
        self._file.close()


def save_bundle(run_dir: Path, dest: Path, *, elf: Path | None, rom: Path | None,
                binary: Path, name: str) -> Path:
    """Copy a recorded run (``run_dir`` of a stopped recording service) into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for item in (RR_LOG, START_FLASH, RAW_UART0):
        shutil.copyfile(run_dir / item, dest / item)
    meta = {"name": name, "elf": str(elf) if elf else None, "rom": str(rom) if rom else None,
            "qemu": str(binary), "recorded": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    (dest / META).write_text(json.dumps(meta, indent=1) + "\n")
    return dest


@dataclass
class ReplayResult:
    output: bytes  # what UART0 printed in the replay
    recorded: bytes  # what it printed in the recording

    @property
    def identical(self) -> bool:
        return self.output == self.recorded

    def first_difference(self) -> int | None:
        """Offset of the first byte that differs (or where one output ends), else None."""
        if self.identical:
            return None
        for i, (a, b) in enumerate(zip(self.output, self.recorded, strict=False)):
            if a != b:
                return i
        return min(len(self.output), len(self.recorded))


def load_meta(bundle: Path) -> dict[str, str | None]:
    """``replay.json`` of a bundle, or a SetupError saying what is missing."""
    missing = [item for item in (META, RR_LOG, START_FLASH, RAW_UART0)
               if not (bundle / item).is_file()]
    if missing:
        raise SetupError(f"{bundle} is not a replay bundle (missing {', '.join(missing)}); "
                         "bundles come from `invoke test --record` (build/reports/replays/)")
    return json.loads((bundle / META).read_text())


def replay(bundle: Path, *, binary: Path | None = None, gdb_port: int | None = None,
           wait_gdb: bool = False, timeout: float = 120.0) -> ReplayResult:
    """Run the recording in ``bundle`` again; returns UART0's output and the recorded one.

    The replay ends when QEMU reaches the end of the log (it exits then) or after ``timeout``
    seconds (a gdb session may take longer: pass a larger one)."""
    from harness.emulator.service import QemuService

    meta = load_meta(bundle)
    elf = Path(meta["elf"]) if meta.get("elf") else None
    rom = Path(meta["rom"]) if meta.get("rom") else None
    for label, path in (("firmware ELF", elf), ("ROM image", rom)):
        if path is not None and not path.is_file():
            raise SetupError(f"the {label} the run was recorded with is gone: {path}; "
                             "rebuild the same firmware (`invoke build`) to replay it")
    service = QemuService(bundle / START_FLASH, elf=elf if elf and elf.is_file() else None,
                          rom=rom, binary=binary or Path(str(meta["qemu"])),
                          name=f"replay-{meta.get('name', 'board')}", clock="icount",
                          rr=("replay", (bundle / RR_LOG).absolute()), wait_for_boot=False,
                          gdb_port=gdb_port, wait_gdb=wait_gdb)
    output = bytearray()
    board = service.start()
    board.transport.remove_listener(board.crash)  # a recorded crash is replayed, not raised
    board.transport.add_listener(output.extend)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                board.transport.drain(quiet=1.0, limit=1.0)
            except BoardDisconnected:
                break  # QEMU exits at the end of the log
        else:
            raise HarnessError(f"the replay of {bundle} did not end within {timeout:g} s "
                               f"({len(output)} bytes so far)")
    finally:
        service.stop()
    return ReplayResult(bytes(output), (bundle / RAW_UART0).read_bytes())

