"""The board's link pulled in the middle of a transfer (tap mode; docs/reliability.md).

The board sends 96 KiB of a known pattern to the host. Once a quarter has arrived, the host
takes the board's bridge port down for 2 s (the cable pulled: nothing passes either way) and
brings it back. TCP must recover: the transfer completes with every byte right, or the board
gets one of the errors a dead peer gives (ETIMEDOUT, ECONNRESET, ECONNABORTED) and the host
never sees a wrong byte. Afterwards the board's memory is back at its baseline (same
tolerances and TIME_WAIT wait as test_net_load.py). Runs under ``--netem`` profiles too.
"""

from __future__ import annotations

import time

import pytest
from net_helpers import HostThread, bring_up, memory

from harness.board import Board
from harness.network.service import NetworkService

TOTAL = 96 * 1024
CHUNK = 1024
DOWN_S = 2.0
GC_TOLERANCE = 1024
HEAP_TOLERANCE = 1024
TIME_WAIT_S = 10
EXPECTED_ERRORS = ("ETIMEDOUT", "ECONNRESET", "ECONNABORTED", "110", "104", "103")


PERIOD = 251  # prime: chunk k starts at offset k % 251 of the base, so order errors show


def _pattern(count: int) -> bytes:
    base = bytes(j % PERIOD for j in range(CHUNK + PERIOD))
    stream = b"".join(base[k % PERIOD:k % PERIOD + CHUNK] for k in range(TOTAL // CHUNK))
    return stream[:count]


SENDER = (
    "import socket, errno\n"
    "def _send(host, port, total, chunk):\n"
    f"    buf = bytes(j % {PERIOD} for j in range(chunk + {PERIOD}))\n"
    "    s = socket.socket()\n"
    "    s.settimeout(30)\n"
    "    try:\n"
    "        s.connect((host, port))\n"
    "        mv = memoryview(buf)\n"
    "        for k in range(total // chunk):\n"
    f"            s.write(mv[k % {PERIOD}:k % {PERIOD} + chunk])\n"
    "        return 'sent'\n"
    "    except OSError as e:\n"
    "        code = e.args[0]\n"
    "        return 'error %s' % errno.errorcode.get(code, code)\n"
    "    finally:\n"
    "        s.close()\n"
)


def _settle(board: Board, heap_baseline: int) -> tuple[int, int]:
    board.exec(
        "import esp, time\n"
        "t0 = time.ticks_ms()\n"
        f"while esp.freemem() < {heap_baseline - HEAP_TOLERANCE} and "
        f"time.ticks_diff(time.ticks_ms(), t0) < {(TIME_WAIT_S + 8) * 1000}:\n"
        "    time.sleep_ms(100)\n", timeout=TIME_WAIT_S + 15)
    return memory(board)


def _receive(conn, on_progress) -> bytes:  # type: ignore[no-untyped-def]
    got = bytearray()
    while len(got) < TOTAL:
        try:
            data = conn.recv(8192)
        except OSError:
            break
        if not data:
            break
        got += data
        on_progress(len(got))
    return bytes(got)


def _transfer(board: Board, net: NetworkService, flap: bool) -> tuple[str, bytes]:
    with net.tcp_server() as server:
        server.settimeout(30)
        port = server.getsockname()[1]
        sender = HostThread(lambda: board.eval(
            f"_send({net.host_ip!r}, {port}, {TOTAL}, {CHUNK})", timeout=120))
        conn, _ = server.accept()
        conn.settimeout(40)
        flapped: list[float] = []

        def on_progress(count: int) -> None:
            if flap and not flapped and count >= TOTAL // 4:
                began = time.monotonic()
                net.set_link(False)
                time.sleep(DOWN_S)
                net.set_link(True)
                flapped.append(time.monotonic() - began)

        with conn:
            got = _receive(conn, on_progress)
        outcome = sender.result(timeout=120)
        assert not flap or flapped, f"the transfer ended before the flap ({len(got)} bytes)"
        return str(outcome), got


@pytest.mark.needs_net
@pytest.mark.timeout(240)
def test_link_flap_in_the_middle_of_a_transfer(net_board: Board, net: NetworkService,
                                               record_property) -> None:  # type: ignore[no-untyped-def]
    if net.mode != "tap":
        pytest.skip("pulling the cable needs tap mode (a bridge port to take down)")
    bring_up(net_board)
    net_board.exec(SENDER)
    outcome, got = _transfer(net_board, net, flap=False)  # warm-up: lazily made things exist
    assert outcome == "sent" and got == _pattern(TOTAL)
    gc_base, heap_base = _settle(net_board, 1 << 30)

    outcome, got = _transfer(net_board, net, flap=True)
    assert got == _pattern(len(got)), "a wrong byte arrived after the link came back"
    if outcome == "sent":
        assert len(got) == TOTAL, f"the board says sent, the host got {len(got)} of {TOTAL}"
    else:
        assert outcome.startswith("error ") and outcome.split()[1] in EXPECTED_ERRORS, outcome
    assert net_board.eval("1 + 1") == 2
    record_property("flap_outcome", f"{outcome}, {len(got)} of {TOTAL} bytes")
    print(f"link flap: {outcome}, {len(got)} of {TOTAL} bytes")

    gc_after, heap_after = _settle(net_board, heap_base)
    assert gc_after >= gc_base - GC_TOLERANCE, (gc_base, gc_after)
    assert heap_after >= heap_base - HEAP_TOLERANCE, (heap_base, heap_after)
