// SPDX-License-Identifier: MIT
// The ESP8266_QEMU open HAL's own interface: what its files call of each other beyond the
// SDK/ROM API declared in the other headers (start-up, the register frame, reset records,
// lwIP's task). One section per file.
#ifndef HAL_HAL_H
#define HAL_HAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "user_interface.h"

// Register frame that vectors.S saves on the interrupted stack (keep in sync).
typedef struct _hal_frame_t {
    uint32_t a[16];     // a0..a15 (a1 = stack pointer before the exception)
    uint32_t epc1;
    uint32_t ps;
    uint32_t sar;
    uint32_t exccause;
} hal_frame_t;

// Peripheral registers that more than one HAL file drives.
#define HAL_FRC2_COUNT (0x60000600 + 0x24)
#define HAL_FRC2_CTRL (0x60000600 + 0x28)
#define HAL_FRC2_TICKS_PER_US 5     // 80 MHz / 16
#define HAL_DPORT_CPU_CLK (0x3ff00014)
#define HAL_RTC_BASE 0x60000700
#define HAL_RTC_CTRL0 (HAL_RTC_BASE + 0x00)
#define HAL_RTC_CTRL0_SW_RESET BIT31
#define HAL_RTC_SLP_VAL (HAL_RTC_BASE + 0x04)
#define HAL_RTC_STATE0 (HAL_RTC_BASE + 0x08)
#define HAL_RTC_STATE1 (HAL_RTC_BASE + 0x14)
#define HAL_RTC_STATE2 (HAL_RTC_BASE + 0x18)
#define HAL_RTC_SLP_CNT_VAL (HAL_RTC_BASE + 0x1C)
#define HAL_RTC_CLOCK_HZ 160000
#define HAL_RTC_MEM_BASE 0x60001000

static inline uint32_t hal_ccount(void) {
    uint32_t c;
    __asm__ volatile ("rsr %0, ccount" : "=a" (c));
    return c;
}

// vectors.S: a 32-bit load that returns fallback instead of crashing when nothing is mapped.
uint32_t hal_probe_read32(uint32_t addr, uint32_t fallback);
// startup.c
void hal_start(void) __attribute__((noreturn));
// interrupts.c
void hal_level1_dispatch(hal_frame_t *frame);
void hal_interrupts_init(void);
// fatal.c
void hal_fatal_exception(hal_frame_t *frame) __attribute__((noreturn));
// timer.c
void hal_timer_init(void);
extern uint32_t hal_cpu_mhz;
// uart_os.c
void hal_uart0_putc_raw(char c);
void hal_uart0_puts_raw(const char *s);
// flash.c
void hal_flash_init(void);
// reset.c
void hal_reset_init(void);
void hal_reset_with_info(const struct rst_info *info) __attribute__((noreturn));
// rtc.c: word-wise copies to and from RTC memory (len in bytes, any alignment of the buffer).
void hal_rtc_words_write(uint32_t addr, const void *src, uint32_t len);
void hal_rtc_words_read(uint32_t addr, void *dst, uint32_t len);
// watchdog.c
void hal_watchdog_init(void);
void hal_soft_wdt_start(void);
// heap.c
void hal_heap_init(void);

// lwip_port.c (with the network): lwIP's start, its task and its periodic tick. A network
// driver registers the routine that hands its received frames to lwIP; that routine runs in
// the lwIP task, which the driver's interrupt handler wakes with hal_net_post().
typedef void (*hal_net_input_fn_t)(void);
void hal_net_init(void);
void hal_net_start(hal_net_input_fn_t input);
void hal_net_post(void);
// (lwip_port.c also gives lwIP its heap: hal_lwip_malloc/calloc/free, declared in lwipopts.h.)

#endif // HAL_HAL_H
