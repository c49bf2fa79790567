"""The addresses of the test network: the same in tap and user mode (QEMU's slirp defaults).

Board ``i`` (0, 1, ...) has IP ``10.0.2.(15+i)`` and MAC ``52:54:00:12:34:(56+i)``; the host
(the pytest side) is ``10.0.2.2``, the DNS server ``10.0.2.3``.
"""

from __future__ import annotations

import os

SUBNET = "10.0.2.0/24"
NETMASK = "255.255.255.0"
PREFIX_LEN = 24
HOST_IP = "10.0.2.2"
DNS_IP = "10.0.2.3"
FIRST_BOARD_HOST = 15
MAX_BOARDS = 32
FIRST_PEER_HOST = 200  # extra namespaces ("peers") that tests create: 10.0.2.200, .201, ...
MAX_PEERS = 40
DYNAMIC_RANGE = ("10.0.2.100", "10.0.2.199")  # DHCP for MACs that are not ours

NAME_PREFIX = "e8q"  # every namespace, temp dir and process label of ours starts with this


def board_ip(index: int) -> str:
    _check_board(index)
    return f"10.0.2.{FIRST_BOARD_HOST + index}"


def board_mac(index: int) -> str:
    _check_board(index)
    return f"52:54:00:12:34:{0x56 + index:02x}"


def peer_ip(index: int) -> str:
    if not 0 <= index < MAX_PEERS:
        raise ValueError(f"peer index {index} out of range 0..{MAX_PEERS - 1}")
    return f"10.0.2.{FIRST_PEER_HOST + index}"


def run_tag(pid: int | None = None) -> str:
    """``e8q-<pid>``: the start of every resource name this process creates."""
    return f"{NAME_PREFIX}-{os.getpid() if pid is None else pid}"


def _check_board(index: int) -> None:
    if not 0 <= index < MAX_BOARDS:
        raise ValueError(f"board index {index} out of range 0..{MAX_BOARDS - 1}")
