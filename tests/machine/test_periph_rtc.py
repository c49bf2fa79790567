"""RTC: reset causes as the guest reads them, RTC memory and scratch across resets, RTC counter.

Program: ``programs/periph_rtc.c`` walks through power-on -> software restart -> watchdog ->
deep sleep with timer wake-up -> external reset (QMP ``system_reset``), one stage per boot.
"""

from __future__ import annotations

import re
import time

import pytest

KV = re.compile(r"(\w+)=0x([0-9a-f]{8})")
MAGIC = 0x52544331
# RTC_STATE1[3:0] codes (the ROM's rtc_get_reset_reason()).
POWER_ON, EXTERNAL, SOFTWARE, WATCHDOG, DEEP_SLEEP = 1, 2, 3, 4, 5
RTC_HZ = 160_000
CPU_HZ = 80_000_000


def fields(line: str) -> dict[str, int]:
    return {k: int(v, 16) for k, v in KV.findall(line)}


@pytest.mark.realtime
def test_reset_causes_rtc_memory_and_deep_sleep(machine) -> None:
    m = machine.start("periph_rtc", qmp=True)
    m.expect(re.compile(r"SLEEP\r?\n"), timeout=20)
    asleep = time.monotonic()
    m.expect("stage=0x00000003")
    slept = time.monotonic() - asleep
    # 200 ms of RTC ticks; QEMU's virtual clock never runs ahead of the host's.
    assert slept > 0.15, f"woke up after {slept * 1000:.0f} ms of a 200 ms deep sleep"
    m.expect("WAIT external", timeout=20)
    m.qmp.execute("system_reset")
    m.expect("SEQUENCE DONE")
    out = m.output

    boots = [fields(line) for line in out.splitlines() if line.startswith("BOOT ")]
    assert [b["cause"] for b in boots] == [POWER_ON, SOFTWARE, WATCHDOG, DEEP_SLEEP, EXTERNAL]
    assert [b["stage"] for b in boots] == [0, 1, 2, 3, 4]
    # Timer wake-up cause (RTC_STATE2[13:8] = 8) only after deep sleep.
    assert [b["wake"] for b in boots] == [0, 0, 0, 8, 0]
    # RTC memory and scratch registers: cleared at power-on, kept across every other reset.
    assert boots[0]["magic"] == 0 and boots[0]["scratch"] == 0
    assert all(b["magic"] == MAGIC for b in boots[1:])
    assert all(b["scratch"] == 0x5C5C0001 for b in boots[1:])

    banners = [int(c) for c in re.findall(r"rst cause:(\d+)", out)]
    assert banners == [POWER_ON, SOFTWARE, WATCHDOG, DEEP_SLEEP, EXTERNAL]
    rtc = "/machine/soc/rtc"
    assert m.qmp.execute("qom-get", {"path": rtc, "property": "reset-cause"}) == "external"
    assert m.qmp.execute("qom-get", {"path": rtc, "property": "reset-code"}) == EXTERNAL


def test_rtc_counter_rate(machine) -> None:
    m = machine.start("periph_rtc")
    m.expect("RESTART software")
    counter = next(fields(line) for line in m.output.splitlines() if line.startswith("COUNTER"))
    ticks = counter["b"] - counter["a"]
    outer = counter["cycles"] * RTC_HZ / CPU_HZ
    inner = counter["inner"] * RTC_HZ / CPU_HZ
    assert ticks > 0
    # The two counter reads lie inside the outer CCOUNT pair and outside the inner one
    # (10 ms of busy-wait): exact to a tick of each read, whatever the host does.
    assert inner - 1 <= ticks <= outer + 1, (
        f"{ticks} RTC ticks between {counter['inner']} and {counter['cycles']} CPU cycles"
    )


def test_deep_sleep_without_timer_waits_for_external_reset(machine) -> None:
    m = machine.start("periph_sleep", qmp=True)
    m.expect("SLEEPING")
    # A running CPU would print within a millisecond; give it far more.
    time.sleep(0.5)
    assert "STILL RUNNING" not in m.output, "the CPU kept running in deep sleep"
    m.qmp.execute("system_reset")
    m.expect("AWAKE")
    assert re.findall(r"rst cause:(\d+)", m.output) == [str(POWER_ON), str(EXTERNAL)]
