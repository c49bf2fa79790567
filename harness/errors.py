"""Exception types of the harness.

Every error a user can cause (missing toolchain, bad checksum, a patch that no longer applies,
a board that does not answer) is raised as a ``HarnessError`` subclass whose message says what
to do. ``tasks.py`` turns these into ``invoke.Exit`` messages instead of tracebacks.
"""


class HarnessError(Exception):
    """Base class: the message is meant for the user and says what to do next."""


class SetupError(HarnessError):
    """A system package, toolchain or tool is missing or unusable."""


class SourceError(HarnessError):
    """A pinned source could not be fetched, verified or unpacked."""


class ChecksumError(SourceError):
    """A downloaded file does not match its pinned sha256."""


class PatchError(SourceError):
    """A patch of one of our series does not apply to its source tree."""


class BuildError(HarnessError):
    """A build step (configure, compile, link, image) failed."""


class BoardError(HarnessError):
    """The board (emulated or real) could not be reached or did not follow the protocol."""


class BoardTimeout(BoardError):
    """The board did not print what we waited for in time; ``received`` holds what it did print."""

    def __init__(self, message: str, received: bytes = b"") -> None:
        self.received = received
        self.reason = message
        tail = received[-400:].decode("utf-8", "backslashreplace")
        super().__init__(f"{message}; last output: {tail!r}" if received else f"{message}; "
                         "the board printed nothing")


class BoardDisconnected(BoardError):
    """The serial line closed under us (QEMU exited, USB adapter unplugged)."""


class BoardException(BoardError):
    """Code run on the board raised; ``traceback_text`` is the board's own traceback."""

    def __init__(self, traceback_text: str, stdout: str = "") -> None:
        self.traceback_text = traceback_text
        self.stdout = stdout
        lines = [line for line in traceback_text.strip().splitlines() if line.strip()]
        self.last_line = lines[-1].strip() if lines else ""
        self.exc_type = self.last_line.split(":", 1)[0].strip()
        super().__init__(f"the board raised {self.last_line or 'an exception'}\n"
                         f"{traceback_text.rstrip()}")


class BoardCrashed(BoardError):
    """The firmware printed a fatal-exception dump; ``decoded`` holds it with file:line."""

    def __init__(self, decoded: str, received: bytes = b"") -> None:
        self.decoded = decoded
        self.received = received
        super().__init__(f"the firmware crashed:\n{decoded}")


class NetworkError(HarnessError):
    """The test network (namespace, bridge, TAP, dnsmasq, slirp forwards) could not be set up."""


class TestsFailed(HarnessError):
    """A pytest run of ``invoke test`` failed; ``exit_code`` is pytest's exit status."""

    __test__ = False  # not a pytest test class despite the name

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code
