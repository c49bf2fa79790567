// SPDX-License-Identifier: MIT
/*
 * Memory helpers of the ESP8266_QEMU open HAL.
 *
 * Replaces the mask ROM's ets_memcpy(), ets_memset() and ets_memcmp() with the C library's
 * (MicroPython's shared/libc).
 */

#include <string.h>

void *ets_memcpy(void *dest, const void *src, size_t n) {
    return memcpy(dest, src, n);
}

void *ets_memset(void *s, int c, size_t n) {
    return memset(s, c, n);
}

int ets_memcmp(const void *s1, const void *s2, size_t n) {
    return memcmp(s1, s2, n);
}
