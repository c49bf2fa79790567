"""Boot paths of the esp8266 machine: -kernel ELF, esptool image in flash, system reset."""

from __future__ import annotations

from harness.build.machine_programs import flash_image
from harness.emulator.command import QemuCommand, build_command

BANNER = " ets Jan  8 2013,rst cause:1, boot mode:(3,6)"


def test_hello_kernel_elf(machine) -> None:
    m = machine.start("hello")
    m.expect("DONE")
    out = m.output
    assert BANNER in out
    assert "hello from the emulated esp8266" in out
    # CLKDIV reads back what the guest wrote (80 MHz / 74880).
    assert "clkdiv_written=0x0000042c" in out


def test_hello_esptool_image_in_flash(machine) -> None:
    image = machine.boot_image("hello")
    flash = flash_image(machine.workdir / "flash.bin", boot=image)
    m = machine.start("hello", kernel=False, flash=flash)
    m.expect("DONE")
    out = m.output
    assert BANNER in out
    assert "load 0x40100000" in out
    assert "hello from the emulated esp8266" in out


def test_system_reset_boots_again(machine) -> None:
    image = machine.boot_image("hello")
    flash = flash_image(machine.workdir / "flash.bin", boot=image)
    m = machine.start(kernel=False, flash=flash, qmp=True)
    m.expect("DONE")
    m.clear()
    m.qmp.execute("system_reset")
    m.expect("DONE")
    # the RTC device records an external reset: the ROM's code 2
    assert " ets Jan  8 2013,rst cause:2, boot mode:(3,6)" in m.output


def test_blank_flash_reports_missing_image(machine) -> None:
    m = machine.start()
    m.expect("no boot image in flash")


def test_bad_flash_size_is_rejected(machine, machine_qemu_binary) -> None:
    import subprocess

    bad = machine.workdir / "bad.bin"
    bad.write_bytes(b"\xff" * 1000)
    argv = build_command(QemuCommand(binary=machine_qemu_binary, flash_image=bad,
                                     uart0_serial="null", paused=False, nic=False))
    result = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode != 0
    assert "must be exactly 1, 2 or 4 MiB" in result.stderr
