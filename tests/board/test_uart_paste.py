"""Pasted input arrives whole: 8 KiB typed at once into the friendly REPL and into paste mode
(Ctrl-E). The emulated UART receives at the line rate, like a wire, so the firmware's 256-byte
stdin ring never overflows (before, a 300-character line came out truncated).

Both run on the icount clock: the line rate is then paced in guest time, as on a chip, so a
loaded host cannot starve the firmware while bytes keep arriving at 115200 baud (on the
realtime clock paste mode lost bytes under load: its echo adds "=== " to every line, so the
firmware has less slack than the wire gives it).

The board sends at twice the rate it receives. On icount its output is paced too, and at
115200 both ways paste mode's echo (each line again, plus "=== " and a newline) is longer than
the input, so the REPL falls behind the wire and an 8 KiB paste overflows the 256-byte ring:
1 of 14 soak runs lost bytes so, as a chip at 115200 can (that is why mpremote pastes in
raw-paste mode, with flow control). What these tests check is the receive side."""

from __future__ import annotations

import hashlib
import re

import pytest

from harness.board import Board

PASTE_BYTES = 8 * 1024


def _lines(prefix: str) -> list[str]:
    lines, size, i = [], 0, 0
    while size < PASTE_BYTES:
        line = f"{prefix}.append('{hashlib.sha256(str(i).encode()).hexdigest()}')"
        lines.append(line)
        size += len(line) + 1
        i += 1
    return lines


def _expected(lines: list[str]) -> tuple[int, int]:
    values = [re.search(r"'(\w+)'", line).group(1) for line in lines]  # type: ignore[union-attr]
    return len(values), sum(int(v[:6], 16) for v in values)


CHECK = "print('got', len({0}), sum(int(v[:6], 16) for v in {0}))"


class Typist:
    """Types into the friendly REPL of ``board``."""

    def __init__(self, board: Board) -> None:
        self.board = board

    def enter(self) -> None:
        self.board.exec("")
        self.board.repl.exit()
        self.read_until(b">>> ")

    def write(self, data: bytes) -> None:
        self.board.transport.write(data)

    def read_until(self, marker: bytes, timeout: float = 5.0) -> str:
        data = self.board.transport.read_until(marker, timeout, what=repr(marker))
        return data.decode("utf-8", "replace").replace("\r\n", "\n")

    def line(self, text: str, timeout: float = 5.0) -> str:
        self.write(text.encode() + b"\r")
        return self.read_until(b">>> ", timeout)


@pytest.fixture
def wire(new_qemu) -> Typist:
    """A board whose UART0 receives at the rate the firmware configured (115200), as
    `invoke serve` runs it (the harness's own boards use a faster line), and sends at twice
    that (see the module's docstring)."""
    return Typist(new_qemu("wire", uart_baud=0,
                           extra_args=("-global", f"esp8266-uart.tx-baud={2 * 115200}")).start())


@pytest.mark.icount
@pytest.mark.timeout(180)
def test_8k_typed_at_once_into_the_friendly_repl(wire) -> None:
    friendly = wire
    friendly.enter()
    friendly.line("fr = []")
    lines = _lines("fr")
    friendly.write("\r".join(lines).encode() + b"\r")  # one write: a paste
    friendly.read_until(lines[-1].encode(), timeout=60)  # the echo of the last line
    friendly.read_until(b">>> ")
    out = friendly.line(CHECK.format("fr"), timeout=10)
    count, total = _expected(lines)
    assert f"got {count} {total}" in out, out[-500:]


@pytest.mark.icount
@pytest.mark.timeout(180)
def test_8k_through_paste_mode(wire) -> None:
    friendly = wire
    friendly.enter()
    lines = ["pm = []", *_lines("pm"), CHECK.format("pm")]
    friendly.write(b"\x05")  # Ctrl-E: paste mode
    friendly.read_until(b"=== ")
    friendly.write("\r".join(lines).encode() + b"\r\x04")  # Ctrl-D runs it
    out = friendly.read_until(b"got ", timeout=60) + friendly.read_until(b">>> ")
    count, total = _expected(lines[1:-1])
    assert f"got {count} {total}" in out, out[-500:]


# raw-paste (mpremote, the harness) announces a 128-byte window and grants a second one at
# once, so a host may send 256 bytes before the REPL reads any (shared/runtime/pyexec.c).
RAW_PASTE_IN_FLIGHT = 256
STDIN_COUNT = (
    "import sys, time, select\n"
    "p = select.poll()\n"
    "p.register(sys.stdin, select.POLLIN)\n"
    "print('ready')\n"
    "p.poll(20000)\n"  # the first byte is in; the host wrote all 256 in one write
    "time.sleep_ms(200)\n"  # the rest arrive (1.3 ms at the line rate); nothing reads stdin
    "n = s = 0\n"
    "while p.poll(0):\n"
    "    n += 1\n"
    "    s += sys.stdin.buffer.read(1)[0]\n"
    "print('got', n, s)\n"
)


def test_the_stdin_ring_holds_what_raw_paste_lets_a_host_send(board: Board) -> None:
    """The UART's stdin ring keeps all 256 bytes two raw-paste windows allow. MicroPython's
    256-byte ring kept 255 (a ring buffer leaves one slot free), so a program pasted while the
    board was busy lost its 256th byte: CI once saw `srv.etsockopt(...)`."""
    data = bytes(range(0x20, 0x7F)) * 3  # printable: no Ctrl-C, no REPL control characters
    data = data[:RAW_PASTE_IN_FLIGHT]
    seen = bytearray()

    def on_output(out: bytes) -> None:
        if b"ready" not in seen:
            seen.extend(out)
            if b"ready" in seen:
                board.transport.write(data)

    out = board.exec(STDIN_COUNT, on_output=on_output, timeout=20)
    assert f"got {len(data)} {sum(data)}" in out, out
