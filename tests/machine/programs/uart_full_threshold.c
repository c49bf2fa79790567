/*
 * RX full threshold without interrupts: nothing reads the FIFO until it holds
 * at least FULL_THRESHOLD bytes, so the raw FULL interrupt bit must be set by
 * then, whatever the line's pacing (the interrupt-driven uart_echo drains the
 * FIFO as bytes arrive, so whether it sees a FULL interrupt depends on timing).
 */
#include "common/esp8266.h"

#define FULL_THRESHOLD  8

int main(void)
{
    uint32_t before;
    unsigned spins = 0;

    UART_CONF1(0) = FULL_THRESHOLD | UART_RX_TOUT_EN | (2u << 24);
    UART_INT_ENA(0) = 0;
    UART_INT_CLR(0) = 0xffff;
    uart_puts("READY\n");
    while ((UART_STATUS(0) & 0xff) == 0) {
        spins++;
    }
    before = UART_INT_RAW(0) & UART_RXFIFO_FULL_INT;
    while ((UART_STATUS(0) & 0xff) < FULL_THRESHOLD) {
        spins++;
    }
    print_kv("full_before", before);
    print_kv("full_raw", UART_INT_RAW(0) & UART_RXFIFO_FULL_INT);
    print_kv("count", UART_STATUS(0) & 0xff);
    uart_puts("DONE\n");
    for (;;) {
    }
}
