"""The bridge and the per-board TAP devices inside the namespace, and how QEMU gets its TAP.

Inside namespace ``NS``::

    e8qbr (bridge, 10.0.2.2/24 + 10.0.2.3/24, no other links, no default route)
      +-- e8qtap0  (board 0)      +-- e8qtap1 (board 1) ...
      +-- e8qveth0 (peer 0, other end in namespace NS-p0)

QEMU itself runs in the host's namespace. Its ``-nic bridge,helper=CMD`` option makes it run
``CMD --use-vnet --fd=N --br=BR`` (QEMU's bridge-helper protocol, as for qemu-bridge-helper)
and receive the TAP's file descriptor over the unix socket ``N``. Our helper
(``tap_helper.py``) joins the namespace, opens ``/dev/net/tun``, attaches to the board's
persistent TAP and hands the descriptor back. So QEMU needs nothing but extra arguments:
no command prefix, no inherited descriptors, no privileges of its own beyond the helper's.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from harness.network.addresses import DNS_IP, HOST_IP, PREFIX_LEN, board_mac
from harness.network.netns import NetNamespace

BRIDGE = "e8qbr"
HELPER_SCRIPT = Path(__file__).with_name("tap_helper.py")


def tap_name(index: int) -> str:
    return f"e8qtap{index}"


def veth_name(index: int) -> str:
    return f"e8qveth{index}"


def create_bridge(ns: NetNamespace) -> None:
    """The bridge with the host and DNS addresses; IPv6 off (no noise in captures)."""
    ns.sysctl("net.ipv6.conf.all.disable_ipv6", "1")
    ns.sysctl("net.ipv6.conf.default.disable_ipv6", "1")
    ns.ip("link", "add", BRIDGE, "type", "bridge", "forward_delay", "0", "stp_state", "0",
          what="creating the bridge")
    ns.ip("addr", "add", f"{HOST_IP}/{PREFIX_LEN}", "dev", BRIDGE, what="adding the host address")
    ns.ip("addr", "add", f"{DNS_IP}/{PREFIX_LEN}", "dev", BRIDGE, what="adding the DNS address")
    ns.ip("link", "set", BRIDGE, "up", what="bringing up the bridge")


def impaired_port_name(index: int) -> str:
    """The veth that is board ``index``'s bridge port when its link is impaired."""
    return f"e8qimp{index}"


def create_tap(ns: NetNamespace, index: int, bridged: bool = True) -> str:
    """A persistent TAP for board ``index``, a port of the bridge; returns its name.

    ``bridged=False`` (an impaired link, see impair.py): the TAP stays off the bridge; a second
    TAP ``e8qimpN`` is the bridge port, for the forwarder.
    """
    name = tap_name(index)
    ns.ip("tuntap", "add", "dev", name, "mode", "tap", what=f"creating TAP {name}")
    if bridged:
        ns.ip("link", "set", name, "master", BRIDGE, what=f"adding {name} to the bridge")
    else:
        port = impaired_port_name(index)
        ns.ip("tuntap", "add", "dev", port, "mode", "tap", what=f"creating TAP {port}")
        ns.ip("link", "set", port, "master", BRIDGE, what=f"adding {port} to the bridge")
        ns.ip("link", "set", port, "up", what=f"bringing up {port}")
    ns.ip("link", "set", name, "up", what=f"bringing up {name}")
    return name


def bridge_port(ns: NetNamespace, index: int) -> str:
    """Board ``index``'s port on the bridge: its TAP, or the veth of an impaired link."""
    port = impaired_port_name(index)
    listed = ns.ip("-o", "link", "show", what="listing links")
    return port if f" {port}:" in listed else tap_name(index)


def set_bridge_port(ns: NetNamespace, index: int, up: bool) -> None:
    """Take board ``index``'s bridge port down (its cable pulled) or bring it back up."""
    port = bridge_port(ns, index)
    ns.ip("link", "set", port, "up" if up else "down",
          what=f"setting {port} {'up' if up else 'down'}")


def tap_has_carrier(ns: NetNamespace, index: int) -> bool:
    """True while a QEMU holds the TAP open (the kernel reports LOWER_UP)."""
    out = ns.ip("-o", "link", "show", tap_name(index), what="reading the TAP state")
    flags = out.split("<", 1)[1].split(">", 1)[0].split(",") if "<" in out else []
    return "LOWER_UP" in flags


def helper_command(namespace: str, tap: str) -> str:
    """The shell command QEMU runs as bridge helper to get TAP ``tap`` of ``namespace``."""
    return " ".join(shlex.quote(part) for part in (
        sys.executable, "-I", "-S", str(HELPER_SCRIPT), "--netns", namespace, "--tap", tap))


def qemu_opt(value: str) -> str:
    """A value inside a QEMU option list (commas doubled)."""
    return value.replace(",", ",,")


def netdev_options(namespace: str, tap: str) -> str:
    """``bridge,br=...,helper=...``: the netdev part of ``-nic``/``-netdev`` for one TAP."""
    return f"bridge,br={BRIDGE},helper={qemu_opt(helper_command(namespace, tap))}"


def qemu_args(ns: NetNamespace, index: int) -> list[str]:
    """QEMU arguments that connect board ``index`` to its TAP (and give it its MAC)."""
    mac = board_mac(index)
    return [
        "-machine", f"mac={mac}",
        "-nic", f"{netdev_options(ns.name, tap_name(index))},model=open_eth,mac={mac}",
    ]
