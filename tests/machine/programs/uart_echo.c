/*
 * Interrupt-driven UART0 RX: the RX full-threshold (8 bytes) and RX timeout
 * interrupts move bytes into a buffer; each complete line is echoed back
 * with the number of interrupts of each kind seen so far.
 */
#include "common/esp8266.h"

#define FULL_THRESHOLD  8
#define LINE_MAX        200

static volatile char line[LINE_MAX];
static volatile unsigned line_len;
static volatile int line_ready;
static volatile uint32_t full_irqs, tout_irqs;

static void uart_isr(void)
{
    uint32_t st = UART_INT_ST(0);

    if (st & UART_RXFIFO_FULL_INT) {
        full_irqs++;
    }
    if (st & UART_RXFIFO_TOUT_INT) {
        tout_irqs++;
    }
    while (UART_STATUS(0) & 0xff) {
        char c = UART_FIFO(0) & 0xff;

        if (line_ready) {
            continue;                   /* the test sends one line at a time */
        }
        if (c == '\n') {
            line_ready = 1;
        } else if (line_len < LINE_MAX - 1) {
            line[line_len++] = c;
        }
    }
    UART_INT_CLR(0) = st;
}

int main(void)
{
    unsigned i;

    UART_CONF1(0) = FULL_THRESHOLD | UART_RX_TOUT_EN | (2u << 24);
    UART_INT_CLR(0) = 0xffff;
    UART_INT_ENA(0) = UART_RXFIFO_FULL_INT | UART_RXFIFO_TOUT_INT;
    irq_attach(INUM_UART, uart_isr);
    uart_puts("READY\n");

    for (;;) {
        irq_disable_all();
        if (line_ready) {
            uart_puts("ECHO:");
            for (i = 0; i < line_len; i++) {
                uart_putc(line[i]);
            }
            uart_puts("\n");
            print_kv("full_irqs", full_irqs);
            print_kv("tout_irqs", tout_irqs);
            line_len = 0;
            line_ready = 0;
        }
        /* waiti lowers PS.INTLEVEL to 0 atomically with waiting */
        wait_for_interrupt();
    }
}
