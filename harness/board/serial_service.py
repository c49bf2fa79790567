"""A real ESP8266 on a serial port (USB adapter), through pyserial.

With ``reset=True`` the board is reset through the usual auto-reset circuit (RTS drives EN,
DTR drives GPIO0, as esptool's "hard reset": DTR high = GPIO0 high, RTS pulse = EN low) and the
service waits for the ``>>> `` prompt; otherwise it takes the board as it is and the raw REPL
is entered on first use (Ctrl-C stops whatever runs).
"""

from __future__ import annotations

import time
from pathlib import Path

from harness.board.board import Board
from harness.board.transport import SerialStream, Transport
from harness.board.uart_log import UartLog
from harness.errors import BoardError

RESET_PULSE_S = 0.1  # EN low this long, as esptool does


class SerialService:
    """``start()`` returns the ``Board``; ``stop()`` closes the port."""

    def __init__(
        self,
        port: str,
        *,
        baudrate: int = 115200,
        elf: Path | None = None,
        name: str = "serial",
        log_dir: Path | None = None,
        reset: bool = False,
        timeout: float = 10.0,
        boot_timeout: float = 10.0,
    ) -> None:
        self.port = port
        self.baudrate = baudrate
        self.elf = elf
        self.name = name
        self.log_dir = log_dir
        self.reset = reset
        self.timeout = timeout
        self.boot_timeout = boot_timeout
        self.stream: SerialStream | None = None
        self.board: Board | None = None

    @property
    def uart0_log(self) -> Path | None:
        return self.log_dir / f"{self.name}-uart0.log" if self.log_dir else None

    def start(self) -> Board:
        self.stream = SerialStream(self.port, self.baudrate)
        try:
            self.board = Board(
                Transport(self.stream), name=self.name, log=UartLog(self.uart0_log),
                elf=self.elf, resetter=self.hard_reset_line, timeout=self.timeout,
                boot_timeout=self.boot_timeout,
                hint=f"is MicroPython flashed on the board at {self.port} (`invoke flash "
                     f"--port {self.port}`) and is the baud rate {self.baudrate} right?",
            )
            if self.reset:
                self.board.hard_reset()
            return self.board
        except BaseException:
            self.stop()
            raise

    def hard_reset_line(self) -> None:
        """Pulse EN low through RTS, with GPIO0 (DTR) released so the chip boots from flash."""
        if self.stream is None:
            raise BoardError(f"{self.port} is not open; call start() first")
        self.stream.set_lines(dtr=False, rts=True)
        time.sleep(RESET_PULSE_S)  # the reset pulse itself: there is no event to wait for
        self.stream.set_lines(rts=False)

    def stop(self) -> None:
        if self.board is not None:
            self.board.close()
            self.board = None
        elif self.stream is not None:
            self.stream.close()
        self.stream = None

    def __enter__(self) -> Board:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
