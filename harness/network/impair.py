"""Network faults between a board and the bridge (tap mode): loss, delay, jitter, duplicates,
reordering and a rate limit, like ``tc qdisc ... netem``.

Why not ``tc netem``: the kernels this runs on (CI's and our development VMs) have no
``sch_netem`` ("Specified qdisc kind is unknown"; only tbf/htb/pfifo are there), and netem
on the TAP would only shape what goes *to* the board. So an impaired board's TAP is not a
bridge port. A second TAP stands in for it on the bridge (``e8qimpN``, opened by us), and a
forwarder moves every Ethernet frame between the board's TAP (a packet socket) and
``e8qimpN`` (its tun descriptor), one thread per direction, applying the profile to both
directions. (A veth instead of the second TAP would hand us frames with unfinished checksums:
the kernel leaves them to the NIC's offload; a TAP without offloads gets them finished.) With
``tc`` netem available the result would be the same profile on one direction only; this is
the nearest equivalent that works everywhere.

Profiles: ``lossy`` (5 % loss, 20 ms +- 10 ms delay, 1 % duplicates, 2 % reordered),
``slow`` (1 Mbit/s, 100 ms), or free-form in netem's words, e.g.
``"loss 10% delay 50ms 5ms duplicate 2% reorder 5% rate 512kbit"``.
"""

from __future__ import annotations

import fcntl
import heapq
import os
import random
import re
import select
import socket
import struct
import threading
import time
from dataclasses import dataclass
from typing import Any

from harness.errors import NetworkError

ETH_P_ALL = 0x0003
TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
PACKET_OUTGOING = 4
MAX_FRAME = 65536


@dataclass(frozen=True)
class Profile:
    """What happens to each frame, in each direction (percentages and milliseconds)."""

    loss: float = 0.0
    delay_ms: float = 0.0
    jitter_ms: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0
    rate_kbit: float = 0.0  # 0: unlimited
    text: str = ""

    def describe(self) -> str:
        return self.text or "no impairment"


PROFILES: dict[str, str] = {
    "lossy": "loss 5% delay 20ms 10ms duplicate 1% reorder 2%",
    "slow": "rate 1mbit delay 100ms",
}

_RATE_UNITS = {"bit": 0.001, "kbit": 1.0, "mbit": 1000.0, "gbit": 1_000_000.0}


def _percent(word: str) -> float:
    value = float(word.rstrip("%"))
    if not 0 <= value <= 100:
        raise ValueError(f"{word}: a percentage is 0..100")
    return value


def _millis(word: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)?", word)
    if not match:
        raise ValueError(f"{word}: a time is like 20ms, 1s or 500us")
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0, None: 1.0}[match.group(2)]
    return float(match.group(1)) * scale


def _rate(word: str) -> float:
    match = re.fullmatch(r"([\d.]+)(bit|kbit|mbit|gbit)", word.lower())
    if not match:
        raise ValueError(f"{word}: a rate is like 1mbit or 512kbit")
    return float(match.group(1)) * _RATE_UNITS[match.group(2)]


def parse(spec: str) -> Profile:
    """A named profile or netem's words (loss, delay [jitter], duplicate, reorder, rate)."""
    text = PROFILES.get(spec, spec).strip()
    words = text.split()
    values: dict[str, float] = {}
    i = 0
    try:
        while i < len(words):
            key = words[i]
            arg = words[i + 1] if i + 1 < len(words) else None
            if key not in ("loss", "duplicate", "reorder", "delay", "rate"):
                raise ValueError(f"unknown word {key!r}")
            if arg is None:
                raise ValueError(f"{key} needs a value")
            if key in ("loss", "duplicate", "reorder"):
                values[key] = _percent(arg)
                i += 2
            elif key == "delay":
                values["delay_ms"] = _millis(arg)
                i += 2
                if i < len(words) and re.fullmatch(r"[\d.]+(us|ms|s)?", words[i]):
                    values["jitter_ms"] = _millis(words[i])
                    i += 1
            elif key == "rate":
                values["rate_kbit"] = _rate(arg)
                i += 2
            else:
                raise ValueError(f"unknown word {key!r}")
    except ValueError as exc:
        raise NetworkError(f"--netem {spec!r}: {exc}; use a profile ({', '.join(PROFILES)}) "
                           "or netem's words, e.g. 'loss 5% delay 20ms 10ms duplicate 1% "
                           "reorder 2% rate 1mbit'") from None
    if not words:
        raise NetworkError(f"--netem {spec!r}: empty; use {', '.join(PROFILES)} or netem's words")
    return Profile(text=text, **values)


class _PacketEnd:
    """The board's TAP, seen through a packet socket (QEMU holds its descriptor)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def fileno(self) -> int:
        return self.sock.fileno()

    def recv(self) -> bytes | None:
        frame, address = self.sock.recvfrom(MAX_FRAME)
        return None if address[2] == PACKET_OUTGOING else frame  # not what we sent

    def send(self, frame: bytes) -> None:
        self.sock.send(frame)

    def close(self) -> None:
        self.sock.close()


class _TapEnd:
    """A TAP on the bridge whose descriptor we hold: read = frames from the bridge."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def fileno(self) -> int:
        return self.fd

    def recv(self) -> bytes | None:
        return os.read(self.fd, MAX_FRAME)

    def send(self, frame: bytes) -> None:
        os.write(self.fd, frame)

    def close(self) -> None:
        os.close(self.fd)


def _open_tap(name: str) -> int:
    """Attach to the existing TAP ``name`` (call inside its namespace)."""
    fd = os.open("/dev/net/tun", os.O_RDWR)
    try:
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    except OSError:
        os.close(fd)
        raise
    return fd


class _Direction(threading.Thread):
    """Frames from ``src`` to ``dst`` through the profile (one direction of one link)."""

    def __init__(self, name: str, src: _PacketEnd | _TapEnd, dst: _PacketEnd | _TapEnd,
                 profile: Profile, rng: random.Random, stop: threading.Event) -> None:
        super().__init__(name=name, daemon=True)
        self.src, self.dst, self.profile, self.rng, self.stop = src, dst, profile, rng, stop
        self.counts = {"frames": 0, "dropped": 0, "duplicated": 0, "reordered": 0}
        self._queue: list[tuple[float, int, bytes]] = []
        self._seq = 0
        self._link_free = 0.0

    def _schedule(self, frame: bytes, now: float) -> None:
        p = self.profile
        self.counts["frames"] += 1
        if p.loss and self.rng.random() * 100 < p.loss:
            self.counts["dropped"] += 1
            return
        copies = 1
        if p.duplicate and self.rng.random() * 100 < p.duplicate:
            copies = 2
            self.counts["duplicated"] += 1
        delay = p.delay_ms
        if p.jitter_ms:
            delay = max(0.0, delay + self.rng.uniform(-p.jitter_ms, p.jitter_ms))
        if p.reorder and self.rng.random() * 100 < p.reorder:
            delay = 0.0  # netem's reorder: this one jumps ahead of the delayed ones
            self.counts["reordered"] += 1
        due = now + delay / 1000
        if p.rate_kbit:
            self._link_free = max(self._link_free, now) + len(frame) * 8 / (p.rate_kbit * 1000)
            due = max(due, self._link_free)
        for _ in range(copies):
            heapq.heappush(self._queue, (due, self._seq, frame))
            self._seq += 1

    def run(self) -> None:
        while not self.stop.is_set():
            now = time.monotonic()
            while self._queue and self._queue[0][0] <= now:
                _, _, frame = heapq.heappop(self._queue)
                try:
                    self.dst.send(frame)
                except OSError:
                    pass  # too big for the link, or the link is down: lost, as on a wire
            wait = min(0.1, self._queue[0][0] - now) if self._queue else 0.1
            try:
                ready, _, _ = select.select([self.src], [], [], max(0.0, wait))
            except (OSError, ValueError):
                return  # socket closed: stopping
            if not ready:
                continue
            try:
                frame = self.src.recv()
            except OSError:
                if self.stop.is_set():
                    return
                continue
            if frame:
                self._schedule(frame, time.monotonic())


class Impairment:
    """The forwarder of one board: its TAP <-> the TAP on the bridge, both directions.

    ``ns`` is the namespace (``NetNamespace``: ``socket()`` and ``call()`` run inside it).
    """

    def __init__(self, ns: Any, tap: str, port: str, profile: Profile,
                 seed: int | None = None) -> None:
        self.profile = profile
        self._stop = threading.Event()
        sock = ns.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        try:
            sock.bind((tap, 0))
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
            board_end = _PacketEnd(sock)
            bridge_end = _TapEnd(ns.call(lambda: _open_tap(port)))
        except BaseException:
            sock.close()
            raise
        self._ends = (board_end, bridge_end)
        rng = random.Random(seed)
        self.to_network = _Direction(f"impair-{tap}-out", board_end, bridge_end, profile,
                                     random.Random(rng.random()), self._stop)
        self.to_board = _Direction(f"impair-{tap}-in", bridge_end, board_end, profile,
                                   random.Random(rng.random()), self._stop)
        self.to_network.start()
        self.to_board.start()

    def counts(self) -> dict[str, dict[str, int]]:
        return {"from_board": dict(self.to_network.counts),
                "to_board": dict(self.to_board.counts)}

    def stop(self) -> None:
        self._stop.set()
        for thread in (self.to_network, self.to_board):
            thread.join(timeout=2)
        for end in self._ends:
            end.close()

