// SPDX-License-Identifier: MIT
// The board's services for Mbed TLS (mbedtls/mbedtls_config_port.h): entropy from the chip's
// hardware RNG, time from the RTC, and gmtime_r (the board links no C library).
#include "py/mpconfig.h"

#if MICROPY_SSL_MBEDTLS

#include <string.h>
#include "mbedtls/platform_time.h"
#include "mbedtls/platform_util.h"
#include "shared/timeutils/timeutils.h"
#include "modmachine.h"

// The random number register (DPORT 0x3FF20E44), as lwIP's LWIP_RAND() and os.urandom read it.
#define HWRNG (*(volatile uint32_t *)0x3ff20e44)

// Weak: MicroPython 1.28 and later define it in extmod/mbedtls/mbedtls_alt.c (on
// mp_hal_get_random, the same register), and theirs wins there.
__attribute__((weak)) int mbedtls_hardware_poll(void *data, unsigned char *output, size_t len,
    size_t *olen) {
    (void)data;
    for (size_t i = 0; i < len; i += 4) {
        uint32_t r = HWRNG;
        memcpy(output + i, &r, len - i < 4 ? len - i : 4);
    }
    *olen = len;
    return 0;
}

// Seconds since MicroPython's epoch (time.time()); mbedtls_platform_gmtime_r below turns them
// back with the same epoch, so certificate dates compare against the RTC's calendar.
time_t esp8266_qemu_mbedtls_time(time_t *timer) {
    time_t t = (time_t)(pyb_rtc_get_us_since_epoch() / 1000000);
    if (timer) {
        *timer = t;
    }
    return t;
}

mbedtls_ms_time_t mbedtls_ms_time(void) {
    return (mbedtls_ms_time_t)(pyb_rtc_get_us_since_epoch() / 1000);
}

struct tm *mbedtls_platform_gmtime_r(const mbedtls_time_t *tt, struct tm *tm_buf) {
    timeutils_struct_time_t tm;
    timeutils_seconds_since_epoch_to_struct_time(*tt, &tm);
    memset(tm_buf, 0, sizeof(*tm_buf));
    tm_buf->tm_year = tm.tm_year - 1900;
    tm_buf->tm_mon = tm.tm_mon - 1;
    tm_buf->tm_mday = tm.tm_mday;
    tm_buf->tm_hour = tm.tm_hour;
    tm_buf->tm_min = tm.tm_min;
    tm_buf->tm_sec = tm.tm_sec;
    tm_buf->tm_wday = (tm.tm_wday + 1) % 7; // timeutils: 0 is Monday; struct tm: Sunday
    tm_buf->tm_yday = tm.tm_yday - 1;
    return tm_buf;
}

#endif // MICROPY_SSL_MBEDTLS
