"""Hardware watchdog: feeding holds it off; unfed, its stage-0 interrupt, then a reset.

Program: ``programs/periph_wdt.c`` (stages of 2^6 * 0.8 ms = 51.2 ms).
"""

from __future__ import annotations

import re

import pytest

KV = re.compile(r"(\w+)=0x([0-9a-f]{8})")
CPU_HZ = 80_000_000
STAGE_CYCLES = 4_096_000  # 51.2 ms at 80 MHz
LATENCY_CYCLES = CPU_HZ // 1000  # 1 ms: far above an idle host's timer latency
INUM_WDT_BIT = 1 << 8


def fields(line: str) -> dict[str, int]:
    return {k: int(v, 16) for k, v in KV.findall(line)}


@pytest.mark.icount
def test_watchdog_interrupt_then_reset(machine) -> None:
    m = machine.start("periph_wdt", qmp=True)
    wait = m.host_wait()
    m.expect("WDT RESET SEEN", timeout=20)
    lines = m.output.splitlines()
    fed = next(fields(line) for line in lines if line.startswith("FED"))
    # Fed every 10 ms of guest time; a host that keeps QEMU off the CPU for 40 ms stretches a
    # gap past the 51.2 ms stage in guest time, and then the watchdog rightly fires.
    if fed["max_out"] < STAGE_CYCLES:
        assert fed["pending"] == 0, f"a fed watchdog raises no interrupt: {fed}"
    elif fed["max_in"] > STAGE_CYCLES + LATENCY_CYCLES:
        assert fed["pending"] == INUM_WDT_BIT, f"a gap longer than a stage: {fed}"
    stage0 = next(fields(line) for line in lines if line.startswith("STAGE0"))
    assert stage0["pending"] == INUM_WDT_BIT, "stage 0 expiry -> CPU interrupt 8"
    # From just before the last feed to just after the interrupt: never less than a stage,
    # late by the interrupt's latency or the host's wait.
    assert STAGE_CYCLES <= stage0["cycles"] <= (STAGE_CYCLES + LATENCY_CYCLES
                                                + wait.seconds * CPU_HZ), (
        f"stage 0 should end 51.2 ms after the last feed, took {stage0['cycles']} cycles "
        f"(host wait {wait.seconds:.3f} s)"
    )
    boots = [fields(line)["cause"] for line in lines if line.startswith("BOOT")]
    assert boots == [1, 4]
    assert re.findall(r"rst cause:(\d+)", m.output) == ["1", "4"]
    assert (
        m.qmp.execute("qom-get", {"path": "/machine/soc/rtc", "property": "reset-cause"})
        == "watchdog"
    )
