/*
 * Helpers shared by the peripheral test programs (periph_*.c), on top of
 * the common runtime: peripheral base addresses, CCOUNT delays, the CPU's
 * pending interrupt bits (RSR.INTERRUPT, cleared with WSR.INTCLEAR) so a
 * program can see exactly what reaches the CPU, and one-line key=value
 * output.
 */

#ifndef PERIPH_COMMON_H
#define PERIPH_COMMON_H

#include "common/esp8266.h"

#define GPIO_BASE       0x60000300u
#define FRC_BASE        0x60000600u
#define RTC_BASE        0x60000700u
#define IOMUX_BASE      0x60000800u
#define WDT_BASE        0x60000900u
#define RTC_MEM_BASE    0x60001000u
#define DPORT_BASE      0x3ff00000u
#define WDEV_COUNT      0x3ff20c00u
#define WDEV_RNG        0x3ff20e44u

#define DPORT_EDGE_INT_ENABLE (DPORT_BASE + 0x04)

#define CPU_HZ          80000000u
#define CYCLES_PER_US   80u

static inline uint32_t ccount(void)
{
    return RSR(ccount);
}

static inline uint32_t cpu_pending(void)
{
    return RSR(interrupt);
}

static inline void cpu_clear(uint32_t mask)
{
    WSR(intclear, mask);
}

static inline void delay_us(uint32_t us)
{
    uint32_t start = ccount();

    while (ccount() - start < us * CYCLES_PER_US) {
    }
}

/* Decimal without division (the lx106 has no divide instruction). */
static inline void putdec(uint32_t v)
{
    static const uint32_t pow10[] = {
        1000000000u, 100000000u, 10000000u, 1000000u, 100000u,
        10000u, 1000u, 100u, 10u, 1u,
    };
    int started = 0;
    unsigned i;

    for (i = 0; i < sizeof(pow10) / sizeof(pow10[0]); i++) {
        char d = '0';

        while (v >= pow10[i]) {
            v -= pow10[i];
            d++;
        }
        if (d != '0' || started || i == 9) {
            uart_putc(d);
            started = 1;
        }
    }
}

/* "key=0x........ " (several on one line; end it with nl()) */
static inline void kv(const char *key, uint32_t v)
{
    uart_puts(key);
    uart_putc('=');
    uart_puthex(v);
    uart_putc(' ');
}

static inline void nl(void)
{
    uart_putc('\n');
}

#endif
