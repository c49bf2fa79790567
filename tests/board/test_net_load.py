"""Many connections leak neither sockets nor memory (issue "Network").

500 sequential connections (the board accepting, like a small HTTP server; and the board
connecting out) and 8 concurrent ones. Before and after, the board reports ``gc.mem_free()``
after a collection (MicroPython's GC heap: socket objects, buffers) and ``esp.freemem()``
(the HAL heap: lwIP's PCBs and pbufs).

Tolerances, and why: the GC heap must come back within 1 KiB (every socket object and its
buffers are garbage after the loop; what may stay is fragmentation and the interned strings
of the test code itself, which a first warm-up connection already created). The HAL heap must
come back within 1 KiB once the TIME_WAIT PCBs of the side that closed first have expired
(lwIP holds them 2 x TCP_MSL = 10 s): an idle stack needs about 1 KiB and each leaked PCB
costs ~0.2 KiB, so five leaked PCBs, or one leaked pbuf chain of a segment, would exceed it.
Both network modes make the full count. The loops are bounded in count and in time (each
has its own deadline); the rates are recorded with ``record_property``, not asserted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from net_helpers import HostThread, bring_up, memory

from harness.board import Board
from harness.network.service import NetworkService

PORT = 8080
SEQUENTIAL = 500
# On faulty links (--netem) each lost segment costs a retransmission timeout (lwIP's first RTO
# is 3 s): fewer connections keep the run short, and the leak bounds still catch a leak.
SEQUENTIAL_ON_FAULTY_LINKS = 50
CONCURRENT = 8
GC_TOLERANCE = 1024
HEAP_TOLERANCE = 1024
TIME_WAIT_S = 10  # 2 * TCP_MSL (lwipopts.h)
Record = Callable[[str, object], None]


def _settled_memory(board: Board, heap_baseline: int | None = None) -> tuple[int, int]:
    """Memory once lwIP has freed the TIME_WAIT PCBs of the connections the board closed first
    (2 x TCP_MSL after the close, plus a timer tick): the board sleeps, lwIP's timers running
    meanwhile, until esp.freemem() is back within the tolerance of ``heap_baseline`` or the
    TIME_WAIT period has certainly passed."""
    target = -1 if heap_baseline is None else heap_baseline - HEAP_TOLERANCE
    board.exec(
        "import esp, time\n"
        "t0 = time.ticks_ms()\n"
        f"while esp.freemem() < {target} and "
        f"time.ticks_diff(time.ticks_ms(), t0) < {(TIME_WAIT_S + 8) * 1000}:\n"
        "    time.sleep_ms(100)\n", timeout=TIME_WAIT_S + 15)
    return memory(board)


@pytest.mark.needs_net
@pytest.mark.timeout(120)
@pytest.mark.parametrize("closes_first", ["board", "host"])
def test_500_sequential_connections_to_the_board(net_board: Board, net: NetworkService,
                                                 closes_first: str,
                                                 record_property: Record) -> None:
    bring_up(net_board)
    net_board.exec(
        "import socket, time\n"
        "srv = socket.socket()\n"
        "srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        f"srv.bind(('0.0.0.0', {PORT}))\n"
        "srv.listen(2)\n"
        "srv.settimeout(30)\n"
        "def serve(count):\n"
        "    low = esp.freemem()\n"
        "    for i in range(count):\n"
        "        step = 'accept'\n"
        "        try:\n"
        "            c, a = srv.accept()\n"
        "            c.settimeout(30)\n"
        "            step = 'read'\n"
        "            req = c.read(8)\n"
        "            c.write(b'reply %3d' % (i % 1000))\n"
        + ("            c.close()\n" if closes_first == "board" else
           "            step = 'eof'\n"
           "            c.read(1)\n"  # EOF: the host closed first
           "            c.close()\n") +
        "        except OSError as e:\n"
        "            return 'connection %d: %s: OSError %d, freemem %d' % (i, step, e.errno, "
        "esp.freemem())\n"
        "        low = min(low, esp.freemem())\n"
        "    return low\n"
        "import esp\n")

    def clients(count: int) -> int:
        done = 0
        for index in range(count):
            with net.connect_to_board(PORT, timeout=30) as sock:
                sock.sendall(b"request!")
                reply = b""
                while len(reply) < 9:
                    chunk = sock.recv(9 - len(reply))
                    if not chunk:
                        break
                    reply += chunk
                assert reply == b"reply %3d" % index, (index, reply)
                if closes_first == "board":
                    assert sock.recv(1) == b""  # the board's FIN
            done += 1
        return done

    count = SEQUENTIAL if net.netem is None else SEQUENTIAL_ON_FAULTY_LINKS
    try:
        # Warm-up: the first connection creates what stays (ARP entry, interned strings).
        warm = HostThread(lambda: clients(1))
        net_board.exec("serve(1)", timeout=20)
        warm.result()
        gc_before, heap_before = _settled_memory(net_board)

        start = time.perf_counter()
        host = HostThread(lambda: clients(count))
        low = net_board.eval(f"serve({count})", timeout=90)
        try:
            served = host.result(30)
        except Exception as exc:  # reported with the board's side
            served = repr(exc)
        assert isinstance(low, int), (low, served)
        assert served == count
        seconds = time.perf_counter() - start
        gc_after, heap_after = _settled_memory(net_board, heap_before)
    finally:
        net_board.exec("srv.close()")
    record_property("connections", count)
    record_property("connections_per_second", round(count / seconds, 1))
    record_property("freemem_lowest_during_loop", low)
    record_property("gc_mem_free_before_after", f"{gc_before} {gc_after}")
    record_property("freemem_before_after", f"{heap_before} {heap_after}")
    assert gc_after >= gc_before - GC_TOLERANCE, (gc_before, gc_after)
    assert heap_after >= heap_before - HEAP_TOLERANCE, (heap_before, heap_after)


@pytest.mark.needs_net
@pytest.mark.timeout(120)
def test_500_sequential_connections_from_the_board(net_board: Board, net: NetworkService,
                                                   record_property: Record) -> None:
    bring_up(net_board)
    with net.tcp_server(backlog=16) as server:
        server.settimeout(30)
        port = server.getsockname()[1]

        def serve(count: int) -> int:
            served = 0
            for _ in range(count):
                conn, _ = server.accept()
                with conn:
                    conn.settimeout(30)
                    request = conn.recv(16)
                    conn.sendall(request.upper())
                served += 1
            return served

        net_board.exec(
            "import socket\n"
            "def connect(count):\n"
            "    ok = 0\n"
            "    for i in range(count):\n"
            "        s = socket.socket()\n"
            "        s.settimeout(30)\n"
            f"        s.connect(('{net.host_ip}', {port}))\n"
            "        s.write(b'hello %d' % i)\n"
            "        ok += s.read(16) == (b'HELLO %d' % i)\n"
            "        s.close()\n"
            "    return ok\n")
        warm = HostThread(lambda: serve(1))
        assert net_board.eval("connect(1)", timeout=20) == 1
        warm.result()
        gc_before, heap_before = _settled_memory(net_board)
        count = SEQUENTIAL if net.netem is None else SEQUENTIAL_ON_FAULTY_LINKS
        start = time.perf_counter()
        host = HostThread(lambda: serve(count))
        ok = net_board.eval(f"connect({count})", timeout=90)
        assert host.result(30) == count
        seconds = time.perf_counter() - start
    assert ok == count
    gc_after, heap_after = _settled_memory(net_board, heap_before)
    record_property("connections", count)
    record_property("connections_per_second", round(count / seconds, 1))
    record_property("gc_mem_free_before_after", f"{gc_before} {gc_after}")
    record_property("freemem_before_after", f"{heap_before} {heap_after}")
    assert gc_after >= gc_before - GC_TOLERANCE, (gc_before, gc_after)
    assert heap_after >= heap_before - HEAP_TOLERANCE, (heap_before, heap_after)


@pytest.mark.needs_net
@pytest.mark.timeout(120)
def test_8_concurrent_connections_to_the_board(net_board: Board, net: NetworkService,
                                               record_property: Record) -> None:
    bring_up(net_board)
    net_board.exec(
        "import socket, esp\n"
        "srv = socket.socket()\n"
        "srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        f"srv.bind(('0.0.0.0', {PORT}))\n"
        f"srv.listen({CONCURRENT})\n"
        "srv.settimeout(30)\n")
    gc_before, heap_before = memory(net_board)
    barrier = threading.Barrier(CONCURRENT, timeout=20)
    results: dict[int, bytes] = {}

    def client(index: int) -> None:
        with net.connect_to_board(PORT, timeout=20) as sock:
            sock.settimeout(20)
            barrier.wait()  # all connected before any data
            sock.sendall(b"%d:" % index + bytes([65 + index]) * 600)
            data = b""
            while chunk := sock.recv(2048):
                data += chunk
            results[index] = data

    rounds = 3
    try:
        for _ in range(rounds):
            threads = [HostThread(lambda i=i: client(i)) for i in range(CONCURRENT)]
            out = net_board.exec(
                "conns = []\n"
                f"for k in range({CONCURRENT}):\n"
                "    c, a = srv.accept()\n"
                "    c.settimeout(30)\n"
                "    conns.append(c)\n"
                "low = esp.freemem()\n"
                "for c in conns:\n"
                "    head = c.read(2)\n"
                "    if head[1:] != b':':\n"
                "        head += c.read(1)\n"
                "    body = c.read(600)\n"
                "    c.write(head + b'%d' % len(body))\n"
                "    low = min(low, esp.freemem())\n"
                "for c in conns:\n"
                "    c.close()\n"
                "del conns, c, a, head, body\n"
                "print(low)\n", timeout=60).strip()
            for thread in threads:
                thread.result(30)
            assert results == {i: b"%d:600" % i for i in range(CONCURRENT)}
            results.clear()
        gc_after, heap_after = _settled_memory(net_board, heap_before)
    finally:
        net_board.exec("srv.close()")
    record_property("freemem_lowest_with_8_open", int(out))
    record_property("gc_mem_free_before_after", f"{gc_before} {gc_after}")
    record_property("freemem_before_after", f"{heap_before} {heap_after}")
    assert gc_after >= gc_before - GC_TOLERANCE, (gc_before, gc_after)
    assert heap_after >= heap_before - HEAP_TOLERANCE, (heap_before, heap_after)


@pytest.mark.needs_net
@pytest.mark.timeout(120)
def test_8_concurrent_connections_from_the_board(net_board: Board, net: NetworkService) -> None:
    bring_up(net_board)
    with net.tcp_server(backlog=CONCURRENT) as server:
        server.settimeout(30)
        port = server.getsockname()[1]

        def serve() -> list[bytes]:
            conns = []
            try:
                for _ in range(CONCURRENT):
                    conn, _ = server.accept()
                    conn.settimeout(30)
                    conns.append(conn)
                got = []
                for conn in reversed(conns):  # answer in the other order
                    request = conn.recv(32)
                    got.append(request)
                    conn.sendall(request.upper())
                return got
            finally:
                for conn in conns:
                    conn.close()

        gc_before, heap_before = memory(net_board)
        host = HostThread(serve)
        out = net_board.exec(
            "import socket\n"
            "socks = []\n"
            f"for k in range({CONCURRENT}):\n"
            "    s = socket.socket()\n"
            "    s.settimeout(30)\n"
            f"    s.connect(('{net.host_ip}', {port}))\n"
            "    socks.append(s)\n"
            "for k, s in enumerate(socks):\n"
            "    s.write(b'board socket %d' % k)\n"
            "ok = 0\n"
            "for k, s in enumerate(socks):\n"
            "    ok += s.read(14 if k < 10 else 15) == (b'BOARD SOCKET %d' % k)\n"
            "    s.close()\n"
            "del socks, s\n"
            "print(ok)\n", timeout=60).strip()
        got = host.result(30)
    assert sorted(got) == sorted(b"board socket %d" % k for k in range(CONCURRENT))
    assert out == str(CONCURRENT)
    gc_after, heap_after = _settled_memory(net_board, heap_before)
    assert gc_after >= gc_before - GC_TOLERANCE, (gc_before, gc_after)
    assert heap_after >= heap_before - HEAP_TOLERANCE, (heap_before, heap_after)

