"""Child processes in their own process group, killed with everything they started.

``spawn()`` starts a command with ``start_new_session`` (so Ctrl-C in the terminal does not
reach it and ``killpg`` reaches its children), and on Linux asks the kernel to kill it if the
harness dies (``PR_SET_PDEATHSIG``). Every live group is also killed at interpreter exit and
on SIGTERM/SIGHUP, so no emulator outlives a test run; then the callbacks given to
``register_cleanup()`` run (e.g. deleting a run's temp dir).
"""

from __future__ import annotations

import atexit
import ctypes
import os
import signal
import subprocess
import threading
from collections.abc import Callable, Sequence

_PR_SET_PDEATHSIG = 1
_live: dict[int, subprocess.Popen[bytes]] = {}
_cleanups: list[Callable[[], None]] = []
_lock = threading.Lock()
_handlers_installed = False


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def spawn(argv: Sequence[str], **popen_kwargs) -> subprocess.Popen[bytes]:
    """Start ``argv`` as the leader of a new process group and remember it for cleanup."""
    _install_handlers()
    in_main_thread = threading.current_thread() is threading.main_thread()
    proc = subprocess.Popen(
        list(argv),
        start_new_session=True,
        # PDEATHSIG fires when the spawning *thread* exits: only safe from the main thread.
        preexec_fn=_die_with_parent if in_main_thread else None,
        **popen_kwargs,
    )
    with _lock:
        _live[proc.pid] = proc
    return proc


def kill_group(proc: subprocess.Popen[bytes], grace: float = 3.0) -> int | None:
    """SIGTERM the process group, SIGKILL it after ``grace`` s; returns the exit status."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    # The leader is gone; SIGKILL anything it left in its group.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    with _lock:
        _live.pop(proc.pid, None)
    return proc.returncode


def register_cleanup(callback: Callable[[], None]) -> None:
    """Run ``callback`` after the groups are killed at exit or on SIGTERM/SIGHUP."""
    _install_handlers()
    with _lock:
        _cleanups.append(callback)


def unregister_cleanup(callback: Callable[[], None]) -> None:
    with _lock:
        if callback in _cleanups:
            _cleanups.remove(callback)


def kill_all() -> None:
    """Kill every live group, then run the registered cleanups (errors are ignored)."""
    with _lock:
        procs = list(_live.values())
        cleanups = list(_cleanups)
        _cleanups.clear()
    for proc in procs:
        kill_group(proc, grace=1.0)
    for callback in cleanups:
        try:
            callback()
        except Exception:  # best effort while the harness goes down
            pass


def _on_signal(signum: int, _frame: object) -> None:
    kill_all()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _install_handlers() -> None:
    global _handlers_installed
    if _handlers_installed:
        return
    _handlers_installed = True
    atexit.register(kill_all)
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) in (signal.SIG_DFL, None):
            signal.signal(sig, _on_signal)
