"""dnsmasq really serves DHCP and DNS, asked from a peer namespace on the bridge.

The peer is a second namespace with a veth into the bridge (10.0.2.200); the queries are
built by harness.network.probes on plain sockets (no external DHCP/DNS client).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from netcheck import needs_tap

from harness.errors import NetworkError
from harness.network import DNS_IP, HOST_IP, NetworkService, board_ip, board_mac
from harness.network.probes import RCODE_NXDOMAIN, dhcp_discover, dns_query
from harness.network.service import Peer

pytestmark = needs_tap


@pytest.fixture(scope="module")
def net() -> Iterator[NetworkService]:
    with NetworkService("tap") as service:
        yield service


@pytest.fixture(scope="module")
def peer(net: NetworkService) -> Peer:
    return net.add_peer()


def test_dns_answers_host_test_from_a_peer(peer: Peer) -> None:
    for server in (DNS_IP, HOST_IP):
        answer = dns_query(server, "host.test", make_socket=peer.ns.socket)
        assert answer.addresses == (HOST_IP,)


def test_registered_names_get_their_own_addresses(net: NetworkService, peer: Peer) -> None:
    net.add_name("a.test", "10.0.2.50")
    net.add_name("b.test", "10.0.2.51")
    assert dns_query(DNS_IP, "a.test", make_socket=peer.socket).addresses == ("10.0.2.50",)
    assert dns_query(DNS_IP, "b.test", make_socket=peer.socket).addresses == ("10.0.2.51",)
    net.add_name("a.test", "10.0.2.52")  # a new address replaces the old one at once
    assert dns_query(DNS_IP, "a.test", make_socket=peer.socket).addresses == ("10.0.2.52",)
    net.remove_name("b.test")
    gone = dns_query(DNS_IP, "b.test", make_socket=peer.socket)
    assert gone.addresses == () and gone.rcode == RCODE_NXDOMAIN


def test_unknown_test_names_are_nxdomain_and_nothing_is_forwarded(peer: Peer) -> None:
    missing = dns_query(DNS_IP, "nobody.test", make_socket=peer.socket)
    assert missing.rcode == RCODE_NXDOMAIN and missing.addresses == ()
    outside = dns_query(DNS_IP, "example.com", make_socket=peer.socket)
    assert outside.addresses == ()  # no upstream servers: refused, never forwarded


@pytest.mark.parametrize("index", [0, 1, 2])
def test_dhcp_offers_the_fixed_address_of_a_board_mac(peer: Peer, index: int) -> None:
    offered = dhcp_discover(board_mac(index), interface=peer.interface,
                            make_socket=peer.ns.socket)
    assert offered == board_ip(index)


def test_dhcp_gives_unknown_macs_an_address_from_the_dynamic_range(peer: Peer) -> None:
    offered = dhcp_discover("02:00:00:00:00:99", interface=peer.interface,
                            make_socket=peer.ns.socket)
    assert 100 <= int(offered.rsplit(".", 1)[1]) <= 199


def test_dnsmasq_log_is_in_the_run_dir(net: NetworkService) -> None:
    assert net.dnsmasq is not None and net.run_dir is not None
    assert net.dnsmasq.log_path.parent == net.run_dir
    assert "host.test" in net.dnsmasq.log_path.read_text()


def test_names_need_tap_mode_in_user_mode() -> None:
    with NetworkService("user") as user, pytest.raises(NetworkError, match="tap mode"):
        user.add_name("a.test", "10.0.2.50")
