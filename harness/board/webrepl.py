"""A host client for the board's WebREPL (firmware/modules/webrepl.py on MicroPython's C
``_webrepl``), built on the ``websocket-client`` library.

Protocol (MicroPython's ``extmod/modwebrepl.c``):

* After the websocket handshake the board sends ``Password: `` (text frame). The client types
  the password and Enter; the board answers ``\\r\\nWebREPL connected\\r\\n>>> `` or
  ``\\r\\nAccess denied\\r\\n`` and closes the connection.
* Text frames carry the REPL both ways (what the client sends is typed into the REPL; the
  board's output comes back in text frames).
* Binary frames carry file operations. A request is an 82-byte record
  ``<2s B B Q I H 64s``: ``b"WA"``, type (1 put, 2 get, 3 version), flags, offset, size,
  name length, NUL-padded file name (at most 63 bytes). Responses are ``b"WB"`` + a 16-bit
  little-endian status (0: OK).
  - put: request -> ``WB 0``; then exactly ``size`` bytes of file data -> ``WB 0``.
  - get: request -> ``WB 0``; then per chunk the client sends one byte ``\\x00`` and the
    board answers a 16-bit little-endian length and that many bytes; length 0 ends the file,
    followed by ``WB 0``.
  - version: request -> 3 bytes (major, minor, micro).
  A board-side error (a missing file, a bad path) raises inside the board's dupterm read,
  which ends the session: the client sees the connection close.

The put data is sent in 512-byte binary frames: the board reads a file chunk as one byte
plus up to 511 more from the same frame, so chunks and frames line up.
"""

from __future__ import annotations

import getpass
import os
import socket
import struct
import sys
import termios
import threading
import time
import tty
from pathlib import Path
from typing import IO, Any

import websocket

DEFAULT_PORT = 8266
PROMPT = b">>> "
CONNECTED = b"\r\nWebREPL connected\r\n>>> "
DENIED = b"Access denied"
PASSWORD_PROMPT = b"Password: "

PUT_FILE, GET_FILE, GET_VER = 1, 2, 3
_REQUEST = struct.Struct("<2sBBQIH64s")  # 82 bytes, extmod/modwebrepl.c struct webrepl_file
_RESPONSE = struct.Struct("<2sH")
PUT_FRAME = 512  # payload bytes per binary frame of put data (see the module doc)
MAX_NAME = 63


class WebReplError(Exception):
    """The WebREPL session failed; ``output`` holds the REPL text received so far."""

    def __init__(self, message: str, output: bytes = b"") -> None:
        super().__init__(message)
        self.output = output


class WebReplAuthError(WebReplError):
    """The board refused the password."""


class WebReplClosed(WebReplError):
    """The board closed the connection."""


class WebReplTimeout(WebReplError):
    """Nothing (or not the expected thing) arrived in time."""


class WebRepl:
    """One WebREPL session. ``WebRepl.connect(host, port, password)`` or, with a socket that
    is already connected (e.g. from ``NetworkService.connect_to_board``),
    ``WebRepl.connect(host, port, password, sock=sock)``."""

    def __init__(self, ws: websocket.WebSocket) -> None:
        self.ws = ws
        self.text = bytearray()  # REPL output received and not consumed yet

    # ------------------------------------------------------------------ connection
    @classmethod
    def open(cls, host: str, port: int = DEFAULT_PORT, *, sock: socket.socket | None = None,
             timeout: float = 10.0) -> WebRepl:
        """The websocket connection, before the password (the board's ``Password: `` is the
        first text that arrives)."""
        ws = websocket.WebSocket(skip_utf8_validation=True)
        if sock is not None:  # websocket-client sets TCP_NODELAY only on sockets it opens
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            ws.connect(f"ws://{host}:{port}/", socket=sock, timeout=timeout)
        except ConnectionRefusedError as exc:
            ws.close()
            raise WebReplError(f"nothing listens on {host}:{port}; start a board with WebREPL "
                               "behind a forward: `invoke serve --net user` (it prints the "
                               "`invoke webrepl --port ...` command to use)") from exc
        except (websocket.WebSocketException, OSError) as exc:
            ws.close()
            raise WebReplError(f"websocket handshake with {host}:{port} failed: {exc}") from exc
        return cls(ws)

    @classmethod
    def connect(cls, host: str, port: int = DEFAULT_PORT, password: str = "", *,
                sock: socket.socket | None = None, timeout: float = 10.0) -> WebRepl:
        """Open the session and log in (raises ``WebReplAuthError`` on a wrong password)."""
        repl = cls.open(host, port, sock=sock, timeout=timeout)
        try:
            repl.login(password, timeout)
        except BaseException:
            repl.close()
            raise
        return repl

    def login(self, password: str, timeout: float = 10.0) -> bytes:
        """Answer the password prompt; returns what the board sent up to its first prompt."""
        received = self.read_until(PASSWORD_PROMPT, timeout)
        self.write(password + "\r")
        try:
            return received + self.read_until(CONNECTED, timeout, fail_on=DENIED)
        except WebReplClosed as exc:
            if DENIED in exc.output:
                raise WebReplAuthError("the board refused the password", exc.output) from None
            raise

    def close(self) -> None:
        try:
            self.ws.close(timeout=1)
        except (OSError, websocket.WebSocketException):
            pass

    def __enter__(self) -> WebRepl:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ frames
    def _recv(self, deadline: float) -> tuple[int, bytes]:
        """The next data frame (opcode, payload). Text frames are also kept in ``text``."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise WebReplTimeout("timed out waiting for the board", bytes(self.text))
        self.ws.settimeout(remaining)
        try:
            opcode, data = self.ws.recv_data()
        except websocket.WebSocketTimeoutException:
            raise WebReplTimeout("timed out waiting for the board", bytes(self.text)) from None
        except (websocket.WebSocketConnectionClosedException, ConnectionError) as exc:
            raise WebReplClosed(f"the board closed the connection ({exc})",
                                bytes(self.text)) from None
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            raise WebReplClosed("the board closed the websocket", bytes(self.text))
        if isinstance(data, str):
            data = data.encode()
        if opcode == websocket.ABNF.OPCODE_TEXT:
            self.text += data
        return opcode, data

    def _recv_binary(self, deadline: float) -> bytes:
        while True:
            opcode, data = self._recv(deadline)
            if opcode == websocket.ABNF.OPCODE_BINARY:
                return data

    def _response(self, deadline: float, what: str) -> None:
        data = self._recv_binary(deadline)
        if len(data) != _RESPONSE.size:
            raise WebReplError(f"{what}: unexpected answer {data!r}", bytes(self.text))
        sig, code = _RESPONSE.unpack(data)
        if sig != b"WB" or code != 0:
            raise WebReplError(f"{what}: the board answered {data!r}", bytes(self.text))

    # ------------------------------------------------------------------ REPL
    def write(self, text: str | bytes) -> None:
        """Type ``text`` into the board's REPL (one text frame)."""
        self.ws.send(text.decode() if isinstance(text, bytes) else text)

    def read_until(self, marker: bytes, timeout: float = 10.0, *,
                   fail_on: bytes | None = None) -> bytes:
        """REPL output up to and including ``marker`` (removed from the buffer)."""
        deadline = time.monotonic() + timeout
        while True:
            index = self.text.find(marker)
            if index >= 0:
                end = index + len(marker)
                out = bytes(self.text[:end])
                del self.text[:end]
                return out
            if fail_on is not None and fail_on in self.text:
                raise WebReplClosed(f"the board answered {fail_on!r}", bytes(self.text))
            self._recv(deadline)

    def command(self, line: str, timeout: float = 10.0) -> str:
        """Type one line (code with newlines is run through ``exec``) and return its output,
        without the echo of the line and the next prompt."""
        if "\n" in line:
            line = f"exec({line!r})"
        self.write(line + "\r")
        out = self.read_until(b"\r\n" + PROMPT, timeout).decode("utf-8", "replace")
        _, _, output = out.partition("\r\n")  # the echo of the line
        return output[:-len(PROMPT)].replace("\r\n", "\n")

    # ------------------------------------------------------------------ files
    def _request(self, kind: int, remote: str, size: int = 0) -> None:
        name = remote.encode()
        if len(name) > MAX_NAME:
            raise WebReplError(f"file name longer than {MAX_NAME} bytes: {remote!r}")
        self.ws.send_binary(_REQUEST.pack(b"WA", kind, 0, 0, size, len(name), name))

    def put(self, remote: str, data: bytes, timeout: float = 60.0) -> None:
        """Write ``data`` to the board's file ``remote``."""
        deadline = time.monotonic() + timeout
        self._request(PUT_FILE, remote, len(data))
        self._response(deadline, f"put {remote}")
        for offset in range(0, len(data), PUT_FRAME):
            self.ws.send_binary(data[offset:offset + PUT_FRAME])
        self._response(deadline, f"put {remote} (end)")

    def get(self, remote: str, timeout: float = 60.0) -> bytes:
        """The content of the board's file ``remote``."""
        deadline = time.monotonic() + timeout
        self._request(GET_FILE, remote)
        self._response(deadline, f"get {remote}")
        content = bytearray()
        while True:
            self.ws.send_binary(b"\x00")
            chunk = self._recv_binary(deadline)
            while len(chunk) < 2:  # tolerate a record split over frames
                chunk += self._recv_binary(deadline)
            (size,) = struct.unpack_from("<H", chunk)
            data = chunk[2:]
            while len(data) < size:
                data += self._recv_binary(deadline)
            if size == 0:
                break
            content += data[:size]
        self._response(deadline, f"get {remote} (end)")
        return bytes(content)

    def version(self, timeout: float = 10.0) -> tuple[int, int, int]:
        self._request(GET_VER, "")
        data = self._recv_binary(time.monotonic() + timeout)
        major, minor, micro = data[:3]
        return major, minor, micro


# ---------------------------------------------------------------------- invoke webrepl
def webrepl_main(host: str = "127.0.0.1", port: int = DEFAULT_PORT,
                 password: str | None = None, *, put: tuple[str, str] | None = None,
                 get: tuple[str, str] | None = None, command: str | None = None,
                 timeout: float = 10.0, stdin: IO[str] | None = None,
                 stdout: IO[bytes] | None = None) -> int:
    """What ``invoke webrepl`` runs. ``put=(local, remote)`` copies a host file to the board,
    ``get=(remote, local)`` the other way, ``command`` runs one line and prints its output;
    with none of them, an interactive REPL on this terminal (Ctrl-] leaves). ``password``
    None: asked on the terminal. Returns the exit status (0 ok, 1 error)."""
    out = stdout if stdout is not None else sys.stdout.buffer
    if password is None:
        if not sys.stdin.isatty():
            sys.stderr.write("webrepl: no --password given and no terminal to ask on; pass "
                             "--password PASSWORD\n")
            return 2
        password = getpass.getpass("WebREPL password: ")
    try:
        with WebRepl.connect(host, port, password, timeout=timeout) as repl:
            if put is not None:
                local, remote = put
                data = Path(local).read_bytes()
                repl.put(remote, data)
                out.write(f"put {local} -> {remote}: {len(data)} bytes\n".encode())
            if get is not None:
                remote, local = get
                data = repl.get(remote)
                Path(local).write_bytes(data)
                out.write(f"get {remote} -> {local}: {len(data)} bytes\n".encode())
            if command is not None:
                out.write(repl.command(command, timeout).encode())
            if put is None and get is None and command is None:
                _interactive(repl, stdin if stdin is not None else sys.stdin, out)
            out.flush()
    except WebReplError as exc:
        sys.stderr.write(f"webrepl: {exc}\n")
        return 1
    return 0


def _interactive(repl: WebRepl, stdin: IO[str], out: IO[bytes]) -> None:
    """Board output to ``out`` on a thread; keys from ``stdin`` (raw mode on a tty) to the
    board, until Ctrl-] or the board closes the session."""
    out.write(b"Connected. Ctrl-] leaves.\r\n>>> ")
    out.flush()
    repl.text.clear()
    stop = threading.Event()

    def pump() -> None:
        while not stop.is_set():
            try:
                repl._recv(time.monotonic() + 0.5)
            except WebReplTimeout:
                continue
            except WebReplError:
                stop.set()
                out.write(b"\r\n[the board closed the session]\r\n")
                out.flush()
                return
            out.write(bytes(repl.text))
            out.flush()
            repl.text.clear()

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    fd = stdin.fileno() if hasattr(stdin, "fileno") else -1
    saved: list[Any] | None = None
    if fd >= 0 and os.isatty(fd):
        saved = termios.tcgetattr(fd)
        tty.setraw(fd)
    try:
        while not stop.is_set():
            data = os.read(fd, 64) if fd >= 0 else stdin.read(1).encode()
            if not data or b"\x1d" in data:
                break
            repl.write(data.replace(b"\n", b"\r") if fd < 0 else data)
    finally:
        if saved is not None:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        stop.set()
        thread.join(1)
