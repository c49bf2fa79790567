// SPDX-License-Identifier: MIT
/*
 * Watchdogs of the ESP8266_QEMU open HAL.
 *
 * Replaces the SDK's software watchdog (system_soft_wdt_feed/stop/restart, libmain) and
 * the ROM's ets_wdt_enable/disable, and drives the hardware watchdog (0x60000900) as the
 * SDK does: off from reset until the HAL's timers run, then with the SDK's stages (2^13 and
 * 2^11 x 0.8 ms: about 8 s) and fed every 1.6 s from the timer interrupt. The same 1.6 s
 * tick counts the soft watchdog, which the port feeds through the word before
 * pend_flag_noise_check (vectors.S) and machine.WDT.feed(); the second tick without a feed
 * (1.6 to 3.2 s after it) resets the board with reason "soft WDT", as the SDK does.
 */

#include "hal.h"

#define WDT_BASE 0x60000900
#define WDT_CTL (WDT_BASE + 0x00)
#define WDT_OP (WDT_BASE + 0x04)
#define WDT_OP_ND (WDT_BASE + 0x08)
#define WDT_RST (WDT_BASE + 0x14)
#define WDT_FEED_MAGIC 0x73
#define WDT_CTL_EN BIT(0)
#define WDT_CTL_RESET_LEN (7 << 3)
// Hardware watchdog stages, 2^n x 0.8 ms, the SDK's values: 6.6 s, then 1.6 s to the reset.
#define WDT_STAGE0_EXP 13
#define WDT_STAGE1_EXP 11

// The soft watchdog resets at this many 1.6 s ticks without a feed: at most 3.2 s, the
// SDK's soft watchdog timeout as measured on boards (docs/firmware.md, "Watchdogs").
#define SOFT_WDT_PERIOD_MS 1600
#define SOFT_WDT_TICKS 2

extern uint32_t hal_soft_wdt_count[];

static ETSTimer soft_wdt_timer;
static bool soft_wdt_enabled = true;

static void hw_wdt_enable(void) {
    WRITE_PERI_REG(WDT_CTL, READ_PERI_REG(WDT_CTL) & ~WDT_CTL_EN);
    WRITE_PERI_REG(WDT_OP, WDT_STAGE0_EXP);
    WRITE_PERI_REG(WDT_OP_ND, WDT_STAGE1_EXP);
    // Response mode 0 (stage 0 ends with an interrupt, which DPORT does not route: no
    // handler), then stage 1 ends with the reset.
    WRITE_PERI_REG(WDT_CTL, WDT_CTL_RESET_LEN | WDT_CTL_EN);
}

static void hw_wdt_disable(void) {
    WRITE_PERI_REG(WDT_CTL, READ_PERI_REG(WDT_CTL) & ~WDT_CTL_EN);
}

// Every 1.6 s, from the timer interrupt: feeds the hardware watchdog, so only a CPU stuck
// with interrupts masked (or in an interrupt handler) for ~8 s gets the hardware reset, and
// counts the soft watchdog, which catches code that runs with interrupts on but stops
// calling ets_loop_iter() (or machine.WDT.feed()).
static void soft_wdt_tick(void *arg) {
    (void)arg;
    WRITE_PERI_REG(WDT_RST, WDT_FEED_MAGIC);
    if (soft_wdt_enabled && ++hal_soft_wdt_count[0] >= SOFT_WDT_TICKS) {
        struct rst_info info = {.reason = REASON_SOFT_WDT_RST};
        hal_uart0_puts_raw("\r\nSoft WDT reset\r\n");
        hal_reset_with_info(&info);
    }
}

void hal_watchdog_init(void) {
    // Hardware watchdog off until the timers run (hal_soft_wdt_start feeds it).
    hw_wdt_disable();
}

void hal_soft_wdt_start(void) {
    ets_timer_setfn(&soft_wdt_timer, soft_wdt_tick, NULL);
    ets_timer_arm_new(&soft_wdt_timer, SOFT_WDT_PERIOD_MS, true, true);
    hw_wdt_enable();
}

void system_soft_wdt_feed(void) {
    hal_soft_wdt_count[0] = 0;
}

void system_soft_wdt_stop(void) {
    soft_wdt_enabled = false;
}

void system_soft_wdt_restart(void) {
    hal_soft_wdt_count[0] = 0;
    soft_wdt_enabled = true;
}

void ets_wdt_enable(void) {
    hw_wdt_enable();
    system_soft_wdt_restart();
}

void ets_wdt_disable(void) {
    hw_wdt_disable();
    system_soft_wdt_stop();
}
