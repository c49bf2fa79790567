"""SIGINT, SIGTERM and SIGHUP as one exception, so every task unwinds and tears down.

Python turns SIGINT into ``KeyboardInterrupt``; SIGTERM and SIGHUP would kill the process
before any ``finally`` or fixture teardown ran. ``raise_on_signals()`` makes all three raise
``Interrupted`` (a ``KeyboardInterrupt`` that knows its signal), so ``with`` blocks, pytest's
fixture teardown and its JUnit XML all happen, and the task can say "interrupted by SIGTERM".

``forward_signals(pgid)`` is the other half, for a task that runs pytest as a child: the
signal goes to pytest's process group (pytest and its xdist workers) exactly once, the task
waits for pytest to tear down, then raises ``Interrupted``. A second signal kills the group.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

TERMINATING = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(KeyboardInterrupt):
    """The run was stopped by ``signum``; the exit code is 128 + signum, like a shell's."""

    def __init__(self, signum: int, detail: str = "") -> None:
        self.signum = signum
        self.detail = detail
        super().__init__(f"interrupted by {self.name}{detail}")

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def describe(exc: KeyboardInterrupt) -> tuple[str, int]:
    """The message and exit code for an interruption (a bare KeyboardInterrupt is Ctrl-C)."""
    if isinstance(exc, Interrupted):
        return str(exc), exc.exit_code
    return "interrupted by SIGINT", 128 + signal.SIGINT


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def raise_on_signals(signals: tuple[int, ...] = TERMINATING) -> Iterator[None]:
    """While inside, each of ``signals`` raises ``Interrupted`` once; later ones are ignored
    (teardown is running). Outside the main thread, a no-op (Python delivers signals there)."""
    if not _in_main_thread():
        yield
        return
    raised: list[int] = []

    def handler(signum: int, _frame: FrameType | None) -> None:
        if raised:
            print(f"\n{signal.Signals(signum).name} ignored: already stopping after "
                  f"{signal.Signals(raised[0]).name}", file=sys.stderr, flush=True)
            return
        raised.append(signum)
        raise Interrupted(signum)

    previous = {sig: signal.signal(sig, handler) for sig in signals}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def install_raising_handlers(signals: tuple[int, ...] = (signal.SIGTERM, signal.SIGHUP)
                             ) -> dict[int, object]:
    """``signals`` raise ``Interrupted`` (pytest's plugin uses this, so SIGTERM/SIGHUP unwind a
    test session like Ctrl-C does); returns the previous handlers for ``restore()``."""
    if not _in_main_thread():
        return {}
    previous = {sig: signal.getsignal(sig) for sig in signals}

    def handler(signum: int, _frame: FrameType | None) -> None:
        for sig in signals:  # teardown must not be interrupted again
            signal.signal(sig, signal.SIG_IGN)
        raise Interrupted(signum)

    for sig in signals:
        signal.signal(sig, handler)
    return previous


def restore(previous: dict[int, object]) -> None:
    """Put back the handlers ``install_raising_handlers`` returned."""
    if _in_main_thread():
        for sig, old in previous.items():
            signal.signal(sig, old if old is not None else signal.SIG_DFL)  # type: ignore[arg-type]


def hold_signals(signals: tuple[int, ...] = (signal.SIGTERM, signal.SIGHUP)) -> None:
    """From now on ``signals`` are ignored: the final teardown (pytest's session finish,
    which also writes the JUnit XML) must not be cut short. Main thread only."""
    if _in_main_thread():
        for sig in signals:
            signal.signal(sig, signal.SIG_IGN)


@contextmanager
def forward_signals(pgid: int) -> Iterator[list[int]]:
    """While inside, SIGINT/SIGTERM/SIGHUP go to process group ``pgid`` (the first one as it
    is, a second one as SIGKILL); yields the list of signals received."""
    received: list[int] = []
    if not _in_main_thread():
        yield received
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)
        name = signal.Signals(signum).name
        try:
            if len(received) == 1:
                print(f"\n{name}: passing it to pytest, which tears down (again to kill it)",
                      file=sys.stderr, flush=True)
                os.killpg(pgid, signum)
            else:
                print(f"\n{name} again: killing pytest", file=sys.stderr, flush=True)
                os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    previous = {sig: signal.signal(sig, handler) for sig in TERMINATING}
    try:
        yield received
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
