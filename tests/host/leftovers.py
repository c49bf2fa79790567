"""What a harness process tree leaves behind: processes, namespaces (with their TAPs and
bridges), network and QEMU run directories. Only resources of *that* tree count, so other
runs on the same machine (other xdist workers, other users' sessions) never fail a test.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness.emulator.service import OWNER_FILE, RUN_DIR_PREFIX
from harness.network.netns import NETNS_DIR

NAMESPACE = re.compile(r"^e8q-(\d+)-")


def _stat(pid: int) -> tuple[int, str] | None:
    """(parent pid, state) of ``pid``, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[-1].split()
    return int(fields[1]), fields[0]


def alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[1] != "Z"


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(
            errors="replace")
    except OSError:
        return ""


def descendants(root: int) -> dict[int, str]:
    """Every live process below ``root`` (by parent pid) with its command line."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) is not None:
            parents[int(entry)] = stat[0]
    found: dict[int, str] = {}
    frontier = {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items()
                    if parent in frontier and pid not in found}
        found.update({pid: cmdline(pid) for pid in frontier})
    return found


@dataclass
class TreeWatch:
    """Remembers every process that ever ran below ``root`` (sampled every 50 ms)."""

    root: int
    seen: dict[int, str] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.seen[self.root] = cmdline(self.root)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.seen.update(descendants(self.root))
            time.sleep(0.05)

    def wait_for(self, needle: str, timeout: float) -> int:
        """The pid of the first process below root whose command line contains ``needle``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for pid, line in list(self.seen.items()):
                if needle in line and alive(pid):
                    return pid
            time.sleep(0.1)
        raise AssertionError(f"no {needle!r} below pid {self.root} within {timeout} s; "
                             f"seen: {sorted(set(self.seen.values()))}")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def leftovers(pids: set[int] | dict[int, str], settle: float = 10.0) -> list[str]:
    """Everything of processes ``pids`` still there (waits up to ``settle`` s for exits)."""
    owners = set(pids)
    deadline = time.monotonic() + settle
    while any(alive(pid) for pid in owners) and time.monotonic() < deadline:
        time.sleep(0.1)
    found = [f"process {pid}: {cmdline(pid)[:120]}" for pid in sorted(owners) if alive(pid)]
    names = os.listdir(NETNS_DIR) if NETNS_DIR.is_dir() else []
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    names += [line.split()[0] for line in listed.splitlines() if line.strip()]
    for name in sorted(set(names)):
        if (match := NAMESPACE.match(name)) and int(match.group(1)) in owners:
            found.append(f"namespace {name} (its bridge and TAPs)")
    tmp = Path(tempfile.gettempdir())
    for entry in tmp.glob("e8q-*-net-*"):
        if (match := NAMESPACE.match(entry.name)) and int(match.group(1)) in owners:
            found.append(f"network run dir {entry}")
    for entry in tmp.glob(RUN_DIR_PREFIX + "*"):
        try:
            owner = int((entry / OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue
        if owner in owners:
            found.append(f"QEMU run dir {entry}")
    return found
