"""``os.stat`` on the flash filesystem: 10-tuples with type and size, RTC timestamps on new
and changed files, and the root directory's fixed 2000-01-01 00:00:00."""

from __future__ import annotations

import pytest

from harness.board import Board

S_IFDIR = 0x4000
S_IFREG = 0x8000


def stat(board: Board, path: str) -> tuple[int, ...]:
    return board.eval(f"__import__('os').stat({path!r})")


def set_rtc(board: Board, year: int, month: int, day: int, hour: int, minute: int,
            second: int) -> None:
    # machine.RTC().datetime: (year, month, day, weekday, hours, minutes, seconds, subseconds)
    board.exec(f"import machine\nmachine.RTC().datetime(({year}, {month}, {day}, 0, "
               f"{hour}, {minute}, {second}, 0))")


def mtime_local(board: Board, path: str) -> tuple[int, ...]:
    return board.eval(f"__import__('time').localtime(__import__('os').stat({path!r})[8])[:6]")


@pytest.fixture
def scratch(board: Board):
    yield
    board.exec("import os\nfor n in ('st.txt', 'st-dir'):\n    try:\n        os.remove(n)\n"
               "    except OSError:\n        try:\n            os.rmdir(n)\n"
               "        except OSError:\n            pass")


def test_stat_of_file_is_10_tuple_with_type_and_size(board: Board, scratch: None) -> None:
    board.exec("with open('st.txt', 'wb') as f:\n    f.write(b'x' * 1234)")
    st = stat(board, "st.txt")
    assert len(st) == 10
    assert st[0] & 0xF000 == S_IFREG
    assert st[6] == 1234
    assert st[7] == st[8] == st[9]  # FAT has one timestamp: atime = mtime = ctime


def test_stat_of_directory_has_directory_type(board: Board, scratch: None) -> None:
    board.exec("import os\nos.mkdir('st-dir')")
    st = stat(board, "st-dir")
    assert len(st) == 10
    assert st[0] & 0xF000 == S_IFDIR
    assert st[6] == 0


def test_root_directory_reports_2000_01_01(board: Board) -> None:
    st = stat(board, "/")
    assert len(st) == 10
    assert st[0] & 0xF000 == S_IFDIR
    assert st[8] == 0  # MicroPython's epoch
    assert board.eval("__import__('time').localtime(__import__('os').stat('/')[8])[:6]") == \
        (2000, 1, 1, 0, 0, 0)


@pytest.mark.realtime
def test_new_file_carries_rtc_time(board: Board, scratch: None) -> None:
    set_rtc(board, 2024, 5, 17, 13, 45, 30)
    board.exec("with open('st.txt', 'w') as f:\n    f.write('new')")
    year, month, day, hour, minute, second = mtime_local(board, "st.txt")
    assert (year, month, day, hour, minute) == (2024, 5, 17, 13, 45)
    assert 30 <= second <= 34  # FAT keeps even seconds; the file was written just now


@pytest.mark.realtime
def test_changed_file_gets_new_rtc_time(board: Board, scratch: None) -> None:
    set_rtc(board, 2021, 2, 3, 4, 5, 6)
    board.exec("with open('st.txt', 'w') as f:\n    f.write('v1')")
    first = mtime_local(board, "st.txt")
    assert first[:5] == (2021, 2, 3, 4, 5)
    set_rtc(board, 2023, 11, 12, 22, 33, 44)
    board.exec("with open('st.txt', 'a') as f:\n    f.write('v2')")
    second = mtime_local(board, "st.txt")
    assert second[:5] == (2023, 11, 12, 22, 33)
    assert 44 <= second[5] <= 48
    assert stat(board, "st.txt")[6] == 4


def test_new_directory_carries_rtc_time(board: Board, scratch: None) -> None:
    set_rtc(board, 2022, 8, 9, 10, 11, 12)
    board.exec("import os\nos.mkdir('st-dir')")
    assert mtime_local(board, "st-dir")[:5] == (2022, 8, 9, 10, 11)


def test_stat_time_matches_time_time(board: Board, scratch: None) -> None:
    set_rtc(board, 2025, 1, 1, 12, 0, 0)
    now, mtime = board.exec(
        "import os, time\n"
        "with open('st.txt', 'w') as f:\n    f.write('t')\n"
        "print(time.time(), os.stat('st.txt')[8])").split()
    assert 0 <= int(now) - int(mtime) <= 2  # FAT's 2 s resolution
