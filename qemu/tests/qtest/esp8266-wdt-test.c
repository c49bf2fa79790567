/*
 * QTest testcase for the ESP8266 hardware watchdog (esp8266-wdt)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qobject/qdict.h"

#define WDT             0x60000900
#define CTL             0x00
#define OP              0x04
#define OP_ND           0x08
#define RST             0x14
#define FEED            0x73
#define RTC_STATE1      0x60000714

/* Stage n lasts 2^(OP & 0xf) * 0.8 ms: 2^3 = 6.4 ms */
#define STAGE_EXP       3
#define STAGE_NS        (800000LL << STAGE_EXP)

static void wdt_start(QTestState *qts)
{
    qtest_writel(qts, WDT + OP, STAGE_EXP);
    qtest_writel(qts, WDT + OP_ND, STAGE_EXP);
    qtest_writel(qts, WDT + CTL, 1);
}

static void test_registers(void)
{
    QTestState *qts = qtest_init("-machine esp8266");

    wdt_start(qts);
    g_assert_cmphex(qtest_readl(qts, WDT + OP), ==, STAGE_EXP);
    g_assert_cmphex(qtest_readl(qts, WDT + OP_ND), ==, STAGE_EXP);
    g_assert_cmphex(qtest_readl(qts, WDT + CTL), ==, 1);
    qtest_writel(qts, WDT + RST, FEED);
    g_assert_cmphex(qtest_readl(qts, WDT + RST), ==, 0);
    qtest_quit(qts);
}

static void test_fed_watchdog_does_not_reset(void)
{
    QTestState *qts = qtest_init("-machine esp8266");
    QDict *resp;
    int i;

    wdt_start(qts);
    for (i = 0; i < 10; i++) {
        qtest_clock_step(qts, STAGE_NS + STAGE_NS / 2);
        qtest_writel(qts, WDT + RST, FEED);
    }
    /* a round trip through the main loop, where a reset would happen */
    resp = qtest_qmp(qts, "{'execute': 'query-status'}");
    qobject_unref(resp);
    g_assert_cmphex(qtest_readl(qts, RTC_STATE1) & 0xf, ==, 1);
    qtest_quit(qts);
}

static void test_starved_watchdog_resets(void)
{
    QTestState *qts = qtest_init("-machine esp8266");

    wdt_start(qts);
    qtest_clock_step(qts, 2 * STAGE_NS + 1);
    qtest_qmp_eventwait(qts, "RESET");
    g_assert_cmphex(qtest_readl(qts, RTC_STATE1) & 0xf, ==, 4);
    /* the reset disabled it */
    g_assert_cmphex(qtest_readl(qts, WDT + CTL), ==, 0);
    qtest_quit(qts);
}

static void test_disabled_watchdog_does_nothing(void)
{
    QTestState *qts = qtest_init("-machine esp8266");
    QDict *resp;

    wdt_start(qts);
    qtest_writel(qts, WDT + CTL, 0);
    qtest_clock_step(qts, 10 * STAGE_NS);
    resp = qtest_qmp(qts, "{'execute': 'query-status'}");
    qobject_unref(resp);
    g_assert_cmphex(qtest_readl(qts, RTC_STATE1) & 0xf, ==, 1);
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/esp8266-wdt/registers", test_registers);
    qtest_add_func("/esp8266-wdt/fed", test_fed_watchdog_does_not_reset);
    qtest_add_func("/esp8266-wdt/starved", test_starved_watchdog_resets);
    qtest_add_func("/esp8266-wdt/disabled",
                   test_disabled_watchdog_does_nothing);
    return g_test_run();
}
