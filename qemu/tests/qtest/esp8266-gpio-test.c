/*
 * QTest testcase for the ESP8266 GPIO block (esp8266-gpio) and GPIO16 in
 * the RTC block
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qobject/qdict.h"

#define GPIO            0x60000300
#define OUT             0x00
#define OUT_W1TS        0x04
#define OUT_W1TC        0x08
#define ENABLE          0x0c
#define ENABLE_W1TS     0x10
#define ENABLE_W1TC     0x14
#define IN              0x18
#define STATUS          0x1c
#define STATUS_W1TC     0x24
#define PIN(n)          (0x28 + 4 * (n))
#define PIN_DRIVER      (1u << 2)
#define PIN_INT_FALLING (2u << 7)

#define RTC_GPIO_OUT    0x60000768
#define RTC_GPIO_ENABLE 0x60000774
#define RTC_GPIO_IN     0x6000078c

#define GPIO_PATH       "/machine/soc/gpio"

static uint32_t gpio_prop(QTestState *qts, const char *name)
{
    QDict *resp = qtest_qmp(qts, "{'execute': 'qom-get', 'arguments': "
                            "{'path': %s, 'property': %s}}", GPIO_PATH, name);
    uint32_t value;

    g_assert(qdict_haskey(resp, "return"));
    value = qdict_get_int(resp, "return");
    qobject_unref(resp);
    return value;
}

static void gpio_set_in(QTestState *qts, uint32_t value)
{
    QDict *resp = qtest_qmp(qts, "{'execute': 'qom-set', 'arguments': "
                            "{'path': %s, 'property': 'in', 'value': %u}}",
                            GPIO_PATH, value);

    g_assert(qdict_haskey(resp, "return"));
    qobject_unref(resp);
}

static void test_out_enable_in(void)
{
    QTestState *qts = qtest_init("-machine esp8266");

    qtest_writel(qts, GPIO + ENABLE_W1TS, (1u << 5) | (1u << 6));
    qtest_writel(qts, GPIO + OUT_W1TS, 1u << 6);
    g_assert_cmphex(qtest_readl(qts, GPIO + ENABLE), ==, 0x60);
    g_assert_cmphex(qtest_readl(qts, GPIO + OUT), ==, 0x40);
    /* pad 5 driven low, 6 high; the others follow the host (high) */
    g_assert_cmphex(qtest_readl(qts, GPIO + IN) & 0xffff, ==, 0xffdf);
    /* boot straps in IN[31:16]: GPIO0 and GPIO2 high (flash boot) */
    g_assert_cmphex(qtest_readl(qts, GPIO + IN) >> 16, ==, 0x3);
    qtest_writel(qts, GPIO + OUT_W1TC, 1u << 6);
    qtest_writel(qts, GPIO + ENABLE_W1TC, 1u << 5);
    g_assert_cmphex(qtest_readl(qts, GPIO + IN) & 0xffff, ==, 0xffbf);
    g_assert_cmphex(gpio_prop(qts, "out") & 0xffff, ==, 0xffbf);
    g_assert_cmphex(gpio_prop(qts, "enable"), ==, 0x40);
    qtest_quit(qts);
}

static void test_download_strap(void)
{
    QTestState *qts = qtest_init("-machine esp8266,boot-mode=download");

    g_assert_cmphex(qtest_readl(qts, GPIO + IN) >> 16, ==, 0x1);
    qtest_quit(qts);
}

static void test_falling_edge_interrupt(void)
{
    QTestState *qts = qtest_init("-machine esp8266");

    qtest_irq_intercept_out_named(qts, GPIO_PATH, "sysbus-irq");
    qtest_writel(qts, GPIO + PIN(4), PIN_INT_FALLING);
    gpio_set_in(qts, 0x1ffff & ~(1u << 4));
    g_assert_cmphex(qtest_readl(qts, GPIO + STATUS), ==, 1u << 4);
    g_assert_true(qtest_get_irq(qts, 0));
    /* a rising edge does not count */
    qtest_writel(qts, GPIO + STATUS_W1TC, 1u << 4);
    g_assert_false(qtest_get_irq(qts, 0));
    gpio_set_in(qts, 0x1ffff);
    g_assert_cmphex(qtest_readl(qts, GPIO + STATUS), ==, 0);
    g_assert_false(qtest_get_irq(qts, 0));
    qtest_quit(qts);
}

static void test_open_drain(void)
{
    QTestState *qts = qtest_init("-machine esp8266");

    qtest_writel(qts, GPIO + PIN(2), PIN_DRIVER);
    qtest_writel(qts, GPIO + ENABLE_W1TS, 1u << 2);
    qtest_writel(qts, GPIO + OUT_W1TS, 1u << 2);
    g_assert_cmphex(qtest_readl(qts, GPIO + IN) & (1u << 2), ==, 1u << 2);
    /* released high: the host may pull the pad low */
    gpio_set_in(qts, 0x1ffff & ~(1u << 2));
    g_assert_cmphex(qtest_readl(qts, GPIO + IN) & (1u << 2), ==, 0);
    qtest_quit(qts);
}

static void test_gpio16_through_the_rtc(void)
{
    QTestState *qts = qtest_init("-machine esp8266");

    /* output: the RTC drives the pad, the GPIO device reports it */
    qtest_writel(qts, RTC_GPIO_ENABLE, 1);
    qtest_writel(qts, RTC_GPIO_OUT, 0);
    g_assert_cmphex(gpio_prop(qts, "enable") & (1u << 16), ==, 1u << 16);
    g_assert_cmphex(gpio_prop(qts, "out") & (1u << 16), ==, 0);
    qtest_writel(qts, RTC_GPIO_OUT, 1);
    g_assert_cmphex(gpio_prop(qts, "out") & (1u << 16), ==, 1u << 16);

    /* input: the host's level reaches the RTC's GPIO_IN_DATA */
    qtest_writel(qts, RTC_GPIO_ENABLE, 0);
    g_assert_cmphex(qtest_readl(qts, RTC_GPIO_IN), ==, 1);
    gpio_set_in(qts, 0xffff);
    g_assert_cmphex(qtest_readl(qts, RTC_GPIO_IN), ==, 0);
    g_assert_cmphex(gpio_prop(qts, "out") & (1u << 16), ==, 0);
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/esp8266-gpio/out-enable-in", test_out_enable_in);
    qtest_add_func("/esp8266-gpio/download-strap", test_download_strap);
    qtest_add_func("/esp8266-gpio/falling-edge-irq",
                   test_falling_edge_interrupt);
    qtest_add_func("/esp8266-gpio/open-drain", test_open_drain);
    qtest_add_func("/esp8266-gpio/gpio16-rtc", test_gpio16_through_the_rtc);
    return g_test_run();
}
