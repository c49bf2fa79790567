"""Host-only logic of harness.build.firmware: size report, symbol/section parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.build import firmware as fb
from harness.errors import BuildError

READELF_SW = """\
There are 20 section headers, starting at offset 0x37d4a8:

Section Headers:
  [Nr] Name              Type            Addr     Off    Size   ES Flg Lk Inf Al
  [ 0]                   NULL            00000000 000000 000000 00      0   0  0
  [ 1] .irom0.text       PROGBITS        40209000 005000 04e57c 00  AX  0   0  4
  [ 2] .text             PROGBITS        40100000 002000 002398 00  AX  0   0  4
  [ 3] .data             PROGBITS        3ffe8000 001000 0000b8 00  WA  0   0  4
  [ 4] .bss              NOBITS          3ffe80b8 0010b8 00a0f0 00  WA  0   0  8
  [ 5] .debug_info       PROGBITS        00000000 053580 12ab4f 00      0   0  1
"""

NM = """\
00014000 A _dram_limit
3fffc000 A _heap_end
3fff21a8 A _heap_start
00008000 A _iram_limit
000f7000 A _irom_limit
40101500 T hal_reset_entry
         U some_undefined
"""


def test_parse_sections() -> None:
    secs = fb.parse_sections(READELF_SW)
    assert secs[".irom0.text"] == (0x40209000, 0x4E57C)
    assert secs[".text"] == (0x40100000, 0x2398)
    assert secs[".bss"] == (0x3FFE80B8, 0xA0F0)
    assert ".debug_info" in secs


def test_parse_symbols_skips_undefined() -> None:
    syms = fb.parse_symbols(NM)
    assert syms["_iram_limit"] == 0x8000
    assert syms["hal_reset_entry"] == 0x40101500
    assert "some_undefined" not in syms


def test_size_report_values_and_format() -> None:
    rep = fb.size_report(fb.parse_sections(READELF_SW), fb.parse_symbols(NM))
    assert rep.iram == 0x2398 and rep.iram_limit == 32768
    assert rep.dram == 0xB8 + 0xA0F0 and rep.dram_limit == 81920
    assert rep.irom == 0x4E57C and rep.irom_limit == 0xF7000
    assert rep.hal_heap == 0x3FFFC000 - 0x3FFF21A8
    assert rep.overflows() == []
    text = rep.format()
    assert text.splitlines()[0].startswith("IRAM")
    assert "DRAM" in text and "IROM" in text


def test_size_report_overflow_is_reported() -> None:
    rep = fb.SizeReport(iram=40000, iram_limit=32768, dram=1, dram_limit=2,
                        irom=3, irom_limit=2)
    problems = rep.overflows()
    assert len(problems) == 2
    assert problems[0].startswith("IRAM overflows by 7232 bytes")
    assert problems[1].startswith("IROM overflows by 1 bytes")


def test_size_report_needs_limit_symbols() -> None:
    with pytest.raises(BuildError, match="_iram_limit"):
        fb.size_report({}, {"_dram_limit": 1, "_irom_limit": 1})


def test_mpconfig_version() -> None:
    text = ("#define MICROPY_VERSION_MAJOR 1\n#define MICROPY_VERSION_MINOR 25\n"
            "#define MICROPY_VERSION_MICRO 0\n#define MICROPY_VERSION_PRERELEASE 0\n")
    assert fb.mpconfig_version(text) == "v1.25.0"
    assert fb.mpconfig_version(text.replace("PRERELEASE 0", "PRERELEASE 1")) == "v1.25.0-preview"
    with pytest.raises(BuildError):
        fb.mpconfig_version("#define MICROPY_VERSION_MAJOR 1\n")


def test_check_tree_explains_missing_patches(tmp_path: Path) -> None:
    port = tmp_path / "ports" / "esp8266"
    port.mkdir(parents=True)
    (tmp_path / "py").mkdir()
    (tmp_path / "py" / "py.mk").write_text("")
    (port / "Makefile").write_text("LIBS += -lmain\n")
    with pytest.raises(BuildError, match="invoke sources"):
        fb.build_micropython(tmp_path, tmp_path / "obj", tmp_path / "lib.a", 2)
    with pytest.raises(BuildError, match="not a MicroPython tree"):
        fb.build_micropython(tmp_path / "nope", tmp_path / "obj", tmp_path / "lib.a", 2)


def test_a_tree_that_is_not_mbedtls_is_refused_with_what_to_do(tmp_path: Path) -> None:
    from harness.build.firmware import check_mbedtls_tree

    with pytest.raises(BuildError, match=r"not an Mbed TLS tree .*invoke sources --name mbedtls"):
        check_mbedtls_tree(tmp_path)


def test_an_unpatched_berkeley_db_tree_is_refused_with_what_to_do(tmp_path: Path) -> None:
    from harness.build.firmware import check_berkeley_db_tree

    (tmp_path / "btree").mkdir()
    (tmp_path / "btree" / "bt_open.c").write_text("/* db 1.85, without our patch */\n")
    with pytest.raises(BuildError, match=r"not a patched Berkeley DB 1\.85 tree .*"
                                         r"invoke sources --name berkeley-db --fresh"):
        check_berkeley_db_tree(tmp_path)
