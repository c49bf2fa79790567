# SPDX-License-Identifier: MIT
# ssl for the ESP8266_QEMU board: CPython's ssl API (the subset MicroPython documents) on the
# built-in tls module (extmod/modtls_mbedtls.c on the pinned Mbed TLS). The stock port freezes
# micropython-lib's ssl.py, which Debian's MicroPython source does not carry; this is ours.
#
#   ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
#   ctx.verify_mode = ssl.CERT_REQUIRED
#   ctx.load_verify_locations(cadata=ca_der)          # or cafile="ca.der"
#   s = ctx.wrap_socket(sock, server_hostname="host.test")
#
#   s = ssl.wrap_socket(sock, server_side=True, key=key_der, cert=cert_der)   # old style
#
# Certificates and keys are DER (bytes) or a file name holding DER.

import tls
from tls import *  # noqa: F403  CERT_*, PROTOCOL_TLS_*, MBEDTLS_VERSION


def _data(value):
    """Bytes as they are; a str is a file name whose contents are read."""
    if isinstance(value, str):
        with open(value, "rb") as f:
            return f.read()
    return value


class SSLContext:
    def __init__(self, protocol=None):
        if protocol is None:
            raise TypeError("SSLContext needs PROTOCOL_TLS_CLIENT or PROTOCOL_TLS_SERVER")
        self._ctx = tls.SSLContext(protocol)

    @property
    def verify_mode(self):
        return self._ctx.verify_mode

    @verify_mode.setter
    def verify_mode(self, mode):
        self._ctx.verify_mode = mode

    def load_cert_chain(self, certfile, keyfile):
        self._ctx.load_cert_chain(_data(certfile), _data(keyfile))

    def load_verify_locations(self, cafile=None, cadata=None):
        if cafile is not None:
            cadata = _data(cafile)
        if cadata is None:
            raise ValueError("load_verify_locations needs cafile or cadata")
        self._ctx.load_verify_locations(cadata)

    def get_ciphers(self):
        return self._ctx.get_ciphers()

    def set_ciphers(self, ciphers):
        self._ctx.set_ciphers(ciphers)

    def wrap_socket(self, sock, server_side=False, do_handshake_on_connect=True,
                    server_hostname=None):
        return self._ctx.wrap_socket(sock, server_side=server_side,
                                     do_handshake_on_connect=do_handshake_on_connect,
                                     server_hostname=server_hostname)


def wrap_socket(sock, server_side=False, key=None, cert=None, cert_reqs=CERT_NONE,  # noqa: F405
                cadata=None, server_hostname=None, do_handshake=True):
    ctx = SSLContext(PROTOCOL_TLS_SERVER if server_side else PROTOCOL_TLS_CLIENT)  # noqa: F405
    if key is not None or cert is not None:
        ctx.load_cert_chain(cert, key)
    if cadata is not None:
        ctx.load_verify_locations(cadata=cadata)
    ctx.verify_mode = cert_reqs
    return ctx.wrap_socket(sock, server_side=server_side, do_handshake_on_connect=do_handshake,
                           server_hostname=server_hostname)
