/*
 * Deep sleep without a timer wake-up (MicroPython's machine.deepsleep()
 * with no argument): the CPU stops until an external reset.
 *
 * Output (tests/machine/test_periph_rtc.py):
 *   BOOT cause=0x00000001 ... SLEEPING     (then nothing while asleep)
 *   BOOT cause=0x00000002 ... AWAKE        after the host's system_reset
 */

#include "periph_common.h"

#define RTC_STATE0      (RTC_BASE + 0x08)
#define RTC_STATE1      (RTC_BASE + 0x14)
#define RTC_STATE2      (RTC_BASE + 0x18)

int main(void)
{
    uint32_t cause = REG(RTC_STATE1) & 0xf;

    kv("BOOT cause", cause);
    nl();
    if (cause == 2) {
        uart_puts("AWAKE\n");
        halt();
    }
    uart_puts("SLEEPING\n");
    REG(RTC_STATE2) = 0;            /* no wake-up source */
    REG(RTC_STATE0) = 1u << 20;
    delay_us(1000);
    uart_puts("STILL RUNNING\n");
    halt();
}
