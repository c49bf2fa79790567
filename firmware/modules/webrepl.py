# WebREPL server of the ESP8266_QEMU board (our own; see docs/firmware.md, "WebREPL").
#
#   import webrepl
#   webrepl.start(password="secret")   # or webrepl_cfg.py on the filesystem: PASS = "secret"
#   webrepl.stop()
#
# One session at a time. A client connects to TCP port 8266 (default) and upgrades to a
# websocket (RFC 6455 handshake, done here). The session is then MicroPython's C `_webrepl`
# stream on top of the C `websocket` stream, attached to os.dupterm slot 0 (UART0 is slot 1):
# `_webrepl` asks for the password, then carries the REPL in text frames and the file
# put/get records in binary frames. Output is written in full (the websocket is made with
# blocking writes) and input is read only as it arrives (the socket is non-blocking and its
# receive callback, option 20, calls os.dupterm_notify). EOF, a websocket close, a wrong
# password or a stream error end the session: dupterm detaches and closes the stream (and
# with it the socket), and the UART REPL carries on.

import os
import socket
import binascii
import websocket
import _webrepl

_SO_CALLBACK = 20  # lwIP socket option: callback on accept (listener) or on data (client)
_WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_HANDSHAKE_TIMEOUT_S = 5

_listener = None
_session = None


def _rol(x, n):
    return ((x << n) | (x >> (32 - n))) & 0xFFFFFFFF


def _sha1(msg):
    # SHA-1 (FIPS 180-4) for the handshake's Sec-WebSocket-Accept: the board has no hashlib.sha1
    # (it needs axTLS/mbedTLS, which this build does not have).
    n = len(msg)
    msg = bytes(msg) + b"\x80" + bytes((55 - n) % 64) + (n * 8).to_bytes(8, "big")
    h0, h1, h2, h3, h4 = 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0
    for block in range(0, len(msg), 64):
        w = [int.from_bytes(msg[block + i:block + i + 4], "big") for i in range(0, 64, 4)]
        for i in range(16, 80):
            w.append(_rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1))
        a, b, c, d, e = h0, h1, h2, h3, h4
        for i in range(80):
            if i < 20:
                f = (b & c) | ((b ^ 0xFFFFFFFF) & d)
                k = 0x5A827999
            elif i < 40:
                f = b ^ c ^ d
                k = 0x6ED9EBA1
            elif i < 60:
                f = (b & c) | (b & d) | (c & d)
                k = 0x8F1BBCDC
            else:
                f = b ^ c ^ d
                k = 0xCA62C1D6
            a, b, c, d, e = (_rol(a, 5) + f + e + k + w[i]) & 0xFFFFFFFF, a, _rol(b, 30), c, d
        h0 = (h0 + a) & 0xFFFFFFFF
        h1 = (h1 + b) & 0xFFFFFFFF
        h2 = (h2 + c) & 0xFFFFFFFF
        h3 = (h3 + d) & 0xFFFFFFFF
        h4 = (h4 + e) & 0xFFFFFFFF
    return b"".join(x.to_bytes(4, "big") for x in (h0, h1, h2, h3, h4))


def _upgrade(cl):
    # Read the HTTP request; answer 101 with the accept key. False: not a websocket request.
    key = None
    while True:
        line = cl.readline()
        if not line:
            return False
        if line in (b"\r\n", b"\n"):
            break
        colon = line.find(b":")
        if colon > 0 and line[:colon].strip().lower() == b"sec-websocket-key":
            key = line[colon + 1:].strip()
    if not key:
        cl.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        return False
    accept = binascii.b2a_base64(_sha1(key + _WS_GUID))[:-1]
    cl.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
             b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")
    return True


def _busy():
    current = os.dupterm(None, 0)
    os.dupterm(current, 0)
    return current is not None


def _accept(listener):
    global _session
    try:
        cl, addr = listener.accept()
    except OSError:
        return
    try:
        if _busy():
            print("\nWebREPL: connection from %s refused (a session is active)" % addr[0])
            cl.write(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")
            cl.close()
            return
        cl.settimeout(_HANDSHAKE_TIMEOUT_S)
        if not _upgrade(cl):
            cl.close()
            return
        # Said on the console before the client gets its prompt, so that a client that saw
        # the prompt knows the console is quiet again.
        print("\nWebREPL: connection from %s:%d" % addr)
        ws = websocket.websocket(cl, True)  # True: writes block until sent in full
        session = _webrepl._webrepl(ws)  # sends the password prompt
        cl.setblocking(False)  # input: only what has arrived
        cl.setsockopt(socket.SOL_SOCKET, _SO_CALLBACK, os.dupterm_notify)
        _session = session
        os.dupterm(session, 0)
        os.dupterm_notify(None)  # bytes that came before the callback was set
    except Exception as e:
        print("\nWebREPL: connection failed:", repr(e))
        cl.close()


def start(port=8266, password=None):
    """Listen for WebREPL clients on `port`. `password` (4-9 characters) defaults to
    PASS in webrepl_cfg.py."""
    global _listener
    if password is None:
        try:
            import webrepl_cfg

            password = webrepl_cfg.PASS
        except (ImportError, AttributeError):
            raise ValueError("no password: start(password=...) or PASS in webrepl_cfg.py")
    if not 4 <= len(password) <= 9:
        raise ValueError("WebREPL password: 4 to 9 characters")
    stop()
    _webrepl.password(password)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", port))
    listener.listen(1)
    listener.setsockopt(socket.SOL_SOCKET, _SO_CALLBACK, _accept)
    _listener = listener
    print("WebREPL server started on port %d" % port)


def stop():
    """Stop listening and end the current session (if any)."""
    global _listener, _session
    if _listener is not None:
        _listener.setsockopt(socket.SOL_SOCKET, _SO_CALLBACK, None)
        _listener.close()
        _listener = None
    if _session is not None:
        current = os.dupterm(None, 0)
        if current is not _session:
            os.dupterm(current, 0)
        try:
            _session.close()
        except OSError:
            pass
        _session = None
