"""Socket callbacks (issue "Network", seed behaviour 3): ``setsockopt(SOL_SOCKET, 20, cb)``.

On a listening socket ``cb`` runs when a connection arrives, on a connected socket when data
(or the peer's FIN) arrives. MicroPython schedules it (``mp_sched_schedule``), so it runs
while the board idles at the REPL as well as between bytecodes of running code. The
callbacks here use the network themselves (accept, write, connect). The latency from the
host's connect/send to the callback's answer is recorded (``record_property``), not asserted.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable

import pytest
from net_helpers import HostThread, bring_up, host_wait

from harness.board import Board
from harness.network.service import NetworkService

BOARD_PORT = 8002
ROUNDS = 5
Record = Callable[[str, object], None]


def _recv_exactly(sock: object, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))  # type: ignore[attr-defined]
        if not chunk:
            break
        data += chunk
    return data


@pytest.mark.needs_net
def test_accept_callback_runs_while_idle(net_board: Board, net: NetworkService,
                                         record_property: Record) -> None:
    bring_up(net_board)
    net_board.exec(
        "import socket, time\n"
        "events = []\n"
        "conns = []\n"
        "def on_accept(srv):\n"
        "    c, a = srv.accept()\n"
        "    c.write(b'hello from the callback')\n"
        "    conns.append(c)\n"
        "    events.append(a[0])\n"
        "srv = socket.socket()\n"
        "srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        f"srv.bind(('0.0.0.0', {BOARD_PORT}))\n"
        "srv.listen(2)\n"
        "srv.setsockopt(socket.SOL_SOCKET, 20, on_accept)\n")
    latencies = []
    try:
        # The board sits at the raw REPL, waiting for input: the callbacks run from there.
        for _ in range(ROUNDS):
            start = time.perf_counter()
            with net.connect_to_board(BOARD_PORT, timeout=host_wait(net)) as sock:
                greeting = _recv_exactly(sock, 23)
                latencies.append((time.perf_counter() - start) * 1000)
            assert greeting == b"hello from the callback"
        out = net_board.exec("print(len(events))\n"
                             "for c in conns:\n"
                             "    c.close()\n").strip()
        assert out == str(ROUNDS)
    finally:
        net_board.exec("srv.setsockopt(socket.SOL_SOCKET, 20, None)\nsrv.close()\n")
    record_property("accept_callback_latency_ms_median", round(statistics.median(latencies), 2))
    record_property("accept_callback_latency_ms_max", round(max(latencies), 2))


@pytest.mark.needs_net
def test_data_callback_on_connected_socket(net_board: Board, net: NetworkService,
                                           record_property: Record) -> None:
    bring_up(net_board)
    latencies = []
    with net.tcp_server() as server:
        server.settimeout(host_wait(net))
        port = server.getsockname()[1]
        accepted = HostThread(lambda: server.accept()[0])
        net_board.exec(
            "import socket, errno\n"
            "got = []\n"
            "def on_data(s):\n"
            "    try:\n"
            "        d = s.recv(100)\n"
            "    except OSError as e:\n"
            "        if e.errno != errno.EAGAIN:\n"
            "            got.append('error %d' % e.errno)\n"
            "        return\n"
            "    if d:\n"
            "        s.write(d.upper())\n"
            "        got.append(d)\n"
            "    else:\n"
            "        got.append('eof')\n"
            "s = socket.socket()\n"
            f"s.connect(('{net.host_ip}', {port}))\n"
            "s.setblocking(False)\n"
            "s.setsockopt(socket.SOL_SOCKET, 20, on_data)\n")
        conn = accepted.result(host_wait(net))
        with conn:
            conn.settimeout(host_wait(net))
            for index in range(ROUNDS):
                message = f"ping{index}".encode()
                start = time.perf_counter()
                conn.sendall(message)
                echo = _recv_exactly(conn, len(message))
                latencies.append((time.perf_counter() - start) * 1000)
                assert echo == message.upper()
        # The FIN runs the callback too: recv() gives EOF there.
        out = ""
        for _ in range(20):
            out = net_board.exec("print(got[-1] if got else None)").strip()
            if out == "eof":
                break
            time.sleep(0.05)
    net_board.exec("s.setsockopt(socket.SOL_SOCKET, 20, None)\ns.close()\n")
    assert out == "eof"
    record_property("data_callback_round_trip_ms_median", round(statistics.median(latencies), 2))


@pytest.mark.needs_net
def test_callback_runs_between_bytecodes(net_board: Board, net: NetworkService) -> None:
    """A callback interrupts a running Python loop (scheduled between bytecodes)."""
    bring_up(net_board)
    net_board.exec(
        "import socket, time\n"
        "hits = []\n"
        "srv = socket.socket()\n"
        "srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        f"srv.bind(('0.0.0.0', {BOARD_PORT}))\n"
        "srv.listen(2)\n"
        "def on_accept(srv):\n"
        "    c, a = srv.accept()\n"
        "    hits.append(i)\n"
        "    c.write(b'ok')\n"
        "    c.close()\n"
        "srv.setsockopt(socket.SOL_SOCKET, 20, on_accept)\n")
    go = threading.Event()

    def client() -> bytes:
        go.wait(10)  # the loop runs: connect now
        with net.connect_to_board(BOARD_PORT, timeout=host_wait(net)) as sock:
            return _recv_exactly(sock, 2)

    def on_output(data: bytes) -> None:
        seen.extend(data)
        if b"looping" in seen:
            go.set()

    seen = bytearray()
    host = HostThread(client)
    try:
        # A busy loop (no sleeps, no socket calls) of a few seconds at most; it says when it
        # runs. The callback can only have run between this code's bytecodes (i exists).
        out = net_board.exec(
            "t0 = time.ticks_ms(); i = 0\n"
            "print('looping')\n"
            "while not hits and time.ticks_diff(time.ticks_ms(), t0) < 5000:\n"
            "    i += 1\n"
            "print(len(hits), hits[0] >= 0 if hits else None)\n", timeout=20,
            on_output=on_output).strip().splitlines()[-1]
        assert host.result(15) == b"ok"
    finally:
        net_board.exec("srv.setsockopt(socket.SOL_SOCKET, 20, None)\nsrv.close()\n")
    assert out == "1 True"


@pytest.mark.needs_net
def test_accept_callback_connects_out(net_board: Board, net: NetworkService) -> None:
    """The accept callback opens its own connection to the host and reports there."""
    bring_up(net_board)
    with net.tcp_server() as server:
        server.settimeout(host_wait(net))
        port = server.getsockname()[1]
        net_board.exec(
            "import socket\n"
            "done = []\n"
            "def on_accept(srv):\n"
            "    c, a = srv.accept()\n"
            "    n = socket.socket()\n"
            f"    n.connect(('{net.host_ip}', {port}))\n"
            "    n.write(b'connection from ' + a[0].encode())\n"
            "    n.close()\n"
            "    c.write(b'reported')\n"
            "    c.close()\n"
            "    done.append(1)\n"
            "srv = socket.socket()\n"
            "srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
            f"srv.bind(('0.0.0.0', {BOARD_PORT}))\n"
            "srv.listen(2)\n"
            "srv.setsockopt(socket.SOL_SOCKET, 20, on_accept)\n")

        def notified() -> bytes:
            conn, _ = server.accept()
            with conn:
                conn.settimeout(host_wait(net))
                data = b""
                while chunk := conn.recv(100):
                    data += chunk
                return data

        report = HostThread(notified)
        try:
            with net.connect_to_board(BOARD_PORT, timeout=host_wait(net)) as sock:
                reply = _recv_exactly(sock, 8)
            note = report.result(15)
        finally:
            net_board.exec("srv.setsockopt(socket.SOL_SOCKET, 20, None)\nsrv.close()\n")
    assert reply == b"reported"
    assert note.startswith(b"connection from ")
