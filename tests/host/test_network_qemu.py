"""The real QEMU on both network modes, end to end.

A stand-in board (a namespace whose kernel sends the packets, see netcheck.StandInBoard) sits
behind the exact backend options the service generates, so DHCP, DNS and TCP go through
QEMU's tap (via our bridge helper) or slirp code. No firmware needed; skipped without QEMU.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from netcheck import StandInBoard, needs_tap, require_qemu

from harness.emulator.service import QemuService
from harness.errors import BoardError
from harness.network import DNS_IP, HOST_IP, NetworkService, board_ip, board_mac
from harness.network.probes import dhcp_discover, dns_query
from harness.network.tap import netdev_options, tap_name
from harness.network.usermode import SLIRP_GATEWAY

pytestmark = needs_tap  # the stand-in board is a namespace, in user mode too


@pytest.fixture
def flash(tmp_path: Path) -> Path:
    require_qemu()
    image = tmp_path / "flash.img"
    image.write_bytes(b"\xff" * (1 << 20))
    return image


@pytest.fixture
def stand_in() -> Iterator[StandInBoard]:
    board = StandInBoard(board_mac(0))
    try:
        yield board
    finally:
        board.close()


def _qemu(flash: Path, tmp_path: Path, args: list[str], name: str) -> QemuService:
    return QemuService(flash, extra_args=args, wait_for_boot=False, log_dir=tmp_path, name=name)


def tap_is_there(net: NetworkService) -> bool:
    assert net.ns is not None
    return tap_name(0) in net.ns.ip("-o", "link", "show", what="listing links")


def test_tap_qemu_holds_its_tap_while_running(flash: Path, tmp_path: Path) -> None:
    with NetworkService("tap") as net:
        args = net.qemu_args(0)
        assert not net.tap_attached(0)
        with _qemu(flash, tmp_path, args, "tap-attach"):
            assert net.tap_attached(0)
        assert not net.tap_attached(0)


def test_a_missing_tap_stops_qemu_with_the_helpers_message(flash: Path, tmp_path: Path) -> None:
    with NetworkService("tap") as net:
        assert net.ns is not None
        args = net.qemu_args(0)
        net.ns.ip("link", "del", tap_name(0), what="removing the TAP")
        with pytest.raises(BoardError, match="tap_helper: no TAP e8qtap0"):
            _qemu(flash, tmp_path, args, "tap-missing").start()
        assert not tap_is_there(net)  # the helper did not create a stray, unbridged TAP


def test_tap_end_to_end_through_qemu(flash: Path, tmp_path: Path,
                                     stand_in: StandInBoard) -> None:
    with NetworkService("tap") as net:
        assert net.ns is not None
        net.qemu_args(0)  # creates the board's TAP
        backend = netdev_options(net.ns.name, tap_name(0))
        with _qemu(flash, tmp_path, stand_in.qemu_args(backend), "tap-e2e"):
            stand_in.set_address("10.0.2.99")  # to send the broadcast from
            offered = dhcp_discover(board_mac(0), interface=stand_in.interface,
                                    make_socket=stand_in.ns.socket)
            assert offered == board_ip(0)
            stand_in.ns.ip("addr", "flush", "dev", stand_in.interface, what="flush")
            stand_in.set_address(offered)
            answer = dns_query(DNS_IP, "host.test", make_socket=stand_in.ns.socket)
            assert answer.addresses == (HOST_IP,)
            with net.tcp_server() as server, stand_in.ns.socket() as client:
                client.settimeout(5)
                client.connect((HOST_IP, server.getsockname()[1]))
                conn, (addr, _) = server.accept()
                conn.close()
                assert addr == board_ip(0)
            with stand_in.ns.socket() as listener:
                listener.bind((board_ip(0), 8266))
                listener.listen(1)
                with net.connect_to_board(8266) as conn:
                    accepted, _ = listener.accept()
                    conn.sendall(b"to the board")
                    assert accepted.recv(64) == b"to the board"
                    accepted.close()


def test_user_mode_end_to_end_through_slirp(flash: Path, tmp_path: Path,
                                           stand_in: StandInBoard) -> None:
    with NetworkService("user", board_ports=(8266,), host_ports=1) as net:
        config = net.user_config(0)
        with _qemu(flash, tmp_path, stand_in.qemu_args(config.netdev_options()), "user-e2e"):
            stand_in.set_address("10.0.2.99")
            offered = dhcp_discover(board_mac(0), interface=stand_in.interface,
                                    make_socket=stand_in.ns.socket)
            assert offered == board_ip(0)
            stand_in.ns.ip("addr", "flush", "dev", stand_in.interface, what="flush")
            stand_in.set_address(offered)
            # board -> host: 10.0.2.2:PORT is relayed to the test's server on 127.0.0.1:PORT
            with net.tcp_server() as server, stand_in.ns.socket() as client:
                port = server.getsockname()[1]
                client.settimeout(10)
                client.connect((HOST_IP, port))
                client.sendall(b"from the board")
                server.settimeout(10)
                conn, (addr, _) = server.accept()
                with conn:
                    assert addr == "127.0.0.1"
                    conn.settimeout(10)
                    assert conn.recv(64) == b"from the board"
                    conn.sendall(b"from the host")
                    assert client.recv(64) == b"from the host"
            # host -> board: 127.0.0.1:HOSTPORT is forwarded to 10.0.2.15:8266
            with stand_in.ns.socket() as listener:
                listener.bind((board_ip(0), 8266))
                listener.listen(1)
                with net.connect_to_board(8266) as conn:
                    listener.settimeout(10)
                    accepted, _ = listener.accept()
                    conn.sendall(b"to the board")
                    accepted.settimeout(10)
                    assert accepted.recv(64) == b"to the board"
                    accepted.close()
            # restricted: slirp's own address does not lead to the host, DNS goes nowhere
            with socket.socket() as bait:
                bait.bind(("127.0.0.1", 0))
                bait.listen(1)
                with stand_in.ns.socket() as client:
                    client.settimeout(5)
                    with pytest.raises(ConnectionRefusedError):  # unrestricted: connects
                        client.connect((SLIRP_GATEWAY, bait.getsockname()[1]))
            with pytest.raises(TimeoutError):
                dns_query(DNS_IP, "host.test", timeout=1.0, make_socket=stand_in.ns.socket)
