/*
 * Registers that are stored and read back, read-only registers that
 * ignore writes, the RTC calibration registers of the GPIO block and
 * FRC1's reload to 0x7FFFFF without autoload.
 *
 * Output (tests/machine/test_periph_timers.py): one "NAME got=... want=..."
 * line per check, then DONE.
 */

#include "periph_common.h"

#define FRC1_LOAD       (FRC_BASE + 0x00)
#define FRC1_COUNT      (FRC_BASE + 0x04)
#define FRC1_CTRL       (FRC_BASE + 0x08)
#define FRC1_INT        (FRC_BASE + 0x0c)
#define RTC_STATE1      (RTC_BASE + 0x14)
#define RTC_GPIO_CONF   (RTC_BASE + 0x90)
#define RTC_SCRATCH3    (RTC_BASE + 0x3c)
#define WDT_OP          (WDT_BASE + 0x04)
#define WDT_OP_ND       (WDT_BASE + 0x08)
#define GPIO_CALIB_SYNC (GPIO_BASE + 0x6c)
#define GPIO_CALIB_VAL  (GPIO_BASE + 0x70)

static void check(const char *name, uint32_t got, uint32_t want)
{
    uart_puts(name);
    uart_putc(' ');
    kv("got", got);
    kv("want", want);
    nl();
}

int main(void)
{
    uint32_t cause = REG(RTC_STATE1);
    int i;

    uart_puts("REGS test\n");

    /* IOMUX: every pad register keeps what was written. */
    for (i = 0; i <= 16; i++) {
        REG(IOMUX_BASE + 4 * i) = 0x1b0 + i;
    }
    for (i = 0; i <= 16; i++) {
        uart_puts("IOMUX");
        putdec(i);
        uart_putc(' ');
        kv("got", REG(IOMUX_BASE + 4 * i));
        kv("want", 0x1b0 + i);
        nl();
    }

    REG(DPORT_BASE + 0x28) = 0x5;       /* PERI_IO, stored only */
    check("DPORT_PERI_IO", REG(DPORT_BASE + 0x28), 0x5);
    REG(WDT_OP) = 0xb;
    REG(WDT_OP_ND) = 0xd;
    check("WDT_OP", REG(WDT_OP), 0xb);
    check("WDT_OP_ND", REG(WDT_OP_ND), 0xd);
    REG(RTC_GPIO_CONF) = 0x1;
    check("RTC_GPIO_CONF", REG(RTC_GPIO_CONF), 0x1);
    REG(RTC_SCRATCH3) = 0xfeedf00d;
    check("RTC_SCRATCH3", REG(RTC_SCRATCH3), 0xfeedf00d);
    REG(RTC_STATE1) = 0xf;              /* read-only: ignored */
    check("RTC_STATE1", REG(RTC_STATE1), cause);

    /* 256 RTC cycles at 160 kHz = 41600 cycles of the 26 MHz crystal. */
    REG(GPIO_CALIB_SYNC) = (1u << 31) | 256;
    check("CALIB", REG(GPIO_CALIB_VAL), (1u << 31) | 41600);

    /* FRC1 one shot without autoload: interrupt, then on from 0x7FFFFF. */
    REG(FRC1_CTRL) = 0x84;              /* enable, divide by 16 */
    REG(FRC1_LOAD) = 500;               /* 100 us */
    check("FRC1_INT_READS_LOAD", REG(FRC1_INT), 500);
    delay_us(1000);
    check("FRC1_STATUS", REG(FRC1_CTRL) & 0x100, 0x100);
    /* 900 us after the expiry at 5 MHz: about 0x7FFFFF - 4500. */
    uart_puts("FRC1_RELOAD ");
    kv("count", REG(FRC1_COUNT));
    nl();
    REG(FRC1_INT) = 0;
    check("FRC1_STATUS_CLEARED", REG(FRC1_CTRL) & 0x100, 0);
    REG(FRC1_CTRL) = 0;
    uart_puts("DONE\n");
    return 0;
}
