// SPDX-License-Identifier: MIT
// ESP8266_QEMU: the esp8266 port on our open HAL, for the emulated board (and real ones).

#define MICROPY_HW_BOARD_NAME "ESP8266 QEMU (open HAL)"
#define MICROPY_HW_MCU_NAME "ESP8266"

#define MICROPY_PERSISTENT_CODE_LOAD    (1)
#define MICROPY_EMIT_XTENSA             (1)
#define MICROPY_EMIT_INLINE_XTENSA      (1)

#define MICROPY_ERROR_REPORTING         (MICROPY_ERROR_REPORTING_NORMAL)

#define MICROPY_READER_VFS              (MICROPY_VFS)
#define MICROPY_VFS                     (1)

// As the stock ESP8266_GENERIC: cryptolib (AES ECB/CBC) and hashlib.sha1/md5 besides sha256,
// here on Mbed TLS (mbedtls/: the pinned Debian source, built by mbedtls/mbedtls.mk).
#define MICROPY_PY_CRYPTOLIB            (1)
#define MICROPY_PY_HASHLIB_SHA1         (1)
#define MICROPY_PY_HASHLIB_MD5          (1)
// mbedTLS allocates from the GC heap (m_tracked_calloc: kept alive until freed, reclaimed at
// soft reset), as on the rp2 and stm32 ports.
#define MICROPY_TRACKED_ALLOC           (1)

// machine.PinBase: Python Pin subclasses driven by C code (Signal, SoftI2C, ...).
#define MICROPY_PY_MACHINE_PIN_BASE     (1)

// Network (mpconfigboard.mk: MICROPY_PY_NETWORK_QEMU): lwIP 2.2.1 on the emulator's NIC,
// socket (modlwip) + select, network.WLAN (network_qemu.c). Off: none of it.
#ifndef MICROPY_PY_NETWORK_QEMU
#define MICROPY_PY_NETWORK_QEMU         (0)
#endif
#define MICROPY_PY_LWIP                 (MICROPY_PY_NETWORK_QEMU)
#define MICROPY_PY_LWIP_SOCK_RAW        (MICROPY_PY_NETWORK_QEMU)
#define MICROPY_PY_NETWORK              (MICROPY_PY_NETWORK_QEMU)
// WebREPL: the C side (extmod/modwebrepl.c: password, REPL, binary file put/get records) on
// the websocket stream (extmod/modwebsocket.c); the server (listen, HTTP upgrade, dupterm) is
// our frozen firmware/modules/webrepl.py. The port's MICROPY_PY_WEBREPL_DELAY (20 ms per
// file chunk) and static file buffer stay as on the real board.
#define MICROPY_PY_WEBSOCKET            (MICROPY_PY_NETWORK_QEMU)
#define MICROPY_PY_WEBREPL              (MICROPY_PY_NETWORK_QEMU)

// Raw-paste flow control lets the host have two windows of MICROPY_REPL_STDIN_BUFFER_MAX / 2
// bytes outstanding. The port's stdin ring buffer (esp_mphal.c, 256 bytes) holds 255, so
// with the default 256 a fast host (the emulator's pty has no baud-rate pacing) can lose a
// byte per window while the board compiles. 254 keeps every outstanding byte.
#define MICROPY_REPL_STDIN_BUFFER_MAX   (254)

// Idle in "waiti" instead of polling FRC2 (patches 0011 stdin wait, 0012 delays): an idle or
// sleeping board costs ~0 % of a host core instead of a whole one (0.2 % with the network up,
// for lwIP's 100 ms tick). They were off after one suite run saw a board stall on the network;
// the lost wake-up found was the HAL's timer (hal/timer.c): arming an os_timer could write
// CCOMPARE0 behind CCOUNT when the host descheduled the emulator between the read and the
// write (1 in ~50000 arms under load), so no timer interrupt came until CCOUNT wrapped (~54 s)
// and a board sleeping in "waiti" for it slept on. Fixed there; the NIC, task-queue and
// interrupt-masking paths were checked (docs/firmware.md). 0 polls as upstream.
#define MICROPY_HW_STDIN_WAITI          (1)
#define MICROPY_HW_DELAY_WAITI          (1)
