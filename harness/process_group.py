"""Child processes in their own process group, killed with everything they started.

``spawn()`` starts a command with ``start_new_session`` (so Ctrl-C in the terminal does not
reach it and ``killpg`` reaches its children), and on Linux asks the kernel to kill it if the
harness dies (``PR_SET_PDEATHSIG``, even on SIGKILL). The kernel sends that signal when the
*thread* that forked exits, so a spawn from any thread but the main one is done by one
long-lived spawner thread (it lives as long as the process); and a child whose parent died
before the ``prctl`` exits at once. Every live group is also killed at interpreter exit and
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
from concurrent.futures import ThreadPoolExecutor

_PR_SET_PDEATHSIG = 1
_live: dict[int, subprocess.Popen[bytes]] = {}
_cleanups: list[Callable[[], None]] = []
_lock = threading.Lock()
_handlers_installed = False
# One thread that never exits: children forked by it keep their parent-death signal.
_spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="process-group-spawner")


def death_signal_preexec(sig: int = signal.SIGKILL,
                         own_group: bool = False) -> Callable[[], None]:
    """A ``preexec_fn``: the child gets ``sig`` when its parent thread dies (and, with
    ``own_group``, becomes the leader of a new process group in the same session)."""
    parent = os.getpid()

    def preexec() -> None:  # runs in the child between fork and exec
        if own_group:
            os.setpgid(0, 0)
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        except (OSError, AttributeError):
            return
        if os.getppid() != parent:  # the parent died before the prctl: nobody will tell us
            os._exit(1)

    return preexec


def spawn(argv: Sequence[str], **popen_kwargs) -> subprocess.Popen[bytes]:
    """Start ``argv`` as the leader of a new process group and remember it for cleanup."""
    _install_handlers()

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(list(argv), start_new_session=True,
                                preexec_fn=death_signal_preexec(), **popen_kwargs)

    if threading.current_thread() is threading.main_thread():
        proc = start()
    else:  # PDEATHSIG fires when the forking *thread* exits: fork on the long-lived one
        proc = _spawner.submit(start).result()
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
