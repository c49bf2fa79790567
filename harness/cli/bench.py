"""Benchmarks (`invoke bench`): the speed targets of DESIGN.md, measured, never asserted.

Each benchmark runs on the target the options name (QEMU by default, or a real board with
`--target serial`), so the same numbers can be compared between the emulator and hardware.
Results go to stdout as a table and to build/reports/bench.json.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from harness import progress
from harness.board.board import Board
from harness.cli.targets import TargetOptions, make_service
from harness.emulator.gpio import Gpio
from harness.emulator.service import QemuService
from harness.paths import REPO_ROOT, reports_dir


@dataclass
class Result:
    name: str
    unit: str
    samples: list[float]
    target: str = ""
    note: str = ""
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    def row(self) -> str:
        lo, hi = min(self.samples), max(self.samples)
        spread = f"{lo:.3g}..{hi:.3g}" if len(self.samples) > 1 else ""
        line = f"  {self.name:<34} {self.median:>10.4g} {self.unit:<8} {spread:<18}"
        return line + (f" {self.note}" if self.note else "")


def _timed(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def boot_to_prompt(options: TargetOptions, runs: int) -> list[Result]:
    """QEMU only: process start to `>>>`, and from `cont` (CPU released) to `>>>`."""
    whole, after_cont = [], []
    for _ in range(runs):
        service = make_service(options)
        assert isinstance(service, QemuService)
        service.wait_for_boot = False
        start = time.perf_counter()
        try:
            board = service.start()
            released = time.perf_counter()
            board.wait_for_boot()
            end = time.perf_counter()
        finally:
            service.stop()
        whole.append((end - start) * 1000)
        after_cont.append((end - released) * 1000)
    return [
        Result("boot: CPU released -> '>>>'", "ms", after_cont, note="target < 300 ms"),
        Result("boot: QEMU start -> '>>>'", "ms", whole, note="includes QEMU start-up"),
    ]


# A fixed Python workload timed by the board itself (time.ticks_us) and by the host.
CPU_WORKLOAD = """
import time
def _bench(n):
    t = time.ticks_us()
    acc = 0
    for i in range(n):
        acc = (acc * 31 + i) & 0xFFFF
    s = ''
    for i in range(n // 10):
        s = str(i) + s[:20]
    d = {}
    for i in range(n // 10):
        d[i % 97] = d.get(i % 97, 0) + 1
    return time.ticks_diff(time.ticks_us(), t), acc
"""


def on_board(options: TargetOptions, runs: int) -> list[Result]:
    """Benchmarks that need one running board."""
    service = make_service(options)
    board = service.start()
    try:
        results = []
        # Round trip of the smallest raw-REPL exec.
        rtt = [_timed(lambda: board.exec("pass")) * 1000 for _ in range(max(runs, 10))]
        results.append(Result("raw REPL exec('pass') round trip", "ms", rtt))
        # Soft reset to prompt.
        soft = [_timed(board.soft_reset) * 1000 for _ in range(max(runs // 2, 3))]
        results.append(Result("soft reset -> prompt", "ms", soft))
        # Hard reset to prompt (QEMU: QMP system_reset; serial: DTR/RTS).
        try:
            hard = [_timed(board.hard_reset) * 1000 for _ in range(max(runs // 2, 3))]
            results.append(Result("hard reset -> prompt", "ms", hard))
        except Exception as exc:  # a serial board without a reset circuit
            progress.say(f"    hard reset not measured: {exc}")
        # File transfer through raw-paste (put) and back (get).
        payload = os.urandom(16 * 1024)
        put = [len(payload) / 1024 / _timed(lambda: board.put("/bench.bin", payload))
               for _ in range(3)]
        results.append(Result("put 16 KiB file", "KiB/s", put))
        get = [len(payload) / 1024 / _timed(lambda: board.get("/bench.bin")) for _ in range(3)]
        results.append(Result("get 16 KiB file", "KiB/s", get))
        board.rm("/bench.bin")
        # CPU workload: board-measured time (emulated time) vs host-measured wall time.
        board.exec(CPU_WORKLOAD)
        board_ms, host_ms = [], []
        for _ in range(max(runs // 2, 3)):
            start = time.perf_counter()
            us, _acc = board.eval("_bench(20000)")
            host_ms.append((time.perf_counter() - start) * 1000)
            board_ms.append(us / 1000)
        results.append(Result("python workload, board clock", "ms", board_ms,
                              note="compare with --target serial on a real board"))
        results.append(Result("python workload, host clock", "ms", host_ms))
        if options.target == "qemu":
            results += _pwm_fidelity(board, service.gpio)
            results.append(Result("host CPU of an idle board (REPL waiting)", "%",
                                  [_idle_cpu_percent(service) for _ in range(3)],
                                  note="QEMU process; ~0 with patches 0011/0012 on"))
            results.append(Result("host CPU of a sleeping board (time.sleep)", "%",
                                  _sleeping_cpu_percent(service, board, 3),
                                  note="QEMU process; ~0 with patch 0012 on"))
        mem = board.eval("__import__('gc').mem_free()")
        results.append(Result("gc.mem_free() after boot+bench", "bytes", [float(mem)],
                              note="real board: 30-35 KB"))
        return results
    finally:
        service.stop()


def _idle_cpu_percent(service: QemuService, seconds: float = 1.0) -> float:
    """Share of one host core the QEMU process uses while the board's REPL waits for input."""
    assert service.process is not None
    stat = Path(f"/proc/{service.process.pid}/stat")

    def cpu_seconds() -> float:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    before = cpu_seconds()
    time.sleep(seconds)
    return (cpu_seconds() - before) / seconds * 100


def _sleeping_cpu_percent(service: QemuService, board: Board, samples: int) -> list[float]:
    """Like ``_idle_cpu_percent``, while the board runs ``time.sleep`` (started in a thread)."""
    seconds = samples * 1.0 + 1.0
    sleeper = threading.Thread(
        target=board.exec, args=(f"import time\ntime.sleep({seconds})\n",),
        kwargs={"timeout": seconds + 30}, daemon=True)
    sleeper.start()
    try:
        time.sleep(0.5)
        return [_idle_cpu_percent(service) for _ in range(samples)]
    finally:
        sleeper.join(seconds + 30)


def _pwm_fidelity(board: Board, gpio: Gpio) -> list[Result]:
    """Software PWM (timer interrupt per edge) at 500 Hz, measured by the GPIO pad meter in
    guest time: how far interrupt latency stretches each period."""
    freq = 500
    board.exec(f"from machine import Pin, PWM\n_pwm = PWM(Pin(4), freq={freq}, duty=512)")
    try:
        time.sleep(0.05)
        seen = [gpio.measure(4, 1.0) for _ in range(3)]
    finally:
        board.exec("_pwm.deinit()")
    measured = [s.frequency for s in seen]
    # the port reloads the timer in the interrupt handler: each edge adds its latency
    latency = [max(0.0, (1 / f - 1 / freq) / 2 * 1e6) for f in measured if f > 0]
    return [Result(f"PWM {freq} Hz, frequency seen on the pin", "Hz", measured,
                   note="set: 500 Hz"),
            Result("timer interrupt latency per PWM edge", "us", latency,
                   note="guest time, from the period stretch")]


def rebuild_and_one_test() -> list[Result]:
    """Cached rebuild (emulator + firmware, nothing changed) plus one board test."""
    invoke = [sys.executable, "-m", "invoke"]
    steps = {
        "no-op rebuild: invoke qemu": [*invoke, "qemu"],
        "no-op rebuild: invoke build": [*invoke, "build"],
        "one board test (pytest)": [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                    "tests/board", "-k", "platform", "--maxfail=1"],
    }
    results, total = [], 0.0
    for label, cmd in steps.items():
        start = time.perf_counter()
        done = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        total += seconds
        note = "" if done.returncode in (0, 5) else f"exit {done.returncode}"
        results.append(Result(label, "s", [seconds], note=note))
    results.append(Result("cached rebuild + one board test", "s", [total], note="target < 30 s"))
    return results


NET_PAYLOAD = 1024 * 1024  # bytes each way per sample
NET_BOARD_PORT = 8266
NET_CONNECTIONS = 200

NET_BOARD_CODE = """
import socket, time, esp, gc
def _sink(host, port, total):
    s = socket.socket(); s.connect((host, port))
    buf = bytearray(1460); n = 0; t = time.ticks_us()
    while n < total:
        k = s.readinto(buf)
        if not k:
            break
        n += k
    dt = time.ticks_diff(time.ticks_us(), t); s.close()
    return n, dt
def _source(host, port, total):
    s = socket.socket(); s.connect((host, port))
    buf = b'x' * 1460; n = 0; t = time.ticks_us()
    while n < total:
        n += s.write(buf)
    dt = time.ticks_diff(time.ticks_us(), t); s.close()
    return n, dt
def _listen():
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(('0.0.0.0', PORT)); srv.listen(2); srv.settimeout(10)
    return srv
def _serve(srv, count):
    for i in range(count):
        c, a = srv.accept(); c.read(4); c.write(b'pong'); c.close()
    srv.close()
"""


def _board_net_options(options: TargetOptions, net: object) -> TargetOptions:
    import dataclasses

    return dataclasses.replace(options, qemu_args=(*options.qemu_args,
                                                   *net.qemu_args(0)))  # type: ignore[attr-defined]


def net_throughput(options: TargetOptions, mode: str | None = None,
                   runs: int = 3) -> list[Result]:
    """QEMU on the harness's network (``tap`` as root, else ``user``): TCP throughput each way
    (1 MiB per sample, host wall clock and board clock), accept-callback latency (host connect
    -> the callback's reply arrives), sequential connections per second (the board serves,
    closes first), and the board's free memory afterwards. Measured, never asserted."""
    import socket as pysocket
    import threading

    from harness.network import NetworkService, connect_board

    results: list[Result] = []
    with NetworkService(mode) as net:
        service = make_service(_board_net_options(options, net), "bench-net")
        board = service.start()
        try:
            connect_board(board)
            board.exec(NET_BOARD_CODE.replace("PORT", str(NET_BOARD_PORT)), timeout=20)
            tag = f"[{net.mode}]"
            up_wall, up_board, down_wall, down_board = [], [], [], []
            for _ in range(runs):
                with net.tcp_server() as server:
                    server.settimeout(20)
                    port = server.getsockname()[1]

                    def send_all(srv: pysocket.socket = server) -> None:
                        conn, _ = srv.accept()
                        with conn:
                            conn.sendall(b"y" * NET_PAYLOAD)

                    thread = threading.Thread(target=send_all, daemon=True)
                    thread.start()
                    start = time.perf_counter()
                    n, us = board.eval(f"_sink('{net.host_ip}', {port}, {NET_PAYLOAD})",
                                       timeout=60)
                    up_wall.append(n / 1e6 / (time.perf_counter() - start))
                    up_board.append(n / us)  # bytes per microsecond = MB/s
                    thread.join(20)
                with net.tcp_server() as server:
                    server.settimeout(20)
                    port = server.getsockname()[1]

                    def receive_all(srv: pysocket.socket = server) -> None:
                        conn, _ = srv.accept()
                        with conn:
                            conn.settimeout(20)
                            while conn.recv(65536):
                                pass

                    thread = threading.Thread(target=receive_all, daemon=True)
                    thread.start()
                    start = time.perf_counter()
                    n, us = board.eval(f"_source('{net.host_ip}', {port}, {NET_PAYLOAD})",
                                       timeout=60)
                    thread.join(20)
                    down_wall.append(n / 1e6 / (time.perf_counter() - start))
                    down_board.append(n / us)
            results += [
                Result(f"TCP host->board {tag}", "MB/s", up_wall, note="target >= 2 MB/s"),
                Result(f"TCP host->board, board clock {tag}", "MB/s", up_board),
                Result(f"TCP board->host {tag}", "MB/s", down_wall, note="target >= 2 MB/s"),
                Result(f"TCP board->host, board clock {tag}", "MB/s", down_board),
            ]

            # Accept callback: host connect -> the callback's greeting arrives.
            board.exec(
                "_srv = socket.socket()\n"
                "_srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                f"_srv.bind(('0.0.0.0', {NET_BOARD_PORT}))\n"
                "_srv.listen(2)\n"
                "def _cb(s):\n"
                "    c, a = s.accept(); c.write(b'hi'); c.close()\n"
                "_srv.setsockopt(socket.SOL_SOCKET, 20, _cb)\n")
            latency = []
            try:
                for _ in range(max(runs, 10)):
                    start = time.perf_counter()
                    with net.connect_to_board(NET_BOARD_PORT, timeout=10) as sock:
                        sock.recv(2)
                        latency.append((time.perf_counter() - start) * 1000)
            finally:
                board.exec("_srv.setsockopt(socket.SOL_SOCKET, 20, None)\n_srv.close()\n")
            results.append(Result(f"accept callback latency {tag}", "ms", latency,
                                  note="host connect -> callback's reply"))

            # Sequential connections to the board (it serves and closes first).
            def clients() -> None:
                for _ in range(NET_CONNECTIONS):
                    with net.connect_to_board(NET_BOARD_PORT, timeout=10) as sock:
                        sock.sendall(b"ping")
                        sock.recv(4)

            board.exec("_srv = _listen()")
            thread = threading.Thread(target=clients, daemon=True)
            thread.start()
            start = time.perf_counter()
            board.exec(f"_serve(_srv, {NET_CONNECTIONS})", timeout=120)
            thread.join(30)
            results.append(Result(f"connections per second {tag}", "1/s",
                                  [NET_CONNECTIONS / (time.perf_counter() - start)],
                                  note=f"{NET_CONNECTIONS} sequential, board closes first"))
            free, heap = board.eval("(gc.collect(), gc.mem_free(), esp.freemem())")[1:]
            results.append(Result(f"gc.mem_free() after net bench {tag}", "bytes", [float(free)]))
            results.append(Result(f"esp.freemem() after net bench {tag}", "bytes",
                                  [float(heap)], note="HAL heap: lwIP's pcbs and pbufs"))
        finally:
            service.stop()
    return results


FAULT_PAYLOAD = 256 * 1024  # bytes each way per profile (slow: 1 Mbit/s, ~2 s)
FAULT_PROFILES = ("lossy", "slow")


def _host_tcp_counters(net: object) -> dict[str, int]:
    """The namespace's TCP counters (/proc/thread-self/net/snmp read from inside it)."""
    text = net.ns.call(  # type: ignore[attr-defined]
        lambda: Path("/proc/thread-self/net/snmp").read_text())
    rows = [line.split()[1:] for line in text.splitlines() if line.startswith("Tcp:")]
    return {key: int(value) for key, value in zip(rows[0], rows[1], strict=True)}


def net_faults(options: TargetOptions, profiles: tuple[str, ...] = FAULT_PROFILES,
               runs: int = 1) -> list[Result]:
    """TCP throughput each way on impaired links (tap mode, ``--netem`` profiles), with the
    retransmissions seen: the host side's (its TCP counters in the namespace) and the frames
    the link dropped, duplicated and reordered. The board's own lwIP counters are not
    available: the firmware is built with LWIP_STATS 0 (lwipopts.h)."""
    import socket as pysocket
    import threading

    from harness.network import NetworkService, connect_board

    results: list[Result] = []
    for profile in profiles:
        with NetworkService("tap", netem=profile) as net:
            service = make_service(_board_net_options(options, net), f"bench-{profile}")
            board = service.start()
            try:
                connect_board(board)
                board.exec(NET_BOARD_CODE.replace("PORT", str(NET_BOARD_PORT)), timeout=20)
                up, down = [], []
                before = _host_tcp_counters(net)
                for _ in range(runs):
                    with net.tcp_server() as server:
                        server.settimeout(60)
                        port = server.getsockname()[1]

                        def send_all(srv: pysocket.socket = server) -> None:
                            conn, _ = srv.accept()
                            with conn:
                                conn.sendall(b"y" * FAULT_PAYLOAD)

                        thread = threading.Thread(target=send_all, daemon=True)
                        thread.start()
                        start = time.perf_counter()
                        n, _us = board.eval(f"_sink('{net.host_ip}', {port}, {FAULT_PAYLOAD})",
                                            timeout=180)
                        up.append(n / 1e6 / (time.perf_counter() - start))
                        thread.join(60)
                    with net.tcp_server() as server:
                        server.settimeout(60)
                        port = server.getsockname()[1]
                        got: list[int] = []

                        def receive_all(srv: pysocket.socket = server,
                                        got: list[int] = got) -> None:
                            conn, _ = srv.accept()
                            with conn:
                                conn.settimeout(60)
                                while data := conn.recv(65536):
                                    got.append(len(data))

                        thread = threading.Thread(target=receive_all, daemon=True)
                        thread.start()
                        start = time.perf_counter()
                        board.eval(f"_source('{net.host_ip}', {port}, {FAULT_PAYLOAD})",
                                   timeout=180)
                        thread.join(60)
                        down.append(sum(got) / 1e6 / (time.perf_counter() - start))
                after = _host_tcp_counters(net)
                link = net.impairment_counts(0)
                both = {key: link["from_board"][key] + link["to_board"][key]
                        for key in ("frames", "dropped", "duplicated", "reordered")}
                tag = f"[tap, {profile}]"
                results += [
                    Result(f"TCP host->board {tag}", "MB/s", up,
                           note=f"{FAULT_PAYLOAD // 1024} KiB; {net.netem.describe()}"),
                    Result(f"TCP board->host {tag}", "MB/s", down),
                    Result(f"host TCP retransmitted segments {tag}", "segments",
                           [float(after["RetransSegs"] - before["RetransSegs"])],
                           note="board's: n/a (firmware LWIP_STATS 0)"),
                    Result(f"link frames dropped {tag}", "frames", [float(both["dropped"])],
                           note=f"of {both['frames']}; duplicated {both['duplicated']}, "
                                f"reordered {both['reordered']}"),
                ]
            finally:
                service.stop()
    return results


def run(options: TargetOptions, runs: int = 10, include_build: bool = True,
        net: str | None = None, netem: tuple[str, ...] = FAULT_PROFILES) -> list[Result]:
    """All benchmarks; ``net`` ("tap" or "user") adds the network ones (QEMU only), and in
    tap mode the same transfers on each ``netem`` profile."""
    results: list[Result] = []
    with progress.step(f"benchmarks on {options.target}"):
        if options.target == "qemu":
            results += boot_to_prompt(options, runs)
        results += on_board(options, runs)
        if net and options.target == "qemu":
            results += net_throughput(options, net, runs=3)
        if net == "tap" and netem and options.target == "qemu":
            results += net_faults(options, netem)
        if include_build and options.target == "qemu":
            results += rebuild_and_one_test()
    for r in results:
        r.target = options.target
    report(results)
    return results


def report(results: list[Result], path: Path | None = None, merge: bool = False) -> Path:
    """Print ``results`` and write them to bench.json; ``merge`` keeps the file's other
    results (same-named ones are replaced), so separate benchmark runs add up."""
    progress.say(f"  {'benchmark':<34} {'median':>10} {'unit':<8} {'min..max':<18}")
    for r in results:
        progress.say(r.row())
    path = path or reports_dir() / "bench.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [{**asdict(r), "median": r.median} for r in results]
    if merge and path.is_file():
        try:
            old = json.loads(path.read_text()).get("results", [])
        except (ValueError, AttributeError):
            old = []
        names = {row["name"] for row in rows}
        rows = [row for row in old if row.get("name") not in names] + rows
    data = {
        "host": {"machine": platform.machine(), "cpus": os.cpu_count(),
                 "python": platform.python_version()},
        "results": rows,
    }
    path.write_text(json.dumps(data, indent=1) + "\n")
    progress.say(f"    written to {path}")
    return path
