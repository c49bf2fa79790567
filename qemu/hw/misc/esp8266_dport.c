/*
 * ESP8266 DPORT block (0x3FF00000) and the WDEV window (0x3FF20000)
 *
 * DPORT: EDGE_INT_ENABLE (0x04) gates the edge interrupts of the
 * watchdog (bit 0), FRC1 (bit 1) and FRC2 (bit 2) on their way to the
 * CPU; the other registers are stored and logged as unimplemented.
 * WDEV: the hardware random number generator word at 0x3FF20E44 returns
 * fresh host randomness on every read, and WDEV_COUNT (0x3FF20C00) is a
 * free-running microsecond counter (the SDK's system_get_time() source).
 * The rest of the WDEV window (the WiFi MAC) reads as zero and logs.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/xtensa/esp8266_compat.h"
#include "qemu/guest-random.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "qemu/timer.h"
#include "hw/misc/esp8266_dport.h"
#include "hw/irq.h"
#include "hw/registerfields.h"
#include "migration/vmstate.h"
#include "trace.h"

REG32(DPORT0, 0x00)
REG32(EDGE_INT_ENABLE, 0x04)
REG32(CACHE_FLASH_CTRL, 0x0C)
REG32(CTL, 0x14)
    FIELD(CTL, DOUBLE_CLK, 0, 1)
REG32(PERI_IO, 0x28)

/* Offsets inside the WDEV window. */
REG32(WDEV_COUNT, 0xC00)
REG32(WDEV_RNG, 0xE44)

static void esp8266_dport_update_edges(Esp8266DportState *s)
{
    int i;

    for (i = 0; i < ESP8266_DPORT_NUM_EDGE; i++) {
        bool level = (s->edge_in & s->regs[R_EDGE_INT_ENABLE]) & BIT(i);

        qemu_set_irq(s->edge_out[i], level);
    }
}

static void esp8266_dport_edge_in(void *opaque, int n, int level)
{
    Esp8266DportState *s = opaque;
    bool enabled = s->regs[R_EDGE_INT_ENABLE] & BIT(n);

    trace_esp8266_dport_edge(n, level, enabled);
    if (level) {
        s->edge_in |= BIT(n);
    } else {
        s->edge_in &= ~BIT(n);
    }
    qemu_set_irq(s->edge_out[n], level && enabled);
}

static uint64_t esp8266_dport_read(void *opaque, hwaddr addr, unsigned size)
{
    Esp8266DportState *s = opaque;
    uint32_t r = s->regs[addr >> 2];

    switch (addr >> 2) {
    case R_EDGE_INT_ENABLE:
        break;
    default:
        qemu_log_mask(LOG_UNIMP, "%s: unimplemented register 0x%02" HWADDR_PRIx
                      " read (stored value returned)\n", __func__, addr);
        break;
    }
    trace_esp8266_dport_read(addr, r);
    return r;
}

static void esp8266_dport_write(void *opaque, hwaddr addr, uint64_t value,
                                unsigned size)
{
    Esp8266DportState *s = opaque;

    trace_esp8266_dport_write(addr, value);
    s->regs[addr >> 2] = value;
    switch (addr >> 2) {
    case R_EDGE_INT_ENABLE:
        esp8266_dport_update_edges(s);
        break;
    default:
        qemu_log_mask(LOG_UNIMP, "%s: unimplemented register 0x%02" HWADDR_PRIx
                      " = 0x%08" PRIx64 " (stored)\n", __func__, addr, value);
        break;
    }
}

static const MemoryRegionOps esp8266_dport_ops = {
    .read = esp8266_dport_read,
    .write = esp8266_dport_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
    .impl = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
};

static uint64_t esp8266_wdev_read(void *opaque, hwaddr addr, unsigned size)
{
    Esp8266DportState *s = opaque;
    uint32_t r = 0;

    switch (addr >> 2) {
    case R_WDEV_RNG:
        qemu_guest_getrandom_nofail(&r, sizeof(r));
        break;
    case R_WDEV_COUNT:
        r = (qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) - s->us_base_ns) /
            SCALE_US;
        break;
    default:
        qemu_log_mask(LOG_UNIMP, "%s: unimplemented WDEV register 0x%03"
                      HWADDR_PRIx " read as 0\n", __func__, addr);
        break;
    }
    trace_esp8266_wdev_read(addr, r);
    return r;
}

static void esp8266_wdev_write(void *opaque, hwaddr addr, uint64_t value,
                               unsigned size)
{
    qemu_log_mask(LOG_UNIMP, "%s: unimplemented WDEV register 0x%03"
                  HWADDR_PRIx " = 0x%08" PRIx64 " (ignored)\n", __func__,
                  addr, value);
}

static const MemoryRegionOps esp8266_wdev_ops = {
    .read = esp8266_wdev_read,
    .write = esp8266_wdev_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
    .impl = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
};

static void esp8266_dport_reset_enter(Object *obj, ResetType type)
{
    Esp8266DportState *s = ESP8266_DPORT(obj);

    memset(s->regs, 0, sizeof(s->regs));
    s->us_base_ns = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

static void esp8266_dport_reset_hold(Object *obj, ResetType type)
{
    esp8266_dport_update_edges(ESP8266_DPORT(obj));
}

static void esp8266_dport_init(Object *obj)
{
    Esp8266DportState *s = ESP8266_DPORT(obj);
    SysBusDevice *sbd = SYS_BUS_DEVICE(obj);

    memory_region_init_io(&s->iomem, obj, &esp8266_dport_ops, s,
                          TYPE_ESP8266_DPORT, ESP8266_DPORT_MMIO_SIZE);
    sysbus_init_mmio(sbd, &s->iomem);
    memory_region_init_io(&s->wdev, obj, &esp8266_wdev_ops, s,
                          "esp8266-wdev", ESP8266_WDEV_MMIO_SIZE);
    sysbus_init_mmio(sbd, &s->wdev);
    qdev_init_gpio_in_named(DEVICE(obj), esp8266_dport_edge_in, "edge-in",
                            ESP8266_DPORT_NUM_EDGE);
    qdev_init_gpio_out_named(DEVICE(obj), s->edge_out, "edge-out",
                             ESP8266_DPORT_NUM_EDGE);
}

static const VMStateDescription vmstate_esp8266_dport = {
    .name = TYPE_ESP8266_DPORT,
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32_ARRAY(regs, Esp8266DportState, ESP8266_DPORT_NUM_REGS),
        VMSTATE_UINT32(edge_in, Esp8266DportState),
        VMSTATE_INT64(us_base_ns, Esp8266DportState),
        VMSTATE_END_OF_LIST()
    }
};

static void esp8266_dport_class_init(ObjectClass *klass,
                                     ESP8266_CLASS_DATA *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    dc->vmsd = &vmstate_esp8266_dport;
    dc->desc = "ESP8266 DPORT block, RNG and WDEV counter";
    rc->phases.enter = esp8266_dport_reset_enter;
    rc->phases.hold = esp8266_dport_reset_hold;
}

static const TypeInfo esp8266_dport_info = {
    .name = TYPE_ESP8266_DPORT,
    .parent = TYPE_SYS_BUS_DEVICE,
    .instance_size = sizeof(Esp8266DportState),
    .instance_init = esp8266_dport_init,
    .class_init = esp8266_dport_class_init,
};

static void esp8266_dport_register_types(void)
{
    type_register_static(&esp8266_dport_info);
}

type_init(esp8266_dport_register_types)
