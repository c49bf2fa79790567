"""QEMU's command line (a pure function), the pty line parser and artefact lookup."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.app import FirmwareArtifacts, qemu_binary
from harness.errors import SetupError
from harness.qemu_service import QemuCommand, build_command
from harness.targets import TargetOptions, make_service, qemu_args_from


def command(**overrides) -> list[str]:
    values = dict(flash_image=Path("/run/x/flash.img"), qmp_socket=Path("/run/x/qmp.sock"),
                  uart1_log=Path("/logs/uart1.log"), binary=Path("/opt/qemu-system-xtensa"))
    values.update(overrides)
    return build_command(QemuCommand(**values))


def option_values(argv: list[str], flag: str) -> list[str]:
    return [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == flag]


def test_machine_binary_and_no_default_devices():
    argv = command()
    assert argv[0] == "/opt/qemu-system-xtensa"
    assert option_values(argv, "-M") == ["esp8266"]
    assert "-nodefaults" in argv
    assert option_values(argv, "-display") == ["none"]
    assert option_values(argv, "-monitor") == ["none"]


def test_flash_is_an_mtd_drive_on_the_private_copy():
    assert option_values(command(), "-drive") == [
        "if=mtd,format=raw,file=/run/x/flash.img"]


def test_uart0_is_the_first_serial_on_a_socket_and_uart1_a_log_file():
    argv = command()
    assert option_values(argv, "-serial") == ["chardev:uart0", "chardev:uart1"]
    chardevs = option_values(argv, "-chardev")
    assert chardevs[0] == "socket,id=uart0,path=/run/x/uart0.sock,server=on,wait=off"
    assert "file,id=uart1,path=/logs/uart1.log" in chardevs


def test_uart0_socket_exists_before_qemu_connects_to_qmp():
    # QEMU creates chardevs in command-line order: UART0's listener must come first.
    chardevs = option_values(command(), "-chardev")
    assert chardevs.index("socket,id=uart0,path=/run/x/uart0.sock,server=on,wait=off") < \
        chardevs.index("socket,id=qmp,path=/run/x/qmp.sock")


def test_qmp_connects_to_our_socket_and_the_cpu_starts_paused():
    argv = command()
    assert "socket,id=qmp,path=/run/x/qmp.sock" in option_values(argv, "-chardev")
    assert option_values(argv, "-mon") == ["chardev=qmp,mode=control"]
    assert "-S" in argv
    assert "-S" not in command(paused=False)


def test_extra_args_come_last_for_the_network_hook():
    argv = command(extra_args=("-nic", "user,model=open_eth"))
    assert argv[-2:] == ["-nic", "user,model=open_eth"]
    assert qemu_args_from(["-nic user,model=open_eth", "-d unimp"]) == (
        "-nic", "user,model=open_eth", "-d", "unimp")


def test_rom_image_is_given_as_bios_only_when_there_is_one():
    assert "-bios" not in command()
    argv = command(rom=Path("/build/rom/esp8266-rom.bin"))
    assert option_values(argv, "-bios") == ["/build/rom/esp8266-rom.bin"]


def test_commas_in_paths_are_escaped_for_qemu():
    argv = command(flash_image=Path("/tmp/a,b/flash.img"))
    assert option_values(argv, "-drive") == ["if=mtd,format=raw,file=/tmp/a,,b/flash.img"]


def test_artifacts_from_a_directory_or_a_file(tmp_path):
    for name in ("firmware.elf", "firmware.bin", "flash.img", "firmware.map"):
        (tmp_path / name).write_bytes(b"x")
    found = FirmwareArtifacts.locate(tmp_path)
    assert found.elf == tmp_path / "firmware.elf"
    assert found.flash_image == tmp_path / "flash.img"
    assert found.map_file == tmp_path / "firmware.map"
    assert FirmwareArtifacts.locate(tmp_path / "firmware.elf").flash_image == found.flash_image
    assert found.require_flash_image() == found.flash_image


def test_missing_artifacts_say_to_build(tmp_path):
    empty = FirmwareArtifacts.locate(tmp_path)
    with pytest.raises(SetupError, match="invoke build"):
        empty.require_flash_image()
    with pytest.raises(SetupError, match="invoke build"):
        empty.require_elf()
    assert empty.elf_if_present() is None
    with pytest.raises(SetupError, match="--qemu-binary"):
        qemu_binary(tmp_path / "no-qemu")


def test_serial_target_needs_a_port(tmp_path):
    with pytest.raises(SetupError, match="--port"):
        make_service(TargetOptions(target="serial", firmware=tmp_path))
