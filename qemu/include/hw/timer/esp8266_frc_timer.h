/*
 * ESP8266 FRC1/FRC2 timers (0x60000600)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_TIMER_ESP8266_FRC_TIMER_H
#define HW_TIMER_ESP8266_FRC_TIMER_H

#include "hw/sysbus.h"
#include "hw/clock.h"
#include "hw/ptimer.h"
#include "qom/object.h"

#define TYPE_ESP8266_FRC_TIMER "esp8266-frc-timer"
OBJECT_DECLARE_SIMPLE_TYPE(Esp8266FrcTimerState, ESP8266_FRC_TIMER)

#define ESP8266_FRC_MMIO_SIZE       0x100
#define ESP8266_FRC1_MAX            0x7FFFFF

enum {
    ESP8266_FRC1 = 0,               /* sysbus IRQ 0: 23-bit down counter */
    ESP8266_FRC2 = 1,               /* sysbus IRQ 1: 32-bit up counter */
    ESP8266_FRC_NUM,
};

typedef struct Esp8266Frc {
    struct Esp8266FrcTimerState *parent;
    /*
     * FRC1: the ptimer is the counter.  FRC2: the ptimer counts the ticks
     * left until COUNT reaches ALARM (COUNT = ALARM - ptimer count).
     */
    ptimer_state *ptimer;
    qemu_irq irq;
    uint32_t load;
    uint32_t ctrl;
    uint32_t alarm;                 /* FRC2 only */
    bool int_status;
    bool running;                   /* the ptimer runs (not just enabled) */
} Esp8266Frc;

/*
 * Clock input "clk": the APB clock both timers divide by 1, 16 or 256
 * (80 MHz on the ESP8266, whatever the CPU clock).
 */
struct Esp8266FrcTimerState {
    SysBusDevice parent_obj;

    MemoryRegion iomem;
    Clock *clk;
    Esp8266Frc frc[ESP8266_FRC_NUM];
};

#endif
