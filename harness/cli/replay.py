"""``invoke replay DIR``: run a recorded board again, instruction for instruction.

DIR is a bundle that ``invoke test --record`` keeps for each failing test
(``build/reports/replays/<test>-<board>/``, harness/emulator/replay.py). The replay's UART0
output goes to stdout; then a line says whether it is identical to the recording, byte for
byte (exit status 0) or where it first differs (exit status 1).

``--gdb``: the replay waits at reset for xtensa-lx106-elf-gdb, which this task starts attached
to it (symbols from the recorded firmware ELF): set breakpoints, continue, step; what gdb
sees is the recorded run. ``--ex``/``--batch`` script it as ``invoke gdb`` does.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from pathlib import Path

from harness import progress
from harness.emulator.replay import ReplayResult, load_meta, replay
from harness.errors import HarnessError


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_listening(port: int, worker: threading.Thread, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and worker.is_alive():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise HarnessError(f"the replay's gdbstub on 127.0.0.1:{port} did not come up")


def summary(result: ReplayResult) -> str:
    if result.identical:
        return f"replay identical to the recording: {len(result.output)} bytes of UART0"
    return (f"replay differs from the recording at byte {result.first_difference()} "
            f"(replay {len(result.output)} bytes, recording {len(result.recorded)})")


def run(bundle: Path, gdb: bool = False, commands: tuple[str, ...] = (),
        batch: bool = False) -> int:
    """Replay ``bundle``; 0 when UART0 printed the recorded bytes again."""
    meta = load_meta(bundle)  # a clear error before anything starts
    if not gdb:
        result = replay(bundle)
    else:
        result = _replay_under_gdb(bundle, meta.get("elf"), commands, batch)
    sys.stdout.buffer.write(result.output)
    sys.stdout.flush()
    progress.say("\n" + summary(result))
    return 0 if result.identical else 1


def _replay_under_gdb(bundle: Path, elf: str | None, commands: tuple[str, ...],
                      batch: bool) -> ReplayResult:
    from harness.build import gdb as gdb_build
    from harness.cli import gdb as gdb_cli

    binary = gdb_build.ensure_gdb()
    port = _free_port()
    outcome: dict[str, object] = {}

    def worker() -> None:
        try:
            outcome["result"] = replay(bundle, gdb_port=port, wait_gdb=True, timeout=24 * 3600)
        except BaseException as exc:  # reported in the main thread
            outcome["error"] = exc

    thread = threading.Thread(target=worker, name="replay", daemon=True)
    thread.start()
    _wait_listening(port, thread)
    gdb_cli.run(gdb_cli.GdbOptions(port=str(port), firmware=Path(elf) if elf else None,
                                   commands=(*commands, *(("continue",) if batch else ())),
                                   batch=batch, gdb_binary=binary))
    thread.join()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["result"]  # type: ignore[return-value]
