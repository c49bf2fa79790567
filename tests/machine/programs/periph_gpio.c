/*
 * GPIO: outputs seen by the host over QMP, host-driven inputs seen by the
 * guest, edge and level interrupts on the CPU's interrupt 4, open drain,
 * GPIO16 (RTC block). The host drives the inputs between the phases.
 *
 * Phases (tests/machine/test_periph_gpio.py):
 *   OUTPUTS            GPIO4=1, GPIO5=0, GPIO16=1 driven; GPIO14 open drain
 *                      with OUT=1; pin 12 falling edge, pin 13 low level.
 *   host: drives GPIO12 low
 *   EDGE status=... in=... pending=...    then W1TC: CLEARED pending=...
 *   host: drives GPIO13 low
 *   LEVEL status=...   then W1TC while still low: AGAIN status=...
 *   host: drives GPIO13 high, GPIO14 low, GPIO16 irrelevant (output)
 *   IN in=... gpio16=...
 *   IN16 gpio16=...                        GPIO16 turned into an input
 *   SELF fall=... rise=... high0=... high1=...   edges/levels of outputs
 *   DONE
 */

#include "periph_common.h"

#define GPIO_OUT        (GPIO_BASE + 0x00)
#define GPIO_OUT_W1TS   (GPIO_BASE + 0x04)
#define GPIO_OUT_W1TC   (GPIO_BASE + 0x08)
#define GPIO_ENABLE_W1TS (GPIO_BASE + 0x10)
#define GPIO_ENABLE_W1TC (GPIO_BASE + 0x14)
#define GPIO_IN         (GPIO_BASE + 0x18)
#define GPIO_STATUS     (GPIO_BASE + 0x1c)
#define GPIO_STATUS_W1TC (GPIO_BASE + 0x24)
#define GPIO_PIN(n)     (GPIO_BASE + 0x28 + 4 * (n))

#define PIN_DRIVER      (1u << 2)
#define PIN_INT(t)      ((uint32_t)(t) << 7)

#define RTC_GPIO_OUT    (RTC_BASE + 0x68)
#define RTC_GPIO_ENABLE (RTC_BASE + 0x74)
#define RTC_GPIO_IN     (RTC_BASE + 0x8c)
#define RTC_GPIO_CONF   (RTC_BASE + 0x90)
#define PAD_XPD_DCDC_CONF (RTC_BASE + 0xa0)

#define INUM_GPIO       4
#define TIMEOUT_CYCLES  (10 * CPU_HZ)

/* Wait until (IN & mask) == want; 0 on success. */
static int wait_in(uint32_t mask, uint32_t want)
{
    uint32_t t0 = ccount();

    while ((REG(GPIO_IN) & mask) != want) {
        if (ccount() - t0 > TIMEOUT_CYCLES) {
            uart_puts("TIMEOUT waiting for the host: ");
            kv("in", REG(GPIO_IN));
            nl();
            return -1;
        }
    }
    return 0;
}

int main(void)
{
    int n;

    uart_puts("GPIO test\n");
    for (n = 0; n < 16; n++) {
        REG(GPIO_PIN(n)) = 0;
    }
    REG(GPIO_STATUS_W1TC) = 0xffff;
    cpu_clear(0xffffffff);

    /* Outputs. */
    REG(GPIO_OUT_W1TS) = 1u << 4;
    REG(GPIO_OUT_W1TC) = 1u << 5;
    REG(GPIO_ENABLE_W1TS) = (1u << 4) | (1u << 5);
    REG(GPIO_PIN(14)) = PIN_DRIVER;
    REG(GPIO_OUT_W1TS) = 1u << 14;
    REG(GPIO_ENABLE_W1TS) = 1u << 14;
    REG(PAD_XPD_DCDC_CONF) = (REG(PAD_XPD_DCDC_CONF) & 0xffffffbc) | 1;
    REG(RTC_GPIO_CONF) &= ~1u;
    REG(RTC_GPIO_OUT) = 1;
    REG(RTC_GPIO_ENABLE) = 1;

    /* Interrupt types: 12 falling edge, 13 low level. */
    REG(GPIO_PIN(12)) = PIN_INT(2);
    REG(GPIO_PIN(13)) = PIN_INT(4);
    kv("OUTPUTS in", REG(GPIO_IN));
    kv("status", REG(GPIO_STATUS));
    kv("pending", cpu_pending() & (1u << INUM_GPIO));
    nl();

    /* Falling edge on 12. */
    if (wait_in(1u << 12, 0)) {
        halt();
    }
    kv("EDGE status", REG(GPIO_STATUS));
    kv("in", REG(GPIO_IN));
    kv("pending", cpu_pending() & (1u << INUM_GPIO));
    nl();
    REG(GPIO_STATUS_W1TC) = 1u << 12;
    kv("CLEARED status", REG(GPIO_STATUS));
    kv("pending", cpu_pending() & (1u << INUM_GPIO));
    nl();

    /* Low level on 13: the status comes back while the level holds. */
    if (wait_in(1u << 13, 0)) {
        halt();
    }
    kv("LEVEL status", REG(GPIO_STATUS));
    kv("pending", cpu_pending() & (1u << INUM_GPIO));
    nl();
    REG(GPIO_STATUS_W1TC) = 1u << 13;
    kv("AGAIN status", REG(GPIO_STATUS));
    nl();
    REG(GPIO_PIN(13)) = 0;
    REG(GPIO_STATUS_W1TC) = 0xffff;

    /* Host input levels, including the open-drain pin 14 pulled low. */
    if (wait_in((1u << 13) | (1u << 14), 1u << 13)) {
        halt();
    }
    kv("IN in", REG(GPIO_IN));
    kv("gpio16", REG(RTC_GPIO_IN));
    nl();

    /* GPIO16 as an input: the host's level. */
    REG(RTC_GPIO_ENABLE) = 0;
    kv("IN16 gpio16", REG(RTC_GPIO_IN));
    nl();

    /* The guest's own outputs trigger too: rising edge on 4, high level on 5. */
    REG(GPIO_STATUS_W1TC) = 0xffff;
    REG(GPIO_PIN(4)) = PIN_INT(1);
    REG(GPIO_OUT_W1TC) = 1u << 4;
    kv("SELF fall", REG(GPIO_STATUS));
    REG(GPIO_OUT_W1TS) = 1u << 4;
    kv("rise", REG(GPIO_STATUS));
    REG(GPIO_STATUS_W1TC) = 0xffff;
    REG(GPIO_PIN(4)) = 0;
    REG(GPIO_PIN(5)) = PIN_INT(5);
    kv("high0", REG(GPIO_STATUS));
    REG(GPIO_OUT_W1TS) = 1u << 5;
    kv("high1", REG(GPIO_STATUS));
    nl();
    REG(GPIO_PIN(5)) = 0;
    REG(GPIO_STATUS_W1TC) = 0xffff;
    uart_puts("DONE\n");
    halt();
}
