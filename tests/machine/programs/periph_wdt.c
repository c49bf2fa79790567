/*
 * Hardware watchdog: feeding holds it off, an unfed watchdog raises its
 * stage-0 interrupt (CPU interrupt 8 through DPORT bit 0) and then resets
 * the machine with the watchdog cause.
 *
 * Output (tests/machine/test_periph_wdt.py):
 *   BOOT cause=...
 *   FED ms=300                 alive after 300 ms of feeding (51 ms stages)
 *   FED pending=... max_in=... max_out=...   after 300 ms of feeding; the
 *                                  longest time between two feeds lies
 *                                  between max_in and max_out cycles
 *   STAGE0 pending=... cycles=...   the interrupt, cycles after the last feed
 *   (reset) BOOT cause=0x00000004 ... WDT RESET SEEN
 */

#include "periph_common.h"

#define RTC_STATE1      (RTC_BASE + 0x14)
#define WDT_CTL         (WDT_BASE + 0x00)
#define WDT_OP          (WDT_BASE + 0x04)
#define WDT_OP_ND       (WDT_BASE + 0x08)
#define WDT_RST         (WDT_BASE + 0x14)

#define INUM_WDT        8

int main(void)
{
    uint32_t cause = REG(RTC_STATE1) & 0xf;
    uint32_t t0, before, after, prev_before, prev_after, gap_in, gap_out;
    int ms;

    kv("BOOT cause", cause);
    nl();
    if (cause == 4) {
        uart_puts("WDT RESET SEEN\n");
        halt();
    }

    cpu_clear(1u << INUM_WDT);
    REG(DPORT_EDGE_INT_ENABLE) = 1u << 0;
    REG(WDT_OP) = 6;            /* 2^6 * 0.8 ms = 51.2 ms */
    REG(WDT_OP_ND) = 6;
    REG(WDT_CTL) = 1;
    /*
     * Feed every 10 ms.  CCOUNT is read before and after each feed, so the
     * longest time between two feeds lies between max_in and max_out (a
     * host that deschedules QEMU can make it long in guest time).
     */
    prev_before = ccount();
    REG(WDT_RST) = 0x73;
    prev_after = ccount();
    gap_in = gap_out = 0;
    for (ms = 0; ms < 300; ms += 10) {
        delay_us(10000);
        before = ccount();
        REG(WDT_RST) = 0x73;
        after = ccount();
        if (before - prev_after > gap_in) {
            gap_in = before - prev_after;
        }
        if (after - prev_before > gap_out) {
            gap_out = after - prev_before;
        }
        prev_before = before;
        prev_after = after;
    }
    kv("FED pending", cpu_pending() & (1u << INUM_WDT));
    kv("max_in", gap_in);
    kv("max_out", gap_out);
    nl();
    cpu_clear(1u << INUM_WDT);      /* a stage 0 of a long gap: not this one */
    uart_puts("ms=300\n");

    /* Stage 0 of the last feed: cycles from before it to after the interrupt. */
    while (!(cpu_pending() & (1u << INUM_WDT))) {
        if (ccount() - prev_before > 2 * CPU_HZ) {
            break;
        }
    }
    t0 = ccount();
    kv("STAGE0 pending", cpu_pending() & (1u << INUM_WDT));
    kv("cycles", t0 - prev_before);
    nl();
    t0 = ccount();
    while (ccount() - t0 < 5 * CPU_HZ) {
    }
    uart_puts("STUCK: no watchdog reset\n");
    halt();
}
