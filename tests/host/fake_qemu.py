"""A stand-in for qemu-system-xtensa, for testing QemuService's process handling (not QEMU).

It reads the command line that ``build_command()`` wrote, listens on the UART0 socket like
QEMU's ``-chardev socket,server=on`` (relaying to a fake board on a pty), and depending on
``FAKE_QEMU_MODE``:

* ``board`` (default): runs the fake MicroPython board behind UART0, connects to the QMP socket
  and answers qmp_capabilities, cont, system_reset, qom-get/qom-set on the GPIO object (a wire
  loop: ``out`` follows ``in`` a moment later), writes a line to the UART1 log, and starts a
  helper child (``sleep``) whose pid it prints, to check that teardown kills the whole group;
* ``hang``: ignores SIGTERM and never connects QMP;
* ``fail``: prints an error like QEMU's and exits 1.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fake_device import FakeMicroPython  # noqa: E402


def option_value(argv: list[str], flag: str, prefix: str) -> str | None:
    for i, arg in enumerate(argv[:-1]):
        if arg == flag and argv[i + 1].startswith(prefix):
            for part in argv[i + 1].split(","):
                if part.startswith("path=") or part.startswith("file="):
                    return part.split("=", 1)[1]
    return None


def serve_uart(path: str, device: FakeMicroPython, server_mode: bool = True) -> None:
    """QEMU's socket chardev: with server=on listen now and relay the fake board's pty to the
    one client that connects; else connect to ``path`` (the harness listens) at once."""
    if server_mode:
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(path)
        server.listen(1)
    else:
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.connect(path)

    def relay() -> None:
        conn = server.accept()[0] if server_mode else client
        tty = os.open(device.port, os.O_RDWR | os.O_NOCTTY)

        def board_to_host() -> None:
            while data := os.read(tty, 4096):
                conn.sendall(data)

        threading.Thread(target=board_to_host, daemon=True).start()
        while data := conn.recv(4096):
            os.write(tty, data)

    threading.Thread(target=relay, daemon=True).start()


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


class FakeMonitor:
    def __init__(self, sock_path: str, device: FakeMicroPython) -> None:
        self.device = device
        self.gpio = {"in": 0, "out": 0, "enable": 0}
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(sock_path)

    def send(self, message: dict) -> None:
        self.sock.sendall(json.dumps(message).encode() + b"\r\n")

    def serve(self) -> None:
        self.send({"QMP": {"version": {"qemu": {"major": 10, "minor": 0, "micro": 13},
                                       "package": "fake"}, "capabilities": []}})
        # QMP is a stream of JSON objects, not necessarily one per line.
        decoder = json.JSONDecoder()
        buffer = ""
        while chunk := self.sock.recv(4096):
            buffer += chunk.decode()
            while buffer.strip():
                try:
                    request, end = decoder.raw_decode(buffer.lstrip())
                except json.JSONDecodeError:
                    break
                buffer = buffer.lstrip()[end:]
                answer = self.handle(request["execute"], request.get("arguments", {}))
                if "id" in request:
                    answer["id"] = request["id"]
                self.send(answer)

    def handle(self, command: str, args: dict) -> dict:
        if command in ("qmp_capabilities",):
            return {"return": {}}
        if command == "cont":
            self.device.start(boot=True)
            return {"return": {}}
        if command == "system_reset":
            self.device.reset()
            return {"return": {}}
        if command in ("qom-get", "qom-set") and args.get("path") != "/machine/soc/gpio":
            return {"error": {"class": "DeviceNotFound",
                              "desc": f"Device '{args.get('path')}' not found"}}
        if command == "qom-get":
            return {"return": self.gpio[args["property"]]}
        if command == "qom-set" and args["property"] == "in":
            self.gpio["in"] = int(args["value"])
            threading.Timer(0.05, self._wire_loop).start()
            return {"return": {}}
        return {"error": {"class": "CommandNotFound",
                          "desc": f"The command {command} has not been found"}}

    def _wire_loop(self) -> None:
        self.gpio["enable"] = 0x1FFFF
        self.gpio["out"] = self.gpio["in"]


def main() -> int:
    argv = sys.argv[1:]
    mode = os.environ.get("FAKE_QEMU_MODE", "board")
    if mode == "fail":
        sys.stderr.write("qemu-system-xtensa: -M esp8266: unsupported machine type\n")
        return 1
    fs_root = Path(os.getcwd()) / "fakefs"
    fs_root.mkdir(exist_ok=True)
    crash = b""
    if os.environ.get("FAKE_QEMU_CRASH"):
        crash = (b"\r\nFatal exception 28(LoadProhibitedCause):\r\n"
                 b"epc1=0x4020a1b2, epc2=0x00000000, epc3=0x00000000, excvaddr=0x00000004, "
                 b"depc=0x00000000\r\nregs: a0=0x40201234 a1=0x3ffffe10\r\n")
    device = FakeMicroPython(fs_root, crash_text=crash)
    uart0 = option_value(argv, "-chardev", "socket,id=uart0")
    assert uart0, "no UART0 socket chardev on the command line"
    chardev = next(a for a in argv if a.startswith("socket,id=uart0"))
    serve_uart(uart0, device, server_mode="server=on" in chardev)
    if mode == "hang":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        while True:
            time.sleep(60)
    helper = subprocess.Popen(["sleep", "600"])
    say(f"fake-qemu: helper pid {helper.pid}")
    uart1 = option_value(argv, "-chardev", "file,id=uart1")
    if uart1:
        Path(uart1).write_text("uart1: fake boot messages\n")
    qmp_path = option_value(argv, "-chardev", "socket,id=qmp")
    assert qmp_path, "no QMP chardev on the command line"
    FakeMonitor(qmp_path, device).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
