// SPDX-License-Identifier: MIT
/*
 * Deep sleep of the ESP8266_QEMU open HAL.
 *
 * Replaces the SDK's system_deep_sleep() and system_deep_sleep_set_option() (libmain):
 * programs the RTC's sleep timer (RTC_SLP_VAL) and its wake-up enable (RTC_STATE2 bit 3,
 * none for an endless sleep), then enters sleep (RTC_STATE0 bit 20). The chip wakes through
 * a reset with cause 5 (deep-sleep wake, see reset.c).
 */

#include "hal.h"

#define RTC_STATE0_SLEEP_EN BIT20
#define RTC_STATE2_WAKE_TIMER BIT3

static uint8_t sleep_option;

bool system_deep_sleep_set_option(uint8_t option) {
    // Recorded only: the option selects RF calibration after the wake-up (no radio here).
    sleep_option = option;
    return true;
}

void system_deep_sleep(uint64_t time_in_us) {
    (void)sleep_option;
    uint32_t ps;
    __asm__ volatile ("rsil %0, 15" : "=a" (ps));
    ets_delay_us(12000);    // drain UART0
    if (time_in_us != 0) {
        uint64_t ticks = time_in_us * HAL_RTC_CLOCK_HZ / 1000000;
        WRITE_PERI_REG(HAL_RTC_SLP_VAL, READ_PERI_REG(HAL_RTC_SLP_CNT_VAL) + (uint32_t)ticks);
        SET_PERI_REG_MASK(HAL_RTC_STATE2, RTC_STATE2_WAKE_TIMER);
    } else {
        CLEAR_PERI_REG_MASK(HAL_RTC_STATE2, RTC_STATE2_WAKE_TIMER);
    }
    SET_PERI_REG_MASK(HAL_RTC_STATE0, RTC_STATE0_SLEEP_EN);
    for (;;) {
        __asm__ volatile ("waiti 15");
    }
}
