// SPDX-License-Identifier: MIT
// lwIP's compiler/platform header (arch/cc.h) for the ESP8266_QEMU open HAL.
//
// Replaces the platform part of the SDK's lwIP port (esp-open-lwip's arch/cc.h): byte order,
// the lightweight protection type, diagnostics through the HAL's ets_printf, assertions that print and stop, and lwIP's own
// character classification (picolibc's ctype tables are not linked).
#ifndef HAL_ARCH_CC_H
#define HAL_ARCH_CC_H

#include <stdint.h>

#ifndef BYTE_ORDER
#define BYTE_ORDER LITTLE_ENDIAN
#endif
#define LWIP_NO_CTYPE_H 1

// SYS_LIGHTWEIGHT_PROT: sys_arch_protect() masks interrupts and returns the old PS
// (lwip_port.c). The same type as the port's mpconfigport.h gives modlwip.
typedef uint32_t sys_prot_t;

int ets_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void hal_lwip_assert(const char *msg, const char *file, int line) __attribute__((noreturn));

#define LWIP_PLATFORM_DIAG(x) do { ets_printf x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) hal_lwip_assert((x), __FILE__, __LINE__)

#endif // HAL_ARCH_CC_H
