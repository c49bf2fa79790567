/*
 * ESP8266 FRC1/FRC2 timers (0x60000600)
 *
 * FRC1 (0x00..0x0C): 23-bit down counter. Writing LOAD loads COUNT; at
 * zero it raises its interrupt and reloads from LOAD (CTRL.AUTOLOAD) or
 * from 0x7FFFFF. FRC2 (0x20..0x30): 32-bit up counter; writing LOAD sets
 * COUNT; it raises its interrupt when COUNT reaches ALARM. Both count the
 * 80 MHz APB clock divided by 1, 16 or 256 (CTRL[3:2]) while CTRL.ENABLE
 * is set. CTRL.INT_STATUS (bit 8) is set on expiry and cleared by any
 * write to INT. Edge type (CTRL bit 0 clear) pulses the interrupt line,
 * level type holds it until INT is written. The counters are computed
 * from QEMU_CLOCK_VIRTUAL; a QEMUTimer fires only at expiries.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "hw/timer/esp8266_frc_timer.h"
#include "hw/irq.h"
#include "hw/registerfields.h"
#include "migration/vmstate.h"
#include "trace.h"

/* Per-timer register offsets; FRC2's block starts at 0x20. */
REG32(LOAD, 0x00)
REG32(COUNT, 0x04)
REG32(CTRL, 0x08)
    FIELD(CTRL, INT_LEVEL, 0, 1)
    FIELD(CTRL, DIV, 2, 2)
    FIELD(CTRL, AUTOLOAD, 6, 1)
    FIELD(CTRL, ENABLE, 7, 1)
    FIELD(CTRL, INT_STATUS, 8, 1)
REG32(INT, 0x0C)
REG32(ALARM, 0x10)

#define FRC_BLOCK_SIZE  0x20
#define FRC_CTRL_MASK   0xFF

static const char *const frc_names[ESP8266_FRC_NUM] = { "FRC1", "FRC2" };

static uint32_t frc_freq(Esp8266Frc *f)
{
    static const uint32_t div[4] = { 1, 16, 256, 256 };

    return ESP8266_FRC_CLK_HZ / div[FIELD_EX32(f->ctrl, CTRL, DIV)];
}

static bool frc_enabled(Esp8266Frc *f)
{
    return FIELD_EX32(f->ctrl, CTRL, ENABLE);
}

/* Nanoseconds until @ticks timer ticks have passed (rounded up). */
static int64_t frc_ticks_to_ns(Esp8266Frc *f, uint64_t ticks)
{
    uint32_t freq = frc_freq(f);
    uint64_t ns = muldiv64(ticks, NANOSECONDS_PER_SECOND, freq);

    if (muldiv64(ns, freq, NANOSECONDS_PER_SECOND) < ticks) {
        ns++;
    }
    return ns;
}

static uint64_t frc_ticks_since_base(Esp8266Frc *f, int64_t now)
{
    return muldiv64(now - f->base_ns, frc_freq(f), NANOSECONDS_PER_SECOND);
}

/* FRC1 period after an expiry; 0 means the counter stops at zero. */
static uint32_t frc1_period(Esp8266Frc *f)
{
    return FIELD_EX32(f->ctrl, CTRL, AUTOLOAD) ? f->load : ESP8266_FRC1_MAX;
}

/* Ticks from base to the next expiry, or 0 if none is due. */
static uint64_t frc_ticks_to_expiry(Esp8266Frc *f, int n)
{
    if (!frc_enabled(f)) {
        return 0;
    }
    if (n == ESP8266_FRC1) {
        return f->base_count;
    }
    return (uint32_t)(f->alarm - f->base_count) ?: (1ULL << 32);
}

static void frc_fire(Esp8266FrcTimerState *s, int n)
{
    Esp8266Frc *f = &s->frc[n];

    trace_esp8266_frc_fire(frc_names[n]);
    f->int_status = true;
    if (FIELD_EX32(f->ctrl, CTRL, INT_LEVEL)) {
        qemu_irq_raise(f->irq);
    } else {
        qemu_irq_pulse(f->irq);
    }
}

/* Deliver the expiry that is due at or before @now and move the base. */
static void frc_sync(Esp8266FrcTimerState *s, int n, int64_t now)
{
    Esp8266Frc *f = &s->frc[n];
    uint64_t due = frc_ticks_to_expiry(f, n);
    uint64_t ticks;

    if (!due) {
        return;
    }
    ticks = frc_ticks_since_base(f, now);
    if (ticks < due) {
        return;
    }
    frc_fire(s, n);
    if (n == ESP8266_FRC1) {
        uint64_t period = frc1_period(f);

        if (period) {
            /* Skip whole periods that passed unnoticed. */
            due += (ticks - due) / period * period;
        }
        f->base_ns += frc_ticks_to_ns(f, due);
        f->base_count = period;
    } else {
        f->base_ns += frc_ticks_to_ns(f, due);
        f->base_count = f->alarm;
    }
}

static uint32_t frc_count(Esp8266FrcTimerState *s, int n, int64_t now)
{
    Esp8266Frc *f = &s->frc[n];
    uint64_t ticks;

    if (!frc_enabled(f)) {
        return f->base_count;
    }
    ticks = frc_ticks_since_base(f, now);
    if (n == ESP8266_FRC2) {
        return f->base_count + ticks;
    }
    if (ticks < f->base_count) {
        return f->base_count - ticks;
    }
    /* Only reachable between an expiry and its (late) callback. */
    return 0;
}

/* Make the current count the new base (before changing the rate). */
static void frc_freeze(Esp8266FrcTimerState *s, int n, int64_t now)
{
    Esp8266Frc *f = &s->frc[n];

    frc_sync(s, n, now);
    f->base_count = frc_count(s, n, now);
    f->base_ns = now;
}

static void frc_rearm(Esp8266FrcTimerState *s, int n)
{
    Esp8266Frc *f = &s->frc[n];
    uint64_t due = frc_ticks_to_expiry(f, n);

    if (due) {
        timer_mod(f->timer, f->base_ns + frc_ticks_to_ns(f, due));
    } else {
        timer_del(f->timer);
    }
}

static void frc_timer_cb(Esp8266FrcTimerState *s, int n)
{
    frc_sync(s, n, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL));
    frc_rearm(s, n);
}

static void frc1_timer_cb(void *opaque)
{
    frc_timer_cb(opaque, ESP8266_FRC1);
}

static void frc2_timer_cb(void *opaque)
{
    frc_timer_cb(opaque, ESP8266_FRC2);
}

static uint64_t esp8266_frc_read(void *opaque, hwaddr addr, unsigned size)
{
    Esp8266FrcTimerState *s = opaque;
    int n = addr / FRC_BLOCK_SIZE;
    hwaddr reg = addr % FRC_BLOCK_SIZE;
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    Esp8266Frc *f;
    uint32_t r = 0;

    if (n >= ESP8266_FRC_NUM || (n == ESP8266_FRC1 && reg == A_ALARM)) {
        qemu_log_mask(LOG_UNIMP, "%s: unimplemented register 0x%02"
                      HWADDR_PRIx " read as 0\n", __func__, addr);
        return 0;
    }
    f = &s->frc[n];
    frc_sync(s, n, now);
    switch (reg >> 2) {
    case R_LOAD:
    case R_INT:     /* reads back LOAD, as observed on hardware */
        r = f->load;
        break;
    case R_COUNT:
        r = frc_count(s, n, now);
        break;
    case R_CTRL:
        r = FIELD_DP32(f->ctrl, CTRL, INT_STATUS, f->int_status);
        break;
    case R_ALARM:
        r = f->alarm;
        break;
    default:
        qemu_log_mask(LOG_UNIMP, "%s: unimplemented register 0x%02"
                      HWADDR_PRIx " read as 0\n", __func__, addr);
        break;
    }
    trace_esp8266_frc_read(addr, r);
    return r;
}

static void esp8266_frc_write(void *opaque, hwaddr addr, uint64_t value,
                              unsigned size)
{
    Esp8266FrcTimerState *s = opaque;
    int n = addr / FRC_BLOCK_SIZE;
    hwaddr reg = addr % FRC_BLOCK_SIZE;
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    uint32_t v = value;
    Esp8266Frc *f;

    trace_esp8266_frc_write(addr, v);
    if (n >= ESP8266_FRC_NUM || (n == ESP8266_FRC1 && reg == A_ALARM)) {
        qemu_log_mask(LOG_UNIMP, "%s: unimplemented register 0x%02"
                      HWADDR_PRIx " = 0x%08" PRIx32 " (ignored)\n",
                      __func__, addr, v);
        return;
    }
    f = &s->frc[n];
    switch (reg >> 2) {
    case R_LOAD:
        frc_sync(s, n, now);
        f->load = n == ESP8266_FRC1 ? v & ESP8266_FRC1_MAX : v;
        f->base_count = f->load;
        f->base_ns = now;
        break;
    case R_COUNT:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: %s COUNT is read-only\n",
                      __func__, frc_names[n]);
        return;
    case R_CTRL:
        frc_freeze(s, n, now);
        f->ctrl = v & FRC_CTRL_MASK;
        if (!FIELD_EX32(f->ctrl, CTRL, INT_LEVEL)) {
            qemu_irq_lower(f->irq);
        } else if (f->int_status) {
            qemu_irq_raise(f->irq);
        }
        break;
    case R_INT:
        frc_sync(s, n, now);
        f->int_status = false;
        qemu_irq_lower(f->irq);
        break;
    case R_ALARM:
        frc_freeze(s, n, now);
        f->alarm = v;
        break;
    default:
        qemu_log_mask(LOG_UNIMP, "%s: unimplemented register 0x%02"
                      HWADDR_PRIx " = 0x%08" PRIx32 " (ignored)\n",
                      __func__, addr, v);
        return;
    }
    frc_rearm(s, n);
}

static const MemoryRegionOps esp8266_frc_ops = {
    .read = esp8266_frc_read,
    .write = esp8266_frc_write,
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

static void esp8266_frc_reset_enter(Object *obj, ResetType type)
{
    Esp8266FrcTimerState *s = ESP8266_FRC_TIMER(obj);
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    int n;

    for (n = 0; n < ESP8266_FRC_NUM; n++) {
        Esp8266Frc *f = &s->frc[n];

        timer_del(f->timer);
        f->load = 0;
        f->ctrl = 0;
        f->alarm = 0;
        f->int_status = false;
        f->base_count = 0;
        f->base_ns = now;
    }
}

static void esp8266_frc_reset_hold(Object *obj, ResetType type)
{
    Esp8266FrcTimerState *s = ESP8266_FRC_TIMER(obj);
    int n;

    for (n = 0; n < ESP8266_FRC_NUM; n++) {
        qemu_irq_lower(s->frc[n].irq);
    }
}

static void esp8266_frc_init(Object *obj)
{
    Esp8266FrcTimerState *s = ESP8266_FRC_TIMER(obj);
    SysBusDevice *sbd = SYS_BUS_DEVICE(obj);
    int n;

    memory_region_init_io(&s->iomem, obj, &esp8266_frc_ops, s,
                          TYPE_ESP8266_FRC_TIMER, ESP8266_FRC_MMIO_SIZE);
    sysbus_init_mmio(sbd, &s->iomem);
    for (n = 0; n < ESP8266_FRC_NUM; n++) {
        sysbus_init_irq(sbd, &s->frc[n].irq);
    }
}

static void esp8266_frc_realize(DeviceState *dev, Error **errp)
{
    Esp8266FrcTimerState *s = ESP8266_FRC_TIMER(dev);

    s->frc[ESP8266_FRC1].timer = timer_new_ns(QEMU_CLOCK_VIRTUAL,
                                              frc1_timer_cb, s);
    s->frc[ESP8266_FRC2].timer = timer_new_ns(QEMU_CLOCK_VIRTUAL,
                                              frc2_timer_cb, s);
}

static const VMStateDescription vmstate_esp8266_frc = {
    .name = "esp8266-frc",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_TIMER_PTR(timer, Esp8266Frc),
        VMSTATE_UINT32(load, Esp8266Frc),
        VMSTATE_UINT32(ctrl, Esp8266Frc),
        VMSTATE_UINT32(alarm, Esp8266Frc),
        VMSTATE_BOOL(int_status, Esp8266Frc),
        VMSTATE_UINT32(base_count, Esp8266Frc),
        VMSTATE_INT64(base_ns, Esp8266Frc),
        VMSTATE_END_OF_LIST()
    }
};

static const VMStateDescription vmstate_esp8266_frc_timer = {
    .name = TYPE_ESP8266_FRC_TIMER,
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_STRUCT_ARRAY(frc, Esp8266FrcTimerState, ESP8266_FRC_NUM, 1,
                             vmstate_esp8266_frc, Esp8266Frc),
        VMSTATE_END_OF_LIST()
    }
};

static void esp8266_frc_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    dc->realize = esp8266_frc_realize;
    dc->vmsd = &vmstate_esp8266_frc_timer;
    dc->desc = "ESP8266 FRC1/FRC2 timers";
    rc->phases.enter = esp8266_frc_reset_enter;
    rc->phases.hold = esp8266_frc_reset_hold;
}

static const TypeInfo esp8266_frc_info = {
    .name = TYPE_ESP8266_FRC_TIMER,
    .parent = TYPE_SYS_BUS_DEVICE,
    .instance_size = sizeof(Esp8266FrcTimerState),
    .instance_init = esp8266_frc_init,
    .class_init = esp8266_frc_class_init,
};

static void esp8266_frc_register_types(void)
{
    type_register_static(&esp8266_frc_info);
}

type_init(esp8266_frc_register_types)
