/* UART0 hello: proves boot, UART TX and register read-back. */
#include "common/esp8266.h"

int main(void)
{
    uart_puts("hello from the emulated esp8266\n");
    print_kv("clkdiv", UART_CLKDIV(0));
    UART_CLKDIV(0) = 80000000 / 74880;
    print_kv("clkdiv_written", UART_CLKDIV(0));
    print_kv("prid", RSR(prid));
    uart_puts("DONE\n");
    return 0;
}
