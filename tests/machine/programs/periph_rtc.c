/*
 * RTC: reset causes as the ROM's rtc_get_reset_reason() reads them, RTC
 * memory and scratch registers across resets, the RTC counter, software
 * restart, watchdog reset and deep sleep with timer wake-up.
 *
 * One QEMU run walks through every cause; RTC memory carries the stage:
 *   stage 0 (power-on)   -> software restart (RTC_CTRL0 bit 31)
 *   stage 1 (software)   -> watchdog left unfed
 *   stage 2 (watchdog)   -> deep sleep, 200 ms timer wake-up
 *   stage 3 (deep sleep) -> "WAIT external": the host sends system_reset
 *   stage 4 (external)   -> "SEQUENCE DONE"
 * Every boot prints "BOOT cause=... wake=... magic=... stage=...
 * scratch=..." (tests/machine/test_periph_rtc.py).
 */

#include "periph_common.h"

#define RTC_CTRL0       (RTC_BASE + 0x00)
#define RTC_SLP_VAL     (RTC_BASE + 0x04)
#define RTC_STATE0      (RTC_BASE + 0x08)
#define RTC_STATE1      (RTC_BASE + 0x14)
#define RTC_STATE2      (RTC_BASE + 0x18)
#define RTC_COUNTER     (RTC_BASE + 0x1c)
#define RTC_SCRATCH0    (RTC_BASE + 0x30)

#define WDT_CTL         (WDT_BASE + 0x00)
#define WDT_OP          (WDT_BASE + 0x04)
#define WDT_OP_ND       (WDT_BASE + 0x08)

#define MEM_MAGIC       (RTC_MEM_BASE + 0x100)
#define MEM_STAGE       (RTC_MEM_BASE + 0x104)
#define MAGIC           0x52544331u

static void wait_forever(const char *what)
{
    uint32_t t0 = ccount();

    /* Whatever we wait for must happen well within 5 s. */
    while (ccount() - t0 < 5 * CPU_HZ) {
    }
    uart_puts("STUCK after ");
    uart_puts(what);
    nl();
    halt();
}

int main(void)
{
    uint32_t cause = REG(RTC_STATE1) & 0xf;
    uint32_t wake = (REG(RTC_STATE2) >> 8) & 0x3f;
    uint32_t magic = REG(MEM_MAGIC);
    uint32_t stage = magic == MAGIC ? REG(MEM_STAGE) : 0;
    uint32_t a, b, t0, t1, t0_inner, t1_inner;

    kv("BOOT cause", cause);
    kv("wake", wake);
    kv("magic", magic);
    kv("stage", stage);
    kv("scratch", REG(RTC_SCRATCH0));
    nl();

    switch (stage) {
    case 0:
        /* The RTC counter (160 kHz in the emulator) against CCOUNT. */
        /* CCOUNT outside (cycles) and inside (inner) the counter reads */
        t0 = ccount();
        a = REG(RTC_COUNTER);
        t0_inner = ccount();
        delay_us(10000);
        t1_inner = ccount();
        b = REG(RTC_COUNTER);
        t1 = ccount();
        kv("COUNTER a", a);
        kv("b", b);
        kv("cycles", t1 - t0);
        kv("inner", t1_inner - t0_inner);
        nl();
        REG(MEM_MAGIC) = MAGIC;
        REG(MEM_STAGE) = 1;
        REG(RTC_SCRATCH0) = 0x5c5c0001;
        uart_puts("RESTART software\n");
        REG(RTC_CTRL0) |= 1u << 31;
        wait_forever("software restart");
        break;
    case 1:
        REG(MEM_STAGE) = 2;
        uart_puts("RESTART watchdog\n");
        REG(WDT_OP) = 4;        /* 2^4 * 0.8 ms = 12.8 ms per stage */
        REG(WDT_OP_ND) = 4;
        REG(WDT_CTL) = 1;       /* enable, interrupt then reset */
        wait_forever("watchdog");
        break;
    case 2:
        REG(MEM_STAGE) = 3;
        uart_puts("SLEEP\n");
        REG(RTC_STATE2) = 0x8;  /* timer wake-up */
        REG(RTC_SLP_VAL) = REG(RTC_COUNTER) + 32000;    /* 200 ms */
        REG(RTC_STATE0) = 1u << 20;
        wait_forever("deep sleep");
        break;
    case 3:
        REG(MEM_STAGE) = 4;
        uart_puts("WAIT external\n");
        halt();
        break;
    default:
        uart_puts("SEQUENCE DONE\n");
        halt();
    }
    return 0;
}
