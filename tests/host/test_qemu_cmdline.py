"""QEMU's command line and binary lookup (harness.emulator.command), artefact lookup, targets."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.build.artifacts import FirmwareArtifacts
from harness.cli.targets import TargetOptions, make_service, qemu_args_from
from harness.emulator.command import QemuCommand, build_command, require_qemu_binary
from harness.errors import SetupError


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
        require_qemu_binary(tmp_path / "no-qemu")


def test_serial_target_needs_a_port(tmp_path):
    with pytest.raises(SetupError, match="--port"):
        make_service(TargetOptions(target="serial", firmware=tmp_path))


def test_the_bare_metal_machine_line(tmp_path):
    """What the machine tests' Machine runs: UART0 connects to our listener, -kernel, -d/-D."""
    argv = build_command(QemuCommand(
        binary=Path("/q"), machine="esp8266,boot-mode=download", kernel=Path("/p/hello.elf"),
        uart0_connect=Path("/w/m0.uart0"), qmp_socket=Path("/w/m0.qmp"), paused=False,
        nodefaults=False, nic=False, debug_log=Path("/w/m0.log"), extra_args=("-s",)))
    assert option_values(argv, "-M") == ["esp8266,boot-mode=download"]
    assert "-nodefaults" not in argv and "-S" not in argv
    assert option_values(argv, "-kernel") == ["/p/hello.elf"]
    assert option_values(argv, "-chardev")[:2] == ["socket,id=uart0,path=/w/m0.uart0",
                                                   "socket,id=qmp,path=/w/m0.qmp"]
    assert option_values(argv, "-serial") == ["chardev:uart0"]
    assert option_values(argv, "-nic") == ["none"]
    assert option_values(argv, "-D") == ["/w/m0.log"]
    assert argv[-1] == "-s"


def test_uart0_on_any_serial_backend():
    argv = build_command(QemuCommand(binary=Path("/q"), uart0_serial="null"))
    assert option_values(argv, "-serial") == ["null"]
    assert option_values(argv, "-chardev") == []


def test_binary_lookup_option_then_environment_then_build(tmp_path, monkeypatch):
    from harness import paths
    from harness.emulator.command import QEMU_BINARY_ENV, qemu_binary

    monkeypatch.delenv(QEMU_BINARY_ENV, raising=False)
    assert qemu_binary() == paths.built_qemu_binary()
    monkeypatch.setenv(QEMU_BINARY_ENV, str(tmp_path / "env-qemu"))
    assert qemu_binary() == tmp_path / "env-qemu"
    assert qemu_binary(tmp_path / "opt-qemu") == tmp_path / "opt-qemu"
    with pytest.raises(SetupError, match=QEMU_BINARY_ENV):
        require_qemu_binary()
    assert QemuCommand().binary == tmp_path / "env-qemu"


def test_clocks_realtime_icount_and_sleep_with_a_network():
    assert option_values(command(), "-icount") == []
    assert option_values(command(clock="icount"), "-icount") == ["shift=4,sleep=off"]
    networked = command(clock="icount", extra_args=("-nic", "tap,ifname=t0"))
    assert option_values(networked, "-icount") == ["shift=4,sleep=on"]
    with pytest.raises(ValueError, match="realtime, icount"):
        command(clock="fast")


def test_unknown_clock_is_a_setup_error():
    from harness.cli.targets import check_clock

    assert check_clock("icount") == "icount"
    with pytest.raises(SetupError, match="docs/timing.md"):
        check_clock("wall")
