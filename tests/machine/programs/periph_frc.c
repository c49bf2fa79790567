/*
 * FRC1/FRC2 timers and their way to the CPU through DPORT.
 *
 * Output lines (parsed by tests/machine/test_periph_timers.py):
 *   GATED status=... pending=...   FRC1 expired while DPORT bit 1 was clear
 *   COUNT a=... b=...              two FRC1 COUNT reads, a > b
 *   TICK n=...                     every 100 FRC1 interrupts (1 kHz, ISR)
 *   TICKS c100=... c1000=...       CCOUNT in the ISR of interrupts 100 and 1000
 *   FRC2 start=... fired=... alarm=... status=... cycles=... inner=...
 *                                  cycles: CCOUNT from before the start read to
 *                                  after the fired read; inner: from after the
 *                                  start read to before the fired read
 *   DONE
 */

#include "periph_common.h"

#define FRC1_LOAD   (FRC_BASE + 0x00)
#define FRC1_COUNT  (FRC_BASE + 0x04)
#define FRC1_CTRL   (FRC_BASE + 0x08)
#define FRC1_INT    (FRC_BASE + 0x0c)
#define FRC2_LOAD   (FRC_BASE + 0x20)
#define FRC2_COUNT  (FRC_BASE + 0x24)
#define FRC2_CTRL   (FRC_BASE + 0x28)
#define FRC2_INT    (FRC_BASE + 0x2c)
#define FRC2_ALARM  (FRC_BASE + 0x30)

#define CTRL_ENABLE     0x80
#define CTRL_AUTOLOAD   0x40
#define CTRL_DIV16      0x04
#define CTRL_DIV256     0x08
#define CTRL_INT_STATUS 0x100

#define INUM_FRC1   9
#define INUM_FRC2   10

#define TICKS       1000

static volatile uint32_t ticks, c100, c1000;

static void frc1_isr(void)
{
    cpu_clear(1u << INUM_FRC1);     /* edge interrupt: clear it in the CPU */
    REG(FRC1_INT) = 0;
    ticks++;
    if (ticks == 100) {
        c100 = ccount();
    } else if (ticks == TICKS) {
        c1000 = ccount();
    }
}

int main(void)
{
    uint32_t a, b, reported, start, fired, t0, t0_inner, t1, t1_inner;

    uart_puts("FRC test\n");
    cpu_clear(0xffffffff);

    /* 1. DPORT bit 1 clear: the expiry sets the status but no CPU bit. */
    REG(DPORT_EDGE_INT_ENABLE) = 0;
    REG(FRC1_CTRL) = CTRL_ENABLE | CTRL_DIV16;      /* 5 MHz, one shot */
    REG(FRC1_LOAD) = 500;                           /* 100 us */
    delay_us(1000);
    kv("GATED status", REG(FRC1_CTRL) & CTRL_INT_STATUS);
    kv("pending", cpu_pending() & (1u << INUM_FRC1));
    nl();
    REG(FRC1_INT) = 0;

    /* 2. COUNT counts down from LOAD. */
    REG(FRC1_LOAD) = 0x7fffff;
    a = REG(FRC1_COUNT);
    delay_us(100);
    b = REG(FRC1_COUNT);
    kv("COUNT a", a);
    kv("b", b);
    nl();

    /* 3. Periodic 1 kHz interrupt, taken through the CPU's vectors. */
    REG(FRC1_CTRL) = 0;
    REG(FRC1_INT) = 0;
    cpu_clear(1u << INUM_FRC1);
    REG(DPORT_EDGE_INT_ENABLE) = 1u << 1;
    irq_attach(INUM_FRC1, frc1_isr);
    irq_enable_all();
    REG(FRC1_CTRL) = CTRL_ENABLE | CTRL_AUTOLOAD | CTRL_DIV16;
    REG(FRC1_LOAD) = 5000;
    uart_puts("TICK n=0\n");
    for (reported = 0; reported < TICKS;) {
        wait_for_interrupt();
        if (ticks - reported >= 100) {
            reported += 100;
            uart_puts("TICK n=");
            putdec(reported);
            nl();
        }
    }
    irq_disable_all();
    REG(FRC1_CTRL) = 0;
    kv("TICKS c100", c100);
    kv("c1000", c1000);
    nl();

    /* 4. FRC2: free-running 312.5 kHz counter with a 10 ms alarm. */
    REG(DPORT_EDGE_INT_ENABLE) = 1u << 2;
    REG(FRC2_CTRL) = CTRL_ENABLE | CTRL_DIV256;
    REG(FRC2_LOAD) = 0x1000;
    cpu_clear(1u << INUM_FRC2);
    t0 = ccount();
    start = REG(FRC2_COUNT);
    t0_inner = ccount();
    REG(FRC2_ALARM) = start + 3125;
    while (!(cpu_pending() & (1u << INUM_FRC2))) {
        if (ccount() - t0 > CPU_HZ) {
            break;      /* 1 s: give up, the test reports it */
        }
    }
    t1_inner = ccount();
    fired = REG(FRC2_COUNT);
    t1 = ccount();
    kv("FRC2 start", start);
    kv("fired", fired);
    kv("alarm", REG(FRC2_ALARM));
    kv("status", REG(FRC2_CTRL) & CTRL_INT_STATUS);
    kv("cycles", t1 - t0);
    kv("inner", t1_inner - t0_inner);
    nl();
    REG(FRC2_INT) = 0;
    uart_puts("DONE\n");
    halt();
}
