/*
 * ESP8266 pin multiplexer (IOMUX, 0x60000800)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_MISC_ESP8266_IOMUX_H
#define HW_MISC_ESP8266_IOMUX_H

#include "hw/sysbus.h"
#include "qom/object.h"

#define TYPE_ESP8266_IOMUX "esp8266-iomux"
OBJECT_DECLARE_SIMPLE_TYPE(Esp8266IomuxState, ESP8266_IOMUX)

#define ESP8266_IOMUX_MMIO_SIZE     0x100
#define ESP8266_IOMUX_NUM_REGS      (ESP8266_IOMUX_MMIO_SIZE / 4)

struct Esp8266IomuxState {
    SysBusDevice parent_obj;

    MemoryRegion iomem;
    uint32_t regs[ESP8266_IOMUX_NUM_REGS];
};

#endif
