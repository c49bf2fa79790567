"""Host access to the emulated GPIO pins over QMP (QEMU only).

Contract with the machine model: QOM object ``/machine/soc/gpio`` with uint32 properties
``in`` (levels the host drives into pins 0..16, qom-set), ``out`` (levels the board drives,
qom-get) and ``enable`` (the board's output-enable mask, qom-get). Output changes are seen by
polling ``out``.
"""

from __future__ import annotations

import time

from harness.errors import BoardTimeout
from harness.qmp import QmpConnection

GPIO_PATH = "/machine/soc/gpio"
PIN_COUNT = 17  # GPIO0..GPIO15 and GPIO16 (RTC GPIO)


def _check_pin(pin: int) -> int:
    if not 0 <= pin < PIN_COUNT:
        raise ValueError(f"GPIO {pin} does not exist; the ESP8266 has GPIO0..GPIO16")
    return pin


class Gpio:
    """``set_input(pin, level)``, ``output(pin)``, ``wait_output(pin, level, timeout)``."""

    def __init__(self, qmp: QmpConnection, path: str = GPIO_PATH) -> None:
        self.qmp = qmp
        self.path = path

    def _get(self, prop: str) -> int:
        return int(self.qmp.execute("qom-get", {"path": self.path, "property": prop}))

    def inputs(self) -> int:
        return self._get("in")

    def outputs(self) -> int:
        return self._get("out")

    def enabled(self) -> int:
        return self._get("enable")

    def set_input(self, pin: int, level: int | bool) -> None:
        """Drive ``pin`` high (1) or low (0) from the host."""
        mask = 1 << _check_pin(pin)
        value = self.inputs()
        value = value | mask if level else value & ~mask
        self.qmp.execute("qom-set", {"path": self.path, "property": "in", "value": value})

    def output(self, pin: int) -> int:
        """Level the board drives on ``pin`` (0 or 1)."""
        return (self.outputs() >> _check_pin(pin)) & 1

    def is_output(self, pin: int) -> bool:
        return bool((self.enabled() >> _check_pin(pin)) & 1)

    def wait_output(self, pin: int, level: int | bool, timeout: float = 5.0,
                    poll: float = 0.005) -> None:
        """Poll until the board drives ``pin`` to ``level``."""
        want = 1 if level else 0
        deadline = time.monotonic() + timeout
        while True:
            got = self.output(pin)
            if got == want:
                return
            if time.monotonic() >= deadline:
                raise BoardTimeout(f"GPIO{pin} did not go {'high' if want else 'low'} within "
                                   f"{timeout:g} s (it is {got}, output enable "
                                   f"{'on' if self.is_output(pin) else 'off'})")
            time.sleep(poll)  # the contract is polling: QEMU has no change event for 'out'
