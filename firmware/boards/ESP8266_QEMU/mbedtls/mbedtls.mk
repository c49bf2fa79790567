# SPDX-License-Identifier: MIT
# Mbed TLS for the ESP8266_QEMU board: ssl/tls, cryptolib and hashlib's sha1/md5 (as the stock
# ESP8266_GENERIC has them on axTLS). Included by mpconfigboard.mk. Input from make's command
# line (harness/build/firmware.py passes it):
#   MBEDTLS_TREE   the prepared Mbed TLS tree (sources.toml [mbedtls], `invoke sources`)
#
# MicroPython's extmod.mk builds mbedTLS only from lib/mbedtls, which Debian's +ds source leaves
# empty; the pinned tree is compiled from here instead (MICROPY_SSL_MBEDTLS stays unset for
# make, the C side gets MICROPY_SSL_MBEDTLS=1), with only the files TLS 1.2, AES and the hashes
# need. mp_mbedtls_errors.c is MicroPython's smaller stand-in for the library's error.c.
# base64.c and pem.c: MicroPython 1.29 (master) turns on MBEDTLS_PEM_PARSE_C in
# mbedtls_config_common.h; for older trees they compile to nothing.

MBEDTLS_CONFIG_DIR := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))

ifeq ($(MBEDTLS_TREE),)
$(error MBEDTLS_TREE is not set: build through harness/build/firmware.py (invoke build), \
	which prepares the pinned Mbed TLS tree)
endif

MICROPY_PY_SSL = 1
MICROPY_SSL_AXTLS = 0
CFLAGS += -DMICROPY_SSL_MBEDTLS=1 -I$(MBEDTLS_TREE)/include -I$(MBEDTLS_CONFIG_DIR)/.. \
	-DMBEDTLS_CONFIG_FILE='"mbedtls/mbedtls_config_port.h"'

LIB_SRC_C += lib/mbedtls_errors/mp_mbedtls_errors.c
LIB_SRC_C += $(addprefix $(MBEDTLS_TREE)/library/,\
	aes.c \
	asn1parse.c \
	asn1write.c \
	base64.c \
	bignum.c \
	bignum_core.c \
	cipher.c \
	cipher_wrap.c \
	constant_time.c \
	ctr_drbg.c \
	ecdh.c \
	ecdsa.c \
	ecp.c \
	ecp_curves.c \
	entropy.c \
	entropy_poll.c \
	gcm.c \
	md.c \
	md5.c \
	oid.c \
	pem.c \
	pk.c \
	pk_ecc.c \
	pk_wrap.c \
	pkcs5.c \
	pkparse.c \
	platform.c \
	platform_util.c \
	rsa.c \
	rsa_alt_helpers.c \
	sha1.c \
	sha256.c \
	sha512.c \
	ssl_ciphersuites.c \
	ssl_client.c \
	ssl_debug_helpers_generated.c \
	ssl_msg.c \
	ssl_tls.c \
	ssl_tls12_client.c \
	ssl_tls12_server.c \
	x509.c \
	x509_crt.c \
	)
