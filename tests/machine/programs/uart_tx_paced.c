/*
 * UART0 TX on a paced line (property tx-pace=on): after the host sends 'g',
 * writes BYTES bytes as fast as the TX FIFO takes them, polling
 * STATUS.TXFIFO_CNT like MicroPython's uart_tx_one_char (write only below
 * 126), and reports the CCOUNT cycles from the first write until the FIFO is
 * empty.  On a paced line that is one character time per byte, whether the
 * host reads at once or not at all for a while.
 */
#include "common/esp8266.h"

#define BYTES               (256 * 1024)
#define TXFIFO_CNT(n)       ((UART_STATUS(n) >> 16) & 0xff)

int main(void)
{
    uint32_t i, t0, t1;
    char c = 'a';

    uart_puts("GO?\n");
    while (uart_getc_poll() != 'g') {
    }
    t0 = RSR(ccount);
    for (i = 0; i < BYTES; i++) {
        while (TXFIFO_CNT(0) >= 126) {
        }
        UART_FIFO(0) = c;
        c = c == 'z' ? 'a' : c + 1;  /* a..z repeated */
    }
    while (TXFIFO_CNT(0) != 0) {
    }
    t1 = RSR(ccount);
    uart_puts("\nEND\n");
    print_kv("tx_cycles", t1 - t0);
    uart_puts("DONE\n");
    return 0;
}
