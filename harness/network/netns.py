"""Named network namespaces (``ip netns``): create, run commands in, open sockets in, delete.

A namespace is named ``e8q-<pid>-<serial>[-<suffix>]`` after the process that owns it, so a
later run can find the leftovers of a killed one (``clean_stale``): every namespace whose
owner pid is dead is emptied (its processes killed) and deleted.

Sockets inside a namespace: a socket belongs to the namespace it was *created* in, and keeps
it for life. ``NetNamespace.socket()`` creates it on a short-lived helper thread that has
joined the namespace with ``setns(2)`` (only that thread changes namespace, the rest of the
process stays where it is); the returned socket is then used from any thread as usual.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from harness.errors import NetworkError
from harness.network.addresses import NAME_PREFIX

NETNS_DIR = Path("/run/netns")
CLONE_NEWNET = 0x40000000
CAP_NET_ADMIN = 12
CAP_SYS_ADMIN = 21
STALE_NAME = re.compile(rf"^{NAME_PREFIX}-(\d+)-")
IP_TIMEOUT = 20.0

T = TypeVar("T")


# --------------------------------------------------------------------------- privileges
def _effective_caps() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("CapEff:"):
                return int(line.split()[1], 16)
    except OSError:
        pass
    return 0


def tap_mode_problem() -> str | None:
    """Why tap mode cannot work here (None when it can): privileges and tools."""
    caps = _effective_caps()
    missing = [name for bit, name in ((CAP_NET_ADMIN, "CAP_NET_ADMIN"),
                                      (CAP_SYS_ADMIN, "CAP_SYS_ADMIN"))
               if not caps & (1 << bit)]
    if missing:
        who = "root with " if os.geteuid() == 0 else "root or "
        return (f"tap mode needs {who}{' and '.join(missing)} to create network namespaces "
                "and TAP devices (this process lacks them); run as root or use --net user")
    if shutil.which("ip") is None:
        return "tap mode needs iproute2's `ip`; run `invoke setup` (apt package iproute2)"
    if not Path("/dev/net/tun").exists():
        return "tap mode needs /dev/net/tun (kernel module tun); `modprobe tun` or use --net user"
    return None


# --------------------------------------------------------------------------- commands
def run_ip(args: Sequence[str], *, what: str) -> str:
    """Run ``ip ARGS``; raise NetworkError saying ``what`` failed, with ip's message."""
    argv = ["ip", *args]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=IP_TIMEOUT,
                              check=False)
    except FileNotFoundError:
        raise NetworkError("`ip` not found; run `invoke setup` (apt package iproute2)") from None
    except subprocess.TimeoutExpired:
        raise NetworkError(f"{what}: `{' '.join(argv)}` hung for {IP_TIMEOUT:g} s") from None
    if done.returncode != 0:
        raise NetworkError(f"{what}: `{' '.join(argv)}` failed: {done.stderr.strip()}")
    return done.stdout


def _libc_setns(fd: int, nstype: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, nstype) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class NetNamespace:
    """One named namespace; ``create()`` makes it, ``delete()`` removes it (idempotent)."""

    def __init__(self, name: str) -> None:
        self.name = name

    @property
    def path(self) -> Path:
        return NETNS_DIR / self.name

    def exists(self) -> bool:
        return self.path.exists()

    @classmethod
    def create(cls, name: str) -> NetNamespace:
        ns = cls(name)
        run_ip(["netns", "add", name], what=f"creating network namespace {name}")
        try:
            ns.ip("link", "set", "lo", "up", what="bringing up lo")
        except BaseException:
            ns.delete()
            raise
        return ns

    def ip(self, *args: str, what: str) -> str:
        """``ip -n NAME ARGS`` (an ``ip`` command run inside the namespace)."""
        return run_ip(["-n", self.name, *args], what=f"{what} in namespace {self.name}")

    def exec_argv(self, argv: Sequence[str]) -> list[str]:
        """``argv`` wrapped so that it runs inside the namespace."""
        return ["ip", "netns", "exec", self.name, *argv]

    def run(self, argv: Sequence[str], *, timeout: float = 30.0,
            check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(self.exec_argv(argv), capture_output=True, text=True,
                              timeout=timeout, check=False)
        if check and done.returncode != 0:
            raise NetworkError(f"`{' '.join(argv)}` in namespace {self.name} failed "
                               f"({done.returncode}): {done.stderr.strip()}")
        return done

    def sysctl(self, key: str, value: str) -> None:
        """Write a per-namespace sysctl (``net.*``) through /proc inside the namespace."""
        self.call(lambda: Path("/proc/sys", *key.split(".")).write_text(value))

    # ------------------------------------------------------------------ in-namespace code
    def call(self, func: Callable[[], T]) -> T:
        """Run ``func`` on a helper thread that has joined this namespace; return its result.

        Only that thread changes namespace. Objects made there (sockets) keep the namespace.
        """
        result: list[T] = []
        error: list[BaseException] = []

        def worker() -> None:
            try:
                with self.path.open("rb") as handle:
                    _libc_setns(handle.fileno(), CLONE_NEWNET)
                result.append(func())
            except BaseException as exc:  # handed to the caller
                error.append(exc)

        thread = threading.Thread(target=worker, name=f"netns-{self.name}", daemon=True)
        thread.start()
        thread.join()
        if error:
            if isinstance(error[0], FileNotFoundError) and not self.exists():
                raise NetworkError(f"namespace {self.name} does not exist (torn down already?)")
            raise error[0]
        return result[0]

    def socket(self, family: int = socket.AF_INET, kind: int = socket.SOCK_STREAM,
               proto: int = 0) -> socket.socket:
        """A new socket that lives in this namespace (bind/connect see only its interfaces)."""
        return self.call(lambda: socket.socket(family, kind, proto))

    # ------------------------------------------------------------------ teardown
    def pids(self) -> list[int]:
        if not self.exists():
            return []
        try:
            out = run_ip(["netns", "pids", self.name], what="listing processes")
        except NetworkError:
            return []
        return [int(word) for word in out.split() if word.isdigit() and int(word) != os.getpid()]

    def kill_processes(self, grace: float = 1.0) -> None:
        """SIGTERM every process inside, then SIGKILL what is left after ``grace`` s."""
        pids = self.pids()
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + grace
            while pids and time.monotonic() < deadline:
                pids = [pid for pid in pids if pid_alive(pid) and not _is_zombie(pid)]
                if pids:
                    time.sleep(0.02)
            if not pids:
                return

    def delete(self) -> None:
        """Kill what runs inside and delete the namespace (its devices go with it)."""
        if not self.exists():
            return
        self.kill_processes()
        run_ip(["netns", "del", self.name], what=f"deleting network namespace {self.name}")

    def __repr__(self) -> str:
        return f"NetNamespace({self.name!r})"


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"


# --------------------------------------------------------------------------- leftovers
def our_namespaces() -> list[str]:
    """Names of every ``e8q-*`` namespace on the machine (any owner)."""
    if not NETNS_DIR.is_dir():
        return []
    return sorted(name for name in os.listdir(NETNS_DIR) if STALE_NAME.match(name))


def clean_stale() -> list[str]:
    """Delete namespaces and temp dirs left by dead owners (e.g. a SIGKILLed run).

    Returns the names removed. Namespaces of live processes are never touched.
    """
    removed: list[str] = []
    for name in our_namespaces():
        match = STALE_NAME.match(name)
        if match and not pid_alive(int(match.group(1))):
            try:
                NetNamespace(name).delete()
                removed.append(name)
            except NetworkError:
                pass  # reported again by the next run; never fatal here
    tmp = Path(tempfile.gettempdir())
    for entry in tmp.glob(f"{NAME_PREFIX}-*-net-*"):
        match = STALE_NAME.match(entry.name)
        if match and entry.is_dir() and not pid_alive(int(match.group(1))):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(str(entry))
    return removed
