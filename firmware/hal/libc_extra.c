// SPDX-License-Identifier: MIT
/*
 * C library and libgcc pieces of the ESP8266_QEMU open HAL.
 *
 * Replaces what the SDK's libraries and the mask ROM provide besides MicroPython's own
 * shared/libc: the 64-bit integer helpers that Debian's lx106 libgcc lacks (built on the
 * __udivmoddi4/__divmoddi4 it has and on __umulsidi3 from GCC's lib1funcs.S, which the
 * build assembles, see harness/firmware_build.py), and the C library's errno.
 */

#include <stdint.h>

// The C library's errno (picolibc's <errno.h> declares `extern int errno`; no libc is linked):
// set by MicroPython's POSIX stream wrappers (py/stream.c) and Berkeley DB, read by the btree
// module to raise OSError.
int errno;

uint64_t __udivmoddi4(uint64_t a, uint64_t b, uint64_t *rem);
int64_t __divmoddi4(int64_t a, int64_t b, int64_t *rem);
uint64_t __umulsidi3(uint32_t a, uint32_t b);

uint64_t __udivdi3(uint64_t a, uint64_t b);
uint64_t __umoddi3(uint64_t a, uint64_t b);
int64_t __divdi3(int64_t a, int64_t b);
int64_t __muldi3(int64_t a, int64_t b);

uint64_t __udivdi3(uint64_t a, uint64_t b) {
    return __udivmoddi4(a, b, (uint64_t *)0);
}

uint64_t __umoddi3(uint64_t a, uint64_t b) {
    uint64_t r;
    __udivmoddi4(a, b, &r);
    return r;
}

int64_t __divdi3(int64_t a, int64_t b) {
    int64_t r;
    return __divmoddi4(a, b, &r);
}

int64_t __muldi3(int64_t a, int64_t b) {
    uint32_t al = (uint32_t)a, ah = (uint32_t)((uint64_t)a >> 32);
    uint32_t bl = (uint32_t)b, bh = (uint32_t)((uint64_t)b >> 32);
    uint64_t r = __umulsidi3(al, bl);
    uint32_t cross = al * bh + ah * bl;
    return (int64_t)(r + ((uint64_t)cross << 32));
}
