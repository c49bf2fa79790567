"""Host access to the emulated GPIO pins over QMP (QEMU only).

Contract with the machine model: QOM object ``/machine/soc/gpio`` with uint32 properties
``in`` (levels the host drives into pins 0..16, qom-set), ``out`` (levels the board drives,
qom-get) and ``enable`` (the board's output-enable mask, qom-get). Output changes are seen by
polling ``out``. A pad meter in the model (``meter``: one snapshot of ``clock-ns``,
``high-ns[16]``, ``edges[16]``) counts, in guest (virtual) time, how long each of pads 0..15
was high and how often it changed, so ``measure()`` gives duty cycle and frequency without
depending on how fast the host polls. ``wires`` (a string, "4-5[,A-B...]", qom-get/qom-set;
also ``QemuService(gpio_wires=...)`` from the start) joins pads outside the chip: a pad that
does not drive sees the level of the wired pad that does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from harness.emulator.qmp import QmpConnection
from harness.errors import BoardTimeout

GPIO_PATH = "/machine/soc/gpio"
PIN_COUNT = 17  # GPIO0..GPIO15 and GPIO16 (RTC GPIO)


def _check_pin(pin: int) -> int:
    if not 0 <= pin < PIN_COUNT:
        raise ValueError(f"GPIO {pin} does not exist; the ESP8266 has GPIO0..GPIO16")
    return pin


METERED_PINS = 16  # the pad meter covers GPIO0..GPIO15 (GPIO16 lives in the RTC block)


@dataclass(frozen=True)
class PinActivity:
    """What a pin did over a window of guest time."""

    pin: int
    seconds: float   # guest (virtual) time covered
    high_seconds: float
    edges: int

    @property
    def duty(self) -> float:
        """Share of the window the pad was high, 0.0..1.0."""
        return self.high_seconds / self.seconds if self.seconds > 0 else 0.0

    @property
    def frequency(self) -> float:
        """Full periods per second (two edges each)."""
        return self.edges / 2 / self.seconds if self.seconds > 0 else 0.0


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

    def wires(self) -> str:
        """The pads wired together, e.g. "4-5" ("" for none)."""
        return str(self.qmp.execute("qom-get", {"path": self.path, "property": "wires"}))

    def set_wires(self, wires: str) -> None:
        """Wire pads together (e.g. "4-5": GPIO4 to GPIO5); "" removes every wire."""
        self.qmp.execute("qom-set", {"path": self.path, "property": "wires", "value": wires})

    def output(self, pin: int) -> int:
        """Level the board drives on ``pin`` (0 or 1)."""
        return (self.outputs() >> _check_pin(pin)) & 1

    def meter(self) -> tuple[int, list[int], list[int]]:
        """One snapshot of the pad meter: (virtual ns now, high ns per pad, edges per pad)."""
        snap = self.qmp.execute("qom-get", {"path": self.path, "property": "meter"})
        return int(snap["clock-ns"]), list(snap["high-ns"]), list(snap["edges"])

    def measure(self, pin: int, seconds: float) -> PinActivity:
        """Watch ``pin`` for about ``seconds`` of host time; report in guest time."""
        if not 0 <= _check_pin(pin) < METERED_PINS:
            raise ValueError("the pad meter covers GPIO0..GPIO15; sample GPIO16 with output()")
        clock0, high0, edges0 = self.meter()
        time.sleep(seconds)
        clock1, high1, edges1 = self.meter()
        return PinActivity(pin=pin, seconds=(clock1 - clock0) / 1e9,
                           high_seconds=(high1[pin] - high0[pin]) / 1e9,
                           edges=edges1[pin] - edges0[pin])

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
