/* CCOUNT rate: print CCOUNT each time a byte arrives on UART0 (the host times the bytes). */
#include "common/esp8266.h"

int main(void)
{
    int i;

    uart_puts("READY\n");
    for (i = 0; i < 2; i++) {
        while (uart_getc_poll() < 0) {
        }
        print_kv("ccount", RSR(ccount));
    }
    uart_puts("DONE\n");
    return 0;
}
