// SPDX-License-Identifier: MIT
// Mbed TLS 3.6 configuration of the ESP8266_QEMU board: ssl/tls (TLS 1.2 client and server),
// cryptolib (AES) and hashlib (sha1, md5, sha256). Passed to every file as MBEDTLS_CONFIG_FILE
// (firmware/hal/mbedtls.mk).
//
// MicroPython's common bare-metal configuration (extmod/mbedtls/mbedtls_config_common.h, as the
// rp2, stm32 and mimxrt ports use it), then cut to the ESP8266's RAM: all of mbedTLS's memory
// comes from the 38 KiB GC heap (m_tracked_calloc), about 33 KiB of it free after boot.
// docs/firmware.md ("TLS") has the figures.
#ifndef ESP8266_QEMU_MBEDTLS_CONFIG_PORT_H
#define ESP8266_QEMU_MBEDTLS_CONFIG_PORT_H

// Time: seconds of the RTC (machine.RTC, time.time()) for certificate validity and sessions.
#include <time.h>
time_t esp8266_qemu_mbedtls_time(time_t *timer);
#define MBEDTLS_PLATFORM_TIME_MACRO     esp8266_qemu_mbedtls_time
#define MBEDTLS_PLATFORM_MS_TIME_ALT
// No C library gmtime_r on the board: ours, on MicroPython's timeutils.
#define MBEDTLS_PLATFORM_GMTIME_R_ALT

// Faster P-256/P-384 reduction (flash, not RAM).
#define MBEDTLS_ECP_NIST_OPTIM

// Allocation from the GC heap (m_tracked_calloc), hardware RNG entropy, no C library stdio.
#define MICROPY_MBEDTLS_CONFIG_BARE_METAL (1)
#include "extmod/mbedtls/mbedtls_config_common.h"

// ---- what the ESP8266 leaves out --------------------------------------------------------------
// No DTLS (UDP) and only the curves hosts use for ECDHE and certificates.
#undef MBEDTLS_SSL_PROTO_DTLS
#undef MBEDTLS_ECP_DP_SECP192R1_ENABLED
#undef MBEDTLS_ECP_DP_SECP224R1_ENABLED
#undef MBEDTLS_ECP_DP_SECP521R1_ENABLED
#undef MBEDTLS_ECP_DP_SECP192K1_ENABLED
#undef MBEDTLS_ECP_DP_SECP224K1_ENABLED
#undef MBEDTLS_ECP_DP_SECP256K1_ENABLED

// Record buffers. The common configuration has a 16 KiB input buffer (a TLS record's maximum);
// here both buffers hold 4 KiB records, and the board asks servers for records of at most
// 4 KiB (the max_fragment_length extension, RFC 6066, which OpenSSL servers honour:
// firmware/patches/0015). mbedTLS accepts an MFL only up to the smaller of the two buffers.
// Each buffer carries ~350 bytes more (header, IV, MAC, CBC padding). 4 KiB still holds a
// typical server's certificate chain (a handshake message must fit the input buffer).
#undef MBEDTLS_SSL_MAX_CONTENT_LEN
#undef MBEDTLS_SSL_IN_CONTENT_LEN
#undef MBEDTLS_SSL_OUT_CONTENT_LEN
#define MBEDTLS_SSL_IN_CONTENT_LEN      (4096)
#define MBEDTLS_SSL_OUT_CONTENT_LEN     (4096)
#define MBEDTLS_SSL_MAX_FRAGMENT_LENGTH
#define MICROPY_MBEDTLS_MAX_FRAG_LEN    MBEDTLS_SSL_MAX_FRAG_LEN_4096

// Big-number and elliptic-curve working memory: RSA keys up to 4096 bits (MPIs of 512 bytes,
// some of them on the 8 KiB stack; default 1024), RSA exponentiation with a window of 1, ECP
// multiplication with a window of 2 (default 4: 4x the precomputed points), and no cache of
// the generator's multiples (it would stay allocated with every curve group).
#define MBEDTLS_MPI_MAX_SIZE            (512)
#define MBEDTLS_MPI_WINDOW_SIZE         (1)
#define MBEDTLS_ECP_WINDOW_SIZE         (2)
#define MBEDTLS_ECP_FIXED_POINT_OPTIM   (0)

#endif // ESP8266_QEMU_MBEDTLS_CONFIG_PORT_H
