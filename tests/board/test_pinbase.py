"""``machine.PinBase``: Python pin classes driven by C code through the pin protocol.

A subclass's ``value()`` is what C code calls: ``machine.Signal`` inverts it, ``SoftSPI``
and ``SoftI2C`` bit-bang through it, ``machine.time_pulse_us`` polls it. The tests record
every ``value()`` call and check the wire-level sequence.
"""

from __future__ import annotations

import pytest

from harness.board import Board

RECORDING_PIN = """
import machine
class RecPin(machine.PinBase):
    # Records every value() call in log as (name, level) or (name, 'r').
    def __init__(self, name, log, reads=None):
        self.name = name
        self.log = log
        self.reads = reads  # levels returned by successive reads, else the last level set
        self.level = 0
    def value(self, v=None):
        if v is None:
            self.log.append((self.name, 'r'))
            if self.reads:
                return self.reads.pop(0)
            return self.level
        self.level = 1 if v else 0
        self.log.append((self.name, self.level))
log = []
"""

I2C_BUS = """
class I2CBus:
    # An I2C target at `addr` on an open-drain bus: SCL is driven by the controller only,
    # SDA is low when either side pulls it low. It acks its address and every written byte
    # (kept in rx) and sends the bytes of tx when read.
    def __init__(self, addr, tx):
        self.addr = addr
        self.tx = list(tx)
        self.rx = []
        self.scl = 1
        self.sda_c = 1
        self.sda_t = 1
        self.state = 'idle'
        self.bits = 0
        self.byte = 0
        self.next = 'idle'
        self.events = []
    def sda(self):
        return self.sda_c & self.sda_t
    def set_sda(self, v):
        before = self.sda()
        self.sda_c = v
        after = self.sda()
        if self.scl and before != after:
            if after == 0:
                self.events.append('S')
                self.state = 'addr'
                self.bits = 0
                self.byte = 0
            else:
                self.events.append('P')
                self.state = 'idle'
                self.sda_t = 1
    def set_scl(self, v):
        if v == self.scl:
            return
        self.scl = v
        st = self.state
        if v:
            if st in ('addr', 'wdata'):
                self.byte = (self.byte << 1) | self.sda()
                self.bits += 1
            elif st == 'rack':
                self.next = 'rdata' if self.sda() == 0 else 'idle'
            return
        if st in ('addr', 'wdata') and self.bits == 8:
            if st == 'addr':
                if self.byte >> 1 == self.addr:
                    self.next = 'rdata' if self.byte & 1 else 'wdata'
                    self.sda_t = 0
                    self.state = 'ack'
                else:
                    self.state = 'idle'
            else:
                self.rx.append(self.byte)
                self.next = 'wdata'
                self.sda_t = 0
                self.state = 'ack'
            self.bits = 0
            self.byte = 0
        elif st == 'ack':
            self.sda_t = 1
            self.state = self.next
            if self.state == 'rdata':
                self.send()
        elif st == 'rdata':
            self.bits += 1
            if self.bits == 8:
                self.sda_t = 1
                self.state = 'rack'
            else:
                self.sda_t = (self.byte >> (7 - self.bits)) & 1
        elif st == 'rack':
            self.state = self.next
            if self.state == 'rdata':
                self.send()
    def send(self):
        self.byte = self.tx.pop(0) if self.tx else 0xFF
        self.bits = 0
        self.sda_t = (self.byte >> 7) & 1

class SclPin(machine.PinBase):
    def __init__(self, bus):
        self.bus = bus
        self.calls = 0
    def value(self, v=None):
        self.calls += 1
        if v is None:
            return self.bus.scl
        self.bus.set_scl(1 if v else 0)

class SdaPin(machine.PinBase):
    def __init__(self, bus):
        self.bus = bus
        self.calls = 0
    def value(self, v=None):
        self.calls += 1
        if v is None:
            return self.bus.sda()
        self.bus.set_sda(1 if v else 0)
"""


@pytest.fixture
def rec(board: Board) -> Board:
    board.exec(RECORDING_PIN)
    return board


def test_pinbase_subclass_is_a_pin(rec: Board) -> None:
    assert rec.eval("isinstance(RecPin('p', log), machine.PinBase)") is True


def test_signal_drives_pinbase_value(rec: Board) -> None:
    rec.exec("p = RecPin('p', log)\ns = machine.Signal(p)\ns.on()\ns.off()\ns.value(1)")
    assert rec.eval("log") == [("p", 1), ("p", 0), ("p", 1)]
    assert rec.eval("s.value()") == 1
    assert rec.eval("log[-1]") == ("p", "r")


def test_inverted_signal_over_pinbase(rec: Board) -> None:
    rec.exec("p = RecPin('p', log)\ns = machine.Signal(p, invert=True)\n"
             "s.on()\nafter_on = p.level\ns.off()\nafter_off = p.level")
    assert rec.eval("(after_on, after_off)") == (0, 1)
    assert rec.eval("[e for e in log if e[1] != 'r']") == [("p", 0), ("p", 1)]
    rec.exec("p.level = 0")
    assert rec.eval("s.value()") == 1  # reads through value() and inverts
    rec.exec("p.level = 1")
    assert rec.eval("s.value()") == 0


def test_native_pin_through_signal(board: Board) -> None:
    # the same C path with a native pin (GPIO4 loops back its output level)
    board.exec("import machine\np = machine.Pin(4, machine.Pin.OUT)\n"
               "s = machine.Signal(p, invert=True)\ns.on()")
    assert board.eval("p.value()") == 0
    board.exec("s.off()")
    assert board.eval("p.value()") == 1


def sck_edges(log: list[tuple[str, object]], active: int) -> list[int]:
    """MOSI level at each transition of SCK to ``active``."""
    mosi, sck, bits = 0, 1 - active, []
    for name, value in log:
        if name == "mosi" and value != "r":
            mosi = int(value)
        elif name == "sck" and value != "r":
            if value == active and sck != active:
                bits.append(mosi)
            sck = int(value)
    return bits


def bits_to_bytes(bits: list[int]) -> bytes:
    return bytes(int("".join(map(str, bits[i:i + 8])), 2) for i in range(0, len(bits), 8))


def test_softspi_write_bit_bangs_pinbase_pins(rec: Board) -> None:
    rec.exec("spi = machine.SoftSPI(baudrate=100000, polarity=0, phase=0, "
             "sck=RecPin('sck', log), mosi=RecPin('mosi', log), miso=RecPin('miso', log))\n"
             "del log[:]\nspi.write(b'\\xa5\\x3c')")
    log = rec.eval("log")
    writes = [e for e in log if e[1] != "r"]
    assert sum(1 for name, _ in writes if name == "sck") == 2 * 16  # 16 clock pulses
    assert bits_to_bytes(sck_edges(log, active=1)) == b"\xa5\x3c"  # MSB first
    assert [e for e in writes if e[0] == "sck"][-1] == ("sck", 0)  # idles at polarity


def test_softspi_reads_miso_through_pinbase(rec: Board) -> None:
    rec.exec("miso = RecPin('miso', log, reads=[1, 0, 1, 1, 0, 0, 1, 0])\n"
             "spi = machine.SoftSPI(baudrate=100000, polarity=1, phase=0, "
             "sck=RecPin('sck', log), mosi=RecPin('mosi', log), miso=miso)\n"
             "del log[:]\ndata = spi.read(1, 0xff)")
    assert rec.eval("data") == b"\xb2"
    log = rec.eval("log")
    assert sck_edges(log, active=0) == [1] * 8  # polarity 1: active low, MOSI sends 0xff
    assert sum(1 for e in log if e == ("miso", "r")) == 8


def test_softi2c_scan_finds_target_on_pinbase_bus(rec: Board) -> None:
    rec.exec(I2C_BUS + "bus = I2CBus(0x42, b'')\n"
             "i2c = machine.SoftI2C(scl=SclPin(bus), sda=SdaPin(bus), freq=100000)")
    assert rec.eval("i2c.scan()") == [0x42]
    events = rec.eval("''.join(bus.events)")
    assert events.count("S") >= 112 and events.endswith("P")  # one transaction per address


def test_softi2c_write_and_read_over_pinbase(rec: Board) -> None:
    rec.exec(I2C_BUS + "bus = I2CBus(0x42, b'\\xa5\\x3c')\n"
             "scl = SclPin(bus)\nsda = SdaPin(bus)\n"
             "i2c = machine.SoftI2C(scl=scl, sda=sda, freq=100000)")
    assert rec.eval("i2c.writeto(0x42, b'\\x12\\x34')") == 2  # two acks
    assert rec.eval("bus.rx") == [0x12, 0x34]
    assert rec.eval("i2c.readfrom(0x42, 2)") == b"\xa5\x3c"
    out = rec.exec("try:\n    i2c.writeto(0x17, b'x')\nexcept OSError as e:\n"
                   "    print(e.errno == __import__('errno').ENODEV)")
    assert out.strip() == "True"  # nobody acks another address
    assert rec.eval("scl.calls > 100 and sda.calls > 50") is True


PULSE_PIN = """
import time
class PulsePin(machine.PinBase):
    # Reads 0 until `start` us after creation; the first read from then on starts a pulse of
    # `width` us (so no pause of the poller can miss it), then 0 again. Logs the time (us
    # since creation) of the read before and of each read that saw a change, and of the read
    # after it: ('c', level, t_before, t_seen) and ('n', t).
    def __init__(self, start, width):
        self.t0 = time.ticks_us()
        self.start = start
        self.width = width
        self.rise = None
        self.reads = 0
        self.level = 0
        self.last = 0
        self.changed = False
        self.log = []
    def value(self, v=None):
        self.reads += 1
        t = time.ticks_diff(time.ticks_us(), self.t0)
        if self.rise is None and t >= self.start:
            self.rise = t
        level = 1 if self.rise is not None and t - self.rise < self.width else 0
        if self.changed:
            self.log.append(('n', t))
        self.changed = level != self.level
        if self.changed:
            self.log.append(('c', level, self.last, t))
        self.level = level
        self.last = t
        return level
"""


def test_time_pulse_us_polls_pinbase(rec: Board) -> None:
    # time_pulse_us returns the time between two clock samples it takes around the read that
    # sees the level rise and the read that sees it fall: MicroPython 1.25's port samples
    # after the rising read and before the falling one; 1.26's extmod/machine_pulse.c samples
    # just before each read. The pin logs its reads around both edges, so either way the
    # result lies between the inner interval (after the rising read to before the falling
    # one) and the outer one (before the rising read to the falling read), however long the
    # board paused between two reads (a descheduled QEMU lets guest time run on by a host
    # time slice: the 17413 us of issue #11 was such a pause, not a wrong measurement). The
    # tighter [inner, rise to fall] bound of 1.25 failed 1.26 by 1 us once (20006 > 20005).
    rec.exec(PULSE_PIN)
    rec.exec("p = PulsePin(5000, 20000)\nwidth = machine.time_pulse_us(p, 1, 100000)")
    width, log = rec.eval("(width, p.log)")
    assert [entry[0] for entry in log] == ["c", "n", "c"], log
    assert (log[0][1], log[2][1]) == (1, 0), log
    (_, _, before_rise, rise), (_, after_rise), (_, _, before_fall, fall) = log
    assert before_rise < 5000 <= rise  # the pin's own pulse
    assert before_fall - rise < 20000 <= fall - rise
    assert before_fall - after_rise <= width <= fall - before_rise, (width, log)
    assert rec.eval("machine.time_pulse_us(PulsePin(10**7, 1), 1, 20000)") == -2
    assert rec.eval("machine.time_pulse_us(PulsePin(0, 10**7), 1, 20000)") == -1
