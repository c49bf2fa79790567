"""MicroPython's raw REPL and raw-paste mode, host side.

Protocol as in MicroPython's ``docs/reference/repl.rst`` ("Raw mode and raw-paste mode"):

* Ctrl-A enters the raw REPL (``raw REPL; CTRL-B to exit\\r\\n>``), Ctrl-B leaves it.
* ``\\x05A\\x01`` asks for raw-paste mode: ``R\\x01`` + 16-bit window size = yes (then the host
  sends at most a window of bytes per ``\\x01`` it receives), ``R\\x00`` = refused, ``ra`` = a
  firmware that predates raw-paste (it prints the raw REPL banner again). Without raw-paste the
  code is sent plainly and acknowledged with ``OK``.
* The code ends with Ctrl-D. The board prints its output, ``\\x04``, the uncaught exception
  if any, ``\\x04`` and the prompt ``>``.
* Ctrl-D at an empty raw prompt soft-resets (``OK``, ``MPY: soft reboot``, banner again).
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable
from dataclasses import dataclass

from harness.board.transport import Transport
from harness.errors import BoardError

RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n"
RAW_PROMPT = RAW_BANNER + b">"
FRIENDLY_PROMPT = b">>> "
SOFT_REBOOT = b"soft reboot\r\n"

CTRL_A, CTRL_B, CTRL_C, CTRL_D, CTRL_E = b"\x01", b"\x02", b"\x03", b"\x04", b"\x05"

# Plain raw REPL has no flow control: send in slices small enough for the UART's RX buffer.
_PLAIN_CHUNK = 256
_PLAIN_PACE_S = 0.01


@dataclass
class ExecResult:
    stdout: bytes
    stderr: bytes


class RawRepl:
    """Runs code through the raw REPL of a board on ``transport``.

    ``use_raw_paste`` is tried first and remembered as unsupported once the board refuses it.
    After any error the state is "unknown" and the next call re-enters the raw REPL (Ctrl-C
    first, which stops whatever still runs).
    """

    def __init__(
        self,
        transport: Transport,
        *,
        use_raw_paste: bool = True,
        timeout: float = 10.0,
    ) -> None:
        self.transport = transport
        self.use_raw_paste = use_raw_paste
        self.timeout = timeout
        self.at_raw_prompt = False

    # ----------------------------------------------------------------------------- modes
    def interrupt(self) -> None:
        """Ctrl-C twice: stops a running program (KeyboardInterrupt on the board)."""
        self.transport.write(b"\r" + CTRL_C + CTRL_C)
        self.at_raw_prompt = False

    def enter(self, timeout: float | None = None) -> None:
        """Stop what runs and get to an empty raw REPL prompt."""
        timeout = self.timeout if timeout is None else timeout
        self.interrupt()
        self.transport.drain(quiet=0.0, limit=0.5)
        self.transport.write(b"\r" + CTRL_A)
        self.transport.read_until(RAW_PROMPT, timeout,
                                  what="the raw REPL banner after Ctrl-A")
        self.at_raw_prompt = True

    def exit(self) -> None:
        """Back to the friendly REPL (Ctrl-B)."""
        self.transport.write(b"\r" + CTRL_B)
        self.at_raw_prompt = False

    def wait_friendly_prompt(self, timeout: float, what: str = "'>>> '") -> bytes:
        """Wait for the friendly prompt after a (hard) reset; returns the boot output."""
        self.at_raw_prompt = False
        return self.transport.read_until(FRIENDLY_PROMPT, timeout, what=what)

    def soft_reset(self, timeout: float | None = None) -> bytes:
        """Ctrl-D at the raw prompt; returns what the board printed while restarting."""
        timeout = self.timeout if timeout is None else timeout
        if not self.at_raw_prompt:
            self.enter(timeout)
        self.at_raw_prompt = False
        self.transport.write(CTRL_D)
        out = self.transport.read_until(SOFT_REBOOT, timeout, what="'soft reboot' after Ctrl-D")
        out += self.transport.read_until(RAW_PROMPT, timeout,
                                         what="the raw REPL banner after the soft reboot")
        self.at_raw_prompt = True
        return out.removeprefix(b"OK").removesuffix(RAW_PROMPT)

    # ----------------------------------------------------------------------------- exec
    def exec_raw(
        self,
        code: str | bytes,
        timeout: float | None = None,
        on_output: Callable[[bytes], None] | None = None,
    ) -> ExecResult:
        """Run ``code``; stdout and stderr (the traceback) as sent by the board.

        ``on_output`` receives stdout bytes as they arrive (for streaming a script's output).
        """
        timeout = self.timeout if timeout is None else timeout
        data = code.encode("utf-8") if isinstance(code, str) else bytes(code)
        if not self.at_raw_prompt:
            self.enter(timeout)
        else:
            # Output the board printed on its own since the last prompt (timer callbacks,
            # debug messages) must not be taken for the answers below; the log keeps it.
            self.transport.drain(quiet=0.0)
        self.at_raw_prompt = False  # until the closing prompt has been read
        self._send_code(data, timeout)
        result = self._follow(timeout, on_output)
        self.transport.read_until(b">", timeout, what="the raw REPL prompt '>' after the output")
        self.at_raw_prompt = True
        return result

    def exec_no_follow(self, code: str | bytes, timeout: float | None = None) -> None:
        """Send ``code`` and return once the board has it (for code that never ends, e.g.
        ``machine.reset()``); the REPL state is unknown afterwards."""
        timeout = self.timeout if timeout is None else timeout
        data = code.encode("utf-8") if isinstance(code, str) else bytes(code)
        if not self.at_raw_prompt:
            self.enter(timeout)
        self.at_raw_prompt = False
        self._send_code(data, timeout)

    def _send_code(self, data: bytes, timeout: float) -> None:
        if self.use_raw_paste and self._start_raw_paste(timeout):
            self._raw_paste_write(data, timeout)
            return
        for offset in range(0, len(data), _PLAIN_CHUNK):
            self.transport.write(data[offset:offset + _PLAIN_CHUNK])
            if offset + _PLAIN_CHUNK < len(data):
                time.sleep(_PLAIN_PACE_S)  # no flow control in plain raw mode
        self.transport.write(CTRL_D)
        answer = self.transport.read_exactly(2, timeout, what="'OK' after the code")
        if answer != b"OK":
            raise BoardError(f"the board did not accept the code (answered {answer!r} instead of"
                             " 'OK'); is the raw REPL confused by other output on the UART?")

    def _start_raw_paste(self, timeout: float) -> bool:
        self.transport.write(CTRL_E + b"A" + CTRL_A)
        answer = self.transport.read_exactly(2, timeout, what="an answer to raw-paste (Ctrl-E A)")
        if answer == b"R\x01":
            return True
        if answer == b"R\x00":
            # Understood but not supported; the board prints a fresh '>' prompt.
            self.transport.read_until(b">", timeout, what="'>' after refusing raw-paste")
        elif answer == b"ra":
            # Firmware without raw-paste: Ctrl-A re-printed the raw REPL banner.
            self.transport.read_until(b"w REPL; CTRL-B to exit\r\n>", timeout,
                                      what="the raw REPL banner after refusing raw-paste")
        else:
            raise BoardError(f"unexpected answer {answer!r} to the raw-paste request; "
                             "is something else printing on the UART?")
        self.use_raw_paste = False
        return False

    def _raw_paste_write(self, data: bytes, timeout: float) -> None:
        increment = struct.unpack("<H", self.transport.read_exactly(
            2, timeout, what="the raw-paste window size"))[0]
        if increment == 0:
            raise BoardError("the board announced a raw-paste window of 0 bytes")
        window = increment
        offset = 0
        while offset < len(data):
            while window == 0 or self.transport.input_waiting():
                byte = self.transport.read_exactly(1, timeout, what="raw-paste flow control")
                if byte == CTRL_A:
                    window += increment
                elif byte == CTRL_D:
                    # The board ends reception early (e.g. a syntax error): acknowledge.
                    self.transport.write(CTRL_D)
                    return
                else:
                    raise BoardError(f"unexpected byte {byte!r} from the board during raw-paste;"
                                     " expected flow control (\\x01) or end (\\x04)")
            chunk = data[offset:offset + window]
            self.transport.write(chunk)
            window -= len(chunk)
            offset += len(chunk)
        self.transport.write(CTRL_D)
        # The board answers \x04 once it has the whole program; window acks may come first.
        ack = self.transport.read_until(CTRL_D, timeout, what="the end-of-code ack (\\x04)")
        stray = ack[:-1].replace(CTRL_A, b"")
        if stray:
            raise BoardError(f"unexpected output {stray!r} before the raw-paste end ack")

    def _follow(self, timeout: float, on_output: Callable[[bytes], None] | None) -> ExecResult:
        forward = _StdoutForwarder(on_output) if on_output else None
        if forward:
            forward(self.transport.peek_pending())
            self.transport.add_listener(forward)
        try:
            stdout = self.transport.read_until(CTRL_D, timeout,
                                               what="the end of the program's output (\\x04)")
        finally:
            if forward:
                self.transport.remove_listener(forward)
        stderr = self.transport.read_until(CTRL_D, timeout,
                                           what="the end of the error output (\\x04)")
        return ExecResult(stdout[:-1], stderr[:-1])


class _StdoutForwarder:
    """Passes bytes on until the first \\x04 (the end of stdout)."""

    def __init__(self, sink: Callable[[bytes], None]) -> None:
        self.sink = sink
        self.done = False

    def __call__(self, data: bytes) -> None:
        if self.done or not data:
            return
        end = data.find(CTRL_D)
        if end >= 0:
            self.done = True
            data = data[:end]
        if data:
            self.sink(data)
