// SPDX-License-Identifier: MIT
/*
 * RTC memory and RTC clock of the ESP8266_QEMU open HAL.
 *
 * Replaces the SDK's system_rtc_mem_read/write(), system_get_rtc_time() and
 * system_rtc_clock_cali_proc() (libmain). RTC memory (768 bytes at 0x60001000) is word
 * addressed: blocks 0..63 are the system part (our reset record, reset.c), 64..191 the user
 * part that machine.RTC().memory() uses. The RTC clock is the sleep counter
 * (RTC_SLP_CNT_VAL); its calibration is the nominal 160 kHz of the emulator's RTC.
 */

#include <string.h>
#include "hal.h"

#define RTC_USER_FIRST_BLOCK 64
#define RTC_LAST_BLOCK 192
// system_rtc_clock_cali_proc(): microseconds per RTC tick, Q12 (6.25 us at 160 kHz).
#define RTC_CAL_Q12 ((1000000u << 12) / HAL_RTC_CLOCK_HZ)

void hal_rtc_words_write(uint32_t addr, const void *src, uint32_t len) {
    const uint8_t *s = src;
    for (uint32_t i = 0; i < len; i += 4) {
        uint32_t w = 0;
        memcpy(&w, s + i, len - i < 4 ? len - i : 4);
        WRITE_PERI_REG(addr + i, w);
    }
}

void hal_rtc_words_read(uint32_t addr, void *dst, uint32_t len) {
    uint8_t *d = dst;
    for (uint32_t i = 0; i < len; i += 4) {
        uint32_t w = READ_PERI_REG(addr + i);
        memcpy(d + i, &w, len - i < 4 ? len - i : 4);
    }
}

bool system_rtc_mem_read(uint8_t src_addr, void *des_addr, uint16_t load_size) {
    if (src_addr < RTC_USER_FIRST_BLOCK || des_addr == NULL
        || src_addr * 4 + load_size > RTC_LAST_BLOCK * 4) {
        return false;
    }
    hal_rtc_words_read(HAL_RTC_MEM_BASE + src_addr * 4, des_addr, load_size);
    return true;
}

bool system_rtc_mem_write(uint8_t des_addr, const void *src_addr, uint16_t save_size) {
    if (des_addr < RTC_USER_FIRST_BLOCK || src_addr == NULL
        || des_addr * 4 + save_size > RTC_LAST_BLOCK * 4) {
        return false;
    }
    hal_rtc_words_write(HAL_RTC_MEM_BASE + des_addr * 4, src_addr, save_size);
    return true;
}

uint32_t system_get_rtc_time(void) {
    return READ_PERI_REG(HAL_RTC_SLP_CNT_VAL);
}

uint32_t system_rtc_clock_cali_proc(void) {
    return RTC_CAL_Q12;
}
