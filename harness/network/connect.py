"""The board's side of the test network: bring ``network.WLAN(network.STA_IF)`` up and wait for
its DHCP lease. The one copy of that snippet (tests and ``invoke bench --net`` use it).

``connect(board)`` runs it on any object with ``Board.exec`` (a ``harness.board.Board``; the
network layer does not import the board layer) and returns the lease.
"""

from __future__ import annotations

import ast
from typing import Protocol

from harness.errors import NetworkError

DHCP_TIMEOUT_S = 10
SSID = "qemu"  # any SSID and key work: the emulated NIC has no radio
KEY = "emulated"


class _RunsCode(Protocol):
    def exec(self, code: str, timeout: float | None = None) -> str: ...


def connect_code(timeout_s: float = DHCP_TIMEOUT_S, name: str = "wlan") -> str:
    """MicroPython code that leaves the interface up and leased (when DHCP answers within
    ``timeout_s``) in the global ``name``; a no-op when it already is."""
    return (
        "import network, time\n"
        f"{name} = network.WLAN(network.STA_IF)\n"
        f"{name}.active(True)\n"
        f"if not {name}.isconnected():\n"
        f"    {name}.connect({SSID!r}, {KEY!r})\n"
        "    _t0 = time.ticks_ms()\n"
        f"    while not {name}.isconnected() and "
        f"time.ticks_diff(time.ticks_ms(), _t0) < {int(timeout_s * 1000)}:\n"
        "        time.sleep_ms(20)\n"
    )


def connect(board: _RunsCode, timeout_s: float = DHCP_TIMEOUT_S) -> tuple[str, str, str, str]:
    """Link up and a DHCP lease on ``board``: its (ip, netmask, gateway, dns). A NetworkError
    when no lease came within ``timeout_s``."""
    out = board.exec(connect_code(timeout_s) +
                     "print(wlan.isconnected() and wlan.status() == network.STAT_GOT_IP, "
                     "wlan.ifconfig())\n", timeout=timeout_s + 5).strip()
    leased, _, conf = out.partition(" ")
    if leased != "True":
        raise NetworkError(f"the board got no DHCP lease within {timeout_s:g} s: {out}; see "
                           "the network log (dnsmasq in tap mode) and docs/network.md")
    ip, mask, gateway, dns = ast.literal_eval(conf)
    return ip, mask, gateway, dns
