/*
 * ESP8266 DPORT block (0x3FF00000) and the WDEV window with the hardware
 * random number generator (0x3FF20000)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_MISC_ESP8266_DPORT_H
#define HW_MISC_ESP8266_DPORT_H

#include "hw/sysbus.h"
#include "qom/object.h"

#define TYPE_ESP8266_DPORT "esp8266-dport"
OBJECT_DECLARE_SIMPLE_TYPE(Esp8266DportState, ESP8266_DPORT)

/*
 * DPORT registers 0x00..0x4F; the EFUSE/MAC words at 0x50..0x5F belong to
 * the SoC's EFUSE model and are not part of this region.
 */
#define ESP8266_DPORT_MMIO_SIZE     0x50
#define ESP8266_DPORT_NUM_REGS      (ESP8266_DPORT_MMIO_SIZE / 4)
#define ESP8266_WDEV_BASE           0x3FF20000
#define ESP8266_WDEV_MMIO_SIZE      0x1000

/*
 * Edge interrupt sources gated by EDGE_INT_ENABLE (DPORT+0x04): input
 * line n of the "edge-in" GPIO array is forwarded to output line n of
 * "edge-out" while bit n is set.
 */
enum {
    ESP8266_DPORT_EDGE_WDT = 0,     /* -> CPU interrupt 8 */
    ESP8266_DPORT_EDGE_FRC1 = 1,    /* -> CPU interrupt 9 */
    ESP8266_DPORT_EDGE_FRC2 = 2,    /* -> CPU interrupt 10 */
    ESP8266_DPORT_NUM_EDGE,
};

struct Esp8266DportState {
    SysBusDevice parent_obj;

    MemoryRegion iomem;     /* sysbus MMIO 0: DPORT at 0x3FF00000 */
    MemoryRegion wdev;      /* sysbus MMIO 1: WDEV window at 0x3FF20000 */
    qemu_irq edge_out[ESP8266_DPORT_NUM_EDGE];

    uint32_t regs[ESP8266_DPORT_NUM_REGS];
    uint32_t edge_in;       /* levels of the "edge-in" lines */
    int64_t us_base_ns;     /* virtual time when the WDEV us counter was 0 */
};

#endif
