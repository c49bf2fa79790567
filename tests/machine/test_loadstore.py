"""8/16-bit loads from the flash window and IRAM raise LoadStoreError (EXCCAUSE 3)."""

from __future__ import annotations

import re


def _section(out: str, name: str) -> dict[str, int]:
    block = re.search(rf"{name}: faults=0x(\w+)\r\ncause=0x(\w+)\r\nvaddr=0x(\w+)", out)
    assert block, f"no {name} report in:\n{out}"
    faults, cause, vaddr = (int(v, 16) for v in block.groups())
    return {"faults": faults, "cause": cause, "vaddr": vaddr}


def test_narrow_loads_raise_loadstoreerror(machine) -> None:
    m = machine.start("loadstore")
    m.expect("DONE")
    out = m.output
    assert _section(out, "flash_l8ui") == {"faults": 1, "cause": 3, "vaddr": 0x40201001}
    assert _section(out, "flash_l16ui") == {"faults": 1, "cause": 3, "vaddr": 0x40202002}
    assert _section(out, "iram_l8ui") == {"faults": 1, "cause": 3, "vaddr": 0x40100003}
    assert _section(out, "flash_l32i")["faults"] == 0
    assert _section(out, "dram_l8ui")["faults"] == 0
    assert "dram_byte=0x0000005a" in out


def test_narrow_load_error_can_be_disabled(machine) -> None:
    m = machine.start("loadstore", machine_opts="narrow-load-error=off")
    m.expect("DONE")
    assert _section(m.output, "flash_l8ui")["faults"] == 0
    assert _section(m.output, "iram_l8ui")["faults"] == 0
