/*
 * ESP8266 pin multiplexer (IOMUX, 0x60000800)
 *
 * IOMUX_CONF (0x00) and one register per pad (0x04..0x40: function
 * select bits 4, 5 and 8, pull-up bit 7, sleep bits 0..3). Every word of
 * the block is stored and read back; the emulator does not route
 * signals by function (GPIO pads work whatever function is selected).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/xtensa/esp8266_compat.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "hw/misc/esp8266_iomux.h"
#include "hw/registerfields.h"
#include "migration/vmstate.h"
#include "trace.h"

REG32(CONF, 0x00)
REG32(PAD_FIRST, 0x04)
REG32(PAD_LAST, 0x40)

static uint64_t esp8266_iomux_read(void *opaque, hwaddr addr, unsigned size)
{
    Esp8266IomuxState *s = opaque;
    uint32_t r = s->regs[addr >> 2];

    if ((addr >> 2) > R_PAD_LAST) {
        qemu_log_mask(LOG_UNIMP, "%s: unknown register 0x%02" HWADDR_PRIx
                      " read (stored value returned)\n", __func__, addr);
    }
    trace_esp8266_iomux_read(addr, r);
    return r;
}

static void esp8266_iomux_write(void *opaque, hwaddr addr, uint64_t value,
                                unsigned size)
{
    Esp8266IomuxState *s = opaque;

    trace_esp8266_iomux_write(addr, value);
    if ((addr >> 2) > R_PAD_LAST) {
        qemu_log_mask(LOG_UNIMP, "%s: unknown register 0x%02" HWADDR_PRIx
                      " = 0x%08" PRIx64 " (stored)\n", __func__, addr, value);
    }
    s->regs[addr >> 2] = value;
}

static const MemoryRegionOps esp8266_iomux_ops = {
    .read = esp8266_iomux_read,
    .write = esp8266_iomux_write,
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

static void esp8266_iomux_reset_enter(Object *obj, ResetType type)
{
    Esp8266IomuxState *s = ESP8266_IOMUX(obj);

    memset(s->regs, 0, sizeof(s->regs));
}

static void esp8266_iomux_init(Object *obj)
{
    Esp8266IomuxState *s = ESP8266_IOMUX(obj);

    memory_region_init_io(&s->iomem, obj, &esp8266_iomux_ops, s,
                          TYPE_ESP8266_IOMUX, ESP8266_IOMUX_MMIO_SIZE);
    sysbus_init_mmio(SYS_BUS_DEVICE(obj), &s->iomem);
}

static const VMStateDescription vmstate_esp8266_iomux = {
    .name = TYPE_ESP8266_IOMUX,
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32_ARRAY(regs, Esp8266IomuxState, ESP8266_IOMUX_NUM_REGS),
        VMSTATE_END_OF_LIST()
    }
};

static void esp8266_iomux_class_init(ObjectClass *klass,
                                     ESP8266_CLASS_DATA *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    dc->vmsd = &vmstate_esp8266_iomux;
    dc->desc = "ESP8266 IOMUX";
    rc->phases.enter = esp8266_iomux_reset_enter;
}

static const TypeInfo esp8266_iomux_info = {
    .name = TYPE_ESP8266_IOMUX,
    .parent = TYPE_SYS_BUS_DEVICE,
    .instance_size = sizeof(Esp8266IomuxState),
    .instance_init = esp8266_iomux_init,
    .class_init = esp8266_iomux_class_init,
};

static void esp8266_iomux_register_types(void)
{
    type_register_static(&esp8266_iomux_info);
}

type_init(esp8266_iomux_register_types)
