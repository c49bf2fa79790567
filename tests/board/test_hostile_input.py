"""Hostile input at the board's ports: the emulator never crashes or hangs, the board keeps
answering (docs/reliability.md). UART0 garbage, QMP GPIO commands with bad pins and values,
and hostile WebREPL clients. The NIC (raw frames) is in test_hostile_nic.py, UART download
mode in test_hostile_download.py.

Random input comes from a seeded generator; the seed is in the test's output, so a failure
can be replayed.
"""

from __future__ import annotations

import base64
import os
import random
import socket
import struct
import time

import pytest
from net_helpers import bring_up

from harness.board import Board
from harness.emulator.qmp import QmpError
from harness.emulator.service import QemuService
from harness.network.service import NetworkService

SEED = int(os.environ.get("HOSTILE_SEED", "8266"))
CONTROL = bytes(range(0x20)) + b"\x7f"


def _garbage(rng: random.Random, size: int) -> bytes:
    """Half control characters (Ctrl-A..Ctrl-E switch REPL modes), half any byte."""
    return bytes(rng.choice(CONTROL) if rng.random() < 0.5 else rng.randrange(256)
                 for _ in range(size))


def _recover(board: Board) -> None:
    """What a user does after a line noise storm: Ctrl-C twice, Ctrl-B (friendly REPL)."""
    board.transport.write(b"\r\x03\x03\x02")
    time.sleep(0.5)
    board.transport.drain(quiet=0.3, limit=5.0)
    board.repl.at_raw_prompt = False


@pytest.mark.qemu_only
@pytest.mark.timeout(120)
def test_uart0_noise_for_10_s_then_the_repl_still_evaluates(fresh_board: Board,
                                                           qemu_service: QemuService) -> None:
    rng = random.Random(SEED)
    print(f"seed {SEED}")
    _recover(fresh_board)  # friendly REPL, as a user would have it
    sent = 0
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline:
        chunk = _garbage(rng, 64)
        fresh_board.transport.write(chunk)
        sent += len(chunk)
        fresh_board.transport.read_available(0.0)  # keep the output flowing
        time.sleep(0.002)
    assert qemu_service.process is not None and qemu_service.process.poll() is None
    _recover(fresh_board)
    assert fresh_board.eval("6 * 7", timeout=20) == 42
    print(f"{sent} bytes of noise")


@pytest.mark.qemu_only
def test_qmp_gpio_with_bad_pins_and_values_is_an_error_not_an_abort(
        fresh_board: Board, qemu_service: QemuService) -> None:
    assert qemu_service.qmp is not None
    qmp = qemu_service.qmp
    path = "/machine/soc/gpio"
    bad_sets = [("in", -1), ("in", 1 << 40), ("in", 0xFFFFFFFF), ("in", "high"), ("in", None),
                ("in", 1.5), ("in", [1, 2]), ("out", 1 << 40), ("enable", -5), ("meter", 1),
                ("no-such-pin", 1), ("in17", 1)]
    answers = {}
    for prop, value in bad_sets:
        try:
            qmp.execute("qom-set", {"path": path, "property": prop, "value": value})
            answers[(prop, repr(value))] = "accepted"
        except QmpError as exc:
            answers[(prop, repr(value))] = f"error: {exc}"
        assert qemu_service.process is not None and qemu_service.process.poll() is None, \
            f"QEMU died after qom-set {prop}={value!r}: {answers}"
    for prop in ("no-such-pin", "pin99", ""):
        with pytest.raises(QmpError):
            qmp.execute("qom-get", {"path": path, "property": prop})
    with pytest.raises(QmpError):
        qmp.execute("qom-get", {"path": "/machine/soc/gpio99", "property": "in"})
    # Type errors are QMP errors; accepted numbers stay within the 17 pads.
    for prop, value in [("in", "high"), ("in", None), ("in", [1, 2]), ("no-such-pin", 1)]:
        assert answers[(prop, repr(value))].startswith("error"), answers
    inputs = int(qmp.execute("qom-get", {"path": path, "property": "in"}))
    assert 0 <= inputs < (1 << 17), f"GPIO inputs {inputs:#x} beyond GPIO0..16"
    qmp.execute("qom-set", {"path": path, "property": "in", "value": 0})
    assert fresh_board.eval("1 + 1") == 2
    print(answers)


# --------------------------------------------------------------------------- WebREPL
PORT = 8266
PASSWORD = "qemu-wr1"


def _ws_open(net: NetworkService) -> socket.socket:
    """A websocket to the board's WebREPL, handshake done by hand (frames are ours to forge),
    and the password prompt read (it may come in the same segment as the 101 answer)."""
    sock = net.connect_to_board(PORT, timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET / HTTP/1.1\r\nHost: board\r\nConnection: Upgrade\r\n"
                  f"Upgrade: websocket\r\nSec-WebSocket-Key: {key}\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    reply = b""
    while b"\r\n\r\n" not in reply:
        data = sock.recv(1024)
        if not data:
            break
        reply += data
    assert reply.startswith(b"HTTP/1.1 101"), reply
    early = reply.split(b"\r\n\r\n", 1)[1]
    prompt = early + _collect(sock, 15.0, until=b"Password: ", initial=early)
    assert b"Password: " in prompt, prompt
    return sock


def _frame(payload: bytes, opcode: int = 1, length: int | None = None,
           mask: bool = True) -> bytes:
    size = len(payload) if length is None else length
    head = bytes([0x80 | opcode])
    bit = 0x80 if mask else 0
    if size < 126:
        head += bytes([bit | size])
    elif size < 65536:
        head += bytes([bit | 126]) + struct.pack(">H", size)
    else:
        head += bytes([bit | 127]) + struct.pack(">Q", size)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def _collect(sock: socket.socket, seconds: float, until: bytes | None = None,
             initial: bytes = b"") -> bytes:
    """Everything the board sends for ``seconds`` (or until it closes, or ``until`` came,
    counting ``initial``, which was received already)."""
    sock.settimeout(0.2)
    got = b""
    if until and until in initial:
        return got
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not (until and until in initial + got):
        try:
            data = sock.recv(65536)
        except TimeoutError:
            continue
        except OSError:
            break
        if not data:
            break
        got += data
    return got


def _board_is_fine(board: Board) -> None:
    """The UART REPL answers and the server is free again (the hostile session is over)."""
    board.transport.drain(quiet=0.3, limit=3.0)
    board.repl.at_raw_prompt = False
    # A logged-in session's random bytes are REPL input: a Ctrl-D among them soft-resets the
    # board (its globals go, `webrepl` with them), as it would on hardware; import it anew.
    busy = "__import__('webrepl')._busy()"
    deadline = time.monotonic() + 20
    while board.eval(busy) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert board.eval(busy) is False
    assert board.eval("6 * 7") == 42


def _friendly(board: Board) -> None:
    board.exec("")
    board.repl.exit()
    board.transport.read_until(b">>> ", 5.0, what="the friendly prompt")


def _right_password_still_works(board: Board, net: NetworkService) -> None:
    _friendly(board)
    sock = _ws_open(net)
    try:
        sock.sendall(_frame(PASSWORD.encode() + b"\r"))
        got = _collect(sock, 15.0, until=b">>> ")
        assert b"WebREPL connected" in got, got
    finally:
        sock.close()
    _board_is_fine(board)


@pytest.fixture
def webrepl_server(net_board: Board) -> Board:
    bring_up(net_board)
    out = net_board.exec(f"import webrepl\nwebrepl.start(password={PASSWORD!r})")
    assert f"WebREPL server started on port {PORT}" in out
    try:
        yield net_board  # type: ignore[misc]
    finally:
        net_board.repl.at_raw_prompt = False
        net_board.exec("__import__('webrepl').stop()")  # the session may have soft-reset it


PASSWORDS = {"empty": b"", "wrong": b"not-the-password", "10k": b"A" * 10 * 1024,
             "prefix": PASSWORD.encode()[:-1], "longer": PASSWORD.encode() + b"x",
             "nul": PASSWORD.encode() + b"\0"}


@pytest.mark.needs_net
@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", list(PASSWORDS))
def test_webrepl_bad_password_never_gives_a_repl(webrepl_server: Board, net: NetworkService,
                                                 name: str) -> None:
    _friendly(webrepl_server)
    sock = _ws_open(net)
    try:
        password = PASSWORDS[name]
        for at in range(0, max(len(password), 1), 1000):  # the board reads small frames
            sock.sendall(_frame(password[at:at + 1000]))
        sock.sendall(_frame(b"\r"))
        sock.sendall(_frame(b"print('in' + 'side')\r"))
        got = _collect(sock, 4.0)
    finally:
        sock.close()
    assert b"WebREPL connected" not in got and b"inside" not in got, got
    _board_is_fine(webrepl_server)
    _right_password_still_works(webrepl_server, net)


MALFORMED = {
    "raw-garbage": lambda rng: bytes(rng.randrange(256) for _ in range(300)),
    "unmasked": lambda rng: _frame(b"abc\r", mask=False),
    "bad-opcode": lambda rng: _frame(b"abc\r", opcode=0x3),
    "length-lies": lambda rng: _frame(b"abc", length=1000),
    "huge-length": lambda rng: _frame(b"abc", length=1 << 40),
    "64k-frame": lambda rng: _frame(bytes(rng.randrange(256) for _ in range(64 * 1024))),
    "fragments": lambda rng: bytes([0x01, 0x83]) + b"\0\0\0\0abc" + bytes([0x00, 0x80]),
    "close-then-data": lambda rng: _frame(b"", opcode=0x8) + _frame(b"x\r"),
}


@pytest.mark.needs_net
@pytest.mark.timeout(120)
@pytest.mark.parametrize("login", [False, True], ids=["before-login", "after-login"])
@pytest.mark.parametrize("kind", list(MALFORMED))
def test_webrepl_malformed_frames_never_crash(webrepl_server: Board, net: NetworkService,
                                              kind: str, login: bool) -> None:
    rng = random.Random(SEED)
    _friendly(webrepl_server)
    sock = _ws_open(net)
    try:
        if login:
            sock.sendall(_frame(PASSWORD.encode() + b"\r"))
            assert b"WebREPL connected" in _collect(sock, 15.0, until=b">>> ")
        try:
            sock.sendall(MALFORMED[kind](rng))
        except OSError:
            pass  # the board may close on the first bad byte
        got = _collect(sock, 3.0)
    finally:
        sock.close()
    if not login:
        assert b"WebREPL connected" not in got, got
    _board_is_fine(webrepl_server)
    _right_password_still_works(webrepl_server, net)


@pytest.mark.needs_net
@pytest.mark.timeout(180)
def test_webrepl_client_that_stops_reading(webrepl_server: Board, net: NetworkService) -> None:
    """A logged-in client asks for lots of output and never reads it; the board must not
    hang: once the client goes away, the UART REPL answers again."""
    _friendly(webrepl_server)
    sock = _ws_open(net)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    try:
        sock.sendall(_frame(PASSWORD.encode() + b"\r"))
        assert b"WebREPL connected" in _collect(sock, 15.0, until=b">>> ")
        sock.sendall(_frame(b"for i in range(20000): print('line', i)\r"))
        time.sleep(10)  # not reading
        assert webrepl_server.transport.read_available(1.0)  # still printing on UART0
    finally:
        sock.close()
    time.sleep(1)
    webrepl_server.transport.write(b"\x03\x03")  # stop the loop, as a user would
    _board_is_fine(webrepl_server)
    _right_password_still_works(webrepl_server, net)
