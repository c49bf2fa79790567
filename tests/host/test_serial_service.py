"""SerialService on a pty: the fake board stands in for a USB-serial MicroPython board."""

from __future__ import annotations

from fake_device import FakeMicroPython

from harness.board.serial_service import SerialService


def test_serial_board_runs_code_and_keeps_a_log(tmp_path):
    fs = tmp_path / "fs"
    fs.mkdir()
    device = FakeMicroPython(fs).start()
    service = SerialService(device.port, log_dir=tmp_path / "logs", name="usb", timeout=5)
    try:
        board = service.start()
        assert board.eval("sum(range(10))") == 45
        service.hard_reset_line()  # a pty has no modem lines: ignored, not an error
        assert service.uart0_log is not None
        assert "raw REPL" in service.uart0_log.read_text()
    finally:
        service.stop()
        device.stop()
    assert service.board is None and service.stream is None
