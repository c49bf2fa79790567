"""Rough edges a new user met, each with a clear message: `invoke run --help`, pytest's exit
statuses, a cross compiler that fails to run, `invoke webrepl` with no board / no terminal,
`--firmware X.bin`, the ROM model's boot failure, and `invoke serve`'s QEMU command line."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.board.webrepl import webrepl_main
from harness.build import setup
from harness.build.artifacts import FirmwareArtifacts
from harness.cli.test_runner import describe_exit
from harness.emulator.command import QemuCommand, build_command
from harness.emulator.service import BootFailureDetector
from harness.errors import BoardError, SetupError

REPO = Path(__file__).resolve().parents[2]
INVOKE = Path(sys.executable).with_name("invoke")


def test_invoke_run_help_is_help() -> None:
    out = subprocess.run([str(INVOKE), "run", "--help"], cwd=REPO, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    text = out.stdout + out.stderr
    assert "usage: invoke run FILE.py" in text and "--timeout" in text
    assert "no script" not in text


def test_pytest_exit_statuses_in_words() -> None:
    assert "no tests selected" in describe_exit(5)
    assert "some tests failed" in describe_exit(1)
    assert "SIGKILL" in describe_exit(-9)
    assert "SIGTERM" in describe_exit(-15)


def test_a_cross_compiler_that_fails_shows_its_own_stderr(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / setup.CROSS_GCC
    fake.write_text("#!/bin/sh\necho 'error while loading shared libraries: libisl.so.23' >&2\n"
                    "exit 127\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(SetupError) as caught:
        setup.check_cross_toolchain()
    message = str(caught.value)
    assert "libisl.so.23" in message and "not found" not in message


def test_webrepl_with_no_board_listening_says_how_to_start_one(
        capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as sock:  # a port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert webrepl_main("127.0.0.1", port, "pw", command="1", stdout=io.BytesIO()) == 1
    assert "invoke serve --net user" in capsys.readouterr().err


def test_webrepl_without_password_and_no_terminal_asks_for_the_option(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert webrepl_main("127.0.0.1", 1, None, command="1", stdout=io.BytesIO()) == 2
    assert "--password" in capsys.readouterr().err


def test_firmware_bin_that_is_no_boot_image_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x55" * 4096)
    with pytest.raises(SetupError, match=r"not an ESP8266 boot image \(byte 0 is 0x55"):
        FirmwareArtifacts.locate(junk).require_flash_image()


def test_firmware_bin_boots_that_image(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESP8266_QEMU_BUILD", str(tmp_path / "build"))
    image = tmp_path / "mine.bin"
    data = b"\xe9\x01\x02\x00" + bytes(range(256)) * 4
    image.write_bytes(data)
    flash = FirmwareArtifacts.locate(image).require_flash_image()
    content = flash.read_bytes()
    assert content[:len(data)] == data and set(content[len(data):]) == {0xFF}
    assert len(content) == 2 << 20


def test_boot_failure_line_fails_at_once_with_the_emulators_words(tmp_path: Path) -> None:
    detector = BootFailureDetector("board", tmp_path / "flash.img")
    detector(b"\r\n ets Jan  8 2013,rst cause:1, boot mode:(3,6)\r\n\r\n")
    with pytest.raises(BoardError, match=r"no boot image in flash \(byte 0 is 0x55, expected "
                                         r"0xe9\)"):
        detector(b"no boot image in flash (byte 0 is 0x55, expected 0xe9)\r\n")


def test_serve_command_line_joins_uart0_backends_in_a_hub(tmp_path: Path) -> None:
    argv = build_command(QemuCommand(
        binary=Path("qemu"), qmp_socket=tmp_path / "qmp.sock", uart0_connect=tmp_path / "u.sock",
        uart0_pty=True, uart0_tcp_server=4321, uart_baud=2000000, gdb_port=1234))
    chardevs = [argv[i + 1] for i, a in enumerate(argv) if a == "-chardev"]
    assert "esp8266-uart.rx-baud=2000000" in argv and "esp8266-uart.tx-baud=2000000" in argv
    assert chardevs[0].startswith("socket,id=uart0-harness,path=")
    assert "pty,id=uart0-pty" in chardevs
    assert any(c.startswith("socket,id=uart0-tcp,host=127.0.0.1,port=4321,server=on")
               for c in chardevs)
    assert "hub,id=uart0,chardevs.0=uart0-harness,chardevs.1=uart0-pty,chardevs.2=uart0-tcp" \
        in chardevs
    assert argv[argv.index("-serial") + 1] == "chardev:uart0"
    assert argv[argv.index("-gdb") + 1] == "tcp:127.0.0.1:1234"
    assert "esp8266-uart.rx-baud=2000000" in argv
