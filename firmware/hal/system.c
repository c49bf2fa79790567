// SPDX-License-Identifier: MIT
/*
 * System information of the ESP8266_QEMU open HAL.
 *
 * Replaces the SDK's system_* queries and settings (libmain) that are not a service of
 * their own: chip id, SDK version, free heap and memory map, CPU frequency and the "OS
 * print" switch. Reset and restart are in reset.c, RTC memory and clock in rtc.c, deep
 * sleep in deep_sleep.c, watchdogs in watchdog.c, tasks in tasks.c, the UART swap in
 * uart_swap.c, the ADC in adc.c.
 */

#include "hal.h"
#include "mem.h"
#include "osapi.h"
#include "spi_flash.h"

extern uint32_t _heap_start[];
extern uint32_t _heap_end[];

const char *system_get_sdk_version(void) {
    return "open-hal";
}

uint32_t system_get_chip_id(void) {
    // The ROM derives it from the eFuse MAC; without eFuses, from the flash JEDEC id.
    return 0x00e55e00 ^ spi_flash_get_id();
}

uint32_t system_get_free_heap_size(void) {
    return xPortGetFreeHeapSize();
}

void system_print_meminfo(void) {
    extern uint32_t _data_start[], _data_end[], _rodata_start[], _rodata_end[];
    extern uint32_t _bss_start[], _bss_end[];
    ets_printf("data  : 0x%08x ~ 0x%08x, len: %u\n", (uint32_t)_data_start,
        (uint32_t)_data_end, (uint32_t)_data_end - (uint32_t)_data_start);
    ets_printf("rodata: 0x%08x ~ 0x%08x, len: %u\n", (uint32_t)_rodata_start,
        (uint32_t)_rodata_end, (uint32_t)_rodata_end - (uint32_t)_rodata_start);
    ets_printf("bss   : 0x%08x ~ 0x%08x, len: %u\n", (uint32_t)_bss_start,
        (uint32_t)_bss_end, (uint32_t)_bss_end - (uint32_t)_bss_start);
    ets_printf("heap  : 0x%08x ~ 0x%08x, len: %u\n", (uint32_t)_heap_start,
        (uint32_t)_heap_end, (uint32_t)_heap_end - (uint32_t)_heap_start);
}

uint8_t system_get_cpu_freq(void) {
    return ets_get_cpu_frequency();
}

bool system_update_cpu_freq(uint8_t freq) {
    if (freq == 80) {
        CLEAR_PERI_REG_MASK(HAL_DPORT_CPU_CLK, 1);
    } else if (freq == 160) {
        SET_PERI_REG_MASK(HAL_DPORT_CPU_CLK, 1);
    } else {
        return false;
    }
    ets_update_cpu_frequency(freq);
    return true;
}

void system_set_os_print(uint8_t onoff) {
    // Accepted, no effect.
    (void)onoff;
}
