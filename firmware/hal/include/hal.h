// Internal interface between the files of the ESP8266_QEMU open HAL.
#ifndef HAL_HAL_H
#define HAL_HAL_H

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

// Peripheral registers that the HAL drives directly.
#define HAL_FRC2_COUNT (0x60000600 + 0x24)
#define HAL_FRC2_CTRL (0x60000600 + 0x28)
#define HAL_FRC2_TICKS_PER_US 5     // 80 MHz / 16
#define HAL_RTC_MEM_BASE 0x60001000
#define HAL_DPORT_CPU_CLK (0x3ff00014)

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
// system.c
void hal_system_init(void);
void hal_soft_wdt_start(void);
void hal_reset_with_info(const struct rst_info *info) __attribute__((noreturn));
// heap.c
void hal_heap_init(void);

#endif // HAL_HAL_H
