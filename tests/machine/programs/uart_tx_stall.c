/*
 * UART0 TX FIFO under a reader that does not read.
 *
 * Phase 1: prints LINES numbered lines as fast as the TX FIFO takes them,
 * polling STATUS.TXFIFO_CNT like MicroPython's uart_tx_one_char (write only
 * below 126).  While the host does not read, the chardev fills, the FIFO
 * fills and this loop waits; the machine must stay responsive meanwhile.
 * Then the counts it saw, and the TXFIFO_EMPTY raw status with the FIFO
 * full (threshold CONF1.TXFIFO_EMPTY_THRHD = 0x60 at reset: not set) and
 * drained (set).
 *
 * Phase 2 (after the host sends 's' and stops reading again): fills the
 * FIFO to 128, writes one byte more (dropped), then CONF0.TXFIFO_RST
 * empties the FIFO.
 */
#include "common/esp8266.h"

#define LINES               20000
#define TXFIFO_CNT(n)       ((UART_STATUS(n) >> 16) & 0xff)
#define UART_TXFIFO_EMPTY_INT   (1u << 1)
#define UART_TXFIFO_RST     (1u << 18)

static const char alphabet[] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+/";

static uint32_t waits, max_cnt, empty_raw_full = 0xffffffff;

static void putc_counted(char c)
{
    uint32_t cnt;

    while ((cnt = TXFIFO_CNT(0)) >= 126) {
        if (waits == 0) {
            /* First time full: the TX empty status must not re-assert. */
            UART_INT_CLR(0) = UART_TXFIFO_EMPTY_INT;
            empty_raw_full = UART_INT_RAW(0) & UART_TXFIFO_EMPTY_INT;
        }
        waits++;
        if (cnt > max_cnt) {
            max_cnt = cnt;
        }
    }
    if (cnt > max_cnt) {
        max_cnt = cnt;
    }
    UART_FIFO(0) = (uint8_t)c;
}

/* "%08x <31 characters rotated by i>\n" */
static void line(uint32_t i)
{
    int k;

    for (k = 28; k >= 0; k -= 4) {
        putc_counted(alphabet[(i >> k) & 0xf]);
    }
    putc_counted(' ');
    for (k = 0; k < 31; k++) {
        putc_counted(alphabet[(i + k) & 63]);
    }
    putc_counted('\n');
}

int main(void)
{
    uint32_t i, cnt_full, cnt_after_drop, cnt_after_rst, raw_after_rst;

    uart_puts("READY\n");
    for (i = 0; i < LINES; i++) {
        line(i);
    }
    uart_puts("END\n");
    print_kv("waits", waits);
    print_kv("max_cnt", max_cnt);
    print_kv("empty_raw_full", empty_raw_full);
    while (TXFIFO_CNT(0) != 0) {
    }
    UART_INT_CLR(0) = UART_TXFIFO_EMPTY_INT;
    print_kv("empty_raw_drained", UART_INT_RAW(0) & UART_TXFIFO_EMPTY_INT);
    uart_puts("DONE\n");

    while (uart_getc_poll() != 's') {
    }
    /* The host does not read now: fill the FIFO to the top. */
    for (i = 0; TXFIFO_CNT(0) < 128 && i < 100000000; i++) {
        UART_FIFO(0) = 'z';
    }
    cnt_full = TXFIFO_CNT(0);
    UART_FIFO(0) = 'Q';                 /* FIFO full: dropped */
    cnt_after_drop = TXFIFO_CNT(0);
    UART_CONF0(0) |= UART_TXFIFO_RST;
    UART_CONF0(0) &= ~UART_TXFIFO_RST;
    cnt_after_rst = TXFIFO_CNT(0);
    UART_INT_CLR(0) = UART_TXFIFO_EMPTY_INT;
    raw_after_rst = UART_INT_RAW(0) & UART_TXFIFO_EMPTY_INT;
    uart_puts("\nPHASE2\n");
    print_kv("cnt_full", cnt_full);
    print_kv("cnt_after_drop", cnt_after_drop);
    print_kv("cnt_after_rst", cnt_after_rst);
    print_kv("empty_raw_after_rst", raw_after_rst);
    uart_puts("DONE2\n");
    return 0;
}
