// SPDX-License-Identifier: MIT
// os_* wrappers of Espressif's SDK (osapi.h), mapped onto the HAL's ets_* services.
#ifndef HAL_OSAPI_H
#define HAL_OSAPI_H

#include <string.h>
#include "os_type.h"
#include "user_interface.h"

int ets_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define os_bzero(s, n) memset((s), 0, (n))
#define os_delay_us ets_delay_us
#define os_install_putc1 ets_install_putc1
#define os_memcmp memcmp
#define os_memcpy memcpy
#define os_memmove memmove
#define os_memset memset
#define os_strcat strcat
#define os_strchr strchr
#define os_strcmp strcmp
#define os_strcpy strcpy
#define os_strlen strlen
#define os_strncmp strncmp
#define os_strncpy strncpy
#define os_strstr strstr
#define os_printf ets_printf
#define os_printf_plus ets_printf
#define os_sprintf(buf, ...) snprintf((buf), 0x7fffffff, __VA_ARGS__)

#define os_timer_arm(t, ms, rep) ets_timer_arm_new((t), (ms), (rep), 1)
#define os_timer_arm_us(t, us, rep) ets_timer_arm_new((t), (us), (rep), 0)
#define os_timer_disarm ets_timer_disarm
#define os_timer_setfn ets_timer_setfn

#endif // HAL_OSAPI_H
