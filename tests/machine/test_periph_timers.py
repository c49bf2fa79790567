"""FRC1/FRC2 timers, the DPORT edge-interrupt gate and the WDEV registers (RNG, us counter).

Programs: ``programs/periph_frc.c`` and ``programs/periph_rng.c``.
"""

from __future__ import annotations

import re
import time

KV = re.compile(r"(\w+)=0x([0-9a-f]{8})")
# FRC2 alarm of 3125 ticks at 80 MHz / 256 = 10 ms = 800000 CPU cycles.
FRC2_ALARM_CYCLES = 800_000


def fields(line: str) -> dict[str, int]:
    """``key=0x........`` pairs of one output line."""
    return {k: int(v, 16) for k, v in KV.findall(line)}


def line_with(output: str, prefix: str) -> dict[str, int]:
    for line in output.splitlines():
        if line.startswith(prefix):
            return fields(line)
    raise AssertionError(f"no line starting with {prefix!r} in the UART output:\n{output}")


def test_frc1_interrupt_gated_by_dport(machine) -> None:
    m = machine.start("periph_frc")
    m.expect("TICK n=0")
    gated = line_with(m.output, "GATED")
    assert gated["status"] == 0x100, "FRC1 expiry must set CTRL.INT_STATUS"
    assert gated["pending"] == 0, "DPORT bit 1 clear: no CPU interrupt 9"
    count = line_with(m.output, "COUNT")
    assert 0 < count["b"] < count["a"] <= 0x7FFFFF, "FRC1 COUNT counts down from LOAD"


def test_frc1_periodic_interrupts_follow_host_time(machine, record_property) -> None:
    """1 kHz FRC1 interrupts taken through the vectors; host time between TICK 100 and 1000."""
    m = machine.start("periph_frc")
    m.expect(re.compile(r"TICK n=100\r?\n"), timeout=20)
    t100 = time.monotonic()
    m.expect(re.compile(r"TICK n=1000\r?\n"), timeout=20)
    elapsed = time.monotonic() - t100
    ratio = 0.9 / elapsed  # guest seconds (900 periods of 1 ms) per host second
    record_property("frc1_guest_per_host_time", round(ratio, 3))
    print(
        f"FRC1: 900 interrupts at 1 kHz took {elapsed:.3f} s of host time "
        f"(guest/host ratio {ratio:.3f})"
    )
    assert 0.7 < ratio < 1.3, f"FRC1 rate is off: ratio {ratio:.3f} (sanity bound only)"


def test_frc2_alarm(machine) -> None:
    m = machine.start("periph_frc")
    m.expect("DONE", timeout=20)
    frc2 = line_with(m.output, "FRC2")
    assert frc2["status"] == 0x100, "FRC2 CTRL.INT_STATUS set by the alarm"
    assert frc2["alarm"] == (frc2["start"] + 3125) & 0xFFFFFFFF
    late = (frc2["fired"] - frc2["alarm"]) & 0xFFFFFFFF
    assert late < 3125, f"COUNT {frc2['fired']:#x} when the alarm {frc2['alarm']:#x} fired"
    # CCOUNT and the timers both follow QEMU's virtual clock.
    assert FRC2_ALARM_CYCLES * 0.99 <= frc2["cycles"] < 80_000_000, (
        f"alarm after {frc2['cycles']} CPU cycles, expected about {FRC2_ALARM_CYCLES}"
    )


def test_rng_values_differ_and_wdev_counts_microseconds(machine) -> None:
    m = machine.start("periph_rng")
    m.expect("DONE")
    values = [fields(line)["v"] for line in m.output.splitlines() if line.startswith("RNG v=")]
    assert len(values) == 8
    assert len(set(values)) == 8, f"hardware RNG repeated itself: {[hex(v) for v in values]}"
    wdev = line_with(m.output, "WDEV")
    micros = (wdev["b"] - wdev["a"]) & 0xFFFFFFFF
    assert micros >= 2000, "the program waited 2000 us between the reads"
    # Both follow the virtual clock; the reads lie inside the CCOUNT bracket.
    bracket = wdev["cycles"] / 80
    assert bracket - 200 < micros <= bracket + 1, (
        f"WDEV counter advanced {micros} us while CCOUNT advanced {wdev['cycles']} cycles"
    )


CHECK = re.compile(r"^(\w+) got=0x([0-9a-f]{8}) want=0x([0-9a-f]{8})", re.M)


def test_registers_read_back_calibration_and_frc1_reload(machine) -> None:
    m = machine.start("periph_regs")
    m.expect("DONE")
    checks = CHECK.findall(m.output)
    assert len(checks) >= 17 + 9, m.output
    wrong = [(name, got, want) for name, got, want in checks if got != want]
    assert not wrong, f"registers that did not read back as expected: {wrong}"
    reload = line_with(m.output, "FRC1_RELOAD")["count"]
    # 100 us after LOAD the counter hit 0 and went on from 0x7FFFFF: read ~900 us later at
    # 5 MHz, so about 4500 below it (the lower bound only rules out a reload from LOAD or 0).
    assert 0x600000 < reload < 0x7FFFFF - 4000, f"COUNT {reload:#x}"
