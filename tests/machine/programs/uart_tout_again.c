/*
 * The RX timeout after a clear that leaves bytes in the RX FIFO: the race of
 * an ISR whose last FIFO read found it empty, after which a byte arrived and
 * its timeout fired before the ISR's INT_CLR.  Polls (no interrupts): waits
 * for the host's byte and its timeout, clears the timeout without reading the
 * FIFO, then reports whether the timeout came again within 20 character
 * times, and the RX count.
 */
#include "common/esp8266.h"

#define CYCLES_PER_CHAR     6944    /* 10 bits at 115200 baud, 80 MHz */
#define TOUT_CHARS          2

int main(void)
{
    uint32_t t0, again = 0;

    UART_CONF1(0) = 0x7f | UART_RX_TOUT_EN | (TOUT_CHARS << 24);
    UART_INT_ENA(0) = 0;
    UART_INT_CLR(0) = 0x1ff;
    uart_puts("SEND\n");
    while (!(UART_INT_RAW(0) & UART_RXFIFO_TOUT_INT)) {
    }
    UART_INT_CLR(0) = UART_RXFIFO_TOUT_INT;
    t0 = RSR(ccount);
    while (RSR(ccount) - t0 < 20 * CYCLES_PER_CHAR) {
        if (UART_INT_RAW(0) & UART_RXFIFO_TOUT_INT) {
            again = 1;
            break;
        }
    }
    print_kv("tout_again", again);
    print_kv("rx_cnt", UART_STATUS(0) & 0xff);
    print_kv("byte", UART_FIFO(0) & 0xff);
    uart_puts("DONE\n");
    return 0;
}
