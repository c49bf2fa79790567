/*
 * ESP8266 GPIO block (0x60000300)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_GPIO_ESP8266_GPIO_H
#define HW_GPIO_ESP8266_GPIO_H

#include "hw/sysbus.h"
#include "qom/object.h"

#define TYPE_ESP8266_GPIO "esp8266-gpio"
OBJECT_DECLARE_SIMPLE_TYPE(Esp8266GpioState, ESP8266_GPIO)

#define ESP8266_GPIO_MMIO_SIZE      0x100
/* GPIO0..15 here; GPIO16 is part of the RTC block. */
#define ESP8266_GPIO_NUM_PINS       16
#define ESP8266_GPIO_PIN16          16
#define ESP8266_GPIO_ALL_PINS       0x1FFFF /* bits 0..16 of in/out/enable */
#define ESP8266_GPIO_MAX_WIRES      8

/*
 * Host interface (QOM properties, e.g. over QMP qom-get/qom-set on
 * /machine/soc/gpio):
 *   "in"      uint32 r/w: levels the host drives on pins 0..16 (bit 16 =
 *             GPIO16); default 0x1FFFF (every pin pulled high)
 *   "out"     uint32 r/o: level on each pad (bit 16 = GPIO16)
 *   "enable"  uint32 r/o: output-enable mask (bit 16 = GPIO16)
 *   "meter"   r/o, one snapshot {"clock-ns": QEMU_CLOCK_VIRTUAL now,
 *             "high-ns": [16 x virtual ns each pad 0..15 has been high],
 *             "edges": [16 x level changes seen on pads 0..15]}; a host-side
 *             meter since the machine was created (a guest reset keeps it).
 *   "wires"   string r/w: pads joined by a wire outside the chip, "A-B"
 *             pairs of pins 0..15 separated by commas (e.g. "4-5", as
 *             MicroPython's tests/target_wiring/esp8266.py asks); "" none.
 *             A pad that does not drive takes the level of the pad wired to
 *             it when that one drives (an output, or open drain pulling
 *             low), else the host's level. Also a -global property.
 * Two snapshots give a pin's duty cycle and frequency in guest time,
 * independent of how fast the host polls.
 * Named GPIO lines for other QEMU devices: "pin-in" (17 inputs, same as
 * the bits of "in") and "pin-out" (16 outputs: pad levels of pins 0..15).
 * GPIO16 is part of the RTC block, connected by three lines: out
 * "gpio16-in" (the host's level, bit 16 of "in") to the RTC, and the two
 * inputs "gpio16-from-rtc" (0: its pad level, 1: output enabled).
 */
struct Esp8266GpioState {
    SysBusDevice parent_obj;

    MemoryRegion iomem;
    qemu_irq irq;                   /* CPU interrupt 4, level */
    qemu_irq pin_out[ESP8266_GPIO_NUM_PINS];
    qemu_irq gpio16_in;             /* to the RTC: host level on GPIO16 */

    uint32_t out;
    uint32_t enable;
    uint32_t status;
    uint32_t pin[ESP8266_GPIO_NUM_PINS];
    uint32_t sigma_delta;
    uint32_t calib_sync;
    uint32_t host_in;               /* "in" property */
    uint32_t pads;                  /* last pad levels, for edge detection */
    uint32_t strapping;             /* IN[31:16] */
    bool gpio16_level;              /* from the RTC: GPIO16's pad */
    bool gpio16_oe;                 /* from the RTC: GPIO16 is an output */

    /* Wires between pads outside the chip (board wiring, not migrated). */
    char *wires;                    /* "wires" property, as given */
    unsigned num_wires;
    uint8_t wire[ESP8266_GPIO_MAX_WIRES][2];

    /* Host-side pad meter (not guest state, not migrated). */
    int64_t pads_since_ns;          /* virtual time of the last accounting */
    uint64_t high_ns[ESP8266_GPIO_NUM_PINS];
    uint64_t edges[ESP8266_GPIO_NUM_PINS];
};

#endif
