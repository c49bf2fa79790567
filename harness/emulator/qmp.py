"""A small synchronous face on the ``qemu.qmp`` library (QEMU's machine protocol).

We listen on a unix socket in the run's temp dir *before* QEMU starts and QEMU connects to it
(``-chardev socket,path=...`` without ``server=on``), so there is no race on the socket file.
Each call runs the async client on our own event loop until the answer arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Coroutine, Mapping
from pathlib import Path
from typing import Any, TypeVar

from qemu.qmp import ExecuteError, QMPClient, QMPError

from harness.errors import BoardError

T = TypeVar("T")

# qemu.qmp logs every disconnect at ERROR level; our own errors say what happened.
logging.getLogger("qemu.qmp").setLevel(logging.CRITICAL)


class QmpError(BoardError):
    """A QMP command failed or QEMU's monitor did not answer."""


class QmpConnection:
    """Listen with ``listen()``, start QEMU, then ``accept()``; ``execute()`` runs a command."""

    def __init__(self, name: str = "harness") -> None:
        self._loop = asyncio.new_event_loop()
        self._client = QMPClient(name)
        self.path: Path | None = None

    def _run(self, coro: Coroutine[Any, Any, T], timeout: float, what: str) -> T:
        try:
            return self._loop.run_until_complete(asyncio.wait_for(coro, timeout))
        except TimeoutError as exc:
            raise QmpError(f"QEMU's QMP monitor did not answer {what} within {timeout:g} s; "
                           "see the QEMU log") from exc
        except ExecuteError as exc:
            raise QmpError(f"QMP {what} was refused: {exc}; is this QEMU built with our "
                           "esp8266 machine (`invoke build`)?") from exc
        except (QMPError, OSError, EOFError) as exc:
            raise QmpError(f"QMP {what} failed: {exc}; did QEMU exit? see the QEMU log") from exc

    def listen(self, path: Path) -> None:
        self.path = path
        self._run(self._client.start_server(str(path)), 5.0, "listen")

    def accept(self, timeout: float = 10.0, abort: threading.Event | None = None) -> None:
        """Wait for QEMU to connect; ``abort`` (set when QEMU's output ends, i.e. it exited)
        ends the wait at once with a QmpError."""
        self._run(self._accept(abort), timeout, "connect (QEMU never connected to the socket)")

    async def _accept(self, abort: threading.Event | None) -> None:
        accept = asyncio.ensure_future(self._client.accept())
        watch = asyncio.ensure_future(self._watch(abort)) if abort is not None else None
        try:
            waiting = {accept} | ({watch} if watch else set())
            done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            if accept not in done:
                raise QMPError("QEMU exited before it connected to the QMP socket")
            accept.result()
        finally:
            for task in (accept, watch):
                if task is not None and not task.done():
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, QMPError, OSError):
                        await task

    @staticmethod
    async def _watch(abort: threading.Event) -> None:
        while not abort.is_set():  # set by a thread: poll it cheaply on the loop
            await asyncio.sleep(0.02)

    def execute(self, command: str, arguments: Mapping[str, object] | None = None,
                timeout: float = 10.0) -> Any:
        return self._run(self._client.execute(command, arguments), timeout, repr(command))

    def close(self) -> None:
        if self._loop.is_closed():
            return
        try:
            self._loop.run_until_complete(asyncio.wait_for(self._client.disconnect(), 2.0))
        except (QMPError, OSError, EOFError, TimeoutError):
            pass
        finally:
            self._loop.close()
            if self.path is not None:
                self.path.unlink(missing_ok=True)
