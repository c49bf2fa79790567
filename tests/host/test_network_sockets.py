"""Host-side sockets opened by the service live inside the namespace (tap mode)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from netcheck import needs_tap

from harness.network import HOST_IP, NetworkService, board_ip

pytestmark = needs_tap


@pytest.fixture(scope="module")
def net() -> Iterator[NetworkService]:
    with NetworkService("tap") as service:
        yield service


def test_tcp_server_accepts_a_connection_from_the_namespace(net: NetworkService) -> None:
    peer = net.add_peer()
    with net.tcp_server() as server:
        host, port = server.getsockname()
        assert host == HOST_IP
        with peer.socket() as client:
            client.settimeout(5)
            client.connect((HOST_IP, port))
            conn, (addr, _) = server.accept()
            with conn:
                assert addr == peer.ip
                client.sendall(b"ping")
                assert conn.recv(4) == b"ping"


def test_connect_to_board_reaches_the_board_address(net: NetworkService) -> None:
    stand_in = net.add_peer()  # plays board 0: it takes the board's address
    stand_in.ns.ip("addr", "add", f"{board_ip(0)}/24", "dev", stand_in.interface,
                   what="giving the stand-in the board address")
    with stand_in.socket() as listener:
        listener.bind((board_ip(0), 8266))
        listener.listen(1)
        with net.connect_to_board(8266) as conn:
            accepted, (addr, _) = listener.accept()
            with accepted:
                assert addr == HOST_IP
                conn.sendall(b"hello board")
                assert accepted.recv(64) == b"hello board"


def test_namespace_sockets_cannot_reach_the_hosts_loopback(net: NetworkService) -> None:
    with socket.socket() as outside:
        outside.bind(("127.0.0.1", 0))
        outside.listen(1)
        port = outside.getsockname()[1]
        with net.socket() as inside:
            inside.settimeout(2)
            with pytest.raises(ConnectionRefusedError):
                inside.connect(("127.0.0.1", port))  # the namespace's own lo, not the host's


def test_udp_socket_is_bound_to_the_host_address(net: NetworkService) -> None:
    with net.udp_socket() as udp:
        assert udp.getsockname()[0] == HOST_IP
