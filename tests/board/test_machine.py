"""``machine`` functions: CPU frequency, unique id, idle, light sleep, deep sleep entry."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from harness.board import Board
from harness.emulator.host_load import HostWait


def test_default_frequency_is_80mhz(board: Board) -> None:
    assert board.eval("__import__('machine').freq()") == 80_000_000


@pytest.mark.icount
def test_frequency_160mhz_and_back(board: Board, host_wait: Callable[[], HostWait]) -> None:
    board.exec("import machine\nmachine.freq(160000000)")
    try:
        assert board.eval("machine.freq()") == 160_000_000
        # the time base does not depend on the CPU clock: a 200 ms sleep in ticks_us
        wait = host_wait()
        out = board.exec("import time\nt = time.ticks_us()\ntime.sleep_ms(200)\n"
                         "print(time.ticks_diff(time.ticks_us(), t))")
        assert 200_000 <= int(out) <= 203_000 + wait.seconds * 1e6, (out, wait.seconds)
    finally:
        board.exec("machine.freq(80000000)")
    assert board.eval("machine.freq()") == 80_000_000


def test_other_frequencies_are_rejected(board: Board) -> None:
    out = board.exec("import machine\ntry:\n    machine.freq(120000000)\n"
                     "except ValueError as e:\n    print('ValueError', e)")
    assert out.startswith("ValueError")
    assert board.eval("machine.freq()") == 80_000_000


def test_unique_id_is_stable_bytes(board: Board) -> None:
    uid = board.eval("__import__('machine').unique_id()")
    assert isinstance(uid, bytes) and len(uid) == 4
    assert board.eval("__import__('machine').unique_id()") == uid
    board.soft_reset()
    assert board.eval("__import__('machine').unique_id()") == uid


def test_idle_returns(board: Board) -> None:
    # idle() waits for the next interrupt (the REPL's UART, a timer); it must come back
    out = board.exec("import machine\nmachine.idle()\nprint('back')", timeout=10)
    assert out.strip() == "back"


@pytest.mark.icount
def test_lightsleep_sleeps_for_the_given_time(board: Board, clock: str,
                                              host_wait: Callable[[], HostWait]) -> None:
    wait = host_wait()
    start = time.monotonic()
    out = board.exec("import machine, time\nt = time.ticks_us()\nmachine.lightsleep(200)\n"
                     "print(time.ticks_diff(time.ticks_us(), t))")
    host_window = time.monotonic() - start
    slept = int(out)
    assert 200_000 <= slept <= 203_000 + wait.seconds * 1e6, (slept, wait.seconds)
    if clock == "realtime":  # the board's clock did not jump: the host waited too
        assert host_window >= slept / 1e6


def test_lightsleep_sleeps_at_least_the_given_time(board: Board) -> None:
    out = board.exec("import machine, time\nt = time.ticks_ms()\nmachine.lightsleep(100)\n"
                     "print(time.ticks_diff(time.ticks_ms(), t))", timeout=10)
    assert int(out) >= 100


@pytest.mark.qemu_only  # a real board wakes only with GPIO16 wired to RST
@pytest.mark.realtime
def test_deepsleep_stops_the_cpu_until_wake(board: Board, mpy_name: str,
                                            host_wait: Callable[[], HostWait]) -> None:
    # nothing is printed while the chip sleeps; it boots again after the sleep time
    wait = host_wait()
    start = time.monotonic()
    boot = board.machine_reset("import machine\nprint('sleeping')\nmachine.deepsleep(600)")
    slept = time.monotonic() - start
    # never early; the reboot to the REPL is in the window (2.4 s) and the host's wait
    assert 0.6 <= slept <= 3.0 + wait.seconds, (slept, wait.seconds)
    assert mpy_name in boot
    assert board.eval("__import__('machine').reset_cause()") == \
        board.eval("__import__('machine').DEEPSLEEP_RESET")


@pytest.mark.icount
def test_disable_and_enable_irq(board: Board, host_wait: Callable[[], HostWait]) -> None:
    wait = host_wait()
    out = board.exec(
        "import machine, time\n"
        "n = [0]\n"
        "def cb(t):\n    n[0] += 1\n"
        "tim = machine.Timer(-1)\n"
        "tim.init(period=5, mode=machine.Timer.PERIODIC, callback=cb)\n"
        "state = machine.disable_irq()\n"
        # a callback the timer scheduled just before still runs at the next jump (a host
        # that delays QEMU by 5 ms makes that likely): let it, then count
        "for i in range(10):\n    pass\n"
        "a = n[0]\n"
        "t0 = time.ticks_us()\n"
        "while time.ticks_diff(time.ticks_us(), t0) < 50000:\n    pass\n"
        "b = n[0]\n"
        "machine.enable_irq(state)\n"
        "time.sleep_ms(50)\n"
        "tim.deinit()\n"
        "print(b - a, n[0] - b)")
    during, after = map(int, out.split())
    assert during == 0
    # ~10 periods of 5 ms after enable_irq; a host stall of d costs up to 2 d / 5 ms of them
    assert after >= 8 - 2 * wait.seconds / 0.005, (after, wait.seconds)


def _wait_edges(gpio, pin: int, edges: int, timeout: float = 5.0) -> None:
    """Poll the pad meter until ``pin`` made ``edges`` more level changes."""
    start = gpio.meter()[2][pin]
    deadline = time.monotonic() + timeout
    while gpio.meter()[2][pin] - start < edges:
        assert time.monotonic() < deadline, f"GPIO{pin} made < {edges} edges in {timeout:g} s"
        time.sleep(0.01)


@pytest.mark.icount
@pytest.mark.parametrize(("freq", "duty"), [(10, 256), (10, 768), (100, 512), (500, 512)])
def test_pwm_duty_and_frequency_seen_by_host(board: Board, gpio, clock: str,
                                             host_wait: Callable[[], HostWait],
                                             freq: int, duty: int) -> None:
    # The model's pad meter counts high time and edges in guest time. The software PWM is
    # timed by FRC1 interrupts, each period re-armed from the interrupt: a period in which
    # the host kept QEMU off the CPU is longer by that wait (guest time runs on), so the
    # frequency bound allows the run-queue wait of QEMU's threads over the window
    # (host_wait), and nothing more. A PWM never runs faster than set. On the icount clock
    # (the default for this test) host_wait is 0 and the bounds are fixed: 500 Hz measures
    # 498 Hz there (the re-arm from each interrupt costs ~4 us of guest time per edge).
    if freq > 100 and clock == "realtime":
        pytest.skip("above 100 Hz the realtime clock's ~75 us per edge exceeds the 2 % bound")
    board.exec(f"from machine import Pin, PWM\npwm = PWM(Pin(4), freq={freq}, duty={duty})")
    try:
        assert board.eval("pwm.freq()") == freq
        assert board.eval("pwm.duty()") == duty
        # the PWM swaps in new timings at a period boundary (the previous test's duty may
        # still run for a period after re-init): skip two periods of the pad itself
        _wait_edges(gpio, 4, 4)
        wait = host_wait()
        seen = gpio.measure(4, 2.0)
        lost = wait.seconds
        assert seen.seconds > 1.5
        periods = seen.edges / 2
        # +-1 period for where the window's ends fall; 2 % for the interrupt latency per
        # edge (measured ~75 us per edge on an idle host: 1.5 % at 100 Hz)
        assert periods <= freq * seen.seconds + 1, seen
        assert periods >= freq * (seen.seconds - lost) * 0.98 - 1, (seen, lost)
        # a stall stretches the high or the low part: the duty moves by at most its share
        assert abs(seen.duty - duty / 1024) <= 0.02 + lost / seen.seconds, (seen, lost)
    finally:
        board.exec("pwm.deinit()")
