"""Crash dumps: parsing, completeness, decoding with addr2line against a small ELF built here."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from harness.board.crash import (
    CrashDetector,
    crash_complete,
    decode_crash,
    parse_crash,
)
from harness.errors import BoardCrashed

GCC = "xtensa-lx106-elf-gcc"
NM = "xtensa-lx106-elf-nm"

SOURCE = """\
__attribute__((noinline)) int crash_here(int *p)
{
    return *p;
}

int caller(void)
{
    return crash_here(0) + 1;
}

void entry(void)
{
    caller();
}
"""
# Source lines of each function (first to last), to check what addr2line reports.
LINES = {"crash_here": range(1, 5), "caller": range(6, 10)}


def dump(epc1: int, a0: int) -> str:
    return (
        "Fatal exception 28(LoadProhibitedCause):\r\n"
        f"epc1=0x{epc1:08x}, epc2=0x00000000, epc3=0x00000000, excvaddr=0x00000000, "
        "depc=0x00000000\r\n"
        f"regs: a0=0x{a0:08x} a1=0x3ffffe10 a2=0x00000000 a15=0x00000000 sar=0x0000001f "
        "ps=0x00000030\r\n"
    )


@pytest.fixture(scope="module")
def elf(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    if shutil.which(GCC) is None or shutil.which(NM) is None:
        pytest.skip(f"{GCC} not installed (apt-get install gcc-xtensa-lx106)")
    work = tmp_path_factory.mktemp("elf")
    source = work / "crashdemo.c"
    source.write_text(SOURCE)
    out = work / "crashdemo.elf"
    subprocess.run([GCC, "-g", "-O1", "-nostdlib", "-Wl,-Ttext=0x40201000", "-Wl,-e,entry",
                    "-o", str(out), str(source)], check=True, capture_output=True)
    symbols = {}
    for line in subprocess.run([NM, str(out)], check=True, capture_output=True,
                               text=True).stdout.splitlines():
        addr, _kind, name = line.split()
        symbols[name] = int(addr, 16)
    return out, symbols


def test_parse_reads_cause_and_registers():
    crash = parse_crash("boot noise\r\n" + dump(0x4020A1B2, 0x40201234).replace("\r", ""))
    assert crash is not None
    assert (crash.cause, crash.cause_name) == (28, "LoadProhibitedCause")
    assert crash.registers["epc1"] == 0x4020A1B2
    assert crash.registers["a0"] == 0x40201234
    assert crash.registers["sar"] == 0x1F
    assert [label for label, _ in crash.code_addresses()] == ["epc1", "a0"]


def test_parse_returns_none_without_a_dump():
    assert parse_crash("MicroPython v1.25.0\r\n>>> ") is None


def test_complete_only_after_the_register_lines():
    text = dump(0x40201000, 0x40201010).replace("\r", "")
    lines = text.splitlines(keepends=True)
    assert not crash_complete(lines[0])
    assert not crash_complete(lines[0] + lines[1])
    assert crash_complete(text)
    # The SDK prints two lines and then reboots: the next line ends the dump too.
    assert crash_complete(lines[0] + lines[1] + "\n ets Jan  8 2013,rst cause:2\n")


def test_decode_names_function_and_file_line(elf):
    path, symbols = elf
    epc1 = symbols["crash_here"]
    a0 = symbols["caller"] + 7  # inside caller, where crash_here returns to
    assert symbols["caller"] < a0 < symbols["entry"]
    text = decode_crash(parse_crash(dump(epc1, a0)), path)
    by_label = {line.split()[0]: line for line in text.splitlines() if line.startswith("  ")}
    for label, function in (("epc1", "crash_here"), ("a0", "caller")):
        line = by_label[label]
        assert f": {function} at " in line
        file_part = line.rsplit(" at ", 1)[1]
        file_name, line_no = file_part.rsplit(":", 1)
        assert file_name.endswith("crashdemo.c")
        assert int(line_no.split()[0]) in LINES[function]


def test_decode_without_elf_says_how_to_get_names():
    text = decode_crash(parse_crash(dump(0x40201000, 0x40201010)), None)
    assert "pass --firmware" in text


def test_decode_with_a_missing_elf_says_to_build(tmp_path):
    text = decode_crash(parse_crash(dump(0x40201000, 0x40201010)), tmp_path / "nope.elf")
    assert "invoke build" in text


def test_missing_addr2line_is_reported_with_the_package_to_install(tmp_path):
    text = decode_crash(parse_crash(dump(0x40201000, 0x40201010)), tmp_path / "x.elf",
                        tool="no-such-addr2line")
    assert "apt-get install binutils-xtensa-lx106" in text


def test_detector_raises_once_the_dump_is_complete(elf):
    path, symbols = elf
    detector = CrashDetector(path)
    text = dump(symbols["crash_here"], symbols["caller"] + 7).encode()
    detector(text[:50])  # the header alone: keep reading
    with pytest.raises(BoardCrashed) as info:
        detector(text[50:])
    assert "crash_here at" in info.value.decoded
    assert "Fatal exception 28" in str(info.value)
    detector(b"more output\r\n")  # raised once, not again for the same dump


def test_detector_check_raises_for_a_dump_cut_short():
    detector = CrashDetector(None)
    detector(b"Fatal exception 0(IllegalInstructionCause):\r\nepc1=0x40")
    with pytest.raises(BoardCrashed, match="IllegalInstructionCause"):
        detector.check()
