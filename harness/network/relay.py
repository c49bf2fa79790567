"""Relay for slirp's ``guestfwd=...-cmd:``: stdin/stdout (the board's connection) <-> TCP.

``relay.py HOST PORT``: connects to HOST:PORT (always 127.0.0.1, see usermode.py) and copies
bytes both ways until both sides have closed. slirp hands the board's connection in as stdin,
stdout and stderr (one socket), so the relay prints nothing: a failure just closes the
board's connection. Standard library only: runs with ``python -I -S``.
"""

from __future__ import annotations

import os
import selectors
import socket
import sys


def main(argv: list[str]) -> int:
    host, port = argv[0], int(argv[1])
    if host != "127.0.0.1":
        return 2  # never relay anywhere but loopback
    try:
        peer = socket.create_connection((host, port), timeout=5)
    except OSError:
        return 1
    peer.settimeout(None)
    board_in, board_out = sys.stdin.fileno(), sys.stdout.fileno()
    selector = selectors.DefaultSelector()
    selector.register(board_in, selectors.EVENT_READ, "board")
    selector.register(peer, selectors.EVENT_READ, "peer")
    open_sides = 2
    while open_sides:
        for key, _ in selector.select():
            if key.data == "board":
                data = os.read(board_in, 65536)
                if not data:
                    selector.unregister(board_in)
                    peer.shutdown(socket.SHUT_WR)
                    open_sides -= 1
                else:
                    peer.sendall(data)
            else:
                data = peer.recv(65536)
                if not data:
                    selector.unregister(peer)
                    open_sides -= 1
                    _close_for_writing(board_out)
                else:
                    view = memoryview(data)
                    while view:
                        view = view[os.write(board_out, view):]
    return 0


def _close_for_writing(fd: int) -> None:
    """Send EOF to the board: shut down the socket's sending side (or close a pipe)."""
    try:
        with socket.socket(fileno=os.dup(fd)) as sock:
            sock.shutdown(socket.SHUT_WR)
    except OSError:
        os.close(fd)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
