/*
 * QTest testcase for the ESP8266 RTC block and RTC memory (esp8266-rtc)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qobject/qdict.h"

#define RTC             0x60000700
#define CTRL0           0x00
#define SLP_VAL         0x04
#define STATE0          0x08
#define STATE1          0x14
#define STATE2          0x18
#define SLP_CNT_VAL     0x1c
#define SCRATCH0        0x30
#define RTC_MEM         0x60001000

#define CTRL0_SW_RESET  (1u << 31)
#define STATE0_SLEEP    (1u << 20)
#define WAKE_TIMER      0x8
#define RTC_CLOCK_HZ    160000

static uint32_t reset_code(QTestState *qts)
{
    QDict *resp = qtest_qmp(qts, "{'execute': 'qom-get', 'arguments': "
                            "{'path': '/machine/soc/rtc', "
                            "'property': 'reset-code'}}");
    uint32_t code;

    g_assert(qdict_haskey(resp, "return"));
    code = qdict_get_int(resp, "return");
    qobject_unref(resp);
    return code;
}

static void test_power_on_and_counter(void)
{
    QTestState *qts = qtest_init("-machine esp8266");
    uint32_t a, b;

    g_assert_cmphex(qtest_readl(qts, RTC + STATE1) & 0xf, ==, 1);
    g_assert_cmpuint(reset_code(qts), ==, 1);
    a = qtest_readl(qts, RTC + SLP_CNT_VAL);
    qtest_clock_step(qts, 100000000LL);
    b = qtest_readl(qts, RTC + SLP_CNT_VAL);
    g_assert_cmpuint(b - a, ==, RTC_CLOCK_HZ / 10);
    /* STATE1 holds the reset cause: read-only */
    qtest_writel(qts, RTC + STATE1, 5);
    g_assert_cmphex(qtest_readl(qts, RTC + STATE1) & 0xf, ==, 1);
    qtest_quit(qts);
}

static void test_software_reset_keeps_scratch_and_memory(void)
{
    QTestState *qts = qtest_init("-machine esp8266");

    qtest_writel(qts, RTC + SCRATCH0, 0x12345678);
    qtest_writel(qts, RTC_MEM + 0x100, 0xcafef00d);
    qtest_writel(qts, RTC + SLP_VAL, 0x55);
    qtest_writel(qts, RTC + CTRL0, CTRL0_SW_RESET);
    qtest_qmp_eventwait(qts, "RESET");
    g_assert_cmphex(qtest_readl(qts, RTC + STATE1) & 0xf, ==, 3);
    g_assert_cmpuint(reset_code(qts), ==, 3);
    g_assert_cmphex(qtest_readl(qts, RTC + SCRATCH0), ==, 0x12345678);
    g_assert_cmphex(qtest_readl(qts, RTC_MEM + 0x100), ==, 0xcafef00d);
    g_assert_cmphex(qtest_readl(qts, RTC + SLP_VAL), ==, 0);
    qtest_quit(qts);
}

static void test_deep_sleep_timer_wakes_with_reset(void)
{
    QTestState *qts = qtest_init("-machine esp8266");
    uint32_t now;

    qtest_irq_intercept_out_named(qts, "/machine/soc/rtc", "runstall");
    now = qtest_readl(qts, RTC + SLP_CNT_VAL);
    qtest_writel(qts, RTC + SLP_VAL, now + RTC_CLOCK_HZ / 100);  /* 10 ms */
    qtest_writel(qts, RTC + STATE2, WAKE_TIMER);
    qtest_writel(qts, RTC + STATE0, STATE0_SLEEP);
    g_assert_true(qtest_get_irq(qts, 0));
    qtest_clock_step(qts, 9000000LL);
    g_assert_true(qtest_get_irq(qts, 0));
    qtest_clock_step(qts, 2000000LL);
    qtest_qmp_eventwait(qts, "RESET");
    g_assert_false(qtest_get_irq(qts, 0));
    g_assert_cmphex(qtest_readl(qts, RTC + STATE1) & 0xf, ==, 5);
    /* the wake-up cause: the timer */
    g_assert_cmphex((qtest_readl(qts, RTC + STATE2) >> 8) & 0x3f, ==,
                    WAKE_TIMER);
    qtest_quit(qts);
}

static void test_external_reset(void)
{
    QTestState *qts = qtest_init("-machine esp8266");
    QDict *resp;

    resp = qtest_qmp(qts, "{'execute': 'system_reset'}");
    qobject_unref(resp);
    qtest_qmp_eventwait(qts, "RESET");
    g_assert_cmphex(qtest_readl(qts, RTC + STATE1) & 0xf, ==, 2);
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/esp8266-rtc/power-on-counter",
                   test_power_on_and_counter);
    qtest_add_func("/esp8266-rtc/software-reset",
                   test_software_reset_keeps_scratch_and_memory);
    qtest_add_func("/esp8266-rtc/deep-sleep-wake",
                   test_deep_sleep_timer_wakes_with_reset);
    qtest_add_func("/esp8266-rtc/external-reset", test_external_reset);
    return g_test_run();
}
