/*
 * A paste into a slow reader, as MicroPython receives one: the UART ISR
 * moves the RX FIFO into a 256-byte ring (bytes that do not fit are
 * counted as dropped), the main loop takes one byte out of the ring every
 * CONSUME_CYCLES (a REPL that handles each character).  At 115200 baud a
 * character takes 6944 cycles at 80 MHz, so a reader that needs 2000 keeps
 * up with a wire; it does not keep up with a chardev that refills the
 * 128-byte FIFO at once.  Also measures how fast bytes enter the FIFO: the
 * cycles from the first byte to the 100th with nobody reading.
 */
#include "common/esp8266.h"

#define RING_SIZE       256
#define CONSUME_CYCLES  2000
#define FULL_THRESHOLD  16

static volatile uint8_t ring[RING_SIZE];
static volatile uint32_t head, tail, dropped;

static void uart_isr(void)
{
    uint32_t st = UART_INT_ST(0);

    while (UART_STATUS(0) & 0xff) {
        uint8_t c = UART_FIFO(0) & 0xff;

        if (head - tail < RING_SIZE) {
            ring[head++ % RING_SIZE] = c;
        } else {
            dropped++;
        }
    }
    UART_INT_CLR(0) = st;
}

static void measure_fill(void)
{
    uint32_t t0, t1;

    while ((UART_STATUS(0) & 0xff) == 0) {
    }
    t0 = RSR(ccount);
    while ((UART_STATUS(0) & 0xff) < 100) {
    }
    t1 = RSR(ccount);
    print_kv("fill_cycles", t1 - t0);
    while (uart_getc_poll() != '\n') {
    }
}

int main(void)
{
    uint32_t count = 0, sum = 0, t;

    uart_puts("FILL\n");
    measure_fill();

    UART_CONF1(0) = FULL_THRESHOLD | UART_RX_TOUT_EN | (2u << 24);
    UART_INT_CLR(0) = 0xffff;
    UART_INT_ENA(0) = UART_RXFIFO_FULL_INT | UART_RXFIFO_TOUT_INT;
    irq_attach(INUM_UART, uart_isr);
    irq_enable_all();
    uart_puts("READY\n");

    for (;;) {
        uint8_t c;

        while (head == tail) {
        }
        c = ring[tail % RING_SIZE];
        tail++;
        t = RSR(ccount);
        while (RSR(ccount) - t < CONSUME_CYCLES) {
        }
        if (c == '\n') {
            print_kv("count", count);
            print_kv("sum", sum);
            print_kv("dropped", dropped);
            count = sum = 0;
            continue;
        }
        count++;
        sum = sum * 31 + c;
    }
}
