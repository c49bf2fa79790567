"""Emulator-only NIC (open_eth): frames both ways through a UDP socket netdev on loopback."""

from __future__ import annotations

import socket

import pytest

GUEST_MAC = bytes.fromhex("5ccf7fe551a1")
HOST_MAC = bytes.fromhex("020000000001")


@pytest.fixture
def udp_peer():
    """Our end of QEMU's `-nic socket,udp=...`: a UDP socket on 127.0.0.1."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(10)
    guest = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    guest.bind(("127.0.0.1", 0))          # reserve a port for QEMU's end
    guest_port = guest.getsockname()[1]
    guest.close()
    yield sock, guest_port
    sock.close()


def test_frames_both_ways(machine, udp_peer) -> None:
    sock, guest_port = udp_peer
    host_port = sock.getsockname()[1]
    m = machine.start(
        "nic", nic=True,
        extra_args=["-nic", f"socket,model=open_eth,udp=127.0.0.1:{host_port},"
                            f"localaddr=127.0.0.1:{guest_port}"])
    frame, _ = sock.recvfrom(2048)
    assert frame[0:6] == b"\xff" * 6
    assert frame[6:12] == GUEST_MAC
    assert frame[12:14] == b"\x88\xb5"
    assert frame[14:].startswith(b"hello from esp8266 nic")
    m.expect("TX DONE")

    for payload in (b"PING from host", b"BYE"):
        m.expect("RX ARMED")            # the receive descriptor is free again
        m.clear()
        reply = GUEST_MAC + HOST_MAC + b"\x88\xb5" + payload + b"\0" * 30
        sock.sendto(reply, ("127.0.0.1", guest_port))
        m.expect("rx_payload=" + payload.decode())
    m.expect("DONE")
    assert "rx_frames=0x00000002" in m.output
