"""QEMU user-mode networking (slirp) for one board, locked to loopback.

``-nic user,...,restrict=on``: the board reaches nothing but what we forward, so no packet can
leave the machine (unrestricted slirp would relay the board's connections and DNS queries to
the outside world):

* board ports -> ``hostfwd=tcp:127.0.0.1:HOSTPORT-BOARDIP:BOARDPORT`` (free host ports, bound
  on 127.0.0.1 only): the pytest side connects to 127.0.0.1:HOSTPORT;
* host ports -> ``guestfwd=tcp:10.0.2.2:PORT-cmd:relay.py 127.0.0.1 PORT``: a connection of
  the board to 10.0.2.2:PORT starts our relay, which connects to 127.0.0.1:PORT where the
  test's server listens (same port number on both sides).

slirp refuses a guest forward on its own gateway address, so in user mode slirp's virtual
gateway moves to 10.0.2.254 (``host=``) and 10.0.2.2 is the guest-forward address (slirp
answers ARP for it): for the board, 10.0.2.2 is "the host" in both modes.

DHCP comes from slirp (board ``i`` gets 10.0.2.(15+i), ``dhcpstart``). DNS is not available
in user mode (a restricted slirp drops it): DNS tests need tap mode.
"""

from __future__ import annotations

import shlex
import socket
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from harness.network.addresses import DNS_IP, HOST_IP, SUBNET, board_ip, board_mac

LOOPBACK = "127.0.0.1"
SLIRP_GATEWAY = "10.0.2.254"  # slirp's own address; 10.0.2.2 is taken by the guest forwards
RELAY_SCRIPT = Path(__file__).with_name("relay.py")


def free_ports(count: int, exclude: Iterable[int] = ()) -> list[int]:
    """``count`` distinct TCP ports that are free on 127.0.0.1 right now."""
    taken = set(exclude)
    ports: list[int] = []
    holders: list[socket.socket] = []
    try:
        while len(ports) < count:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            holders.append(sock)
            sock.bind((LOOPBACK, 0))
            port = sock.getsockname()[1]
            if port not in taken:
                taken.add(port)
                ports.append(port)
    finally:
        for sock in holders:
            sock.close()
    return ports


def _qemu_opt(value: str) -> str:
    return value.replace(",", ",,")


def relay_command(port: int) -> str:
    return " ".join(shlex.quote(part) for part in (
        sys.executable, "-I", "-S", str(RELAY_SCRIPT), LOOPBACK, str(port)))


@dataclass(frozen=True)
class UserNetConfig:
    """The slirp setup of one board: which board ports are reachable at which host port."""

    index: int
    board_forwards: dict[int, int]  # board port -> host port on 127.0.0.1
    host_ports: tuple[int, ...]  # ports the board may reach on 10.0.2.2 (relayed to 127.0.0.1)

    def netdev_options(self) -> str:
        """``user,...``: the slirp part of ``-nic``/``-netdev`` (no NIC model, no MAC)."""
        ip = board_ip(self.index)
        opts = [
            "user", f"net={SUBNET}", f"host={SLIRP_GATEWAY}", f"dns={DNS_IP}",
            f"dhcpstart={ip}", "ipv6=off", "restrict=on",
        ]
        opts += [f"hostfwd=tcp:{LOOPBACK}:{host}-{ip}:{board}"
                 for board, host in sorted(self.board_forwards.items())]
        opts += [f"guestfwd=tcp:{HOST_IP}:{port}-cmd:{_qemu_opt(relay_command(port))}"
                 for port in self.host_ports]
        return ",".join(opts)

    def qemu_args(self) -> list[str]:
        mac = board_mac(self.index)
        nic = f"{self.netdev_options()},model=open_eth,mac={mac}"
        return ["-machine", f"mac={mac}", "-nic", nic]


def plan(index: int, board_ports: Iterable[int], host_ports: Iterable[int],
         taken: Iterable[int] = ()) -> UserNetConfig:
    """Choose free 127.0.0.1 ports for ``board_ports`` of board ``index``."""
    wanted = sorted(set(board_ports))
    hosts = tuple(host_ports)
    ports = free_ports(len(wanted), exclude=[*taken, *hosts])
    return UserNetConfig(index, dict(zip(wanted, ports, strict=True)), hosts)
