"""``machine`` functions: CPU frequency, unique id, idle, light sleep, deep sleep entry."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from harness.board import Board


def test_default_frequency_is_80mhz(board: Board) -> None:
    assert board.eval("__import__('machine').freq()") == 80_000_000


def test_frequency_160mhz_and_back(board: Board, timing) -> None:
    board.exec("import machine\nmachine.freq(160000000)")

    def sleep_is_right() -> None:
        out = board.exec("import time\nt = time.ticks_us()\ntime.sleep_ms(200)\n"
                         "print(time.ticks_diff(time.ticks_us(), t))")
        assert 200_000 <= int(out) <= 210_000, out

    try:
        assert board.eval("machine.freq()") == 160_000_000
        # the time base does not depend on the CPU clock
        timing(sleep_is_right)
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


def test_lightsleep_sleeps_for_the_given_time(board: Board,
                                              stamped_exec: Callable[..., list]) -> None:
    lines = stamped_exec("import machine\nprint('a')\nmachine.lightsleep(200)\nprint('b')")
    (t_a, _), (t_b, _) = lines
    assert 0.19 <= t_b - t_a <= 0.25


def test_lightsleep_sleeps_at_least_the_given_time(board: Board) -> None:
    out = board.exec("import machine, time\nt = time.ticks_ms()\nmachine.lightsleep(100)\n"
                     "print(time.ticks_diff(time.ticks_ms(), t))", timeout=10)
    assert int(out) >= 100


@pytest.mark.qemu_only  # a real board wakes only with GPIO16 wired to RST
def test_deepsleep_stops_the_cpu_until_wake(board: Board, mpy_name: str) -> None:
    # nothing is printed while the chip sleeps; it boots again after the sleep time
    start = time.monotonic()
    boot = board.machine_reset("import machine\nprint('sleeping')\nmachine.deepsleep(600)")
    slept = time.monotonic() - start
    assert 0.6 <= slept <= 3.0
    assert mpy_name in boot
    assert board.eval("__import__('machine').reset_cause()") == \
        board.eval("__import__('machine').DEEPSLEEP_RESET")


def test_disable_and_enable_irq(board: Board) -> None:
    out = board.exec(
        "import machine, time\n"
        "n = [0]\n"
        "def cb(t):\n    n[0] += 1\n"
        "tim = machine.Timer(-1)\n"
        "tim.init(period=5, mode=machine.Timer.PERIODIC, callback=cb)\n"
        "state = machine.disable_irq()\n"
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
    assert after >= 5


@pytest.mark.parametrize(("freq", "duty"), [(10, 256), (10, 768), (100, 512)])
def test_pwm_duty_and_frequency_seen_by_host(board: Board, gpio, freq: int, duty: int) -> None:
    # the model's pad meter counts high time and edges in guest time: duty and frequency
    board.exec(f"from machine import Pin, PWM\npwm = PWM(Pin(4), freq={freq}, duty={duty})")
    try:
        assert board.eval("pwm.freq()") == freq
        assert board.eval("pwm.duty()") == duty
        # the PWM swaps in new timings at a period boundary (the previous test's duty may
        # still run for a period after re-init), so skip two periods before measuring
        time.sleep(2 / freq)
        seen = gpio.measure(4, 2.0)
        assert seen.seconds > 1.5
        assert abs(seen.duty - duty / 1024) <= 0.03, seen
        assert abs(seen.frequency - freq) <= 0.1 * freq, seen
    finally:
        board.exec("pwm.deinit()")
