"""``machine.Pin`` and ``machine.Signal`` on native GPIOs, seen from the host through the
emulator's GPIO interface (QMP ``/machine/soc/gpio``): outputs the board drives, inputs the
host drives, open drain, pull-up, edge interrupts, ``time_pulse_us``.

The ``gpio`` fixture exists only on the emulated board, so these tests skip on real boards.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from harness.board import Board
from harness.emulator.gpio import Gpio
from harness.emulator.host_load import HostWait

# GPIO -> IOMUX pad register (0x60000800 + offset); bit 7 is the pad's pull-up.
IOMUX = {0: 0x34, 2: 0x38, 4: 0x3C, 5: 0x40, 12: 0x04, 13: 0x08, 14: 0x0C, 15: 0x10}
PULLUP_BIT = 1 << 7


@pytest.mark.parametrize("pin", [4, 5, 12, 13, 14, 16])
def test_output_levels_seen_by_host(board: Board, gpio: Gpio, pin: int) -> None:
    board.exec(f"from machine import Pin\np = Pin({pin}, Pin.OUT)\np.value(1)")
    assert gpio.is_output(pin)
    gpio.wait_output(pin, 1, timeout=2)
    board.exec("p.value(0)")
    gpio.wait_output(pin, 0, timeout=2)
    board.exec("p.on()")
    gpio.wait_output(pin, 1, timeout=2)
    board.exec("p.off()")
    gpio.wait_output(pin, 0, timeout=2)


def test_output_pin_reads_back_its_level(board: Board, gpio: Gpio) -> None:
    board.exec("from machine import Pin\np = Pin(4, Pin.OUT, value=1)")
    gpio.wait_output(4, 1, timeout=2)
    assert board.eval("p.value()") == 1
    board.exec("p.value(0)")
    assert board.eval("p.value()") == 0


@pytest.mark.parametrize("pin", [0, 5, 14, 16])
def test_host_driven_input_levels_seen_by_board(board: Board, gpio: Gpio, pin: int) -> None:
    board.exec(f"from machine import Pin\np = Pin({pin}, Pin.IN)")
    assert not gpio.is_output(pin)
    try:
        for level in (0, 1, 0, 1):
            gpio.set_input(pin, level)
            assert board.eval("p.value()") == level
    finally:
        gpio.set_input(pin, 1)


def test_input_mode_releases_a_former_output(board: Board, gpio: Gpio) -> None:
    board.exec("from machine import Pin\np = Pin(12, Pin.OUT, value=0)")
    gpio.wait_output(12, 0, timeout=2)
    board.exec("p.init(Pin.IN)")
    assert not gpio.is_output(12)
    gpio.set_input(12, 1)
    assert board.eval("p.value()") == 1


def test_open_drain_drives_low_and_floats_high(board: Board, gpio: Gpio) -> None:
    board.exec("from machine import Pin\np = Pin(12, Pin.OPEN_DRAIN, value=0)")
    try:
        gpio.wait_output(12, 0, timeout=2)
        board.exec("p.value(1)")  # released: the host's level shows
        gpio.wait_output(12, 1, timeout=2)
        assert board.eval("p.value()") == 1
        gpio.set_input(12, 0)  # another device pulls the line low
        gpio.wait_output(12, 0, timeout=2)
        assert board.eval("p.value()") == 0
    finally:
        gpio.set_input(12, 1)


def test_pull_up_sets_the_pad_pull_up(board: Board, gpio: Gpio) -> None:
    reg = 0x60000800 + IOMUX[13]
    board.exec("from machine import Pin, mem32\np = Pin(13, Pin.IN, Pin.PULL_UP)")
    assert board.eval(f"__import__('machine').mem32[{reg:#x}]") & PULLUP_BIT
    board.exec("p.init(Pin.IN, pull=None)")
    assert not board.eval(f"__import__('machine').mem32[{reg:#x}]") & PULLUP_BIT
    gpio.set_input(13, 0)
    try:
        assert board.eval("Pin(13, Pin.IN, Pin.PULL_UP).value()") == 0  # the host drives
    finally:
        gpio.set_input(13, 1)


IRQ_SETUP = """
from machine import Pin
counts = {'rise': 0, 'fall': 0, 'both': 0}
def on(name):
    def handler(pin):
        counts[name] += 1
    return handler
rise = Pin(14, Pin.IN)
rise.irq(trigger=Pin.IRQ_RISING, handler=on('rise'))
fall = Pin(5, Pin.IN)
fall.irq(trigger=Pin.IRQ_FALLING, handler=on('fall'))
both = Pin(4, Pin.IN)
both.irq(trigger=Pin.IRQ_RISING | Pin.IRQ_FALLING, handler=on('both'))
"""


def poll_eval(board: Board, expr: str, want: object, timeout: float = 5.0) -> object:
    """Evaluate ``expr`` on the board until it equals ``want`` (or ``timeout`` s passed);
    returns the last value."""
    deadline = time.monotonic() + timeout
    value = board.eval(expr)
    while value != want and time.monotonic() < deadline:
        time.sleep(0.01)
        value = board.eval(expr)
    return value


def wait_counts(board: Board, want: dict[str, int], timeout: float = 5.0) -> dict[str, int]:
    return poll_eval(board, "counts", want, timeout)  # type: ignore[return-value]


def let_the_board_run(board: Board, ms: int = 100) -> None:
    """Give pending interrupts and callbacks time to show, in the board's own time: a host
    sleep would not prove the emulator ran at all meanwhile."""
    board.exec(f"import time\ntime.sleep_ms({ms})")


def test_irq_callbacks_count_host_driven_edges(board: Board, gpio: Gpio) -> None:
    # An edge latches one status bit until the board's handler clears it, as on hardware; the
    # host waits for each callback before the next edge so that no two edges merge.
    for pin in (14, 5, 4):
        gpio.set_input(pin, 1)
    board.exec(IRQ_SETUP)
    want = {"rise": 0, "fall": 0, "both": 0}
    for _ in range(5):
        gpio.set_input(14, 0)
        gpio.set_input(14, 1)
        want["rise"] += 1
        assert wait_counts(board, want) == want
        gpio.set_input(5, 0)
        want["fall"] += 1
        assert wait_counts(board, want) == want
        gpio.set_input(5, 1)
        for level in (0, 1):
            gpio.set_input(4, level)
            want["both"] += 1
            assert wait_counts(board, want) == want
    let_the_board_run(board)
    assert board.eval("counts") == want  # no late extra callbacks


def test_irq_handler_receives_the_pin_and_can_be_disabled(board: Board, gpio: Gpio) -> None:
    gpio.set_input(14, 1)
    board.exec("from machine import Pin\nseen = []\np = Pin(14, Pin.IN)\n"
               "p.irq(trigger=Pin.IRQ_FALLING, handler=lambda pin: seen.append(pin is p))")
    gpio.set_input(14, 0)
    gpio.set_input(14, 1)
    assert poll_eval(board, "seen", [True]) == [True]
    board.exec("p.irq(handler=None)")
    gpio.set_input(14, 0)
    gpio.set_input(14, 1)
    let_the_board_run(board)
    assert board.eval("seen") == [True]


def test_irq_not_called_without_edge(board: Board, gpio: Gpio) -> None:
    gpio.set_input(14, 1)
    board.exec("from machine import Pin\nn = [0]\ndef count(pin):\n    n[0] += 1\n"
               "p = Pin(14, Pin.IN)\np.irq(trigger=Pin.IRQ_RISING, handler=count)")
    gpio.set_input(14, 1)  # no change
    gpio.set_input(14, 0)  # falling only
    let_the_board_run(board)
    assert board.eval("n[0]") == 0
    gpio.set_input(14, 1)
    assert poll_eval(board, "n[0]", 1) == 1
    let_the_board_run(board)
    assert board.eval("n[0]") == 1  # once


def test_inverted_signal_on_native_pin(board: Board, gpio: Gpio) -> None:
    board.exec("from machine import Pin, Signal\ns = Signal(Pin(2, Pin.OUT), invert=True)\n"
               "s.on()")
    gpio.wait_output(2, 0, timeout=2)
    assert board.eval("s.value()") == 1
    board.exec("s.off()")
    gpio.wait_output(2, 1, timeout=2)
    assert board.eval("s.value()") == 0
    board.exec("s.value(1)")
    gpio.wait_output(2, 0, timeout=2)


def test_signal_on_input_reads_inverted_host_level(board: Board, gpio: Gpio) -> None:
    board.exec("from machine import Pin, Signal\ns = Signal(Pin(5, Pin.IN), invert=True)")
    try:
        gpio.set_input(5, 0)
        assert board.eval("s.value()") == 1
        gpio.set_input(5, 1)
        assert board.eval("s.value()") == 0
    finally:
        gpio.set_input(5, 1)


def test_time_pulse_us_measures_host_pulse(board: Board, gpio: Gpio, clock: str,
                                           host_wait: Callable[[], HostWait]) -> None:
    # A pulse timed by the host, so this runs on the realtime clock only (on the icount clock
    # guest time does not follow the host's; test_pinbase's guest-timed pulse runs there).
    # QEMU's virtual clock is the host's monotonic clock: the pulse the board sees lasts from
    # some time inside the host's call that raises the pin to some time inside the call that
    # lowers it. The board polls the pin in a tight C loop, so it sees each edge within the
    # time the host kept QEMU off the CPU (host_wait); 1 ms more for the loop and interrupts.
    if clock != "realtime":
        pytest.skip("a pulse timed by the host needs guest time to follow the host's clock")
    gpio.set_input(5, 0)
    pulse_s = 0.2
    seen = bytearray()
    calls: dict[str, float] = {}

    def on_output(data: bytes) -> None:
        seen.extend(data)
        if b"waiting\r\n" in seen and data:  # the board is about to call time_pulse_us
            seen.clear()
            time.sleep(0.05)
            calls["rise0"] = time.monotonic()
            gpio.set_input(5, 1)
            calls["rise1"] = time.monotonic()
            time.sleep(pulse_s)
            calls["fall0"] = time.monotonic()
            gpio.set_input(5, 0)
            calls["fall1"] = time.monotonic()

    wait = host_wait()
    try:
        out = board.exec("import machine\nfrom machine import Pin\np = Pin(5, Pin.IN)\n"
                         "print('waiting')\nprint(machine.time_pulse_us(p, 1, 3000000))",
                         on_output=on_output)
    finally:
        gpio.set_input(5, 1)
    measured = int(out.split()[-1]) / 1e6
    inner = calls["fall0"] - calls["rise1"]
    outer = calls["fall1"] - calls["rise0"]
    slack = wait.seconds + 0.001
    assert inner - slack <= measured <= outer + slack, (measured, inner, outer, wait.seconds)


def test_time_pulse_us_times_out(board: Board, gpio: Gpio) -> None:
    gpio.set_input(5, 0)
    try:
        # no pulse starts within the timeout: -2; a level that never ends: -1
        assert board.eval("__import__('machine').time_pulse_us("
                          "__import__('machine').Pin(5, 0), 1, 20000)") == -2
        assert board.eval("__import__('machine').time_pulse_us("
                          "__import__('machine').Pin(5, 0), 0, 20000)") == -1
    finally:
        gpio.set_input(5, 1)


def test_softspi_on_native_pins(board: Board, gpio: Gpio) -> None:
    # the bit-banging C code with native pins: MISO sampled from the host's level, MOSI and
    # SCK left where the last bit put them
    board.exec("import machine\nfrom machine import Pin\n"
               "spi = machine.SoftSPI(baudrate=100000, polarity=0, phase=0,"
               " sck=Pin(14), mosi=Pin(13), miso=Pin(12))")
    try:
        gpio.set_input(12, 1)
        assert board.eval("spi.read(2, 0x01)") == b"\xff\xff"
        gpio.set_input(12, 0)
        assert board.eval("spi.read(2, 0x00)") == b"\x00\x00"
        board.exec("spi.write(b'\\x01')")  # last bit (LSB) 1
        assert gpio.output(13) == 1 and gpio.output(14) == 0
        board.exec("spi.write(b'\\xfe')")  # last bit 0
        assert gpio.output(13) == 0 and gpio.output(14) == 0
        board.exec("spi.init(polarity=1)")
        assert gpio.output(14) == 1  # SCK idles high with polarity 1
    finally:
        gpio.set_input(12, 1)


def test_softi2c_on_native_pins_without_target(board: Board, gpio: Gpio) -> None:
    # open-drain lines pulled high by the host: no target acks, the bus is released after
    board.exec("import machine\nfrom machine import Pin\n"
               "i2c = machine.SoftI2C(scl=Pin(5), sda=Pin(4), freq=100000)")
    assert board.eval("i2c.scan()") == []
    out = board.exec("try:\n    i2c.writeto(0x3c, b'x')\nexcept OSError as e:\n"
                     "    print(e.errno == __import__('errno').ENODEV)")
    assert out.strip() == "True"
    assert gpio.output(5) == 1 and gpio.output(4) == 1  # both lines released (stop)
    gpio.set_input(4, 0)  # a target holding SDA low acks every address
    try:
        assert len(board.eval("i2c.scan()")) == 0x78 - 0x08
    finally:
        gpio.set_input(4, 1)
