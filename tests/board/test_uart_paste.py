"""Pasted input arrives whole: 8 KiB typed at once into the friendly REPL and into paste mode
(Ctrl-E). The emulated UART receives at the line rate, like a wire, so the firmware's 256-byte
stdin ring never overflows (before, a 300-character line came out truncated)."""

from __future__ import annotations

import hashlib
import re

import pytest

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


@pytest.mark.timeout(120)
def test_8k_typed_at_once_into_the_friendly_repl(friendly) -> None:
    friendly.enter()
    friendly.line("fr = []")
    lines = _lines("fr")
    friendly.write("\r".join(lines).encode() + b"\r")  # one write: a paste
    friendly.read_until(lines[-1].encode(), timeout=60)  # the echo of the last line
    friendly.read_until(b">>> ")
    out = friendly.line(CHECK.format("fr"), timeout=10)
    count, total = _expected(lines)
    assert f"got {count} {total}" in out, out[-500:]


@pytest.mark.timeout(120)
def test_8k_through_paste_mode(friendly) -> None:
    friendly.enter()
    lines = ["pm = []", *_lines("pm"), CHECK.format("pm")]
    friendly.write(b"\x05")  # Ctrl-E: paste mode
    friendly.read_until(b"=== ")
    friendly.write("\r".join(lines).encode() + b"\r\x04")  # Ctrl-D runs it
    out = friendly.read_until(b"got ", timeout=60) + friendly.read_until(b">>> ")
    count, total = _expected(lines[1:-1])
    assert f"got {count} {total}" in out, out[-500:]
