"""``invoke bench --boards N``: N emulated boards at once, each doing real work, all checked.

Every board boots, joins the harness network (DHCP) and then runs ``rounds`` rounds of a mix:
a REPL round trip, a computation whose result is checked, a ``time.sleep_ms`` that must not
end early on the board's clock (how late it ends is a figure), and a TCP echo of 1 KiB
through a host server (every byte checked). Then all boards idle together for a few
seconds. Figures (``bench.json``): wall time of the whole mix, host CPU per board (its
QEMU's user+system time over the wall time), the slowest REPL round trip, and the host CPU
of all boards idling; errors are counted and make the benchmark fail, never a figure.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness import progress
from harness.cli.bench import Result
from harness.cli.targets import TargetOptions, make_service
from harness.emulator.service import QemuService
from harness.errors import HarnessError

BOARD_CODE = """
import socket, time
def _echo(host, port, n):
    s = socket.socket(); s.connect((host, port))
    data = bytes((i * 7) & 255 for i in range(n)); got = b''
    s.write(data)
    while len(got) < n:
        chunk = s.read(n - len(got))
        if not chunk:
            break
        got += chunk
    s.close()
    return got == data
def _slept(ms):
    t = time.ticks_ms(); time.sleep_ms(ms); return time.ticks_diff(time.ticks_ms(), t)
"""


class ScaleError(HarnessError):
    """A board of the scale benchmark did something wrong."""


@dataclass
class _BoardRun:
    index: int
    service: QemuService | None = None
    round_trips_ms: list[float] = field(default_factory=list)
    sleeps_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cpu_start: float = 0.0
    cpu_end: float = 0.0


def _cpu_seconds(service: QemuService) -> float:
    """user+system time of the board's QEMU so far."""
    if service.process is None:
        return 0.0
    fields = Path(f"/proc/{service.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _echo_server(server: socket.socket, stop: threading.Event) -> None:
    """Echoes every connection until ``stop``; one thread per connection."""
    server.settimeout(0.2)

    def echo(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(30)
            try:
                while data := conn.recv(4096):
                    conn.sendall(data)
            except OSError:
                pass

    while not stop.is_set():
        try:
            conn, _ = server.accept()
        except TimeoutError:
            continue
        except OSError:
            return
        threading.Thread(target=echo, args=(conn,), daemon=True).start()


def _work(run: _BoardRun, host: str, port: int, rounds: int) -> None:
    assert run.service is not None and run.service.board is not None
    board = run.service.board
    try:
        for r in range(rounds):
            start = time.perf_counter()
            if board.eval("1 + 1") != 2:
                run.errors.append("1 + 1 != 2")
            run.round_trips_ms.append((time.perf_counter() - start) * 1000)
            n = 2000 + 100 * run.index + r
            if board.eval(f"sum(range({n}))") != n * (n - 1) // 2:
                run.errors.append(f"sum(range({n})) wrong")
            slept = board.eval("_slept(50)")
            run.sleeps_ms.append(slept)
            if slept < 50:  # late is the host's doing on the realtime clock (a figure)
                run.errors.append(f"sleep_ms(50) ended after {slept} ms on the board")
            if board.eval(f"_echo('{host}', {port}, 1024)", timeout=60) is not True:
                run.errors.append("TCP echo returned other bytes")
    except HarnessError as exc:
        run.errors.append(f"{type(exc).__name__}: {exc}")


def scale(options: TargetOptions, boards: int = 16, rounds: int = 10, net: str | None = None,
          idle_seconds: float = 5.0) -> list[Result]:
    """Run the mix on ``boards`` boards at once; raises ScaleError if any board erred."""
    import dataclasses

    from harness.network import NetworkService, connect_board

    runs = [_BoardRun(i) for i in range(boards)]
    with progress.step(f"{boards} boards at once ({rounds} rounds of REPL, compute, sleep, "
                       "TCP echo each)"), NetworkService(net) as network:
        stop = threading.Event()
        try:
            start = time.perf_counter()
            for run in runs:  # each boots in ~0.1 s; starting them in turn keeps logs tidy
                opts = dataclasses.replace(
                    options, qemu_args=(*options.qemu_args, *network.qemu_args(run.index)))
                service = make_service(opts, f"scale{run.index}")
                assert isinstance(service, QemuService)
                run.service = service
                service.start()
            boot_s = time.perf_counter() - start
            for run in runs:
                assert run.service is not None and run.service.board is not None
                connect_board(run.service.board)
                run.service.board.exec(BOARD_CODE, timeout=20)
            server = network.tcp_server(backlog=boards * 2)
            echo = threading.Thread(target=_echo_server, args=(server, stop), daemon=True)
            echo.start()
            port = server.getsockname()[1]
            for run in runs:
                assert run.service is not None
                run.cpu_start = _cpu_seconds(run.service)
            start = time.perf_counter()
            workers = [threading.Thread(target=_work, args=(run, network.host_ip, port, rounds),
                                        daemon=True) for run in runs]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
            wall = time.perf_counter() - start
            for run in runs:
                assert run.service is not None
                run.cpu_end = _cpu_seconds(run.service)
            idle_before = sum(_cpu_seconds(run.service) for run in runs if run.service)
            time.sleep(idle_seconds)
            idle_cpu = (sum(_cpu_seconds(run.service) for run in runs if run.service)
                        - idle_before) / idle_seconds * 100
            stop.set()
            server.close()
        finally:
            stop.set()
            for run in runs:
                if run.service is not None:
                    run.service.stop()
    failed = [f"board {run.index}: {e}" for run in runs for e in run.errors]
    if failed:
        raise ScaleError(f"{len(failed)} error(s) with {boards} boards: " + "; ".join(failed[:5]))
    tag = f"[{boards} boards]"
    per_board = [(run.cpu_end - run.cpu_start) / wall * 100 for run in runs]
    slowest = max(max(run.round_trips_ms) for run in runs)
    return [
        Result(f"start {boards} boards {tag}", "s", [boot_s]),
        Result(f"mix wall time {tag}", "s", [wall],
               note=f"{rounds} rounds each: REPL, compute, sleep_ms(50), 1 KiB TCP echo"),
        Result(f"host CPU per board during the mix {tag}", "%", per_board),
        Result(f"slowest REPL round trip {tag}", "ms", [slowest]),
        Result(f"REPL round trip {tag}", "ms", [t for run in runs for t in run.round_trips_ms]),
        Result(f"sleep_ms(50) on the board's clock {tag}", "ms",
               [t for run in runs for t in run.sleeps_ms],
               note="longer = wake-ups the host delayed (realtime clock)"),
        Result(f"host CPU of all {boards} boards idle {tag}", "%", [idle_cpu],
               note="all QEMUs together; one core = 100 %"),
    ]
