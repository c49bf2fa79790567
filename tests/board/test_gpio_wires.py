"""Pads wired together outside the chip (the GPIO model's ``wires``): what MicroPython's
``tests/target_wiring/esp8266.py`` asks of a board (GPIO4 to GPIO5) for its
``extmod_hardware`` tests. The board drives one pad and reads, times or counts the other.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.emulator.qmp import QmpError
from harness.emulator.service import QemuService

pytestmark = pytest.mark.qemu_only


@pytest.fixture
def wired(new_qemu: Callable[..., QemuService]) -> QemuService:
    """A board with GPIO4 wired to GPIO5 from the start (``-global esp8266-gpio.wires=4-5``)."""
    return new_qemu("wired", gpio_wires="4-5")


def test_a_wired_input_reads_the_output_it_is_wired_to(wired: QemuService) -> None:
    board = wired.start()
    assert wired.gpio.wires() == "4-5"
    board.exec("from machine import Pin\nout = Pin(4, Pin.OUT, value=0)\ninp = Pin(5, Pin.IN)")
    for level in (0, 1, 0, 1):
        board.exec(f"out({level})")
        assert board.eval("inp()") == level
    # and the other way round: which end drives does not matter
    board.exec("out.init(Pin.IN)\ninp.init(Pin.OUT, value=0)")
    assert board.eval("out()") == 0


def test_edges_through_the_wire_raise_pin_interrupts(wired: QemuService) -> None:
    board = wired.start()
    out = board.exec(
        "from machine import Pin\n"
        "n = 0\n"
        "def count(p):\n"
        "    global n\n"
        "    n += 1\n"
        "out = Pin(4, Pin.OUT, value=0)\n"
        "inp = Pin(5, Pin.IN)\n"
        "inp.irq(count, Pin.IRQ_RISING)\n"
        "for _ in range(25):\n"
        "    out(1)\n"
        "    out(0)\n"
        "print(n)\n")
    assert int(out) == 25


@pytest.mark.icount
def test_pwm_through_the_wire_is_timed_by_time_pulse_us(wired: QemuService) -> None:
    """As upstream's extmod_hardware/machine_pwm.py does on an esp8266 (its margin there: 50 us
    of timing; the software PWM re-arms its timer at each edge, ~4 us in guest time)."""
    board = wired.start()
    out = board.exec(
        "from machine import Pin, PWM, time_pulse_us\n"
        "inp = Pin(5, Pin.IN)\n"
        "pwm = PWM(Pin(4), freq=500, duty=256)\n"  # 2000 us period, a quarter high
        "time_pulse_us(inp, 1, 10000)\n"  # in step with the signal
        "print(time_pulse_us(inp, 1, 10000), time_pulse_us(inp, 0, 10000))\n"
        "pwm.deinit()\n")
    high, low = (int(x) for x in out.split())
    print(f"through the wire: high {high} us, low {low} us (set: 500, 1500)")
    assert abs(high - 500) <= 50, (high, low)
    assert abs(low - 1500) <= 50, (high, low)


def test_wires_change_at_run_time_and_bad_ones_are_refused(new_qemu) -> None:
    service = new_qemu("rewired")
    board = service.start()
    gpio = service.gpio
    assert gpio.wires() == ""
    board.exec("from machine import Pin\nout = Pin(12, Pin.OUT, value=0)\ninp = Pin(13, Pin.IN)")
    assert board.eval("inp()") == 1  # not wired: the host's pull-up
    gpio.set_wires("12-13")
    assert board.eval("inp()") == 0
    gpio.set_wires("")
    assert board.eval("inp()") == 1
    for bad in ("4", "4-4", "4-16", "a-b", "4-5-6", ",".join(["1-2"] * 9)):
        with pytest.raises(QmpError, match="wires"):
            gpio.set_wires(bad)
    assert gpio.wires() == ""
