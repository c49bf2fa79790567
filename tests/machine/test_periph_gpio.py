"""GPIO + GPIO16: guest outputs seen over QMP, host-driven inputs and interrupts seen by the guest.

Program: ``programs/periph_gpio.c``. The host side is the QOM contract of
``/machine/soc/gpio`` (``in`` r/w, ``out`` and ``enable`` read-only, bit 16 = GPIO16).
"""

from __future__ import annotations

import re
import time

import pytest

GPIO = "/machine/soc/gpio"
ALL_HIGH = 0x1FFFF
KV = re.compile(r"(\w+)=0x([0-9a-f]{8})")
INUM_GPIO_BIT = 1 << 4


def fields(line: str) -> dict[str, int]:
    return {k: int(v, 16) for k, v in KV.findall(line)}


def expect_line(m, prefix: str) -> dict[str, int]:
    match = m.expect(re.compile(rf"^{prefix} [^\n]*\n", re.M))
    return fields(match.group(0))


def qom_get(m, prop: str) -> int:
    return int(m.qmp.execute("qom-get", {"path": GPIO, "property": prop}))


def qom_set_in(m, value: int) -> None:
    m.qmp.execute("qom-set", {"path": GPIO, "property": "in", "value": value})


def bit(value: int, n: int) -> int:
    return (value >> n) & 1


def test_gpio_outputs_inputs_and_interrupts(machine) -> None:
    m = machine.start("periph_gpio", qmp=True)
    assert qom_get(m, "in") == ALL_HIGH, "host levels default to all pins pulled high"

    first = expect_line(m, "OUTPUTS")
    assert first["status"] == 0 and first["pending"] == 0, "no interrupt before any input change"
    out, enable = qom_get(m, "out"), qom_get(m, "enable")
    assert (bit(out, 4), bit(out, 5), bit(out, 16)) == (1, 0, 1), f"out={out:#x}"
    assert bit(out, 14) == 1, "open-drain pin with OUT=1 floats to the host's (high) level"
    for pin in (4, 5, 14, 16):
        assert bit(enable, pin), f"GPIO{pin} should be an output: enable={enable:#x}"
    assert not bit(enable, 12) and not bit(enable, 13)

    # Falling edge on GPIO12 -> STATUS bit 12 and CPU interrupt 4; W1TC drops it.
    qom_set_in(m, ALL_HIGH & ~(1 << 12))
    edge = expect_line(m, "EDGE")
    assert edge["status"] == 1 << 12
    assert edge["pending"] == INUM_GPIO_BIT
    assert bit(edge["in"], 12) == 0 and bit(edge["in"], 13) == 1
    cleared = expect_line(m, "CLEARED")
    assert cleared["status"] == 0 and cleared["pending"] == 0, "level line follows STATUS"

    # Low level on GPIO13: STATUS comes back after W1TC while the level holds.
    qom_set_in(m, ALL_HIGH & ~(1 << 12) & ~(1 << 13))
    level = expect_line(m, "LEVEL")
    assert level["status"] & (1 << 13) and level["pending"] == INUM_GPIO_BIT
    again = expect_line(m, "AGAIN")
    assert again["status"] & (1 << 13), "a level interrupt re-asserts while the level holds"

    # The host pulls the open-drain GPIO14 low and drives GPIO16 low (an output: no effect).
    qom_set_in(m, ALL_HIGH & ~(1 << 12) & ~(1 << 14) & ~(1 << 16))
    inputs = expect_line(m, "IN")
    assert bit(inputs["in"], 12) == 0 and bit(inputs["in"], 13) == 1
    assert bit(inputs["in"], 14) == 0, "open drain: the host's low level wins"
    assert bit(inputs["in"], 4) == 1 and bit(inputs["in"], 5) == 0, "IN shows driven outputs"
    assert inputs["in"] >> 16 == 0x3, "strapping bits: flash boot (GPIO15=0, GPIO0=1, GPIO2=1)"
    assert inputs["gpio16"] == 1, "GPIO16 drives high while its output is enabled"
    assert bit(qom_get(m, "out"), 14) == 0

    in16 = expect_line(m, "IN16")
    assert in16["gpio16"] == 0, "GPIO16 as input reads the host's level"
    own = expect_line(m, "SELF")
    assert own["fall"] == 0, "a falling edge does not trigger a rising-edge pin"
    assert own["rise"] == 1 << 4, "the guest's own rising output edge sets the status"
    assert own["high0"] == 0 and own["high1"] == 1 << 5, "high-level type on an output"
    m.expect("DONE")
    assert not bit(qom_get(m, "enable"), 16)
    assert bit(qom_get(m, "out"), 16) == 0, "an input pad shows the host's level"


def test_gpio_in_rejects_bits_above_gpio16(machine) -> None:
    from harness.emulator.qmp import QmpError

    m = machine.start(qmp=True)
    with pytest.raises(QmpError, match="pins 0..16"):
        qom_set_in(m, 1 << 17)
    assert qom_get(m, "in") == ALL_HIGH


def test_gpio_properties_at_reset_and_input_pads(machine) -> None:
    # No program: every pad is an input, so `out` shows the host's levels and `enable` is 0.
    m = machine.start(qmp=True)
    assert (qom_get(m, "in"), qom_get(m, "out"), qom_get(m, "enable")) == (ALL_HIGH, ALL_HIGH, 0)
    low = ALL_HIGH & ~(1 << 5) & ~(1 << 16)
    qom_set_in(m, low)
    assert (qom_get(m, "in"), qom_get(m, "out"), qom_get(m, "enable")) == (low, low, 0)


@pytest.mark.realtime
def test_gpio_pad_meter_counts_high_time_and_edges_in_guest_time(machine) -> None:
    from harness.emulator.gpio import Gpio

    m = machine.start(qmp=True)
    gpio = Gpio(m.qmp)
    # GPIO12 is an input here: its pad follows the host's level, and the meter sees that too
    before = gpio.measure(12, 0.2)
    assert before.edges == 0 and before.duty == pytest.approx(1.0)
    # clock-ns is the virtual clock in ns, running with the VM (the loose upper bound only
    # catches a wrong unit; a descheduled host makes the window longer, never shorter)
    assert 0.15 < before.seconds < 20, before

    clock0, high0, edges0 = gpio.meter()
    gpio.set_input(12, 0)
    gpio.set_input(12, 1)  # a short pulse: one falling and one rising edge
    gpio.set_input(12, 0)
    time.sleep(0.3)
    gpio.set_input(12, 1)
    clock1, high1, edges1 = gpio.meter()
    assert edges1[12] - edges0[12] == 4
    low_s = ((clock1 - clock0) - (high1[12] - high0[12])) / 1e9
    # low for the 0.3 s sleep plus parts of the QMP round trips around it
    assert 0.3 <= low_s < (clock1 - clock0) / 1e9
    assert edges1[5] == edges0[5], "other pads are untouched"
    assert high1[5] - high0[5] == clock1 - clock0, "an idle input pulled high: high all along"
