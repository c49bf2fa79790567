"""Byte transport to a board's UART0: a serial port, QEMU's UART socket, or what pyserial opens.

Two layers, like mpremote's transports:

* ``SerialStream`` moves bytes (``read_some`` / ``write``) over pyserial and turns the ways a
  pty or USB adapter goes away into ``BoardDisconnected``.
* ``Transport`` buffers what arrived, hands every received chunk to listeners (the UART log, the
  crash detector) and offers ``read_until`` with an overall and an inter-character timeout that
  raise ``BoardTimeout`` carrying the bytes received so far.

No sleeps: every wait is a read with a timeout.
"""

from __future__ import annotations

import errno
import os
import select
import socket
import threading
import time
from collections.abc import Callable
from typing import Protocol

import serial

from harness.errors import BoardDisconnected, BoardTimeout

Listener = Callable[[bytes], None]


class ByteStream(Protocol):
    """What ``Transport`` needs from a connection."""

    def read_some(self, timeout: float) -> bytes:
        """Up to a few KiB that arrived within ``timeout`` seconds, ``b""`` if none did."""
        ...

    def write(self, data: bytes) -> None: ...

    def close(self) -> None: ...


class UnixSocketStream:
    """A unix-domain stream socket, e.g. QEMU's ``-chardev socket,server=on`` for UART0.

    Unlike QEMU's pty backend, which notices a reader only on a 1 s poll (input typed before
    that waits), a socket chardev reads from the moment we connect.

    A background thread reads the socket all the time into memory. QEMU writes a UART's output
    to its chardev from the emulated CPU, and when the socket is full it waits there holding its
    global lock: the whole machine (network, timers, QMP) would freeze while a test is busy
    elsewhere (say, reading a WebREPL) and does not read UART0. A real UART never waits for its
    listener. ``fileno()`` is readable while output is buffered (for ``select``).
    """

    BUFFER_LIMIT = 16 * 1024 * 1024  # unread output kept; beyond it the oldest is dropped

    def __init__(self, path: str | os.PathLike[str], sock: socket.socket | None = None) -> None:
        """Connect to ``path``; or, with ``sock``, read that already connected socket (e.g.
        one QEMU connected to on our listener at ``path``)."""
        self.port = str(path)
        if sock is not None:
            self.sock = sock
        else:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                self.sock.connect(self.port)
            except OSError as exc:
                self.sock.close()
                raise BoardDisconnected(
                    f"cannot connect to the UART socket {self.port}: {exc}; did QEMU start? see "
                    "the QEMU log"
                ) from exc
        self._ready = threading.Condition()
        self._buffer = bytearray()
        self._dropped = 0
        self._error: BoardDisconnected | None = None
        self._closing = False
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._reader = threading.Thread(target=self._read_forever, daemon=True,
                                        name=f"uart-reader {os.path.basename(self.port)}")
        self._reader.start()

    def _read_forever(self) -> None:
        while True:
            error = None
            try:
                data = self.sock.recv(65536)
            except OSError as exc:
                data = b""
                error = BoardDisconnected(f"the UART socket {self.port} failed: {exc}")
            if not data and error is None:
                error = BoardDisconnected(
                    f"the UART socket {self.port} closed; did QEMU exit? see the QEMU log")
            with self._ready:
                if data:
                    self._buffer += data
                    excess = len(self._buffer) - self.BUFFER_LIMIT
                    if excess > 0:
                        del self._buffer[:excess]
                        self._dropped += excess
                elif not self._closing:
                    self._error = error
                self._ready.notify_all()
                self._signal()
            if not data:
                return

    def _signal(self) -> None:
        try:
            os.write(self._wake_w, b"!")
        except (BlockingIOError, OSError):
            pass  # the pipe is already readable (or closed)

    def _unsignal(self) -> None:
        try:
            while os.read(self._wake_r, 4096):
                pass
        except (BlockingIOError, OSError):
            pass

    def fileno(self) -> int:
        return self._wake_r

    def read_some(self, timeout: float) -> bytes:
        deadline = time.monotonic() + max(timeout, 0.0)
        with self._ready:
            while not self._buffer and self._error is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return b""
                self._ready.wait(remaining)
            if not self._buffer:
                assert self._error is not None
                raise self._error
            data = bytes(self._buffer)
            self._buffer.clear()
            if self._dropped:
                data = (f"\n[harness: {self._dropped} bytes of UART output were dropped: "
                        f"more than {self.BUFFER_LIMIT} bytes waited unread]\n").encode() + data
                self._dropped = 0
            self._unsignal()
            return data

    def write(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError as exc:
            raise BoardDisconnected(
                f"the UART socket {self.port} closed while writing ({exc}); did QEMU exit?"
            ) from exc

    def set_lines(self, *, dtr: bool | None = None, rts: bool | None = None) -> None:
        """An emulated UART has no modem lines; resets go through QMP."""

    def close(self) -> None:
        with self._ready:
            if self._closing:
                return
            self._closing = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the reader's recv
        except OSError:
            pass
        self._reader.join(timeout=2.0)
        self.sock.close()
        with self._ready:
            if self._error is None:
                self._error = BoardDisconnected(f"the UART socket {self.port} was closed")
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass


class SerialStream:
    """A pyserial port (device path or pyserial URL such as ``socket://127.0.0.1:N``)."""

    def __init__(self, port: str, baudrate: int = 115200) -> None:
        self.port = port
        try:
            ser = serial.serial_for_url(port, do_not_open=True, baudrate=baudrate, timeout=0)
            # Low DTR/RTS before opening: on USB boards they drive EN and GPIO0, and asserting
            # them on open would reset the chip or put it into download mode.
            ser.dtr = False
            ser.rts = False
            ser.open()
        except (serial.SerialException, OSError, ValueError) as exc:
            raise BoardDisconnected(
                f"cannot open serial port {port!r}: {exc}; check the path (ls /dev/ttyUSB* "
                "/dev/ttyACM*), that no other program holds it, and that you may use it "
                "(group 'dialout')"
            ) from exc
        self.serial = ser

    def read_some(self, timeout: float) -> bytes:
        ser = self.serial
        try:
            if ser.in_waiting:
                return ser.read(ser.in_waiting)
            fd = self._fileno()
            if fd is None:  # URL handlers without a descriptor: let pyserial block
                ser.timeout = max(timeout, 0.0)
                first = ser.read(1)
                ser.timeout = 0
                return first + (ser.read(ser.in_waiting) if first and ser.in_waiting else b"")
            ready, _, _ = select.select([fd], [], [], max(timeout, 0.0))
            if not ready:
                return b""
            # Readable: read without blocking (timeout is 0). A pty whose other end closed
            # reports readable and then fails with EIO, which pyserial raises.
            return ser.read(max(1, ser.in_waiting))
        except (serial.SerialException, OSError) as exc:
            raise BoardDisconnected(
                f"the serial line {self.port} closed while reading ({exc}); did QEMU exit or the "
                "board's USB cable come loose? see the QEMU log / UART log"
            ) from exc

    def _fileno(self) -> int | None:
        try:
            return int(self.serial.fileno())
        except (AttributeError, NotImplementedError, TypeError, serial.SerialException):
            return None

    def write(self, data: bytes) -> None:
        try:
            self.serial.write(data)
            self.serial.flush()
        except (serial.SerialException, OSError) as exc:
            raise BoardDisconnected(
                f"the serial line {self.port} closed while writing ({exc}); did QEMU exit or "
                "the board's USB cable come loose?"
            ) from exc

    def set_lines(self, *, dtr: bool | None = None, rts: bool | None = None) -> None:
        """Drive the modem lines (a real board's reset circuit); ignored by ptys."""
        try:
            if dtr is not None:
                self.serial.dtr = dtr
            if rts is not None:
                self.serial.rts = rts
        except OSError as exc:
            if exc.errno not in (errno.EINVAL, errno.ENOTTY):  # a pty has no modem lines
                raise

    def fileno(self) -> int | None:
        """The descriptor to select() on, if the port has one."""
        return self._fileno()

    def close(self) -> None:
        try:
            self.serial.close()
        except (serial.SerialException, OSError):
            pass


class Transport:
    """Buffered reads with timeouts over a ``ByteStream``; listeners see every received byte."""

    def __init__(self, stream: ByteStream, listeners: list[Listener] | None = None) -> None:
        self.stream = stream
        self._listeners: list[Listener] = list(listeners or [])
        self._pending = bytearray()

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def write(self, data: bytes) -> None:
        self.stream.write(data)

    def close(self) -> None:
        self.stream.close()

    def _receive(self, timeout: float) -> bytes:
        chunk = self.stream.read_some(timeout)
        if chunk:
            self._pending += chunk
            # Listeners may raise (the crash detector does): the chunk is already buffered.
            for listener in list(self._listeners):
                listener(chunk)
        return chunk

    def read_available(self, timeout: float = 0.0) -> bytes:
        """Whatever arrived (waiting up to ``timeout`` s for something); consumes it."""
        if not self._pending:
            self._receive(timeout)
        data = bytes(self._pending)
        del self._pending[:]
        return data

    def peek_pending(self) -> bytes:
        """Bytes received but not yet returned by a read."""
        return bytes(self._pending)

    def input_waiting(self) -> bool:
        """True if at least one byte can be read now (without blocking)."""
        return bool(self._pending) or bool(self._receive(0))

    def read_until(
        self,
        marker: bytes,
        timeout: float,
        inter_char_timeout: float | None = None,
        what: str | None = None,
    ) -> bytes:
        """Bytes up to and including ``marker``; the rest stays buffered.

        Raises ``BoardTimeout`` (with the bytes received meanwhile) if ``marker`` did not come
        within ``timeout`` seconds, or if the board fell silent for ``inter_char_timeout``.
        """
        start = time.monotonic()
        deadline = start + timeout
        last_byte = start
        scanned = 0
        while True:
            index = self._pending.find(marker, max(0, scanned - len(marker) + 1))
            if index >= 0:
                end = index + len(marker)
                data = bytes(self._pending[:end])
                del self._pending[:end]
                return data
            scanned = len(self._pending)
            now = time.monotonic()
            wait = deadline - now
            if inter_char_timeout is not None:
                wait = min(wait, last_byte + inter_char_timeout - now)
            if wait <= 0:
                received = bytes(self._pending)
                del self._pending[:]
                label = what or repr(marker.decode("latin-1"))
                if now >= deadline:
                    reason = f"within {timeout:g} s"
                else:
                    reason = f"(silent for {inter_char_timeout:g} s)"
                raise BoardTimeout(f"the board did not print {label} {reason}", received)
            if self._receive(wait):
                last_byte = time.monotonic()

    def read_exactly(self, count: int, timeout: float, what: str | None = None) -> bytes:
        """Exactly ``count`` bytes, or ``BoardTimeout`` with what arrived."""
        deadline = time.monotonic() + timeout
        while len(self._pending) < count:
            wait = deadline - time.monotonic()
            if wait <= 0:
                received = bytes(self._pending)
                del self._pending[:]
                label = what or f"{count} bytes"
                raise BoardTimeout(f"the board did not send {label} within {timeout:g} s",
                                   received)
            self._receive(wait)
        data = bytes(self._pending[:count])
        del self._pending[:count]
        return data

    def drain(self, quiet: float = 0.05, limit: float = 1.0) -> bytes:
        """Read and return input until the board is silent for ``quiet`` s (at most ``limit``)."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if not self._receive(min(quiet, max(0.0, deadline - time.monotonic()))):
                break
        data = bytes(self._pending)
        del self._pending[:]
        return data
