"""The board's network: ``network.WLAN`` on the emulated NIC, DHCP, and a TCP echo with the
host through the harness's network (``--net tap`` or ``--net user``).

``network.WLAN(network.STA_IF)`` stands for the NIC (docs/firmware.md, "Network"):
``connect()`` brings the link up and runs DHCP; the test network hands the board 10.0.2.15
in both modes (dnsmasq by MAC in tap mode, slirp's first address in user mode).
"""

from __future__ import annotations

import threading

import pytest

from harness.board import Board
from harness.network import connect_board
from harness.network.service import NetworkService

BOARD_IP = "10.0.2.15"


def _connect(board: Board) -> tuple[str, str, str, str]:
    return connect_board(board)


@pytest.mark.needs_net
def test_wlan_before_connect(net_board: Board) -> None:
    # The module's board may be connected by an earlier test (in any order, any -k): take
    # the interface down first, which is also what a boot script does.
    out = net_board.exec(
        "import network\n"
        "wlan = network.WLAN(network.STA_IF)\n"
        "wlan.active(False)\n"
        "print(wlan.active(), wlan.isconnected())\n"
        "wlan.active(True)\n"
        "print(wlan.active(), wlan.status() == network.STAT_IDLE, wlan.isconnected())\n"
        "print(wlan.config('mac').hex())").split()
    assert out[:5] == ["False", "False", "True", "True", "False"]
    assert len(out[5]) == 12


@pytest.mark.needs_net
def test_connect_gets_the_fixed_address(net_board: Board, net: NetworkService) -> None:
    ip, mask, gw, _ = _connect(net_board)
    assert ip == BOARD_IP
    assert mask == "255.255.255.0"
    assert net_board.eval("network.WLAN(network.STA_IF).isconnected()") is True
    # dnsmasq names the host as router; a restricted slirp offers no router at all (the
    # board reaches 10.0.2.2 on the link).
    assert gw == (net.host_ip if net.mode == "tap" else "0.0.0.0")


@pytest.mark.needs_net
def test_mac_matches_the_efuse_mac(net_board: Board, net: NetworkService) -> None:
    # The harness gives QEMU the MAC of board 0 twice (eFuse words and the NIC's side);
    # the firmware reads the eFuse words, and DHCP hands out the fixed address by it.
    # imports network itself: under xdist the module's other tests may run on another worker
    net_board.exec("import network")
    mac = net_board.eval("':'.join('%02x' % b for b in network.WLAN(network.STA_IF).config('mac'))")
    assert mac == net.board_mac(0).lower()


@pytest.mark.needs_net
def test_tcp_echo_board_connects_to_host(net_board: Board, net: NetworkService) -> None:
    _connect(net_board)
    payload = bytes(range(256)) * 8  # 2 KiB: more than one segment
    with net.tcp_server() as server:
        port = server.getsockname()[1]
        server.settimeout(10)

        def echo() -> None:
            conn, _ = server.accept()
            with conn:
                conn.settimeout(10)
                while data := conn.recv(4096):
                    conn.sendall(data)

        thread = threading.Thread(target=echo, daemon=True)
        thread.start()
        out = net_board.exec(
            "import socket\n"
            "data = bytes(range(256)) * 8\n"
            "s = socket.socket()\n"
            f"s.connect(('{net.host_ip}', {port}))\n"
            "s.write(data)\n"
            "got = b''\n"
            "while len(got) < len(data):\n"
            "    chunk = s.recv(1024)\n"
            "    if not chunk:\n"
            "        break\n"
            "    got += chunk\n"
            "s.close()\n"
            "print(len(got), got == data)", timeout=20)
        thread.join(10)
    assert out.split() == [str(len(payload)), "True"]


@pytest.mark.needs_net
def test_tcp_echo_host_connects_to_board(net_board: Board, net: NetworkService) -> None:
    _connect(net_board)
    net_board.exec(
        "import socket\n"
        "srv = socket.socket()\n"
        "srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        "srv.bind(('0.0.0.0', 8000))\n"
        "srv.listen(1)\n")
    result: dict[str, bytes] = {}

    def client() -> None:
        with net.connect_to_board(8000) as sock:
            sock.settimeout(10)
            sock.sendall(b"hello board")
            result["echo"] = sock.recv(100)

    thread = threading.Thread(target=client, daemon=True)
    thread.start()
    out = net_board.exec(
        "c, addr = srv.accept()\n"
        "data = c.recv(100)\n"
        "c.send(data)\n"
        "c.close()\n"
        "srv.close()\n"
        "print(data)", timeout=20)
    thread.join(10)
    assert out.strip() == "b'hello board'"
    assert result.get("echo") == b"hello board"


@pytest.mark.needs_net
def test_static_ifconfig_and_disconnect(net_board: Board, net: NetworkService) -> None:
    _connect(net_board)
    out = net_board.exec(
        "import network\n"
        "wlan = network.WLAN(network.STA_IF)\n"
        "wlan.disconnect()\n"
        "print(wlan.isconnected(), wlan.status() == network.STAT_IDLE)\n"
        f"wlan.ifconfig(('{BOARD_IP}', '255.255.255.0', '10.0.2.2', '10.0.2.3'))\n"
        "wlan.connect('qemu', 'emulated')\n"
        "print(wlan.isconnected(), wlan.ifconfig())\n"
        "wlan.ifconfig('dhcp')\n").strip().splitlines()
    assert out[0] == "False True"
    assert out[1] == f"True ('{BOARD_IP}', '255.255.255.0', '10.0.2.2', '10.0.2.3')"
    # Back to DHCP for the other tests.
    ip, *_ = _connect(net_board)
    assert ip == BOARD_IP


@pytest.mark.needs_net
def test_config_hostname_and_ap_if(net_board: Board) -> None:
    out = net_board.exec(
        "import network\n"
        "wlan = network.WLAN(network.STA_IF)\n"
        "wlan.config(hostname='qemu-board')\n"
        "print(wlan.config('hostname'), network.hostname())\n"
        "ap = network.WLAN(network.AP_IF)\n"
        "print(ap.active())\n"
        "ap.active(False)\n"
        "try:\n"
        "    ap.active(True)\n"
        "except OSError as e:\n"
        "    print('OSError', e)\n").strip().splitlines()
    assert out[0] == "qemu-board qemu-board"
    assert out[1] == "False"
    assert out[2].startswith("OSError") and "AP_IF" in out[2]


@pytest.mark.needs_net
def test_socket_module_basics(net_board: Board) -> None:
    out = net_board.exec(
        "import socket, select\n"
        "print(socket.getaddrinfo('10.0.2.2', 80)[0][-1])\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "p = select.poll(); p.register(s, select.POLLOUT)\n"
        "print(len(p.poll(100)))\n"
        "s.close()").strip().splitlines()
    assert out == ["('10.0.2.2', 80)", "1"]


@pytest.mark.needs_net
def test_udp_echo_with_the_host(net_board: Board, net: NetworkService) -> None:
    if net.mode != "tap":
        pytest.skip("UDP with the host needs tap mode (user mode forwards TCP only)")
    _connect(net_board)
    with net.udp_socket() as host:
        host.settimeout(10)
        port = host.getsockname()[1]
        net_board.exec(
            "import socket\n"
            "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
            "u.bind(('0.0.0.0', 5005))\n"
            f"u.sendto(b'ping', ('{net.host_ip}', {port}))\n")
        data, addr = host.recvfrom(100)
        assert (data, addr) == (b"ping", (BOARD_IP, 5005))
        host.sendto(b"pong", addr)
        out = net_board.exec("data, addr = u.recvfrom(100)\nu.close()\nprint(data, addr)",
                             timeout=10)
    assert out.strip() == f"b'pong' ('{net.host_ip}', {port})"


@pytest.mark.needs_net
def test_active_off_and_on_again(net_board: Board) -> None:
    _connect(net_board)
    out = net_board.exec(
        "import network\n"
        "wlan = network.WLAN(network.STA_IF)\n"
        "wlan.active(False)\n"
        "print(wlan.active(), wlan.isconnected(), wlan.status() == network.STAT_IDLE)\n").split()
    assert out == ["False", "False", "True"]
    ip, *_ = _connect(net_board)
    assert ip == BOARD_IP


@pytest.mark.qemu_only
def test_no_nic_is_a_clear_oserror(board: Board) -> None:
    # The plain board fixture runs QEMU without a -nic: the NIC is absent.
    out = board.exec(
        "import network, errno\n"
        "wlan = network.WLAN(network.STA_IF)\n"
        "try:\n"
        "    wlan.active(True)\n"
        "except OSError as e:\n"
        "    print(e.errno == errno.ENODEV, wlan.active())\n").strip()
    assert out == "True False"
