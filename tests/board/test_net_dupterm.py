"""``os.dupterm`` on a TCP socket (seed behaviour 5 over the network): a connected socket
attached with ``os.dupterm`` carries the REPL; when the host drops the connection, dupterm
sees EOF, closes the socket and detaches it, and the UART REPL carries on; attach/drop
cycles leak no memory. The board connects to ``net.tcp_server()`` (``--net tap`` and
``--net user``)."""

from __future__ import annotations

import socket
import threading

import pytest
from net_helpers import bring_up

from harness.board import Board
from harness.network.service import NetworkService

pytestmark = pytest.mark.needs_net

EOF_MESSAGE = b"dupterm: EOF received, deactivating"


# attach(addr): connect, make the socket a terminal: non-blocking reads (input only as it
# arrives), its receive callback (option 20) feeds the REPL through os.dupterm_notify.
# closed(s): True once dupterm closed the socket (a closed lwIP socket polls as POLLNVAL).
HELPERS = """
def attach(addr):
    s = socket.socket()
    s.connect(addr)
    s.setblocking(False)
    s.setsockopt(socket.SOL_SOCKET, 20, os.dupterm_notify)
    os.dupterm(s, 0)
    return s

def closed(s):
    p = select.poll()
    p.register(s, select.POLLIN)
    return any(ev & 0x20 for _, ev in p.poll(0))
"""


@pytest.fixture
def term_board(net_board: Board, net: NetworkService) -> Board:
    bring_up(net_board)
    net_board.exec("import os, socket, select, gc")
    net_board.exec(HELPERS)
    return net_board


def _read_until(conn: socket.socket, marker: bytes, limit: int = 65536) -> bytes:
    data = b""
    while marker not in data:
        chunk = conn.recv(4096)
        if not chunk:
            raise AssertionError(f"connection closed before {marker!r}; got {data!r}")
        data += chunk
        assert len(data) < limit, f"no {marker!r} in {limit} bytes: {data[-200:]!r}"
    return data


def test_repl_over_a_socket_until_the_host_drops_it(term_board: Board,
                                                    net: NetworkService) -> None:
    board = term_board
    with net.tcp_server() as server:
        server.settimeout(10)
        port = server.getsockname()[1]
        board.exec(f"s = attach(('{net.host_ip}', {port}))")
        conn, _ = server.accept()
        with conn:
            conn.settimeout(10)
            # the UART REPL goes friendly; the socket gets the same output
            board.exec("")
            board.repl.exit()
            board.transport.read_until(b">>> ", 5.0, what="the friendly prompt")
            _read_until(conn, b">>> ")
            conn.sendall(b"print('over', 'tcp', 6 * 7)\r")
            out = _read_until(conn, b"over tcp 42\r\n>>> ")
            assert b"print('over', 'tcp', 6 * 7)" in out  # the REPL echoed the typed line
            # the UART saw the same session
            board.transport.read_until(b"over tcp 42\r\n>>> ", 5.0, what="the output on UART")
            conn.shutdown(socket.SHUT_RDWR)
        # the board sees EOF, closes and detaches the socket; the UART REPL carries on
        board.transport.read_until(EOF_MESSAGE + b"\r\n", 10.0, what="dupterm's EOF message")
    board.repl.at_raw_prompt = False
    assert board.eval("(os.dupterm(None, 0) is None, closed(s))") == (True, True)
    assert board.eval("'uart' + ' ok'") == "uart ok"


def test_100_attach_drop_cycles_keep_memory_stable(term_board: Board,
                                                  net: NetworkService) -> None:
    board = term_board
    # On faulty links (--netem) a lost FIN or marker costs a retransmission timeout: fewer
    # cycles, a longer wait for each; 20 leaked sockets would still exceed the bound below.
    cycles = 100 if net.netem is None else 20
    wait_ms = 5000 if net.netem is None else 30000
    with net.tcp_server(backlog=4) as server:
        server.settimeout(20 + wait_ms / 1000)
        port = server.getsockname()[1]
        errors: list[str] = []

        def host() -> None:
            # accept each connection, wait for the board's marker, drop the connection
            try:
                for _ in range(cycles + 10):
                    conn, _ = server.accept()
                    with conn:
                        conn.settimeout(wait_ms / 1000)
                        _read_until(conn, b"attached\r\n")
                        conn.shutdown(socket.SHUT_RDWR)
            except Exception as exc:  # reported by the test below
                errors.append(repr(exc))

        thread = threading.Thread(target=host, daemon=True)
        thread.start()
        out = board.exec(
            "def cycle(n):\n"
            f"    addr = ('{net.host_ip}', {port})\n"
            "    for i in range(n):\n"
            "        s = attach(addr)\n"
            "        print('attached')\n"
            "        t0 = time.ticks_ms()\n"
            "        while not closed(s):\n"
            f"            if time.ticks_diff(time.ticks_ms(), t0) > {wait_ms}:\n"
            "                raise OSError('dupterm kept the dropped socket')\n"
            "            time.sleep_ms(1)\n"
            "        if os.dupterm(None, 0) is not None:\n"
            "            raise OSError('still attached')\n"
            "cycle(10)\n"
            "gc.collect()\n"
            "before = gc.mem_free()\n"
            f"cycle({cycles})\n"
            "gc.collect()\n"
            "print('free', before, gc.mem_free())", timeout=120)
        thread.join(10)
    assert not errors, errors
    assert out.count("dupterm: EOF received, deactivating") == cycles + 10
    before, after = map(int, out.split("free")[-1].split())
    # A leak of one closed socket object (or its stream state) per cycle would be >= 100 x
    # ~40 bytes = 4 KB. 512 bytes allows for the GC heap's 16-byte block rounding and the
    # fragmentation of a few live objects (ints, the poll object) that move between the
    # two measurements.
    assert before - after <= 512, (before, after)
