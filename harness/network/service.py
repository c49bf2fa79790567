"""NetworkService: the test network of one run, in ``tap`` or ``user`` mode, always torn down.

``tap`` (root / CAP_NET_ADMIN + CAP_SYS_ADMIN): a namespace ``e8q-<pid>-<n>`` with a bridge
(10.0.2.2 and 10.0.2.3), one TAP per board (QEMU attaches through ``tap_helper.py``), dnsmasq
(DHCP by MAC, DNS for ``*.test``) and optional peer namespaces on veth links. The pytest side
of every socket is created inside the namespace (``NetNamespace.socket``): nothing of it is
reachable from, or can reach, the host's own interfaces.

``user``: QEMU's slirp, restricted, with 127.0.0.1-only forwards (see usermode.py).

The same calls work in both modes::

    with NetworkService() as net:              # mode from privileges, or mode="user"
        args = net.qemu_args(0)                # -> QemuService(extra_args=args)
        server = net.tcp_server()              # board connects to (net.host_ip, port)
        conn = net.connect_to_board(8266)      # -> socket connected to board 0's port 8266
        net.add_name("a.test", "10.0.2.50")    # tap mode only

Teardown (``stop()``, ``with`` exit, interpreter exit, SIGTERM/SIGHUP) kills dnsmasq, deletes
the namespaces (and with them the bridge, TAPs and veths) and the run dir. Leftovers of a
SIGKILLed run are removed when the next service starts (``netns.clean_stale``).
"""

from __future__ import annotations

import itertools
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from harness import process_group
from harness.errors import NetworkError
from harness.network import addresses, impair, netns, tap, usermode
from harness.network.dnsmasq import Dnsmasq

MODES = ("tap", "user")
DEFAULT_BOARD_PORTS = (23, 80, 8000, 8001, 8002, 8003, 8080, 8266)
DEFAULT_HOST_PORTS = 4

_serial = itertools.count()


def default_mode() -> str:
    """``tap`` when this process may create namespaces and TAPs, else ``user``."""
    return "tap" if netns.tap_mode_problem() is None else "user"


@dataclass
class Peer:
    """Another host on the bridge: its own namespace, a veth, address 10.0.2.(200+index)."""

    index: int
    ns: netns.NetNamespace
    ip: str
    interface: str = "eth0"

    def socket(self, family: int = socket.AF_INET,
               kind: int = socket.SOCK_STREAM) -> socket.socket:
        return self.ns.socket(family, kind)


class NetworkService:
    """The network of one run. ``start()`` (or ``with``) sets it up, ``stop()`` removes it."""

    def __init__(self, mode: str | None = None, *, log_dir: Path | None = None,
                 board_ports: Iterable[int] = DEFAULT_BOARD_PORTS,
                 host_ports: int = DEFAULT_HOST_PORTS, netem: str | None = None) -> None:
        self.mode = mode or default_mode()
        if self.mode not in MODES:
            raise NetworkError(f"unknown network mode {self.mode!r}; use tap or user")
        # Faults on every board's link (impair.py); tap mode only.
        self.netem = impair.parse(netem) if netem else None
        if self.netem is not None and self.mode != "tap":
            raise NetworkError("--netem needs tap mode (--net tap, as root): user mode has no "
                               "link to impair")
        self._impairments: dict[int, impair.Impairment] = {}
        self.log_dir = log_dir
        self.board_ports = tuple(board_ports)
        self.host_port_count = host_ports
        self.host_ip = addresses.HOST_IP
        self.dns_ip = addresses.DNS_IP
        self.ns: netns.NetNamespace | None = None
        self.dnsmasq: Dnsmasq | None = None
        self.run_dir: Path | None = None
        self.peers: list[Peer] = []
        self.host_ports: tuple[int, ...] = ()
        self.setup_seconds = 0.0
        self.teardown_seconds = 0.0
        self.removed_stale: list[str] = []
        self._taps: set[int] = set()
        self._user_configs: dict[int, usermode.UserNetConfig] = {}
        self._lock = threading.RLock()
        self._started = False

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> NetworkService:
        if self._started:
            return self
        began = time.monotonic()
        if self.mode == "tap" and (problem := netns.tap_mode_problem()):
            raise NetworkError(problem)
        # Torn down with the emulators at exit and on SIGTERM/SIGHUP (process_group's handlers).
        process_group.register_cleanup(self.stop)
        self._started = True
        try:
            self.removed_stale = netns.clean_stale()
            self.run_dir = Path(tempfile.mkdtemp(prefix=f"{addresses.run_tag()}-net-"))
            if self.mode == "tap":
                self._start_tap()
            else:
                self.host_ports = tuple(usermode.free_ports(self.host_port_count))
        except BaseException:
            self.stop()
            raise
        self.setup_seconds = time.monotonic() - began
        return self

    def _start_tap(self) -> None:
        assert self.run_dir is not None
        name = f"{addresses.run_tag()}-{next(_serial)}"
        self.ns = netns.NetNamespace.create(name)
        tap.create_bridge(self.ns)
        self.dnsmasq = Dnsmasq(self.ns, tap.BRIDGE, self.run_dir)
        self.dnsmasq.start()

    def stop(self) -> None:
        """Remove everything (idempotent; safe from a signal handler or atexit)."""
        with self._lock:
            if not self._started:
                return
            began = time.monotonic()
            errors: list[str] = []
            for link in self._impairments.values():
                link.stop()
            self._impairments.clear()
            if self.dnsmasq is not None:
                self._keep_logs()
                try:
                    self.dnsmasq.stop()
                except Exception as exc:  # keep tearing down
                    errors.append(f"stopping dnsmasq: {exc}")
                self.dnsmasq = None
            for space in [peer.ns for peer in self.peers] + ([self.ns] if self.ns else []):
                try:
                    space.delete()
                except Exception as exc:
                    errors.append(str(exc))
            self.peers = []
            self.ns = None
            self._taps.clear()
            self._user_configs.clear()
            self.host_ports = ()
            if self.run_dir is not None:
                shutil.rmtree(self.run_dir, ignore_errors=True)
                if self.run_dir.exists():
                    errors.append(f"could not delete {self.run_dir}")
                self.run_dir = None
            self._started = False
            process_group.unregister_cleanup(self.stop)
            self.teardown_seconds = time.monotonic() - began
            if errors:
                raise NetworkError("network teardown incomplete (the next run removes "
                                   "leftovers of dead runs): " + "; ".join(errors))

    def _keep_logs(self) -> None:
        if self.log_dir is None or self.dnsmasq is None:
            return
        self.log_dir.mkdir(parents=True, exist_ok=True)
        tag = self.ns.name if self.ns is not None else addresses.run_tag()
        for path in (self.dnsmasq.log_path, self.dnsmasq.leases_path):
            if path.exists():
                shutil.copyfile(path, self.log_dir / f"{tag}-{path.name}")

    def __enter__(self) -> NetworkService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _require_started(self) -> None:
        if not self._started:
            raise NetworkError("the network service is not running; call start() first")

    def _require_tap(self, what: str) -> netns.NetNamespace:
        self._require_started()
        if self.mode != "tap" or self.ns is None:
            raise NetworkError(f"{what} needs tap mode (--net tap, as root); "
                               f"this run uses {self.mode} mode")
        return self.ns

    # ------------------------------------------------------------------ boards
    def board_ip(self, index: int = 0) -> str:
        return addresses.board_ip(index)

    def board_mac(self, index: int = 0) -> str:
        return addresses.board_mac(index)

    def qemu_args(self, index: int = 0) -> list[str]:
        """Extra QEMU arguments for board ``index`` (creates its TAP / plans its forwards)."""
        self._require_started()
        with self._lock:
            if self.mode == "tap":
                assert self.ns is not None
                if index not in self._taps:
                    addresses.board_ip(index)  # range check
                    tap.create_tap(self.ns, index, bridged=self.netem is None)
                    self._taps.add(index)
                    if self.netem is not None:
                        self._impairments[index] = impair.Impairment(
                            self.ns, tap.tap_name(index), tap.impaired_port_name(index),
                            self.netem)
                return tap.qemu_args(self.ns, index)
            return self.user_config(index).qemu_args()

    def user_config(self, index: int = 0) -> usermode.UserNetConfig:
        """User mode: the forwards of board ``index`` (planned on first use)."""
        self._require_started()
        if self.mode != "user":
            raise NetworkError("user_config() is for user mode; this run uses tap mode")
        with self._lock:
            if index not in self._user_configs:
                taken = {p for c in self._user_configs.values() for p in c.board_forwards.values()}
                self._user_configs[index] = usermode.plan(index, self.board_ports,
                                                          self.host_ports, taken)
            return self._user_configs[index]

    def set_link(self, up: bool, index: int = 0) -> None:
        """Tap mode: pull board ``index``'s cable (its bridge port down) or plug it back."""
        tap.set_bridge_port(self._require_tap("link up/down"), index, up)

    def impairment_counts(self, index: int = 0) -> dict[str, dict[str, int]]:
        """With ``netem``: frames seen, dropped, duplicated, reordered per direction."""
        link = self._impairments.get(index)
        return link.counts() if link is not None else {}

    def tap_attached(self, index: int = 0) -> bool:
        """Tap mode: True while a QEMU holds board ``index``'s TAP."""
        return tap.tap_has_carrier(self._require_tap("tap_attached()"), index)

    # ------------------------------------------------------------------ DNS
    def add_name(self, name: str, ip: str) -> None:
        """Serve ``name`` -> ``ip`` from the test DNS (returns once it is served)."""
        self._require_tap("DNS names (add_name)")
        assert self.dnsmasq is not None
        self.dnsmasq.add_name(name, ip)

    def remove_name(self, name: str) -> None:
        self._require_tap("DNS names (remove_name)")
        assert self.dnsmasq is not None
        self.dnsmasq.remove_name(name)

    # ------------------------------------------------------------------ sockets
    def socket(self, family: int = socket.AF_INET,
               kind: int = socket.SOCK_STREAM) -> socket.socket:
        """A socket on the host side: inside the namespace (tap) or on this host (user)."""
        self._require_started()
        if self.mode == "tap":
            assert self.ns is not None
            return self.ns.socket(family, kind)
        return socket.socket(family, kind)

    def tcp_server(self, port: int = 0, backlog: int = 8) -> socket.socket:
        """A listening TCP socket the boards reach at ``(net.host_ip, its port)``.

        Tap: bound to 10.0.2.2 in the namespace. User: bound to 127.0.0.1 on one of the ports
        relayed from 10.0.2.2 (``port=0``: the first one no open server holds).
        """
        self._require_started()
        if self.mode == "tap":
            return self._listen(self.host_ip, port, backlog)
        if port:
            if port not in self.host_ports:
                raise NetworkError(f"port {port} is not relayed to the board in user mode; "
                                   f"use port=0 or one of {self.host_ports}")
            return self._listen(usermode.LOOPBACK, port, backlog)
        for candidate in self.host_ports:
            try:
                return self._listen(usermode.LOOPBACK, candidate, backlog)
            except OSError:
                continue  # held by another open server of this run
        raise NetworkError(f"all {len(self.host_ports)} relayed host ports are held by open "
                           "servers; close one, or start the service with more host_ports (user "
                           "mode relays only ports declared before QEMU starts)")

    def _listen(self, ip: str, port: int, backlog: int) -> socket.socket:
        sock = self.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((ip, port))
            sock.listen(backlog)
        except BaseException:
            sock.close()
            raise
        return sock

    def udp_socket(self, port: int = 0) -> socket.socket:
        """Tap mode: a UDP socket bound to 10.0.2.2 in the namespace."""
        ns = self._require_tap("UDP to the board")
        sock = ns.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((self.host_ip, port))
        return sock

    def board_endpoint(self, port: int, index: int = 0) -> tuple[str, int]:
        """Where the host side connects to reach ``port`` on board ``index``."""
        self._require_started()
        if self.mode == "tap":
            return (self.board_ip(index), port)
        forwards = self.user_config(index).board_forwards
        if port not in forwards:
            raise NetworkError(f"board port {port} is not forwarded in user mode; forwarded: "
                               f"{sorted(forwards)} (pass board_ports=... to NetworkService)")
        return (usermode.LOOPBACK, forwards[port])

    def connect_to_board(self, port: int, index: int = 0,
                         timeout: float = 5.0) -> socket.socket:
        """A TCP connection from the host side to ``port`` on board ``index``."""
        endpoint = self.board_endpoint(port, index)
        sock = self.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(endpoint)
        except BaseException:
            sock.close()
            raise
        return sock

    # ------------------------------------------------------------------ peers
    def add_peer(self) -> Peer:
        """Tap mode: a further host on the bridge (own namespace, veth, 10.0.2.(200+k))."""
        ns = self._require_tap("peer namespaces")
        with self._lock:
            index = len(self.peers)
            ip = addresses.peer_ip(index)
            peer_ns = netns.NetNamespace.create(f"{ns.name}-p{index}")
            peer = Peer(index, peer_ns, ip)
            self.peers.append(peer)  # deleted by stop() even if the rest fails
            veth = tap.veth_name(index)
            ns.ip("link", "add", veth, "type", "veth", "peer", "name", peer.interface,
                  "netns", peer_ns.name, what="creating a veth pair")
            ns.ip("link", "set", veth, "master", tap.BRIDGE, what="adding the veth to the bridge")
            ns.ip("link", "set", veth, "up", what="bringing up the veth")
            peer_ns.sysctl("net.ipv6.conf.all.disable_ipv6", "1")
            peer_ns.ip("addr", "add", f"{ip}/{addresses.PREFIX_LEN}", "dev", peer.interface,
                       what="adding the peer address")
            peer_ns.ip("link", "set", peer.interface, "up", what="bringing up the peer link")
            return peer

    def describe(self) -> str:
        if self.mode == "tap" and self.ns is not None:
            faults = f", links impaired: {self.netem.describe()}" if self.netem else ""
            return (f"tap network in namespace {self.ns.name}{faults} (host {self.host_ip}, DNS "
                    f"{self.dns_ip}, boards from {self.board_ip(0)}); debug with "
                    f"`ip netns exec {self.ns.name} tcpdump -ni {tap.BRIDGE}`")
        return (f"user-mode network (slirp, restricted; board ports forwarded from 127.0.0.1, "
                f"host ports {self.host_ports} relayed from {self.host_ip})")
