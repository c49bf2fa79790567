/*
 * QTest testcase for the ESP8266 UART (esp8266-uart)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"

#define UART0           0x60000000
#define UART1           0x60000f00
#define FIFO            0x00
#define INT_RAW         0x04
#define INT_ST          0x08
#define INT_ENA         0x0c
#define INT_CLR         0x10
#define CLKDIV          0x14
#define STATUS          0x1c
#define CONF0           0x20
#define CONF1           0x24
#define DATE            0x78
#define ID              0x7c

#define INT_RXFIFO_FULL 0x001
#define INT_TXFIFO_EMPTY 0x002
#define INT_RXFIFO_TOUT 0x100
#define CONF0_LOOPBACK  (1u << 14)
#define CONF0_RXFIFO_RST (1u << 17)
#define CONF1_TOUT_EN   (1u << 31)

/* One character time at the reset CLKDIV: 10 bits at 80 MHz / 694 */
#define CHAR_NS         86750

static uint32_t rx_count(QTestState *qts, uint32_t base)
{
    return qtest_readl(qts, base + STATUS) & 0xff;
}

static void test_reset_values(void)
{
    QTestState *qts = qtest_init("-machine esp8266");
    uint32_t status = qtest_readl(qts, UART1 + STATUS);

    g_assert_cmphex(qtest_readl(qts, UART1 + CLKDIV), ==, 80000000 / 115200);
    g_assert_cmphex(qtest_readl(qts, UART1 + CONF0), ==, 0x1c);
    g_assert_cmphex(qtest_readl(qts, UART1 + CONF1), ==, 0x6060);
    g_assert_cmphex(qtest_readl(qts, UART1 + DATE), ==, 0x62000000);
    g_assert_cmphex(qtest_readl(qts, UART1 + ID), ==, 0x500);
    /*
     * RXD idle high, both FIFOs empty; the TXD bit reads 0 as on real chips
     * (esptool's flasher stub waits for it to be 0)
     */
    g_assert_cmphex(status, ==, 1u << 15);
    qtest_quit(qts);
}

static void test_download_mode_clkdiv(void)
{
    QTestState *qts = qtest_init("-machine esp8266,boot-mode=download");

    /* the ROM leaves UART0 at 52 MHz / 115200; UART1 is untouched */
    g_assert_cmphex(qtest_readl(qts, UART0 + CLKDIV), ==, 52000000 / 115200);
    g_assert_cmphex(qtest_readl(qts, UART1 + CLKDIV), ==, 80000000 / 115200);
    qtest_quit(qts);
}

static void test_loopback_fifo_and_threshold_irq(void)
{
    QTestState *qts = qtest_init("-machine esp8266");
    const char *text = "abc";
    int i;

    qtest_irq_intercept_out(qts, "/machine/soc/uart-irq-or");
    qtest_writel(qts, UART1 + CONF0, 0x1c | CONF0_LOOPBACK);
    qtest_writel(qts, UART1 + CONF1, 0x6000 | 2);   /* RX full at 2 bytes */
    qtest_writel(qts, UART1 + INT_ENA, INT_RXFIFO_FULL);

    qtest_writel(qts, UART1 + FIFO, text[0]);
    g_assert_cmpuint(rx_count(qts, UART1), ==, 1);
    g_assert_false(qtest_get_irq(qts, 0));
    qtest_writel(qts, UART1 + FIFO, text[1]);
    qtest_writel(qts, UART1 + FIFO, text[2]);
    g_assert_cmpuint(rx_count(qts, UART1), ==, 3);
    g_assert_cmphex(qtest_readl(qts, UART1 + INT_ST), ==, INT_RXFIFO_FULL);
    g_assert_true(qtest_get_irq(qts, 0));

    /* a level condition: INT_CLR does not clear it while it holds */
    qtest_writel(qts, UART1 + INT_CLR, INT_RXFIFO_FULL);
    g_assert_true(qtest_get_irq(qts, 0));

    for (i = 0; i < 3; i++) {
        g_assert_cmphex(qtest_readl(qts, UART1 + FIFO), ==, text[i]);
    }
    g_assert_cmpuint(rx_count(qts, UART1), ==, 0);
    qtest_writel(qts, UART1 + INT_CLR, INT_RXFIFO_FULL);
    g_assert_cmphex(qtest_readl(qts, UART1 + INT_ST), ==, 0);
    g_assert_false(qtest_get_irq(qts, 0));
    qtest_quit(qts);
}

static void test_uart0_and_uart1_share_the_line(void)
{
    QTestState *qts = qtest_init("-machine esp8266");

    qtest_irq_intercept_out(qts, "/machine/soc/uart-irq-or");
    /* TXFIFO_EMPTY holds on both UARTs (no bytes waiting) */
    qtest_writel(qts, UART0 + INT_ENA, INT_TXFIFO_EMPTY);
    g_assert_true(qtest_get_irq(qts, 0));
    qtest_writel(qts, UART1 + INT_ENA, INT_TXFIFO_EMPTY);
    qtest_writel(qts, UART0 + INT_ENA, 0);
    g_assert_true(qtest_get_irq(qts, 0));
    qtest_writel(qts, UART1 + INT_ENA, 0);
    g_assert_false(qtest_get_irq(qts, 0));
    qtest_quit(qts);
}

static void test_rx_timeout(void)
{
    QTestState *qts = qtest_init("-machine esp8266");

    qtest_writel(qts, UART1 + CONF0, 0x1c | CONF0_LOOPBACK);
    /* timeout after 2 idle characters */
    qtest_writel(qts, UART1 + CONF1, CONF1_TOUT_EN | (2u << 24) | 0x6060);
    qtest_writel(qts, UART1 + FIFO, 'x');
    qtest_clock_step(qts, CHAR_NS);
    g_assert_cmphex(qtest_readl(qts, UART1 + INT_RAW) & INT_RXFIFO_TOUT, ==,
                    0);
    qtest_clock_step(qts, 2 * CHAR_NS);
    g_assert_cmphex(qtest_readl(qts, UART1 + INT_RAW) & INT_RXFIFO_TOUT, ==,
                    INT_RXFIFO_TOUT);
    qtest_quit(qts);
}

static void test_rxfifo_reset(void)
{
    QTestState *qts = qtest_init("-machine esp8266");
    int i;

    qtest_writel(qts, UART1 + CONF0, 0x1c | CONF0_LOOPBACK);
    for (i = 0; i < 5; i++) {
        qtest_writel(qts, UART1 + FIFO, '0' + i);
    }
    g_assert_cmpuint(rx_count(qts, UART1), ==, 5);
    qtest_writel(qts, UART1 + CONF0, 0x1c | CONF0_RXFIFO_RST);
    qtest_writel(qts, UART1 + CONF0, 0x1c);
    g_assert_cmpuint(rx_count(qts, UART1), ==, 0);
    qtest_quit(qts);
}

static void test_tx_reaches_the_chardev(void)
{
    g_autofree char *path = NULL;
    g_autofree char *contents = NULL;
    const char *text = "hello";
    QTestState *qts;
    int fd, i;

    fd = g_file_open_tmp("esp8266-uart-test-XXXXXX", &path, NULL);
    g_assert(fd >= 0);
    close(fd);
    qts = qtest_initf("-machine esp8266 -serial null -serial file:%s", path);
    for (i = 0; text[i]; i++) {
        qtest_writel(qts, UART1 + FIFO, text[i]);
    }
    qtest_quit(qts);
    g_assert_true(g_file_get_contents(path, &contents, NULL, NULL));
    g_assert_cmpstr(contents, ==, text);
    unlink(path);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/esp8266-uart/reset-values", test_reset_values);
    qtest_add_func("/esp8266-uart/download-mode-clkdiv",
                   test_download_mode_clkdiv);
    qtest_add_func("/esp8266-uart/loopback-threshold-irq",
                   test_loopback_fifo_and_threshold_irq);
    qtest_add_func("/esp8266-uart/shared-irq",
                   test_uart0_and_uart1_share_the_line);
    qtest_add_func("/esp8266-uart/rx-timeout", test_rx_timeout);
    qtest_add_func("/esp8266-uart/rxfifo-reset", test_rxfifo_reset);
    qtest_add_func("/esp8266-uart/tx-chardev", test_tx_reaches_the_chardev);
    return g_test_run();
}
