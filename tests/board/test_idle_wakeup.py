"""A sleeping board wakes for every event (issue "Time": idle boards sleep).

With patches 0011/0012 on (``mpconfigboard.h``) the board waits in ``waiti`` while the REPL
waits for input and during delays, instead of polling. These tests look for lost wake-ups:

* Many short delays, each arming a one-shot timer that ends the ``waiti``: none may sleep
  on. A timer interrupt that never comes would leave a delay waiting for some unrelated
  interrupt (the HAL once lost one for ~54 s when CCOMPARE0 landed behind CCOUNT).
* Many short TCP connections from the host while the board sleeps at the REPL, in one long
  ``time.sleep`` and in a loop of short sleeps: each SYN must wake the board (NIC interrupt ->
  lwIP task). The board accepts and closes each in a socket callback; every connection must
  complete (a lost wake-up shows as a connect or read timeout).

Bounds are there to catch a lost wake-up (tens of seconds), never to rate speed; latencies are
recorded with ``record_property``. ``IDLE_WAKEUP_ROUNDS`` (environment) scales the counts for
a longer stress run.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

import pytest
from net_helpers import bring_up

from harness.board import Board
from harness.network.service import NetworkService

SCALE = int(os.environ.get("IDLE_WAKEUP_ROUNDS", "1"))
SLEEPS = 2000 * SCALE
CONNECTIONS = 150 * SCALE
PORT = 8002  # one the user-mode network forwards (harness/network/usermode.py)
LOST_S = 2.0  # a delay or a connection this late did not wake in time (a lost wake-up: ~54 s)
Record = Callable[[str, object], None]


def test_short_delays_all_wake_on_time(board: Board, record_property: Record) -> None:
    out = board.exec(
        "import time\n"
        "worst = 0\n"
        "late = 0\n"
        f"for i in range({SLEEPS}):\n"
        "    want = 300 + (i % 7) * 50\n"
        "    t = time.ticks_us()\n"
        "    time.sleep_us(want)\n"
        "    d = time.ticks_diff(time.ticks_us(), t) - want\n"
        "    worst = max(worst, d)\n"
        f"    late += d > {int(LOST_S * 1e6)}\n"
        "print(worst, late)\n", timeout=60 + SLEEPS * 0.05).split()
    record_property("worst_delay_overrun_us", int(out[0]))
    assert int(out[1]) == 0, f"{out[1]} of {SLEEPS} delays slept on (worst +{out[0]} us)"


BOARD_SERVER = (
    "import socket, time\n"
    "accepted = 0\n"
    "def on_accept(srv):\n"
    "    global accepted\n"
    "    c, a = srv.accept()\n"
    "    c.close()\n"
    "    accepted += 1\n"
    "srv = socket.socket()\n"
    "srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
    f"srv.bind(('0.0.0.0', {PORT}))\n"
    "srv.listen(2)\n"
    "srv.setsockopt(socket.SOL_SOCKET, 20, on_accept)\n"
)

# What the board does while the host connects: None = wait at the REPL.
STATES = {
    "repl": None,
    "sleep": "time.sleep_ms({ms})\n",
    "short-sleeps": "t0 = time.ticks_ms()\n"
                    "while time.ticks_diff(time.ticks_ms(), t0) < {ms}:\n"
                    "    time.sleep_us(700)\n",
}


@pytest.mark.needs_net
@pytest.mark.timeout(300)
@pytest.mark.parametrize("state", list(STATES))
def test_connections_wake_a_sleeping_board(net_board: Board, net: NetworkService, state: str,
                                           record_property: Record) -> None:
    bring_up(net_board)
    net_board.exec(BOARD_SERVER)
    code = STATES[state]
    errors: list[str] = []
    latencies: list[float] = []
    sleeper: threading.Thread | None = None
    board_out: dict[str, Exception] = {}
    try:
        if code is not None:
            # The board sleeps longer than the connections can take; it is interrupted after.
            ms = 200_000

            def sleep() -> None:
                try:
                    net_board.exec(code.format(ms=ms), timeout=ms / 1000 + 30)
                except Exception as exc:  # reported below, with the host's side
                    board_out["error"] = exc

            sleeper = threading.Thread(target=sleep, daemon=True)
            sleeper.start()
            time.sleep(0.3)
        for index in range(CONNECTIONS):
            start = time.perf_counter()
            try:
                with net.connect_to_board(PORT, timeout=LOST_S * 5) as sock:
                    sock.settimeout(LOST_S * 5)
                    if sock.recv(1) != b"":
                        errors.append(f"connection {index}: data instead of the board's close")
            except OSError as exc:
                errors.append(f"connection {index} after {time.perf_counter() - start:.1f} s: "
                              f"{exc!r}")
                if len(errors) >= 3:
                    break
            latencies.append(time.perf_counter() - start)
    finally:
        if sleeper is not None:
            net_board.interrupt()
            sleeper.join(30)
        net_board.exec("srv.setsockopt(socket.SOL_SOCKET, 20, None)\nsrv.close()\n")
    latencies.sort()
    if latencies:
        record_property("connect_close_ms_median", round(latencies[len(latencies) // 2] * 1e3, 2))
        record_property("connect_close_ms_max", round(latencies[-1] * 1e3, 2))
    assert not errors, errors
    assert max(latencies) < LOST_S * 5
