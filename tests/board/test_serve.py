"""`invoke serve`: a served board used by unmodified tools, as a person would use it.

mpremote (PyPI) on the pty link: exec, fs cp both ways, ls, mount, run, soft-reset, repl with a
4 KiB paste; pyserial's socket:// on the TCP server; picocom on the pty (when installed);
esptool --no-stub against download mode; WebREPL through a user-mode forward; the flash file
survives a restart; `invoke serve` as a process stopped with SIGINT leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.build.artifacts import FirmwareArtifacts
from harness.cli.serve import ServedBoard, ServeOptions, Server

pytestmark = [pytest.mark.qemu_only, pytest.mark.timeout(240)]

MPREMOTE = [sys.executable, "-m", "mpremote"]
REPO = Path(__file__).resolve().parents[2]


def mpremote(served: ServedBoard, *args: str, timeout: float = 120) -> str:
    result = subprocess.run([*MPREMOTE, "connect", str(served.link), *args],
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"mpremote {args}: {result.stdout}{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, target: str,
           firmware: FirmwareArtifacts, qemu_binary: Path) -> Iterator[ServedBoard]:
    if target != "qemu":
        pytest.skip("serves an emulated board")
    root = tmp_path_factory.mktemp("serve")
    server = Server(ServeOptions(firmware=firmware.flash_image, qemu_binary=qemu_binary,
                                 root=root))
    began = time.monotonic()
    with server as boards:
        print(f"serve to first prompt: {time.monotonic() - began:.2f} s")
        yield boards[0]


def test_uart0_log_starts_at_power_on(served: ServedBoard) -> None:
    text = served.service.uart0_log.read_text()
    assert "ets Jan  8 2013,rst cause:" in text  # the ROM model's banner, before the firmware
    assert text.index("rst cause:") < text.index("MicroPython")


def test_mpremote_exec_ls_run_soft_reset(served: ServedBoard, tmp_path: Path) -> None:
    assert mpremote(served, "exec", "print(6 * 7)").strip() == "42"
    script = tmp_path / "script.py"
    script.write_text("import sys\nprint('ran on', sys.platform)\n")
    assert "ran on esp8266" in mpremote(served, "run", str(script))
    out = mpremote(served, "exec", "x = 5", "soft-reset", "exec",
                   "print('x' in globals())")
    assert out.strip().endswith("False")  # the soft reset cleared the globals
    assert "boot.py" in mpremote(served, "ls")


def test_mpremote_fs_cp_both_ways_30k(served: ServedBoard, tmp_path: Path) -> None:
    data = os.urandom(30 * 1024)
    local = tmp_path / "blob.bin"
    local.write_bytes(data)
    began = time.monotonic()
    mpremote(served, "fs", "cp", str(local), ":blob.bin")
    put = time.monotonic() - began
    assert f"{len(data)} blob.bin" in " ".join(mpremote(served, "ls").split())
    back = tmp_path / "back.bin"
    began = time.monotonic()
    mpremote(served, "fs", "cp", ":blob.bin", str(back))
    got = time.monotonic() - began
    print(f"mpremote fs cp 30 KiB: to the board {put:.1f} s, back {got:.1f} s")
    assert hashlib.sha256(back.read_bytes()).digest() == hashlib.sha256(data).digest()
    mpremote(served, "fs", "rm", ":blob.bin")


def test_mpremote_mount(served: ServedBoard, tmp_path: Path) -> None:
    (tmp_path / "hostmod.py").write_text("def answer():\n    return 6 * 7\n")
    out = mpremote(served, "mount", str(tmp_path), "exec",
                   "import hostmod; print('answer', hostmod.answer())")
    assert "answer 42" in out


def test_mpremote_repl_pastes_4k(served: ServedBoard) -> None:
    pexpect = pytest.importorskip("pexpect")
    lines = [f"s{i} = '{hashlib.sha256(str(i).encode()).hexdigest()}'" for i in range(50)]
    lines.append("print('total', sum(len(v) for k, v in globals().items() "
                 "if k.startswith('s') and k[1:].isdigit()))")
    code = "\n".join(lines) + "\n"
    assert len(code) >= 4096 - 1000  # about 4 KiB with the echo
    while len(code) < 4096:  # comment lines up to 4 KiB, each short like the others
        code += "#" * 60 + "\n"
    child = pexpect.spawn(MPREMOTE[0], [*MPREMOTE[1:], "connect", str(served.link), "repl"],
                          timeout=60, encoding="utf-8", codec_errors="replace")
    try:
        child.expect("Connected to MicroPython")
        child.send("\r")
        child.expect(">>> ")
        child.send("\x05")  # paste mode
        child.expect("paste mode")
        # Typed a line at a time, each sent once the board echoed the one before (as a
        # terminal with the user's eyes on it does). A 4 KiB burst is not something a board
        # takes at full line rate in friendly paste mode: the echo (4 more bytes per line)
        # falls behind the input, and when the reader of the echo lags too (a loaded host:
        # pexpect, then mpremote, then QEMU's UART0 wait for it) the RX ring buffer overflows,
        # on hardware as here.
        for line in code.split("\n"):
            if not line:
                continue
            child.send(line + "\r")
            child.expect_exact(line[-24:])
        child.send("\x04")
        # up to the line end: "total 3" of a "total 3200" still arriving must not match
        child.expect(r"total (\d+)\r?\n")
        assert int(child.match.group(1)) == 50 * 64
        child.send("\x1d")  # Ctrl-] leaves mpremote's repl
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)


def test_pyserial_socket_url_reaches_the_same_uart0(served: ServedBoard) -> None:
    import serial

    port = serial.serial_for_url(served.url, timeout=5)
    try:
        port.write(b"\r")
        seen = port.read_until(b">>> ")
        assert seen.endswith(b">>> ")
        port.write(b"print(1234 + 1)\r")
        assert b"1235" in port.read_until(b"1235")
    finally:
        port.close()


def test_picocom_sees_the_prompt(served: ServedBoard) -> None:
    pexpect = pytest.importorskip("pexpect")
    picocom = shutil.which("picocom")
    if picocom is None:
        pytest.skip("picocom is not installed (`invoke setup` installs it)")
    child = pexpect.spawn(picocom, ["-b", "115200", str(served.link)], timeout=20)
    try:
        child.expect(b"Terminal ready")
        child.send(b"\r")
        child.expect(b">>> ")
        child.send(b"print('via', 'picocom')\r")
        child.expect(b"via picocom")
        child.sendcontrol("a")
        child.sendcontrol("x")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)


def test_flash_file_survives_a_restart_and_fresh_starts_over(
        tmp_path: Path, firmware: FirmwareArtifacts, qemu_binary: Path) -> None:
    flash = tmp_path / "kept.img"
    options = ServeOptions(firmware=firmware.flash_image, qemu_binary=qemu_binary,
                           root=tmp_path / "run", flash=flash)
    with Server(options) as boards:
        mpremote(boards[0], "exec", "with open('kept.txt', 'w') as f: f.write('still here')")
    with Server(options) as boards:
        assert "still here" in mpremote(boards[0], "exec", "print(open('kept.txt').read())")
    fresh = ServeOptions(**{**options.__dict__, "fresh": True})
    with Server(fresh) as boards:
        assert "kept.txt" not in mpremote(boards[0], "ls")


def test_esptool_no_stub_against_download_mode(tmp_path: Path, firmware: FirmwareArtifacts,
                                               qemu_binary: Path) -> None:
    flash = tmp_path / "flashed.img"
    flash.write_bytes(b"\xff" * (2 << 20))  # blank: only esptool puts firmware there
    options = ServeOptions(firmware=firmware.flash_image, qemu_binary=qemu_binary,
                           root=tmp_path / "run", flash=flash, download=True)
    esptool = [sys.executable, "-m", "esptool", "--chip", "esp8266", "--before", "no-reset",
               "--after", "no-reset", "--no-stub"]
    with Server(options) as boards:
        url = boards[0].url
        out = subprocess.run([*esptool, "--port", url, "chip-id"], capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 0, out.stdout + out.stderr
        assert "Chip ID" in out.stdout or "Chip is ESP8266" in out.stdout
        began = time.monotonic()
        out = subprocess.run([*esptool, "--port", url, "write-flash", "0x0",
                              str(firmware.bin)], capture_output=True, text=True, timeout=180)
        print(f"esptool --no-stub write-flash of firmware.bin: {time.monotonic() - began:.1f} s")
        assert out.returncode == 0, out.stdout + out.stderr
    image = firmware.bin.read_bytes()
    assert flash.read_bytes()[:len(image)] == image
    with Server(ServeOptions(**{**options.__dict__, "download": False})) as boards:
        assert mpremote(boards[0], "exec", "import sys; print(sys.platform)").strip() == "esp8266"


@pytest.mark.needs_net
@pytest.mark.parametrize("mode", ["user", "tap"])
def test_webrepl_through_a_forward(mode: str, tmp_path: Path, firmware: FirmwareArtifacts,
                                   qemu_binary: Path) -> None:
    """`invoke webrepl` on 127.0.0.1: slirp's hostfwd (user) or our relay into the namespace
    (tap)."""
    from harness.board.webrepl import webrepl_main
    from harness.network import netns

    if mode == "tap" and (problem := netns.tap_mode_problem()):
        pytest.skip(problem)
    options = ServeOptions(firmware=firmware.flash_image, qemu_binary=qemu_binary,
                           root=tmp_path / "run", net=mode, webrepl_password="servepw")
    with Server(options) as boards:
        port = boards[0].forwards[8266]
        out = __import__("io").BytesIO()
        assert webrepl_main("127.0.0.1", port, "servepw", command="print(6 * 7)",
                            stdout=out) == 0
        assert b"42" in out.getvalue()


def test_invoke_serve_stops_on_sigint_and_leaves_nothing(
        tmp_path: Path, firmware: FirmwareArtifacts, qemu_binary: Path) -> None:
    env = {**os.environ, "ESP8266_QEMU_BUILD": str(tmp_path / "build")}
    invoke = Path(sys.executable).with_name("invoke")
    proc = subprocess.Popen(
        [str(invoke), "serve", "--firmware", str(firmware.flash_image),
         "--qemu-binary", str(qemu_binary)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = ""
    try:
        assert proc.stdout is not None
        while "serving;" not in seen:
            line = proc.stdout.readline()
            assert line, f"invoke serve ended early: {seen}"
            seen += line
        link = Path(re.search(r"mpremote connect (\S+) repl", seen).group(1))  # type: ignore
        assert link.is_symlink()
        qemus = _qemu_children(proc.pid)
        assert qemus, "no QEMU under invoke serve"
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, seen + rest
    assert "nothing left running" in rest
    assert not link.exists() and not link.is_symlink()
    for pid in qemus:
        assert not Path(f"/proc/{pid}").exists() or _is_zombie(pid), f"QEMU {pid} survived"


def _qemu_children(root: int) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            stat = (proc / "stat").read_text()
        except OSError:
            continue
        if cmdline and cmdline[0].endswith(b"qemu-system-xtensa"):
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == root:
                found.append(int(proc.name))
    return found


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_wait_gdb_holds_the_cpu_and_the_gdbstub_answers(
        tmp_path: Path, firmware: FirmwareArtifacts, qemu_binary: Path) -> None:
    """`--wait-gdb`: QEMU's gdbstub on 127.0.0.1 answers the remote protocol; the board boots
    once the debugger says continue (a raw RSP exchange: no gdb needed for this test)."""
    import socket

    options = ServeOptions(firmware=firmware.flash_image, qemu_binary=qemu_binary,
                           root=tmp_path / "run", wait_gdb=True)
    with Server(options) as boards:
        served = boards[0]
        assert served.gdb_port
        with socket.create_connection(("127.0.0.1", served.gdb_port), timeout=10) as rsp:
            rsp.sendall(b"$?#3f")
            reply = b""
            while b"#" not in reply.lstrip(b"+"):
                reply += rsp.recv(256)
            assert re.search(rb"\$[ST][0-9a-f]{2}", reply), reply
            assert "MicroPython" not in served.service.uart0_log.read_text()
            rsp.sendall(b"+$c#63")
            deadline = time.monotonic() + 20
            while "MicroPython" not in served.service.uart0_log.read_text():
                assert time.monotonic() < deadline, "no boot after continue"
                time.sleep(0.2)
