/*
 * UART0 and UART1 share CPU interrupt 5.  UART1 in loopback raises its RX
 * interrupt; then UART0 (idle) updates its own line.  The CPU line must stay
 * high (it is the OR of both) and the handler must find UART1's cause.
 */
#include "common/esp8266.h"

#define UART_LOOPBACK   (1u << 14)

static volatile uint32_t uart1_irqs, uart1_byte;

static void uart_isr(void)
{
    uint32_t st1 = UART_INT_ST(1);

    if (st1 & UART_RXFIFO_FULL_INT) {
        uart1_irqs++;
        while (UART_STATUS(1) & 0xff) {
            uart1_byte = UART_FIFO(1) & 0xff;
        }
    }
    UART_INT_CLR(1) = st1;
    UART_INT_CLR(0) = UART_INT_ST(0);
}

int main(void)
{
    volatile int i;

    UART_CONF0(1) |= UART_LOOPBACK;
    UART_CONF1(1) = 1;                          /* RX full threshold: 1 byte */
    UART_INT_CLR(1) = 0xffff;
    UART_INT_ENA(1) = UART_RXFIFO_FULL_INT;
    irq_attach(INUM_UART, uart_isr);            /* PS.INTLEVEL is still 15 */

    UART_FIFO(1) = 'x';                         /* loops back into UART1 RX */
    print_kv("pending_after_uart1", (RSR(interrupt) >> INUM_UART) & 1);
    UART_INT_ENA(0) = UART_RXFIFO_FULL_INT;     /* UART0 updates its (low) line */
    print_kv("pending_after_uart0", (RSR(interrupt) >> INUM_UART) & 1);

    irq_enable_all();
    for (i = 0; i < 1000 && !uart1_irqs; i++) {
    }
    irq_disable_all();
    print_kv("uart1_irqs", uart1_irqs);
    print_kv("uart1_byte", uart1_byte);
    print_kv("pending_after_isr", (RSR(interrupt) >> INUM_UART) & 1);
    uart_puts("DONE\n");
    return 0;
}
