"""QEMU bridge helper: hand QEMU the file descriptor of a TAP that lives in a namespace.

Run by QEMU (``-nic bridge,helper=...``) as
``tap_helper.py --netns NS --tap TAP --use-vnet --fd=N --br=BRIDGE``: joins namespace NS,
opens /dev/net/tun, attaches to the existing TAP device and sends the descriptor over the unix
socket N (one byte with SCM_RIGHTS, the protocol of qemu-bridge-helper). Standard library
only: it runs with ``python -I -S``.
"""

from __future__ import annotations

import argparse
import ctypes
import fcntl
import os
import socket
import struct
import sys

CLONE_NEWNET = 0x40000000
TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="tap_helper")
    parser.add_argument("--netns", required=True)
    parser.add_argument("--tap", required=True)
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--br", default="")
    parser.add_argument("--use-vnet", action="store_true")
    args = parser.parse_args(argv)
    libc = ctypes.CDLL(None, use_errno=True)
    try:
        ns_fd = os.open(f"/run/netns/{args.netns}", os.O_RDONLY)
    except OSError as exc:
        print(f"tap_helper: no namespace {args.netns} ({exc.strerror}); is the network "
              "service still running?", file=sys.stderr)
        return 1
    if libc.setns(ns_fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        print(f"tap_helper: cannot join namespace {args.netns}: {os.strerror(err)}",
              file=sys.stderr)
        return 1
    os.close(ns_fd)
    try:  # TUNSETIFF would silently create a new, unbridged TAP: insist on ours
        socket.if_nametoindex(args.tap)
    except OSError:
        print(f"tap_helper: no TAP {args.tap} in namespace {args.netns} (was the network "
              "service stopped, or qemu_args() not called for this board?)", file=sys.stderr)
        return 1
    tun = os.open("/dev/net/tun", os.O_RDWR)
    ifreq = struct.pack("16sH", args.tap.encode(), IFF_TAP | IFF_NO_PI)
    try:
        fcntl.ioctl(tun, TUNSETIFF, ifreq)
    except OSError as exc:
        print(f"tap_helper: cannot attach to TAP {args.tap} in {args.netns}: {exc}",
              file=sys.stderr)
        return 1
    with socket.socket(fileno=args.fd) as channel:
        socket.send_fds(channel, [b"\0"], [tun])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
