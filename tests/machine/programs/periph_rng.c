/*
 * Hardware RNG word (0x3FF20E44) and the WDEV microsecond counter.
 *
 * Output: "RNG v=..." eight times, "WDEV a=... b=... cycles=... inner=...", DONE.
 */

#include "periph_common.h"

int main(void)
{
    uint32_t a, b, t0, t1, t0_inner, t1_inner;
    int i;

    uart_puts("RNG test\n");
    for (i = 0; i < 8; i++) {
        kv("RNG v", REG(WDEV_RNG));
        nl();
    }
    /* CCOUNT outside (cycles) and inside (inner) the two counter reads */
    t0 = ccount();
    a = REG(WDEV_COUNT);
    t0_inner = ccount();
    delay_us(2000);
    t1_inner = ccount();
    b = REG(WDEV_COUNT);
    t1 = ccount();
    kv("WDEV a", a);
    kv("b", b);
    kv("cycles", t1 - t0);
    kv("inner", t1_inner - t0_inner);
    nl();
    uart_puts("DONE\n");
    halt();
}
