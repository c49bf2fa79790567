// SPDX-License-Identifier: MIT
// assert() for the ESP8266_QEMU board. Shadows picolibc's <assert.h>, whose __assert
// prototype conflicts with the one the port's main.c defines; reports through the port's
// __assert_func (esp_mphal.c).
#undef assert
#ifdef NDEBUG
#define assert(e) ((void)0)
#else
#define assert(e) ((e) ? (void)0 : __assert_func(__FILE__, __LINE__, __func__, #e))
#endif

#ifndef HAL_ASSERT_H
#define HAL_ASSERT_H
void __assert_func(const char *file, int line, const char *func, const char *expr);
#ifndef __cplusplus
#define static_assert _Static_assert
#endif
#endif
