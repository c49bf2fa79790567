/*
 * QTest testcase for the ESP8266 FRC1/FRC2 timers (esp8266-frc-timer)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"

#define FRC1            0x60000600
#define FRC2            0x60000620
#define LOAD            0x00
#define COUNT           0x04
#define CTRL            0x08
#define INT             0x0c
#define ALARM           0x10

#define CTRL_LEVEL      0x01
#define CTRL_DIV16      0x04
#define CTRL_DIV256     0x08
#define CTRL_AUTOLOAD   0x40
#define CTRL_ENABLE     0x80
#define CTRL_INT_STATUS 0x100

#define DPORT_EDGE_INT_ENABLE   0x3ff00004
#define EDGE_FRC1       1
#define EDGE_FRC2       2

/* Tick lengths at the 80 MHz APB clock */
#define NS_DIV16        200
#define NS_DIV256       3200

static void assert_near(uint32_t got, uint32_t want, uint32_t slack)
{
    g_assert_cmpuint(got, >=, want - slack);
    g_assert_cmpuint(got, <=, want + slack);
}

static void test_frc1_counts_down_then_from_max(void)
{
    QTestState *qts = qtest_init("-machine esp8266");

    qtest_writel(qts, FRC1 + CTRL, CTRL_ENABLE | CTRL_DIV16);
    qtest_writel(qts, FRC1 + LOAD, 1000);
    g_assert_cmphex(qtest_readl(qts, FRC1 + LOAD), ==, 1000);
    qtest_clock_step(qts, 500 * NS_DIV16);
    assert_near(qtest_readl(qts, FRC1 + COUNT), 500, 1);
    g_assert_cmphex(qtest_readl(qts, FRC1 + CTRL) & CTRL_INT_STATUS, ==, 0);
    qtest_clock_step(qts, 500 * NS_DIV16);
    g_assert_cmphex(qtest_readl(qts, FRC1 + CTRL) & CTRL_INT_STATUS, ==,
                    CTRL_INT_STATUS);
    /* no AUTOLOAD: it goes on from 0x7fffff */
    qtest_clock_step(qts, 100 * NS_DIV16);
    assert_near(qtest_readl(qts, FRC1 + COUNT), 0x7fffff - 100, 2);
    qtest_writel(qts, FRC1 + INT, 1);
    g_assert_cmphex(qtest_readl(qts, FRC1 + CTRL) & CTRL_INT_STATUS, ==, 0);
    qtest_quit(qts);
}

static void test_frc1_autoload_level_irq_through_dport(void)
{
    QTestState *qts = qtest_init("-machine esp8266");
    int i;

    qtest_irq_intercept_out_named(qts, "/machine/soc/dport", "edge-out");
    qtest_writel(qts, FRC1 + CTRL,
                 CTRL_ENABLE | CTRL_AUTOLOAD | CTRL_DIV16 | CTRL_LEVEL);
    qtest_writel(qts, FRC1 + LOAD, 500);            /* 100 us */

    /* DPORT's EDGE_INT_ENABLE bit 1 is clear: nothing reaches the CPU */
    qtest_clock_step(qts, 500 * NS_DIV16);
    g_assert_cmphex(qtest_readl(qts, FRC1 + CTRL) & CTRL_INT_STATUS, ==,
                    CTRL_INT_STATUS);
    g_assert_false(qtest_get_irq(qts, EDGE_FRC1));
    qtest_writel(qts, DPORT_EDGE_INT_ENABLE, 1u << EDGE_FRC1);
    g_assert_true(qtest_get_irq(qts, EDGE_FRC1));
    qtest_writel(qts, FRC1 + INT, 1);
    g_assert_false(qtest_get_irq(qts, EDGE_FRC1));

    /* periodic: reloads from LOAD, interrupts every 100 us */
    for (i = 0; i < 3; i++) {
        qtest_clock_step(qts, 250 * NS_DIV16);
        g_assert_false(qtest_get_irq(qts, EDGE_FRC1));
        assert_near(qtest_readl(qts, FRC1 + COUNT), 250, 1);
        qtest_clock_step(qts, 250 * NS_DIV16);
        g_assert_true(qtest_get_irq(qts, EDGE_FRC1));
        qtest_writel(qts, FRC1 + INT, 1);
    }
    g_assert_false(qtest_get_irq(qts, EDGE_FRC2));
    qtest_quit(qts);
}

static void test_frc2_alarm(void)
{
    QTestState *qts = qtest_init("-machine esp8266");

    qtest_irq_intercept_out_named(qts, "/machine/soc/dport", "edge-out");
    qtest_writel(qts, DPORT_EDGE_INT_ENABLE, 1u << EDGE_FRC2);
    qtest_writel(qts, FRC2 + CTRL, CTRL_ENABLE | CTRL_DIV256 | CTRL_LEVEL);
    qtest_writel(qts, FRC2 + LOAD, 0x1000);
    qtest_writel(qts, FRC2 + ALARM, 0x1000 + 100);
    g_assert_cmphex(qtest_readl(qts, FRC2 + ALARM), ==, 0x1000 + 100);

    qtest_clock_step(qts, 50 * NS_DIV256);
    assert_near(qtest_readl(qts, FRC2 + COUNT), 0x1000 + 50, 1);
    g_assert_false(qtest_get_irq(qts, EDGE_FRC2));
    qtest_clock_step(qts, 50 * NS_DIV256);
    g_assert_true(qtest_get_irq(qts, EDGE_FRC2));
    g_assert_cmphex(qtest_readl(qts, FRC2 + CTRL) & CTRL_INT_STATUS, ==,
                    CTRL_INT_STATUS);
    /* COUNT goes on counting up past ALARM */
    qtest_clock_step(qts, 10 * NS_DIV256);
    assert_near(qtest_readl(qts, FRC2 + COUNT), 0x1000 + 110, 1);
    qtest_writel(qts, FRC2 + INT, 1);
    g_assert_false(qtest_get_irq(qts, EDGE_FRC2));
    qtest_quit(qts);
}

static void test_frc2_rate_and_disable(void)
{
    QTestState *qts = qtest_init("-machine esp8266");
    uint32_t held;

    /* undivided: the 80 MHz APB clock */
    qtest_writel(qts, FRC2 + CTRL, CTRL_ENABLE);
    qtest_writel(qts, FRC2 + LOAD, 0);
    qtest_clock_step(qts, 1000000);
    assert_near(qtest_readl(qts, FRC2 + COUNT), 80000, 1);

    /* disabled: COUNT holds */
    qtest_writel(qts, FRC2 + CTRL, 0);
    held = qtest_readl(qts, FRC2 + COUNT);
    qtest_clock_step(qts, 1000000);
    g_assert_cmphex(qtest_readl(qts, FRC2 + COUNT), ==, held);

    /* a new divider keeps the count and changes the rate */
    qtest_writel(qts, FRC2 + CTRL, CTRL_ENABLE | CTRL_DIV16);
    qtest_clock_step(qts, 1000000);
    assert_near(qtest_readl(qts, FRC2 + COUNT), held + 5000, 1);
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/esp8266-frc/frc1-count-down",
                   test_frc1_counts_down_then_from_max);
    qtest_add_func("/esp8266-frc/frc1-autoload-irq",
                   test_frc1_autoload_level_irq_through_dport);
    qtest_add_func("/esp8266-frc/frc2-alarm", test_frc2_alarm);
    qtest_add_func("/esp8266-frc/frc2-rate-disable",
                   test_frc2_rate_and_disable);
    return g_test_run();
}
