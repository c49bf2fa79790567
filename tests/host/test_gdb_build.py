"""The lx106 gdb's configuration logic (harness/build/gdb.py) and `invoke gdb`'s helpers, on
small register maps written here (the real inputs are checked by the build itself)."""

from __future__ import annotations

import pytest

from harness.build import gdb
from harness.build.pins import load_pins
from harness.cli import gdb as gdb_cli
from harness.emulator.command import QemuCommand, build_command
from harness.errors import BuildError

# A default core: ps at 2, litbase at 1; psintlevel = ps[0:4], litben = litbase[0]
DEFAULT = """
xtensa_reg_mask_t xtensa_submask0[] = { { 2, 0, 4 } };
const xtensa_mask_t xtensa_mask0 = { 1, xtensa_submask0 };
xtensa_reg_mask_t xtensa_submask1[] = { { 1, 0, 1 } };
const xtensa_mask_t xtensa_mask1 = { 1, xtensa_submask1 };
static xtensa_register_t rmap[] =
{
  XTREG(  0,  0,32, 4, 4,0x0020,0x0006,-2, 9,0x0100,pc,          0,0,0,0,0,0)
  XTREG(  1,  4,32, 4, 4,0x0205,0x0006,-2, 2,0x1100,litbase,     0,0,0,0,0,0)
  XTREG(  2,  8,19, 4, 4,0x02e6,0x0006,-2, 2,0x1100,ps,          0,0,0,0,0,0)
  XTREG(  3, 12, 4, 4, 4,0x2002,0x0006,-2, 6,0x1010,psintlevel,
            0,0,&xtensa_mask0,0,0,0)
  XTREG(  4, 16, 1, 4, 4,0x2010,0x0006,-2, 6,0x1010,litben,
            0,0,&xtensa_mask1,0,0,0)
  XTREG_END
};
"""

# The emulated core: other order, one privileged register, the masks swapped
QEMU = """
  XTREG(  0,  0,32, 4, 4,0x0000,0x0006,-2, 8,0x0100,a0,          0,0,0,0,0,0)
  XTREG(  1,  4,32, 4, 4,0x0020,0x0006,-2, 9,0x0100,pc,          0,0,0,0,0,0)
  XTREG(  2,  8, 6, 4, 4,0x02e6,0x0006,-2, 2,0x1100,ps,          0,0,0,0,0,0)
  XTREG(  3, 12,32, 4, 4,0x0205,0x0006,-2, 2,0x1100,litbase,     0,0,0,0,0,0)
  XTREG(  4, 16,32, 4, 4,0x02b1,0x0007,-2, 2,0x1000,epc1,        0,0,0,0,0,0)
  XTREG(  5, 20, 1, 4, 4,0x2003,0x0006,-2, 6,0x1010,litben,
            0,0,&xtensa_mask0,0,0,0)
  XTREG(  6, 24, 4, 4, 4,0x2002,0x0006,-2, 6,0x1010,psintlevel,
            0,0,&xtensa_mask1,0,0,0)
  XTREG_END
"""


def test_generated_map_is_qemus_with_masks_resolved_by_name() -> None:
    config = gdb.generate_config(QEMU, DEFAULT)
    assert "xtensa_submask0[] = { { 3, 0, 1 } }" in config  # litben: litbase is 3 here
    assert "xtensa_submask1[] = { { 2, 0, 4 } }" in config  # psintlevel: ps is 2 here
    regs = gdb.parse_regmap(config)
    assert [r.name for r in regs] == ["a0", "pc", "ps", "litbase", "epc1", "litben",
                                      "psintlevel"]


def test_g_packet_sizes_of_gdb_and_qemu_agree_on_the_emulated_map() -> None:
    regs = gdb.parse_regmap(QEMU)
    assert gdb.g_packet_registers(regs) == 5  # up to the first masked register
    assert gdb.qemu_g_registers(regs) == 5  # all but the mapped (type 6) ones


def test_a_masked_register_unknown_to_gdb_stops_the_build() -> None:
    odd = QEMU.replace("litben", "litfoo")
    with pytest.raises(BuildError, match="litfoo"):
        gdb.generate_config(odd, DEFAULT)


def test_isa_differences_ignore_cache_lines_only() -> None:
    overlay = "#define XCHAL_NUM_AREGS 16\n#define XCHAL_ICACHE_LINESIZE 16\n"
    qemu = "#define XCHAL_NUM_AREGS 32\n#define XCHAL_ICACHE_LINESIZE 4\n"
    assert gdb.isa_differences(overlay, qemu) == ["XCHAL_NUM_AREGS: overlay 16, QEMU 32"]


def test_the_pin_is_complete_and_kept_out_of_invoke_sources() -> None:
    pin = gdb.load_pin()
    assert len(pin.gdb.sha256) == 64 and len(pin.overlay.sha256) == 64
    assert "tools" not in load_pins()


def test_gdbstub_on_the_command_line_only_when_asked(tmp_path) -> None:
    base = QemuCommand(flash_image=tmp_path / "f", qmp_socket=tmp_path / "q",
                       uart1_log=tmp_path / "u")
    assert "-gdb" not in build_command(base)
    argv = build_command(QemuCommand(flash_image=tmp_path / "f", qmp_socket=tmp_path / "q",
                                     uart1_log=tmp_path / "u", gdb_port=1234))
    assert argv[argv.index("-gdb") + 1] == "tcp:127.0.0.1:1234"


@pytest.mark.parametrize("value, expected", [
    ("1234", ("127.0.0.1", 1234)), (":1234", ("127.0.0.1", 1234)),
    ("localhost:99", ("localhost", 99)),
])
def test_port_option(value: str, expected: tuple[str, int]) -> None:
    assert gdb_cli.parse_address(value) == expected


@pytest.mark.parametrize("value", ["", "abc", "host:", "70000"])
def test_bad_port_option_says_what_to_use(value: str) -> None:
    with pytest.raises(gdb_cli.GdbError, match="PORT or HOST:PORT"):
        gdb_cli.parse_address(value)


def test_attaching_where_nothing_listens_says_how_to_start_a_board() -> None:
    with pytest.raises(gdb_cli.GdbError, match="invoke serve --gdb"):
        gdb_cli.check_listening("127.0.0.1", 1)
