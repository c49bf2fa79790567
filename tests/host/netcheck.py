"""Shared checks of the network tests: skip reasons and "is anything of ours left?"."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

import pytest

from harness.network.netns import NETNS_DIR, pid_alive, tap_mode_problem

REPO_ROOT = Path(__file__).resolve().parents[2]

needs_tap = pytest.mark.skipif(tap_mode_problem() is not None,
                               reason=f"tap mode unavailable: {tap_mode_problem()}")


def namespace_exists(name: str) -> bool:
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return (NETNS_DIR / name).exists() or any(line.split()[0] == name
                                              for line in listed.splitlines() if line.strip())


def dnsmasq_alive(pid: int) -> bool:
    if not pid_alive(pid):
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


class StandInBoard:
    """A namespace whose kernel plays the board behind QEMU's network backend.

    QEMU gets the namespace's TAP through our bridge helper and joins it to the board's
    backend (``-netdev ... + hubport``), so every packet of the stand-in goes through QEMU's
    tap/slirp code exactly as the firmware's would: a full TCP/IP stack without firmware.
    """

    count = 0

    def __init__(self, mac: str) -> None:
        from harness.network.addresses import run_tag
        from harness.network.netns import NetNamespace

        StandInBoard.count += 1
        self.mac = mac
        self.interface = "board0"
        self.ns = NetNamespace.create(f"{run_tag()}-standin{StandInBoard.count}")
        try:
            self.ns.sysctl("net.ipv6.conf.all.disable_ipv6", "1")
            self.ns.ip("tuntap", "add", "dev", self.interface, "mode", "tap", what="TAP")
            self.ns.ip("link", "set", self.interface, "address", mac, "up", what="MAC")
        except BaseException:
            self.ns.delete()
            raise

    def qemu_args(self, backend: str) -> list[str]:
        """QEMU arguments joining ``backend`` (a ``-netdev`` option list) to this stand-in."""
        from harness.network.tap import netdev_options

        return ["-netdev", f"{backend},id=board", "-netdev",
                f"{netdev_options(self.ns.name, self.interface)},id=standin",
                "-netdev", "hubport,id=hub0,hubid=0,netdev=board",
                "-netdev", "hubport,id=hub1,hubid=0,netdev=standin"]

    def set_address(self, ip: str) -> None:
        self.ns.ip("addr", "add", f"{ip}/24", "dev", self.interface, what="address")

    def close(self) -> None:
        self.ns.delete()


@functools.cache
def qemu_problem() -> str | None:
    """Why the real QEMU cannot be used for network tests (None when it can).

    These tests check the network, not the machine: a QEMU that is missing, or that does not
    even start without a network (e.g. mid-rebuild), skips them with QEMU's own message.
    """
    from harness.emulator.command import QemuCommand, build_command, qemu_binary

    binary = qemu_binary()
    if not binary.is_file():
        return f"no QEMU at {binary}; run `invoke qemu`"
    argv = build_command(QemuCommand(binary=binary, uart0_serial="null"))
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        out, _ = proc.communicate(timeout=1.0)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return None  # still running: it started
    return f"QEMU does not start even without a network: {out.strip()[-300:]}"


def require_qemu() -> None:
    """Skip the calling test, with QEMU's own reason, when the real QEMU is unusable."""
    if problem := qemu_problem():
        pytest.skip(problem)
