"""TLS on the board (``ssl``/``tls`` on the pinned Mbed TLS), against host peers in the test
network, with a throwaway CA made for each test module (``cryptography``, never written to the
repository).

- the board as a client of a host TLS server (Python's ``ssl`` on OpenSSL): with verification
  (``CERT_REQUIRED`` + ``cadata``, the host name checked) for an ECDSA P-256 and an RSA-2048
  server certificate, and without verification; a certificate of another CA and a wrong host
  name are refused with the verification error named;
- the board as a server, reached by a host client that verifies the board's certificate;
- 20 handshakes in a row leave the GC heap where it was (every mbedTLS context is freed);
- what a handshake costs: heap free while a connection is open, handshake time (recorded
  with ``record_property`` and in docs/firmware.md, not asserted beyond sanity).

The board's clock is set to the host's time first: certificates are checked against it, as a
real board does after ntptime.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import os
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from net_helpers import HostThread, bring_up, memory

from harness.board import Board
from harness.errors import BoardException
from harness.network.service import NetworkService

x509 = pytest.importorskip("cryptography.x509")
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, rsa  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

HOST_NAME = "host.test"  # the name the board asks for (SNI) and checks in the certificate
BOARD_NAME = "board.test"
BOARD_PORT = 8001  # forwarded in user mode too (harness/network/service.py)
HANDSHAKES = 20
GC_TOLERANCE = 256
Record = Callable[[str, object], None]


# ---- a throwaway PKI ----------------------------------------------------------------------

@dataclass
class Identity:
    key: object
    cert: x509.Certificate

    def cert_der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    def key_der(self) -> bytes:
        return self.key.private_bytes(serialization.Encoding.DER,  # type: ignore[attr-defined]
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())

    def write_pem(self, directory: Path, name: str) -> tuple[Path, Path]:
        cert = directory / f"{name}.crt"
        key = directory / f"{name}.key"
        cert.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        key.write_bytes(self.key.private_bytes(  # type: ignore[attr-defined]
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        return cert, key


def _new_key(kind: str) -> object:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def _cert(subject: str, key: object, issuer: Identity | None, names: list[str],
          ips: list[str]) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (x509.CertificateBuilder()
               .subject_name(name)
               .issuer_name(issuer.cert.subject if issuer else name)
               .public_key(key.public_key())  # type: ignore[attr-defined]
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(hours=1))
               .not_valid_after(now + datetime.timedelta(days=2)))
    if issuer is None:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0),
                                        critical=True)
    else:
        builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None),
                                        critical=True)
        alt = [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address(i))
                                                  for i in ips]
        builder = builder.add_extension(x509.SubjectAlternativeName(alt), critical=False)
    signer = issuer.key if issuer else key
    return builder.sign(signer, hashes.SHA256())  # type: ignore[arg-type]


def make_ca(label: str, kind: str = "ec") -> Identity:
    key = _new_key(kind)
    return Identity(key, _cert(f"throwaway test CA {label}", key, None, [], []))


def make_leaf(ca: Identity, name: str, kind: str = "ec", ips: tuple[str, ...] = ()) -> Identity:
    key = _new_key(kind)
    return Identity(key, _cert(name, key, ca, [name], list(ips)))


@dataclass
class Pki:
    ca: Identity
    other_ca: Identity
    host_ec: Identity
    host_rsa: Identity
    board: Identity
    directory: Path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    ca = make_ca("A")
    return Pki(ca=ca, other_ca=make_ca("B"),
               host_ec=make_leaf(ca, HOST_NAME, "ec", ("10.0.2.2",)),
               host_rsa=make_leaf(ca, HOST_NAME, "rsa", ("10.0.2.2",)),
               board=make_leaf(ca, BOARD_NAME, "ec", ("10.0.2.15",)),
               directory=tmp_path_factory.mktemp("pki"))


# ---- host side ----------------------------------------------------------------------------

class HostTlsServer:
    """A TLS server in the test network: for each connection, the handshake, one line read,
    ``b"hello <line>\\n"`` (and ``extra``) written in one call, then the host closes (first:
    the board keeps no TIME_WAIT PCBs). Handshake failures are collected, not raised (a
    refused client is a test case)."""

    def __init__(self, net: NetworkService, identity: Identity, directory: Path,
                 connections: int, extra: bytes = b"") -> None:
        cert, key = identity.write_pem(directory, f"server-{id(self)}")
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.listener = net.tcp_server()
        self.listener.settimeout(60)
        self.port = self.listener.getsockname()[1]
        self.errors: list[str] = []
        self.served = 0
        self.versions: set[str] = set()
        self._connections = connections
        self._extra = extra
        self._thread = HostThread(self._serve)

    def _serve(self) -> None:
        for _ in range(self._connections):
            conn, _ = self.listener.accept()
            conn.settimeout(60)
            try:
                with self.context.wrap_socket(conn, server_side=True) as tls:
                    self.versions.add(str(tls.version()))
                    line = b""
                    while not line.endswith(b"\n"):
                        chunk = tls.recv(100)
                        if not chunk:
                            break
                        line += chunk
                    tls.sendall(b"hello " + line + self._extra)
                    self.served += 1
            except (ssl.SSLError, OSError) as exc:
                self.errors.append(f"{type(exc).__name__}: {exc}")
                conn.close()

    def close(self, timeout: float = 120) -> None:
        try:
            self._thread.result(timeout)
        finally:
            self.listener.close()


@pytest.fixture
def host_server(net: NetworkService, pki: Pki) -> Iterator[Callable[..., HostTlsServer]]:
    servers: list[HostTlsServer] = []

    def start(identity: Identity, connections: int = 1, extra: bytes = b"") -> HostTlsServer:
        server = HostTlsServer(net, identity, pki.directory, connections, extra)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.listener.close()


# ---- board side ---------------------------------------------------------------------------

def _set_clock(board: Board) -> None:
    now = datetime.datetime.now(datetime.UTC)
    board.exec("import machine\n"
               f"machine.RTC().datetime(({now.year}, {now.month}, {now.day}, "
               f"{now.weekday()}, {now.hour}, {now.minute}, {now.second}, 0))")


@pytest.fixture
def tls_board(net_board: Board) -> Board:
    bring_up(net_board)
    _set_clock(net_board)
    net_board.exec(CLIENT)
    return net_board


# tls_get(port, cadata, hostname): one connection, one request; prints nothing, returns
# (reply, handshake ms, gc.mem_free() with the connection open, (cipher suite, version)).
CLIENT = """
import gc, socket, ssl, time
def tls_get(host, port, cadata=None, hostname=None, line=b'board\\n'):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if cadata is None:
        ctx.verify_mode = ssl.CERT_NONE
    else:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cadata=cadata)
    s = socket.socket()
    try:
        s.connect((host, port))
        t0 = time.ticks_ms()
        tls = ctx.wrap_socket(s, server_hostname=hostname)
        ms = time.ticks_diff(time.ticks_ms(), t0)
        gc.collect()
        open_free = gc.mem_free()
        cipher = tls.cipher()
        tls.write(line)
        reply = b''
        while True:
            chunk = tls.read(64)
            if not chunk:
                break
            reply += chunk
        tls.close()
    finally:
        s.close()
    return reply, ms, open_free, cipher
"""


def _bytes_literal(data: bytes) -> str:
    return f"bytes.fromhex('{data.hex()}')"


def _tls_get(board: Board, net: NetworkService, port: int, cadata: bytes | None,
             hostname: str = HOST_NAME) -> tuple[bytes, int, int, tuple[str, str]]:
    ca = _bytes_literal(cadata) if cadata is not None else "None"
    reply, ms, free, cipher = board.eval(
        f"tls_get('{net.host_ip}', {port}, {ca}, '{hostname}')", timeout=60)
    return reply, ms, free, cipher


# ---- the board as a client ----------------------------------------------------------------

@pytest.mark.needs_net
@pytest.mark.timeout(120)
@pytest.mark.parametrize("kind", ["ec", "rsa"])
def test_client_verifies_the_host_server(tls_board: Board, net: NetworkService, pki: Pki,
                                         host_server: Callable[..., HostTlsServer],
                                         kind: str, record_property: Record) -> None:
    before, _ = memory(tls_board)
    server = host_server(pki.host_ec if kind == "ec" else pki.host_rsa)
    reply, ms, open_free, cipher = _tls_get(tls_board, net, server.port, pki.ca.cert_der())
    server.close()
    assert server.errors == []
    assert reply == b"hello board\n"
    assert server.versions == {"TLSv1.2"}
    assert cipher[1] == "TLSv1.2"
    assert ("ECDHE-ECDSA" if kind == "ec" else "ECDHE-RSA") in cipher[0]
    after, heap = memory(tls_board)
    record_property(f"{kind}_handshake_ms", ms)
    record_property(f"{kind}_gc_free_before", before)
    record_property(f"{kind}_gc_free_connection_open", open_free)
    record_property(f"{kind}_gc_free_after", after)
    record_property(f"{kind}_esp_freemem_after", heap)
    record_property(f"{kind}_cipher", cipher[0])
    assert 0 < ms < 30000
    assert open_free < before  # the connection holds its record buffers


@pytest.mark.needs_net
@pytest.mark.timeout(120)
def test_client_without_verification(tls_board: Board, net: NetworkService, pki: Pki,
                                     host_server: Callable[..., HostTlsServer]) -> None:
    # A server of a CA the board does not know, under a name it did not ask for: with
    # CERT_NONE the board connects anyway (and says nothing).
    stranger = make_leaf(pki.other_ca, "somewhere.else")
    server = host_server(stranger)
    reply, *_ = _tls_get(tls_board, net, server.port, None)
    server.close()
    assert server.errors == []
    assert reply == b"hello board\n"


@pytest.mark.needs_net
@pytest.mark.timeout(120)
def test_client_receives_more_than_its_record_buffer(tls_board: Board, net: NetworkService,
                                                    pki: Pki,
                                                    host_server: Callable[..., HostTlsServer]
                                                    ) -> None:
    # The host writes 12 KiB in one call; the board's input buffer holds a 4 KiB record. This
    # works because the board asked for 4 KiB records (max_fragment_length) and OpenSSL cut
    # the data accordingly; without it the first 12 KiB record would fail the connection.
    extra = os.urandom(12 * 1024)
    server = host_server(pki.host_ec, extra=extra)
    out = tls_board.exec(
        "import hashlib, binascii\n"
        "def tls_count(host, port):\n"
        "    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\n"
        "    ctx.verify_mode = ssl.CERT_NONE\n"
        "    s = socket.socket()\n"
        "    s.connect((host, port))\n"
        "    tls = ctx.wrap_socket(s)\n"
        "    tls.write(b'big\\n')\n"
        "    h, n, buf = hashlib.sha256(), 0, bytearray(1024)\n"
        "    while True:\n"
        "        got = tls.readinto(buf)\n"
        "        if not got:\n"
        "            break\n"
        "        h.update(memoryview(buf)[:got])\n"
        "        n += got\n"
        "    tls.close()\n"
        "    return '%d %s' % (n, binascii.hexlify(h.digest()).decode())\n"
        f"print(tls_count('{net.host_ip}', {server.port}))", timeout=60)
    server.close()
    assert server.errors == []
    body = b"hello big\n" + extra
    assert out.split() == [str(len(body)), hashlib.sha256(body).hexdigest()]


def _refused(board: Board, net: NetworkService, server: HostTlsServer, cadata: bytes,
             hostname: str = HOST_NAME) -> str:
    with pytest.raises(BoardException) as info:
        _tls_get(board, net, server.port, cadata, hostname)
    server.close()
    assert server.served == 0
    assert server.errors, "the host server saw no failed handshake"
    return str(info.value)


@pytest.mark.needs_net
@pytest.mark.timeout(120)
def test_client_refuses_a_certificate_of_another_ca(tls_board: Board, net: NetworkService,
                                                    pki: Pki,
                                                    host_server: Callable[..., HostTlsServer]
                                                    ) -> None:
    error = _refused(tls_board, net, host_server(pki.host_ec), pki.other_ca.cert_der())
    # MicroPython (extmod/modtls_mbedtls.c) raises ValueError with mbedTLS's verification
    # result when the handshake fails on the certificate.
    assert "ValueError" in error
    assert "The certificate is not correctly signed by the trusted CA" in error


@pytest.mark.needs_net
@pytest.mark.timeout(120)
def test_client_refuses_a_wrong_host_name(tls_board: Board, net: NetworkService, pki: Pki,
                                          host_server: Callable[..., HostTlsServer]) -> None:
    error = _refused(tls_board, net, host_server(pki.host_ec), pki.ca.cert_der(),
                     hostname="other.test")
    assert "ValueError" in error
    assert "The certificate Common Name (CN) does not match with the expected CN" in error


@pytest.mark.needs_net
@pytest.mark.timeout(180)
def test_20_handshakes_leave_the_heap_as_it_was(tls_board: Board, net: NetworkService,
                                                 pki: Pki,
                                                 host_server: Callable[..., HostTlsServer],
                                                 record_property: Record) -> None:
    server = host_server(pki.host_ec, connections=HANDSHAKES + 1)
    cadata = _bytes_literal(pki.ca.cert_der())
    # A warm-up connection and the loop's function defined first: what stays after them (the
    # function's bytecode, interned names, the socket module's state) is not a leak. The loop
    # keeps nothing in globals; it returns (fastest, mean, slowest ms, lowest gc.mem_free()).
    tls_board.exec(
        f"CA = {cadata}\n"
        "def handshakes(n, host, port):\n"
        "    times = []\n"
        "    lowest = gc.mem_free()\n"
        "    for i in range(n):\n"
        f"        reply, ms, free, _ = tls_get(host, port, CA, '{HOST_NAME}')\n"
        "        assert reply == b'hello board\\n', reply\n"
        "        times.append(ms)\n"
        "        lowest = min(lowest, free)\n"
        "    return '%d %d %d %d' % (min(times), sum(times) // n, max(times), lowest)\n"
        f"handshakes(1, '{net.host_ip}', {server.port})", timeout=60)
    baseline, heap_baseline = memory(tls_board)
    out = tls_board.eval(f"handshakes({HANDSHAKES}, '{net.host_ip}', {server.port})",
                         timeout=150)
    server.close()
    assert server.errors == []
    assert server.served == HANDSHAKES + 1
    fastest, mean, slowest, lowest = (int(v) for v in out.split())
    after, heap_after = memory(tls_board)
    record_property("handshake_ms_min_mean_max", f"{fastest} {mean} {slowest}")
    record_property("gc_free_baseline_after", f"{baseline} {after}")
    record_property("gc_free_lowest_connection_open", lowest)
    record_property("esp_freemem_baseline_after", f"{heap_baseline} {heap_after}")
    assert after >= baseline - GC_TOLERANCE, f"GC heap: {baseline} -> {after} bytes free"
    # The host closed first every time: no TIME_WAIT PCBs stay on the board.
    assert heap_after >= heap_baseline - 1024, f"HAL heap: {heap_baseline} -> {heap_after}"


# ---- the board as a server ----------------------------------------------------------------

SERVER = """
import socket, ssl
def tls_listen(port):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(('0.0.0.0', port))
    srv.listen(1)
    return srv
def tls_serve_once(srv, cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    try:
        conn, addr = srv.accept()
        tls = ctx.wrap_socket(conn, server_side=True)
        line = tls.readline()
        tls.write(b'board says ' + line)
        tls.close()
    finally:
        srv.close()
    return line
"""


@pytest.mark.needs_net
@pytest.mark.timeout(120)
def test_board_serves_tls_to_a_verifying_host(tls_board: Board, net: NetworkService,
                                              pki: Pki) -> None:
    tls_board.exec(SERVER + f"srv = tls_listen({BOARD_PORT})")
    cert = _bytes_literal(pki.board.cert_der())
    key = _bytes_literal(pki.board.key_der())
    ca_file = pki.directory / "ca.crt"
    ca_file.write_bytes(pki.ca.cert.public_bytes(serialization.Encoding.PEM))
    context = ssl.create_default_context(cafile=str(ca_file))  # verifies, checks the name

    def client() -> tuple[bytes, str | None]:
        raw = net.connect_to_board(BOARD_PORT, timeout=60)
        with context.wrap_socket(raw, server_hostname=BOARD_NAME) as tls:
            version = tls.version()
            tls.sendall(b"host\n")
            reply = b""
            while chunk := tls.recv(100):
                reply += chunk
            return reply, version

    host = HostThread(client)
    line = tls_board.eval(f"tls_serve_once(srv, {cert}, {key})", timeout=60)
    reply, version = host.result(60)
    assert line == b"host\n"
    assert reply == b"board says host\n"
    assert version == "TLSv1.2"
