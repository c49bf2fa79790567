/*
 * ESP8266 RTC block (0x60000700) and RTC memory (0x60001000)
 *
 * Reset cause, software restart, RTC counter, deep sleep with timer
 * wake-up, scratch registers, GPIO16 and 1 KiB of RTC memory that
 * survives every reset except power-on.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_MISC_ESP8266_RTC_H
#define HW_MISC_ESP8266_RTC_H

#include "hw/sysbus.h"
#include "qemu/timer.h"
#include "qom/object.h"

#define TYPE_ESP8266_RTC "esp8266-rtc"
OBJECT_DECLARE_SIMPLE_TYPE(Esp8266RtcState, ESP8266_RTC)

#define ESP8266_RTC_MMIO_SIZE       0x100
#define ESP8266_RTC_RAM_SIZE        0x400
#define ESP8266_RTC_NUM_REGS        (ESP8266_RTC_MMIO_SIZE / 4)

/*
 * Frequency of the RTC counter (RTC_SLP_CNT_VAL) in the emulator. Real
 * chips run it from a ~150 kHz RC oscillator that software calibrates;
 * 160 kHz makes the calibration value (microseconds per tick, Q12) an
 * exact 25600.
 */
#define ESP8266_RTC_CLOCK_HZ        160000
/* Crystal frequency that the GPIO block's RTC calibration counts in. */
#define ESP8266_XTAL_HZ             26000000

/*
 * Causes of the last reset. The hardware code that the guest reads in
 * RTC_STATE1[3:0] is given for each (see docs/qemu-peripherals.md).
 */
typedef enum Esp8266ResetCause {
    ESP8266_RESET_NONE = 0,         /* no pending cause (internal) */
    ESP8266_RESET_POWER_ON,         /* QEMU start: code 1 */
    ESP8266_RESET_EXTERNAL,         /* QMP system_reset etc.: code 2 */
    ESP8266_RESET_SOFTWARE,         /* RTC_CTRL0 bit 31: code 3 */
    ESP8266_RESET_WATCHDOG,         /* hardware watchdog: code 4 */
    ESP8266_RESET_DEEP_SLEEP,       /* deep-sleep timer wake: code 5 */
    ESP8266_RESET_EXCEPTION,        /* set by a device: code 3 */
    ESP8266_RESET_NUM_CAUSES,
} Esp8266ResetCause;

/*
 * Connections:
 *  - GPIO in "reset-cause" (one line per Esp8266ResetCause): a rising
 *    edge on line c makes c the cause of the next system reset (raise it
 *    right before the reset request; a reset without a recorded cause
 *    counts as external, or as power-on for the first one);
 *  - GPIO out "runstall": high in deep sleep (the CPU is stalled);
 *  - GPIO out "deep-sleep": the same level, for the watchdog;
 *  - GPIO16 lives in this block: GPIO in "gpio16-in" (the level the host
 *    drives), GPIO out "gpio16-level" (the pad) and "gpio16-oe" (output
 *    enabled), for the GPIO device;
 *  - QOM properties "reset-code" (RTC_STATE1[3:0] of the last reset) and
 *    "reset-cause" (its name), read-only.
 */
struct Esp8266RtcState {
    SysBusDevice parent_obj;

    MemoryRegion iomem;
    MemoryRegion mem;
    QEMUTimer *wake_timer;
    qemu_irq runstall;
    qemu_irq deep_sleep;
    qemu_irq gpio16_level;
    qemu_irq gpio16_oe;

    uint32_t regs[ESP8266_RTC_NUM_REGS];
    int64_t counter_base_ns;        /* virtual time when RTC_COUNTER was 0 */
    uint32_t cause;                 /* Esp8266ResetCause of the last reset */
    uint32_t pending;               /* Esp8266ResetCause of the next reset */
    bool powered;                   /* false until the power-on reset */
    bool sleeping;
    uint32_t gpio16_in;             /* level driven by the host on GPIO16 */
};

#endif
