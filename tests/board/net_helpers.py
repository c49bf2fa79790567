"""Helpers of the adversarial socket tests (tests/board/test_net_*.py).

Board side: bring the interface up (DHCP) and small snippets that the tests paste into the
board. Host side: threads that talk to the board through ``NetworkService`` (its namespace in
tap mode, 127.0.0.1 forwards in user mode), always bounded in count and time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from harness.board import Board
from harness.network import connect_board
from harness.network.service import NetworkService

# A digest the board and the host compute alike (the board has hashlib.sha256).
DIGEST = "import hashlib, binascii\n" \
         "def _hexdigest(h):\n" \
         "    return binascii.hexlify(h.digest()).decode()\n"


def bring_up(board: Board) -> None:
    """Link up and a DHCP lease (a no-op when the board is already connected)."""
    connect_board(board)


def host_wait(net: NetworkService, seconds: float = 10.0) -> float:
    """How long one side waits for the other's TCP data (the host's socket timeouts, and the
    board's where a test gives them): ``seconds``, 3x on impaired links
    (``--netem``). A segment the board's lwIP loses waits its RTO, 3 s before any RTT sample,
    then twice as long: two losses in a row take 9 s, three 21 s (at 5 % loss, 1 in 8000)."""
    return seconds if net.netem is None else 3 * seconds


def memory(board: Board) -> tuple[int, int]:
    """(gc.mem_free() after a collection, esp.freemem()) of the board."""
    free, heap = board.eval("(__import__('gc').collect(), __import__('gc').mem_free(), "
                            "__import__('esp').freemem())")[1:]
    return int(free), int(heap)


class HostThread:
    """Runs ``func`` on a daemon thread; ``result()`` joins it and re-raises its exception."""

    def __init__(self, func: Callable[[], Any]) -> None:
        self._func = func
        self._value: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._func()
        except BaseException as exc:  # handed to the test's thread
            self._error = exc

    def result(self, timeout: float = 20.0) -> Any:
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError(f"host thread still running after {timeout} s")
        if self._error is not None:
            raise self._error
        return self._value
