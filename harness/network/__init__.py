"""The boards' network: tap mode (namespace, bridge, TAPs, dnsmasq) or user mode (slirp).

See docs/network.md. Entry point: ``NetworkService`` (service.py); the board side, link up
and DHCP lease: ``connect_board`` (connect.py).
"""

from harness.network.addresses import DNS_IP, HOST_IP, board_ip, board_mac
from harness.network.connect import connect as connect_board
from harness.network.service import MODES, NetworkService, Peer, default_mode

__all__ = ["DNS_IP", "HOST_IP", "MODES", "NetworkService", "Peer", "board_ip", "board_mac",
           "connect_board", "default_mode"]
