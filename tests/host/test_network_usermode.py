"""User mode (slirp): only 127.0.0.1 forwards on free ports, and QEMU really binds them so.

The QEMU tests run the real emulator (skipped when build/qemu has none) with a blank flash:
no firmware is needed for QEMU to set up its slirp forwards.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from netcheck import require_qemu

from harness.emulator.service import QemuService
from harness.errors import NetworkError
from harness.network import HOST_IP, NetworkService, board_ip
from harness.network.usermode import RELAY_SCRIPT, free_ports


@pytest.fixture
def net() -> Iterator[NetworkService]:
    with NetworkService("user", board_ports=(23, 8266)) as service:
        yield service


def _listeners() -> dict[int, list[str]]:
    """Listening TCP ports (IPv4 and IPv6) -> local addresses, from /proc/net/tcp*."""
    found: dict[int, list[str]] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] != "0A":  # LISTEN
                continue
            addr, port = fields[1].split(":")
            found.setdefault(int(port, 16), []).append(addr)
    return found


def test_qemu_args_forward_only_from_loopback_on_free_ports(net: NetworkService) -> None:
    args = net.qemu_args(0)
    nic = args[args.index("-nic") + 1]
    forwards = re.findall(r"hostfwd=tcp:([^:]*):(\d+)-([\d.]+):(\d+)", nic)
    assert sorted(int(board) for *_, board in forwards) == [23, 8266]
    assert {host for host, *_ in forwards} == {"127.0.0.1"}
    assert {guest for _, _, guest, _ in forwards} == {board_ip(0)}
    assert "restrict=on" in nic.split(",")  # nothing but our forwards leaves the board
    busy = _listeners()
    for _, port, _, _ in forwards:
        assert int(port) not in busy
    guest = re.findall(r"guestfwd=tcp:([\d.]+):(\d+)-cmd:", nic)
    assert guest and {ip for ip, _ in guest} == {HOST_IP}
    assert [int(port) for _, port in guest] == list(net.host_ports)


def test_second_board_gets_its_own_ports_and_address(net: NetworkService) -> None:
    first = net.user_config(0).board_forwards
    second = net.user_config(1).board_forwards
    assert not set(first.values()) & set(second.values())
    assert board_ip(1) in " ".join(net.qemu_args(1))


def test_tcp_server_uses_a_relayed_port_on_loopback(net: NetworkService) -> None:
    with net.tcp_server() as server:
        host, port = server.getsockname()
        assert host == "127.0.0.1" and port in net.host_ports
    servers = [net.tcp_server() for _ in net.host_ports]  # closed ports are free again
    assert sorted(s.getsockname()[1] for s in servers) == sorted(net.host_ports)
    with pytest.raises(NetworkError, match="held by open servers"):
        net.tcp_server()
    for server in servers:
        server.close()
    with pytest.raises(NetworkError, match="not relayed"):
        net.tcp_server(port=free_ports(1, exclude=net.host_ports)[0])


def test_relay_copies_both_ways_and_passes_eof() -> None:
    """The guestfwd relay with a socketpair standing in for slirp's connection."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    board_side, relay_side = socket.socketpair()
    relay = subprocess.Popen([sys.executable, "-I", "-S", str(RELAY_SCRIPT), "127.0.0.1",
                              str(port)], stdin=relay_side, stdout=relay_side, stderr=relay_side)
    relay_side.close()
    conn, _ = server.accept()
    conn.settimeout(5)
    board_side.settimeout(5)
    board_side.sendall(b"from board")
    assert conn.recv(64) == b"from board"
    conn.sendall(b"from host")
    assert board_side.recv(64) == b"from host"
    board_side.shutdown(socket.SHUT_WR)
    assert conn.recv(64) == b""
    conn.close()
    assert board_side.recv(64) == b""
    assert relay.wait(10) == 0
    board_side.close()
    server.close()


def test_relay_refuses_anything_but_loopback() -> None:
    done = subprocess.run([sys.executable, "-I", "-S", str(RELAY_SCRIPT), "10.0.2.2", "80"],
                          stdin=subprocess.DEVNULL, capture_output=True)
    assert done.returncode == 2


def test_qemu_binds_the_forwards_on_loopback_only(net: NetworkService, tmp_path: Path) -> None:
    require_qemu()
    flash = tmp_path / "flash.img"
    flash.write_bytes(b"\xff" * (1 << 20))
    with QemuService(flash, extra_args=net.qemu_args(0), wait_for_boot=False,
                     log_dir=tmp_path, name="usernet"):
        listeners = _listeners()
        for board_port, host_port in net.user_config(0).board_forwards.items():
            assert listeners.get(host_port) == ["0100007F"], (board_port, host_port)
            with socket.create_connection(("127.0.0.1", host_port), timeout=5):
                pass  # slirp accepts (and drops: no firmware listens yet)
