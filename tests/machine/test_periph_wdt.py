"""Hardware watchdog: feeding holds it off; unfed, its stage-0 interrupt, then a reset.

Program: ``programs/periph_wdt.c`` (stages of 2^6 * 0.8 ms = 51.2 ms).
"""

from __future__ import annotations

import re

KV = re.compile(r"(\w+)=0x([0-9a-f]{8})")
STAGE_CYCLES = 4_096_000  # 51.2 ms at 80 MHz
INUM_WDT_BIT = 1 << 8


def fields(line: str) -> dict[str, int]:
    return {k: int(v, 16) for k, v in KV.findall(line)}


def test_watchdog_interrupt_then_reset(machine) -> None:
    m = machine.start("periph_wdt", qmp=True)
    m.expect("WDT RESET SEEN", timeout=20)
    lines = m.output.splitlines()
    fed = next(fields(line) for line in lines if line.startswith("FED"))
    assert fed["pending"] == 0, "a fed watchdog raises no interrupt"
    stage0 = next(fields(line) for line in lines if line.startswith("STAGE0"))
    assert stage0["pending"] == INUM_WDT_BIT, "stage 0 expiry -> CPU interrupt 8"
    # Measured from just after the last feed; QEMU timers may fire a little late.
    assert 0.9 * STAGE_CYCLES < stage0["cycles"] < 1.1 * STAGE_CYCLES, (
        f"stage 0 should end 51.2 ms after the last feed, took {stage0['cycles']} cycles"
    )
    boots = [fields(line)["cause"] for line in lines if line.startswith("BOOT")]
    assert boots == [1, 4]
    assert re.findall(r"rst cause:(\d+)", m.output) == ["1", "4"]
    assert (
        m.qmp.execute("qom-get", {"path": "/machine/soc/rtc", "property": "reset-cause"})
        == "watchdog"
    )
