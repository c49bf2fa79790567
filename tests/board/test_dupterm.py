"""``os.dupterm`` with a Python stream object next to the UART REPL: output is duplicated to
the stream, the stream's input is executed by the REPL, dupterm closes the stream on EOF or on
an error, and the UART REPL carries on. Attach/detach leaks no memory."""

from __future__ import annotations

from harness.board import Board

STREAM = """
import io, os, gc
class Term(io.IOBase):
    # A terminal stream: input from `data`, output collected in `out`.
    def __init__(self, data=b'', eof=False):
        self.data = bytearray(data)
        self.out = bytearray()
        self.eof = eof            # readinto returns 0 (EOF) once the data is used up
        self.read_error = None    # exception raised by readinto
        self.write_error = None   # exception raised by write
        self.closed = False
    def readinto(self, buf):
        if self.read_error:
            raise self.read_error
        if not self.data:
            return 0 if self.eof else None  # None: no data yet
        n = min(len(buf), len(self.data))
        buf[:n] = self.data[:n]
        self.data = self.data[n:]
        return n
    def write(self, buf):
        if self.write_error:
            raise self.write_error
        self.out += buf
        return len(buf)
    def ioctl(self, req, arg):
        if req == 4:  # MP_STREAM_CLOSE
            self.closed = True
        return 0
"""


def setup(board: Board) -> None:
    board.exec(STREAM)


def test_output_is_duplicated_to_the_stream(board: Board) -> None:
    setup(board)
    out = board.exec("t = Term()\nos.dupterm(t)\nprint('dup' + 'licated', 6 * 7)\n"
                     "os.dupterm(None)\nprint('after detach')")
    assert "duplicated 42" in out  # still on the UART
    assert board.eval("bytes(t.out)") == b"duplicated 42\r\n"


def test_dupterm_returns_the_previous_stream(board: Board) -> None:
    setup(board)
    board.exec("a = Term()\nb = Term()")
    assert board.eval("os.dupterm(a) is None") is True
    assert board.eval("os.dupterm(b) is a") is True
    assert board.eval("os.dupterm(None) is b") is True
    assert board.eval("os.dupterm(None) is None") is True


def test_input_from_the_stream_is_executed(board: Board, friendly) -> None:
    setup(board)
    board.exec("t = Term(b\"print('from ' + 'stream', 6 * 7)\\r\")")
    friendly.enter()
    friendly.write(b"os.dupterm(t); os.dupterm_notify(None)\r")
    # the REPL reads the stream's bytes like typed ones and runs the line
    out = friendly.read_until(b"from stream 42\r\n>>> ")
    assert "print('from ' + 'stream', 6 * 7)" in out  # echoed on the UART too
    friendly.line("os.dupterm(None) and None")
    friendly.leave()
    dup = board.eval("bytes(t.out)").decode()
    assert "from stream 42" in dup  # the output of the stream's command went to it too
    assert board.eval("t.closed") is False


def test_uart_input_still_works_while_stream_attached(board: Board, friendly) -> None:
    setup(board)
    board.exec("t = Term()")
    friendly.enter()
    friendly.line("os.dupterm(t)")
    assert "77" in friendly.line("7 * 11")
    friendly.line("os.dupterm(None) and None")
    friendly.leave()
    assert "77" in board.eval("bytes(t.out)").decode()


def test_eof_closes_and_detaches_the_stream(board: Board) -> None:
    setup(board)
    out = board.exec("t = Term(b'', eof=True)\nos.dupterm(t)\nos.dupterm_notify(None)\n"
                     "print('closed', t.closed, os.dupterm(None))")
    assert "dupterm: EOF received, deactivating" in out
    assert "closed True None" in out


def test_stream_raising_on_read_ends_its_session(board: Board) -> None:
    setup(board)
    out = board.exec("t = Term()\nt.read_error = OSError(5)\nos.dupterm(t)\n"
                     "os.dupterm_notify(None)\nprint('closed', t.closed, os.dupterm(None))")
    assert "dupterm: Exception in read() method, deactivating" in out
    assert "closed True None" in out
    assert board.eval("1 + 2") == 3  # the UART REPL carries on


def test_stream_raising_on_write_ends_its_session(board: Board) -> None:
    setup(board)
    out = board.exec("t = Term()\nt.write_error = ValueError('broken pipe')\n"
                     "os.dupterm(t)\nprint('hello')\nprint('closed', t.closed, os.dupterm(None))")
    assert "dupterm: Exception in write() method, deactivating" in out
    assert "ValueError: broken pipe" in out
    assert "hello" in out and "closed True None" in out
    assert board.eval("'REPL' + ' ok'") == "REPL ok"


def test_repeated_attach_detach_leaks_no_memory(board: Board) -> None:
    setup(board)
    out = board.exec(
        "def cycle(n):\n"
        "    for i in range(n):\n"
        "        t = Term(b'', eof=True)\n"
        "        os.dupterm(t)\n"
        "        print(end='')\n"
        "        os.dupterm_notify(None)\n"
        "        os.dupterm(None)\n"
        "cycle(20)\n"
        "gc.collect()\n"
        "before = gc.mem_free()\n"
        "cycle(200)\n"
        "gc.collect()\n"
        "print('free', before, gc.mem_free())")
    before, after = map(int, out.split("free")[-1].split())
    assert before - after <= 256  # allocation noise only, not 200 streams' worth
