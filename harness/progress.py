"""Progress output for long steps: what runs, how far along it is, and a closing summary."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _interactive() -> bool:
    return sys.stdout.isatty() and not os.environ.get("CI")


def say(message: str) -> None:
    print(message, flush=True)


def notice(message: str) -> None:
    """Something the user must not miss (e.g. a pin that moved)."""
    bar = "!" * 78
    print(f"{bar}\n! {message}\n{bar}", flush=True)


@contextmanager
def step(title: str) -> Iterator[None]:
    """Print a step header and its duration when it ends."""
    say(f"==> {title}")
    start = time.monotonic()
    try:
        yield
    finally:
        say(f"    {title}: {time.monotonic() - start:.1f} s")


class Counter:
    """Shows `[done/total] label` progress; in CI logs only every tenth of the way."""

    def __init__(self, label: str, total: int) -> None:
        self.label = label
        self.total = max(total, 1)
        self._last_decile = -1

    def update(self, done: int, detail: str = "") -> None:
        pct = min(100, done * 100 // self.total)
        if _interactive():
            line = f"    [{done}/{self.total}] {pct:3d}% {self.label} {detail}"
            print("\r" + line[:110].ljust(110), end="", flush=True)
            return
        decile = pct // 10
        if decile != self._last_decile:
            self._last_decile = decile
            say(f"    {self.label}: {pct}% ({done}/{self.total})")

    def finish(self) -> None:
        if _interactive():
            print(flush=True)


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def summary(title: str, artefacts: dict[str, Path], elapsed: float) -> None:
    say(f"==> {title} done in {elapsed:.1f} s")
    for label, path in artefacts.items():
        size = human_size(path.stat().st_size) if path.is_file() else "dir"
        say(f"    {label:<12} {path}  ({size})")
