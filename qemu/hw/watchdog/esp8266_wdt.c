/*
 * ESP8266 hardware watchdog (0x60000900)
 *
 * WDT_CTL (0x00): bit 0 enables, bits [2:1] response mode, bits [5:3]
 * reset length (stored). WDT_OP (0x04) and WDT_OP_ND (0x08): stage 0 and
 * stage 1 timeouts, 2^(value & 0xF) * 0.8 ms. Writing 0x73 to WDT_RST
 * (0x14) feeds: the count restarts with stage 0. When stage 0 expires the
 * watchdog raises its interrupt (response mode 0 only; CPU interrupt 8
 * through DPORT EDGE_INT_ENABLE bit 0) and starts stage 1; when stage 1
 * expires QEMU's watchdog action runs (default: reset, with the watchdog
 * cause; see -action watchdog=...). Nothing happens while the chip is in
 * deep sleep.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/xtensa/esp8266_compat.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "qapi/error.h"
#include "hw/watchdog/esp8266_wdt.h"
#include "hw/irq.h"
#include "hw/registerfields.h"
#include "migration/vmstate.h"
#include "system/watchdog.h"
#include "trace.h"

REG32(CTL, 0x00)
    FIELD(CTL, EN, 0, 1)
    FIELD(CTL, RSPMOD, 1, 2)
    FIELD(CTL, RSTLEN, 3, 3)
REG32(OP, 0x04)
REG32(OP_ND, 0x08)
REG32(RST, 0x14)

static int64_t esp8266_wdt_stage_ns(Esp8266WdtState *s, int stage)
{
    uint32_t exp = s->regs[stage ? R_OP_ND : R_OP] & 0xF;

    return (int64_t)ESP8266_WDT_UNIT_NS << exp;
}

static void esp8266_wdt_start_stage(Esp8266WdtState *s, int stage)
{
    s->stage = stage;
    timer_mod(s->timer, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) +
              esp8266_wdt_stage_ns(s, stage));
}

static void esp8266_wdt_expired(void *opaque)
{
    Esp8266WdtState *s = opaque;

    trace_esp8266_wdt_expired(s->stage);
    if (s->sleeping) {
        return;
    }
    if (s->stage == 0) {
        if (FIELD_EX32(s->regs[R_CTL], CTL, RSPMOD) == 0) {
            qemu_irq_pulse(s->irq);
        }
        esp8266_wdt_start_stage(s, 1);
        return;
    }
    /* Default action: reset (-action watchdog=... can choose another). */
    if (get_watchdog_action() == WATCHDOG_ACTION_RESET) {
        qemu_irq_pulse(s->reset_cause);
    }
    timer_del(s->timer);
    watchdog_perform_action();
}

static uint64_t esp8266_wdt_read(void *opaque, hwaddr addr, unsigned size)
{
    Esp8266WdtState *s = opaque;
    uint32_t r = s->regs[addr >> 2];

    switch (addr >> 2) {
    case R_CTL:
    case R_OP:
    case R_OP_ND:
        break;
    case R_RST:
        r = 0;
        break;
    default:
        qemu_log_mask(LOG_UNIMP, "%s: unimplemented register 0x%02" HWADDR_PRIx
                      " read (stored value returned)\n", __func__, addr);
        break;
    }
    trace_esp8266_wdt_read(addr, r);
    return r;
}

static void esp8266_wdt_write(void *opaque, hwaddr addr, uint64_t value,
                              unsigned size)
{
    Esp8266WdtState *s = opaque;
    uint32_t v = value;
    bool was_enabled = FIELD_EX32(s->regs[R_CTL], CTL, EN);

    trace_esp8266_wdt_write(addr, v);
    switch (addr >> 2) {
    case R_CTL:
        s->regs[R_CTL] = v;
        if (!FIELD_EX32(v, CTL, EN)) {
            timer_del(s->timer);
        } else if (!was_enabled) {
            esp8266_wdt_start_stage(s, 0);
        }
        break;
    case R_OP:
    case R_OP_ND:
        s->regs[addr >> 2] = v;
        break;
    case R_RST:
        if (v != ESP8266_WDT_FEED_MAGIC) {
            qemu_log_mask(LOG_GUEST_ERROR, "%s: WDT_RST written with 0x%"
                          PRIx32 ", not the feed value 0x%x\n", __func__, v,
                          ESP8266_WDT_FEED_MAGIC);
            break;
        }
        if (was_enabled) {
            esp8266_wdt_start_stage(s, 0);
        }
        break;
    default:
        qemu_log_mask(LOG_UNIMP, "%s: unimplemented register 0x%02" HWADDR_PRIx
                      " = 0x%08" PRIx32 " (stored)\n", __func__, addr, v);
        s->regs[addr >> 2] = v;
        break;
    }
}

static const MemoryRegionOps esp8266_wdt_ops = {
    .read = esp8266_wdt_read,
    .write = esp8266_wdt_write,
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

static void esp8266_wdt_reset_enter(Object *obj, ResetType type)
{
    Esp8266WdtState *s = ESP8266_WDT(obj);

    timer_del(s->timer);
    memset(s->regs, 0, sizeof(s->regs));
    s->stage = 0;
}

static void esp8266_wdt_reset_hold(Object *obj, ResetType type)
{
    qemu_irq_lower(ESP8266_WDT(obj)->irq);
}

static void esp8266_wdt_set_sleep(void *opaque, int n, int level)
{
    ESP8266_WDT(opaque)->sleeping = level;
}

static void esp8266_wdt_init(Object *obj)
{
    Esp8266WdtState *s = ESP8266_WDT(obj);
    SysBusDevice *sbd = SYS_BUS_DEVICE(obj);

    memory_region_init_io(&s->iomem, obj, &esp8266_wdt_ops, s,
                          TYPE_ESP8266_WDT, ESP8266_WDT_MMIO_SIZE);
    sysbus_init_mmio(sbd, &s->iomem);
    sysbus_init_irq(sbd, &s->irq);
    qdev_init_gpio_out_named(DEVICE(obj), &s->reset_cause, "reset-cause", 1);
    qdev_init_gpio_in_named(DEVICE(obj), esp8266_wdt_set_sleep, "sleep", 1);
}

static void esp8266_wdt_realize(DeviceState *dev, Error **errp)
{
    Esp8266WdtState *s = ESP8266_WDT(dev);

    s->timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, esp8266_wdt_expired, s);
}

static const VMStateDescription vmstate_esp8266_wdt = {
    .name = TYPE_ESP8266_WDT,
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32_ARRAY(regs, Esp8266WdtState, ESP8266_WDT_NUM_REGS),
        VMSTATE_UINT32(stage, Esp8266WdtState),
        VMSTATE_TIMER_PTR(timer, Esp8266WdtState),
        VMSTATE_BOOL(sleeping, Esp8266WdtState),
        VMSTATE_END_OF_LIST()
    }
};

static void esp8266_wdt_class_init(ObjectClass *klass, ESP8266_CLASS_DATA *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    dc->realize = esp8266_wdt_realize;
    dc->vmsd = &vmstate_esp8266_wdt;
    dc->desc = "ESP8266 hardware watchdog";
    rc->phases.enter = esp8266_wdt_reset_enter;
    rc->phases.hold = esp8266_wdt_reset_hold;
}

static const TypeInfo esp8266_wdt_info = {
    .name = TYPE_ESP8266_WDT,
    .parent = TYPE_SYS_BUS_DEVICE,
    .instance_size = sizeof(Esp8266WdtState),
    .instance_init = esp8266_wdt_init,
    .class_init = esp8266_wdt_class_init,
};

static void esp8266_wdt_register_types(void)
{
    type_register_static(&esp8266_wdt_info);
}

type_init(esp8266_wdt_register_types)
