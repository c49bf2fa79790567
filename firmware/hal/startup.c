// SPDX-License-Identifier: MIT
/*
 * Start-up of the ESP8266_QEMU open HAL.
 *
 * Replaces the SDK's call_user_start (libmain) and the ROM's start-up: zero .bss, bring up
 * the HAL services (heap, interrupts, timers, flash, reset info), then run the port's
 * firmware_start -> call_user_start -> user_init -> init-done callback sequence, which
 * never returns (MicroPython's REPL loop runs inside the init-done callback).
 */

#include <string.h>
#include "hal.h"

extern uint32_t _bss_start[];
extern uint32_t _bss_end[];

static init_done_cb_t init_done_cb;

void firmware_start(void);
void user_init(void);
void call_user_start(void) __attribute__((noreturn));

void system_init_done_cb(init_done_cb_t cb) {
    init_done_cb = cb;
}

void hal_start(void) {
    for (uint32_t *p = _bss_start; p < _bss_end; ++p) {
        *p = 0;
    }
    hal_heap_init();
    hal_watchdog_init();
    hal_reset_init();
    hal_interrupts_init();
    hal_timer_init();
    hal_flash_init();
    // The port's entry (esp_init_data.c); it ends by jumping to call_user_start.
    firmware_start();
    for (;;) {
    }
}

void call_user_start(void) {
    // Interrupts on: level-1 handlers attached by the port start to run from here.
    __asm__ volatile ("rsil a2, 0" : : : "a2");
    hal_soft_wdt_start();
    #if MICROPY_PY_NETWORK_QEMU
    // lwIP and its task (lwip_port.c); the NIC itself starts with network.WLAN().active(True).
    hal_net_init();
    #endif
    user_init();
    if (init_done_cb != NULL) {
        init_done_cb();
    }
    // Only reached if the init-done callback returns: idle forever.
    for (;;) {
        __asm__ volatile ("waiti 0");
    }
}
