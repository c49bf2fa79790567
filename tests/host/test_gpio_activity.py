"""PinActivity: duty and frequency arithmetic over a pad-meter window (host only)."""

from __future__ import annotations

import pytest

from harness.emulator.gpio import Gpio, PinActivity


def test_duty_and_frequency_from_a_window() -> None:
    seen = PinActivity(pin=4, seconds=2.0, high_seconds=1.5, edges=40)
    assert seen.duty == pytest.approx(0.75)
    assert seen.frequency == pytest.approx(10.0)


def test_an_empty_window_reports_zero_rather_than_dividing_by_zero() -> None:
    seen = PinActivity(pin=4, seconds=0.0, high_seconds=0.0, edges=0)
    assert seen.duty == 0.0 and seen.frequency == 0.0


class _ScriptedQmp:
    def __init__(self, snapshots: list[dict]) -> None:
        self.snapshots = snapshots

    def execute(self, command: str, args: dict) -> dict:
        assert (command, args["property"]) == ("qom-get", "meter")
        return self.snapshots.pop(0)


def test_measure_subtracts_two_snapshots_of_one_pin() -> None:
    def snap(clock: int, high: int, edges: int) -> dict:
        return {"clock-ns": clock, "high-ns": [0] * 4 + [high] + [0] * 11,
                "edges": [0] * 4 + [edges] + [0] * 11}

    gpio = Gpio(_ScriptedQmp([snap(1_000_000_000, 100, 3), snap(1_500_000_000, 250_000_100, 13)]))
    seen = gpio.measure(4, 0.0)
    assert seen == PinActivity(pin=4, seconds=0.5, high_seconds=0.25, edges=10)


@pytest.mark.parametrize("pin", [16, 17, -1])
def test_measure_refuses_pins_without_a_meter(pin: int) -> None:
    with pytest.raises(ValueError, match="GPIO"):
        Gpio(_ScriptedQmp([])).measure(pin, 0.0)
