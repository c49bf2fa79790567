/* CCOMPARE0 timer interrupt (CPU interrupt 6): ten ticks of 1 ms each. */
#include "common/esp8266.h"

#define TICK_CYCLES 80000           /* 1 ms at 80 MHz */
#define TICKS       10

static volatile uint32_t ticks;

static void timer_isr(void)
{
    ticks++;
    /* writing CCOMPARE0 acknowledges the interrupt */
    WSR(ccompare0, RSR(ccount) + TICK_CYCLES);
}

int main(void)
{
    uint32_t start = RSR(ccount);

    irq_attach(INUM_CCOMPARE0, timer_isr);
    WSR(ccompare0, RSR(ccount) + TICK_CYCLES);
    irq_enable_all();
    while (ticks < TICKS) {
        wait_for_interrupt();
    }
    irq_disable_all();
    print_kv("ticks", ticks);
    print_kv("cycles_at_least_ticks", (RSR(ccount) - start) >= TICKS * TICK_CYCLES);
    uart_puts("DONE\n");
    return 0;
}
