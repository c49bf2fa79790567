"""WebREPL (seed behaviour 6): password login, the REPL over a websocket, file put/get
through MicroPython's C ``_webrepl``, output written in full while input is taken only as it
arrives. Board side: our frozen ``webrepl`` module; host side: ``harness.board.webrepl`` on the
``websocket-client`` library. Runs in ``--net tap`` and ``--net user`` (board port 8266 is
forwarded in user mode)."""

from __future__ import annotations

import hashlib
import io
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import websocket
from net_helpers import bring_up

from harness.board import Board
from harness.board.webrepl import (
    WebRepl,
    WebReplAuthError,
    WebReplClosed,
    WebReplError,
    webrepl_main,
)
from harness.network.service import NetworkService

pytestmark = pytest.mark.needs_net

PORT = 8266
PASSWORD = "qemu-wr1"



def _friendly(board: Board) -> None:
    """Leave the UART in the friendly REPL: the raw REPL would take the websocket's input
    as raw-REPL input (both feed the same stdin)."""
    board.exec("")
    board.repl.exit()
    board.transport.read_until(b">>> ", 5.0, what="the friendly prompt")


@pytest.fixture
def server(net_board: Board) -> Iterator[Board]:
    """The board connected, with the WebREPL server listening on port 8266."""
    bring_up(net_board)
    out = net_board.exec(f"import os, webrepl\nwebrepl.start(password={PASSWORD!r})")
    assert f"WebREPL server started on port {PORT}" in out
    try:
        yield net_board
    finally:
        net_board.repl.at_raw_prompt = False  # the next exec re-enters the raw REPL
        net_board.exec("webrepl.stop()")


EOF_MESSAGE = b"dupterm: EOF received, deactivating"
READ_ERROR = b"dupterm: Exception in read() method, deactivating"


def _console(board: Board, marker: bytes, timeout: float = 10.0) -> str:
    """Wait for the board's own console message ``marker`` (printed when a session ends);
    the raw REPL must not be talked to while the board prints on its own."""
    out = board.transport.read_until(marker, timeout, what=repr(marker))
    out += board.transport.read_until(b"\n", timeout, what="the end of the console line")
    return out.decode(errors="replace")


def _open(board: Board, net: NetworkService, password: str = PASSWORD) -> WebRepl:
    """Connect and log in. The board's console line about the connection is consumed (the
    UART and the network are separate paths: it may arrive after the websocket's bytes)."""
    host, port = net.board_endpoint(PORT)
    sock = net.connect_to_board(PORT)
    try:
        return WebRepl.connect(host, port, password, sock=sock)
    finally:
        _console(board, b"WebREPL: connection from ")


@contextmanager
def _session(board: Board, net: NetworkService) -> Iterator[WebRepl]:
    """A logged-in session; closed at the end, and the board has detached it."""
    repl = _open(board, net)
    try:
        yield repl
    finally:
        repl.close()
        _console(board, EOF_MESSAGE)


def test_wrong_password_is_refused(server: Board, net: NetworkService) -> None:
    with pytest.raises(WebReplAuthError) as info:
        _open(server, net, "wrong-pw")
    assert info.value.output.endswith(b"\r\nAccess denied\r\n")
    _console(server, EOF_MESSAGE)  # the board ended the session itself
    # the UART REPL carries on, and the server takes the next client
    assert server.eval("webrepl._busy()") is False
    _friendly(server)
    with _session(server, net) as repl:
        assert repl.command("print(6 * 7)") == "42\n"


def test_password_is_not_echoed_and_output_waits_for_login(server: Board,
                                                           net: NetworkService) -> None:
    host, port = net.board_endpoint(PORT)
    repl = WebRepl.open(host, port, sock=net.connect_to_board(PORT))
    try:
        repl.read_until(b"Password: ")
        _console(server, b"WebREPL: connection from ")  # the console is quiet from here
        server.exec("print('before' + ' login')")  # output while the client is not logged in
        _friendly(server)
        repl.write(PASSWORD + "\r")
        received = repl.read_until(b">>> ")
        assert received == b"\r\nWebREPL connected\r\n>>> "  # no echo, no earlier output
        assert repl.command("'after' + ' login'") == "'after login'\n"
    finally:
        repl.close()
        _console(server, EOF_MESSAGE)


def test_repl_runs_code_and_returns_its_output(server: Board, net: NetworkService) -> None:
    _friendly(server)
    with _session(server, net) as repl:
        assert repl.command("x = 6 * 7") == ""
        assert repl.command("print('x is', x)") == "x is 42\n"
        assert "ZeroDivisionError" in repl.command("1 / 0")
        assert repl.command("for i in range(3):\n    print(i)") == "0\n1\n2\n"
    # the variable was set in the board's REPL: the UART REPL sees it
    server.repl.at_raw_prompt = False
    assert server.eval("x") == 42


def test_put_and_get_a_20k_file(server: Board, net: NetworkService,
                                mpy_version: tuple[int, int, int]) -> None:
    data = os.urandom(20 * 1024)
    digest = hashlib.sha256(data).hexdigest()
    with _session(server, net) as repl:
        repl.put("wr_put.bin", data)
        # the board's own view of the file
        out = server.exec(
            "import hashlib, binascii\n"
            "h = hashlib.sha256()\n"
            "with open('wr_put.bin', 'rb') as f:\n"
            "    while chunk := f.read(1024):\n"
            "        h.update(chunk)\n"
            "print(os.stat('wr_put.bin')[6], binascii.hexlify(h.digest()).decode())").split()
        assert out == [str(len(data)), digest]
        back = repl.get("wr_put.bin")
        assert hashlib.sha256(back).hexdigest() == digest
        # a file the board wrote itself comes back as written
        server.exec("with open('wr_board.txt', 'w') as f:\n"
                    "    for i in range(2000):\n"
                    "        f.write('%04d\\n' % i)")
        assert repl.get("wr_board.txt") == "".join(f"{i:04d}\n" for i in range(2000)).encode()
        assert repl.version() == mpy_version
    server.exec("os.remove('wr_put.bin')\nos.remove('wr_board.txt')")


def test_get_of_a_missing_file_ends_the_session(server: Board, net: NetworkService) -> None:
    repl = _open(server, net)
    try:
        with pytest.raises(WebReplClosed):
            repl.get("no_such_file.bin", timeout=10)
    finally:
        repl.close()
    assert "ENOENT" in _console(server, READ_ERROR)
    assert server.eval("webrepl._busy()") is False
    _friendly(server)
    with _session(server, net) as repl:
        assert repl.command("1 + 1") == "2\n"


def test_large_output_is_delivered_in_full(server: Board, net: NetworkService) -> None:
    # ~33 KB of output: several times the board's TCP send buffer (4 MSS). The host does not
    # read for a while, so the board's writes must wait for room instead of dropping output.
    # The same output goes to UART0, which nobody reads meanwhile: the harness's UART reader
    # must keep QEMU from waiting on it (it used to freeze the machine, network included).
    _friendly(server)
    with _session(server, net) as repl:
        repl.write("exec(\"for i in range(3000): print('line %05d' % i)\")\r")
        time.sleep(2)
        out = repl.read_until(b"\r\n>>> ", 15).decode()
    lines = [line for line in out.split("\r\n") if line.startswith("line ")]
    assert lines == [f"line {i:05d}" for i in range(3000)]


def test_input_is_taken_as_it_arrives(server: Board, net: NetworkService) -> None:
    _friendly(server)
    with _session(server, net) as repl:
        # a line typed in pieces, with pauses: the board takes what has arrived and waits
        for piece in ("print(", "'pie' + ", "'ces'", ")"):
            repl.write(piece)
            time.sleep(0.3)
        repl.write("\r")
        assert repl.read_until(b"\r\n>>> ", 10).endswith(b"pieces\r\n>>> ")
        # one websocket frame split in the middle of its header and its payload: the board's
        # websocket reads what has come and returns "nothing yet", not an error or EOF
        frame = websocket.ABNF.create_frame("print(21 * 2)\r", websocket.ABNF.OPCODE_TEXT)
        raw = frame.format()
        for part in (raw[:1], raw[1:5], raw[5:9], raw[9:]):
            repl.ws.sock.sendall(part)
            time.sleep(0.3)
        assert repl.read_until(b"\r\n>>> ", 10).endswith(b"42\r\n>>> ")
    # the UART REPL was not blocked by the waiting session
    server.repl.at_raw_prompt = False
    assert server.eval("'uart' + ' ok'") == "uart ok"


def test_one_session_at_a_time(server: Board, net: NetworkService) -> None:
    _friendly(server)
    with _session(server, net) as repl:
        with pytest.raises(WebReplError):
            WebRepl.connect(*net.board_endpoint(PORT), PASSWORD,
                            sock=net.connect_to_board(PORT))
        # the board says so on its console (which the session shares)
        repl.read_until(b"refused (a session is active)\r\n")
        assert repl.command("'still' + ' here'") == "'still here'\n"
    # closing the first one freed the slot
    server.repl.at_raw_prompt = False
    assert server.eval("webrepl._busy()") is False
    _friendly(server)
    with _session(server, net) as repl:
        assert repl.command("3 * 3") == "9\n"


def test_stop_ends_the_session_and_the_server(server: Board, net: NetworkService) -> None:
    repl = _open(server, net)
    try:
        server.exec("webrepl.stop()")
        with pytest.raises(WebReplClosed):
            repl.read_until(b"never", 10)
    finally:
        repl.close()
    assert server.eval("webrepl._busy()") is False
    with pytest.raises((WebReplError, OSError)):
        WebRepl.connect(*net.board_endpoint(PORT), PASSWORD,
                        sock=net.connect_to_board(PORT)).close()


def test_webrepl_main_put_get_and_command(server: Board, net: NetworkService,
                                          tmp_path: Path) -> None:
    # What `invoke webrepl` runs; it opens its own socket, so it needs a host-reachable
    # endpoint (user mode's 127.0.0.1 forward; tap mode's board lives in a namespace).
    if net.mode != "user":
        pytest.skip("webrepl_main connects from the host's namespace: user mode only")
    host, port = net.board_endpoint(PORT)
    local = tmp_path / "up.bin"
    local.write_bytes(os.urandom(3000))
    out = io.BytesIO()
    assert webrepl_main(host, port, PASSWORD, put=(str(local), "wr_cli.bin"), stdout=out) == 0
    _console(server, b"WebREPL: connection from ")
    _console(server, EOF_MESSAGE)
    assert b"3000 bytes" in out.getvalue()
    back = tmp_path / "down.bin"
    assert webrepl_main(host, port, PASSWORD, get=("wr_cli.bin", str(back)), stdout=out) == 0
    _console(server, b"WebREPL: connection from ")
    _console(server, EOF_MESSAGE)
    assert back.read_bytes() == local.read_bytes()
    assert webrepl_main(host, port, "wrong-pw", command="1", stdout=out) == 1
    _console(server, b"WebREPL: connection from ")
    _console(server, EOF_MESSAGE)
    server.exec("os.remove('wr_cli.bin')")
