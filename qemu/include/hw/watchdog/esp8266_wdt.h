/*
 * ESP8266 hardware watchdog (0x60000900)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_WATCHDOG_ESP8266_WDT_H
#define HW_WATCHDOG_ESP8266_WDT_H

#include "hw/sysbus.h"
#include "qemu/timer.h"
#include "qom/object.h"

#define TYPE_ESP8266_WDT "esp8266-wdt"
OBJECT_DECLARE_SIMPLE_TYPE(Esp8266WdtState, ESP8266_WDT)

#define ESP8266_WDT_MMIO_SIZE       0x100
#define ESP8266_WDT_NUM_REGS        (ESP8266_WDT_MMIO_SIZE / 4)
/* Writing this to WDT_RST (0x14) feeds the watchdog. */
#define ESP8266_WDT_FEED_MAGIC      0x73
/* Stage n lasts 2^(OP & 0xF) units of 0.8 ms. */
#define ESP8266_WDT_UNIT_NS         800000

/*
 * Connections: sysbus IRQ 0 (stage 0 interrupt, through DPORT), GPIO out
 * "reset-cause" (raised right before a watchdog reset; to the RTC's
 * "reset-cause" line for the watchdog), GPIO in "sleep" (high while the
 * chip is in deep sleep: the watchdog does nothing).
 */
struct Esp8266WdtState {
    SysBusDevice parent_obj;

    MemoryRegion iomem;
    QEMUTimer *timer;
    qemu_irq irq;                   /* stage 0 interrupt, via DPORT bit 0 */
    qemu_irq reset_cause;

    uint32_t regs[ESP8266_WDT_NUM_REGS];
    uint32_t stage;                 /* 0 or 1 while enabled */
    bool sleeping;                  /* GPIO in "sleep" */
};

#endif
