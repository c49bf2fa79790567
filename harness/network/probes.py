"""Tiny DNS and DHCP clients on plain sockets: check what dnsmasq serves, no external tools.

``dns_query`` asks one A question over UDP and returns the addresses (and the response code);
``dhcp_discover`` broadcasts a DHCPDISCOVER for a given MAC and returns the offered address.
Both take a socket factory so they run inside a namespace (``NetNamespace.socket``).
"""

from __future__ import annotations

import os
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass

SocketFactory = Callable[[int, int], socket.socket]
RCODE_NXDOMAIN = 3
DHCP_MAGIC = b"\x63\x82\x53\x63"
DHCP_OFFER = 2


def _plain_socket(family: int, kind: int) -> socket.socket:
    return socket.socket(family, kind)


@dataclass(frozen=True)
class DnsAnswer:
    rcode: int
    addresses: tuple[str, ...]


def _encode_name(name: str) -> bytes:
    out = b""
    for label in name.rstrip(".").split("."):
        raw = label.encode("idna")
        out += bytes([len(raw)]) + raw
    return out + b"\0"


def _skip_name(data: bytes, pos: int) -> int:
    while True:
        length = data[pos]
        if length & 0xC0 == 0xC0:
            return pos + 2
        if length == 0:
            return pos + 1
        pos += 1 + length


def dns_query(server: str, name: str, *, timeout: float = 2.0,
              make_socket: SocketFactory = _plain_socket, port: int = 53) -> DnsAnswer:
    """One A query for ``name`` to ``server``.

    Raises TimeoutError without an answer, ConnectionRefusedError when nothing listens.
    """
    ident = int.from_bytes(os.urandom(2), "big")
    query = struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + _encode_name(name)
    query += struct.pack("!HH", 1, 1)
    with make_socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.connect((server, port))  # connected: "port unreachable" raises at once
        sock.send(query)
        deadline = time.monotonic() + timeout
        while True:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = sock.recv(4096)
            except TimeoutError:
                raise TimeoutError(f"no DNS answer from {server} for {name} "
                                   f"within {timeout:g} s") from None
            if len(data) >= 12 and struct.unpack("!H", data[:2])[0] == ident:
                break
    _, flags, qdcount, ancount, _, _ = struct.unpack("!HHHHHH", data[:12])
    pos = 12
    for _ in range(qdcount):
        pos = _skip_name(data, pos) + 4
    addresses = []
    for _ in range(ancount):
        pos = _skip_name(data, pos)
        rtype, _, _, rdlength = struct.unpack("!HHIH", data[pos:pos + 10])
        pos += 10
        if rtype == 1 and rdlength == 4:
            addresses.append(socket.inet_ntoa(data[pos:pos + 4]))
        pos += rdlength
    return DnsAnswer(flags & 0x0F, tuple(addresses))


def _mac_bytes(mac: str) -> bytes:
    return bytes(int(part, 16) for part in mac.split(":"))


def dhcp_discover(mac: str, *, interface: str, timeout: float = 3.0,
                  make_socket: SocketFactory = _plain_socket) -> str:
    """Broadcast a DHCPDISCOVER as ``mac`` on ``interface``; return the offered address.

    The socket binds port 68 on ``interface`` (needs root in its namespace); the interface
    needs an IPv4 address so the kernel can send the broadcast.
    """
    xid = os.urandom(4)
    packet = struct.pack("!BBBB", 1, 1, 6, 0) + xid + struct.pack("!HH", 0, 0x8000)
    packet += b"\0" * 16 + _mac_bytes(mac) + b"\0" * 10 + b"\0" * 192 + DHCP_MAGIC
    packet += bytes([53, 1, 1])  # DHCPDISCOVER
    packet += bytes([55, 3, 1, 3, 6])  # ask for netmask, router, DNS
    packet += b"\xff"
    with make_socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, interface.encode())
        sock.bind(("0.0.0.0", 68))
        sock.sendto(packet, ("255.255.255.255", 67))
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no DHCPOFFER for {mac} on {interface} within {timeout:g} s")
            sock.settimeout(remaining)
            try:
                data, _ = sock.recvfrom(2048)
            except TimeoutError:
                continue
            if len(data) < 240 or data[4:8] != xid or data[0] != 2:
                continue
            if _dhcp_message_type(data[240:]) == DHCP_OFFER:
                return socket.inet_ntoa(data[16:20])


def _dhcp_message_type(options: bytes) -> int | None:
    pos = 0
    while pos < len(options):
        code = options[pos]
        if code == 255:
            return None
        if code == 0:
            pos += 1
            continue
        length = options[pos + 1]
        if code == 53 and length == 1:
            return options[pos + 2]
        pos += 2 + length
    return None
