/*
 * ESP8266 FRC1/FRC2 timers (0x60000600)
 *
 * FRC1 (0x00..0x0C): 23-bit down counter. Writing LOAD loads COUNT; at
 * zero it raises its interrupt and reloads from LOAD (CTRL.AUTOLOAD) or
 * from 0x7FFFFF. FRC2 (0x20..0x30): 32-bit up counter; writing LOAD sets
 * COUNT; it raises its interrupt when COUNT reaches ALARM. Both count the
 * APB clock (Clock input "clk", 80 MHz) divided by 1, 16 or 256
 * (CTRL[3:2]) while CTRL.ENABLE is set. CTRL.INT_STATUS (bit 8) is set on
 * expiry and cleared by any write to INT. Edge type (CTRL bit 0 clear)
 * pulses the interrupt line, level type holds it until INT is written.
 *
 * Each counter is a periodic ptimer, so reloads keep exact time: FRC1's
 * limit is its reload value (LOAD or 0x7FFFFF); FRC2's ptimer counts the
 * ticks left to ALARM and reloads 2^32.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/xtensa/esp8266_compat.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "qapi/error.h"
#include "hw/timer/esp8266_frc_timer.h"
#include "hw/irq.h"
#include "hw/qdev-clock.h"
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
#define FRC2_PERIOD     (1ULL << 32)

static const char *const frc_names[ESP8266_FRC_NUM] = { "FRC1", "FRC2" };

static unsigned frc_divisor(Esp8266Frc *f)
{
    static const unsigned div[4] = { 1, 16, 256, 256 };

    return div[FIELD_EX32(f->ctrl, CTRL, DIV)];
}

static bool frc_enabled(Esp8266Frc *f)
{
    return FIELD_EX32(f->ctrl, CTRL, ENABLE);
}

static int frc_index(Esp8266Frc *f)
{
    return f - f->parent->frc;
}

static void frc_fire(Esp8266Frc *f)
{
    trace_esp8266_frc_fire(frc_names[frc_index(f)]);
    f->int_status = true;
    if (FIELD_EX32(f->ctrl, CTRL, INT_LEVEL)) {
        qemu_irq_raise(f->irq);
    } else {
        qemu_irq_pulse(f->irq);
    }
}

/* FRC1's count after an expiry: LOAD (AUTOLOAD) or the full range. */
static uint32_t frc1_reload(Esp8266Frc *f)
{
    return FIELD_EX32(f->ctrl, CTRL, AUTOLOAD) ? f->load : ESP8266_FRC1_MAX;
}

/*
 * (Re)start FRC1 from its current count; the ptimer reloads from the
 * limit (the reload value) by itself.  A zero count or reload value does
 * not run.  Inside a ptimer transaction.
 */
static void frc1_start(Esp8266Frc *f)
{
    ptimer_set_limit(f->ptimer, frc1_reload(f), 0);
    f->running = frc_enabled(f) && frc1_reload(f) &&
                 ptimer_get_count(f->ptimer);
    if (f->running) {
        ptimer_run(f->ptimer, 0);
    } else {
        ptimer_stop(f->ptimer);
    }
}

static void frc1_tick(void *opaque)
{
    frc_fire(opaque);
}

/* Make COUNT @count (FRC2): the ptimer counts the ticks left to ALARM. */
static void frc2_set_count(Esp8266Frc *f, uint32_t count)
{
    ptimer_set_count(f->ptimer, (uint32_t)(f->alarm - count) ?: FRC2_PERIOD);
}

static uint32_t frc2_count(Esp8266Frc *f)
{
    return f->alarm - (uint32_t)ptimer_get_count(f->ptimer);
}

static void frc2_tick(void *opaque)
{
    frc_fire(opaque);
    /* The ptimer reloads 2^32 by itself: ALARM again after a wrap. */
}

/*
 * An expiry that is due but whose timer callback has not run yet (the
 * main loop is late under host load) is delivered before the guest sees
 * the registers, so a guest that polls never reads a stale status or
 * count: QEMU runs the virtual clock's due timers now, as it does from
 * the vCPU thread with -icount (we hold the BQL, as the main loop does
 * when it runs them), and the ptimer reloads with its exact phase.
 */
static void frc_catch_up(Esp8266Frc *f)
{
    if (f->running && ptimer_get_count(f->ptimer) == 0) {
        qemu_clock_run_timers(QEMU_CLOCK_VIRTUAL);
    }
}

static uint32_t frc_count(Esp8266Frc *f, int n)
{
    if (n == ESP8266_FRC1) {
        return ptimer_get_count(f->ptimer);
    }
    return frc2_count(f);
}

static void frc_set_ctrl(Esp8266FrcTimerState *s, Esp8266Frc *f, int n,
                         uint32_t v)
{
    bool was_enabled = frc_enabled(f);

    f->ctrl = v & FRC_CTRL_MASK;
    ptimer_set_period_from_clock(f->ptimer, s->clk, frc_divisor(f));
    if (n == ESP8266_FRC1) {
        frc1_start(f);
    } else if (frc_enabled(f) && !was_enabled) {
        f->running = true;
        ptimer_run(f->ptimer, 0);
    } else if (!frc_enabled(f)) {
        f->running = false;
        ptimer_stop(f->ptimer);
    }
    if (!FIELD_EX32(f->ctrl, CTRL, INT_LEVEL)) {
        qemu_irq_lower(f->irq);
    } else if (f->int_status) {
        qemu_irq_raise(f->irq);
    }
}

static bool frc_reg_valid(int n, hwaddr reg)
{
    return n < ESP8266_FRC_NUM && !(n == ESP8266_FRC1 && reg == A_ALARM);
}

static uint64_t esp8266_frc_read(void *opaque, hwaddr addr, unsigned size)
{
    Esp8266FrcTimerState *s = opaque;
    int n = addr / FRC_BLOCK_SIZE;
    hwaddr reg = addr % FRC_BLOCK_SIZE;
    Esp8266Frc *f;
    uint32_t r = 0;

    if (!frc_reg_valid(n, reg)) {
        qemu_log_mask(LOG_UNIMP, "%s: unimplemented register 0x%02"
                      HWADDR_PRIx " read as 0\n", __func__, addr);
        return 0;
    }
    f = &s->frc[n];
    frc_catch_up(f);
    switch (reg >> 2) {
    case R_LOAD:
    case R_INT:     /* reads back LOAD, as observed on hardware */
        r = f->load;
        break;
    case R_COUNT:
        r = frc_count(f, n);
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
    uint32_t v = value;
    Esp8266Frc *f;
    uint32_t count;

    trace_esp8266_frc_write(addr, v);
    if (!frc_reg_valid(n, reg)) {
        qemu_log_mask(LOG_UNIMP, "%s: unimplemented register 0x%02"
                      HWADDR_PRIx " = 0x%08" PRIx32 " (ignored)\n",
                      __func__, addr, v);
        return;
    }
    f = &s->frc[n];
    frc_catch_up(f);
    ptimer_transaction_begin(f->ptimer);
    switch (reg >> 2) {
    case R_LOAD:
        if (n == ESP8266_FRC1) {
            /* stopped first: a zero count must not trigger at once */
            f->load = v & ESP8266_FRC1_MAX;
            ptimer_stop(f->ptimer);
            ptimer_set_count(f->ptimer, f->load);
            frc1_start(f);
        } else {
            f->load = v;
            frc2_set_count(f, v);
        }
        break;
    case R_COUNT:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: %s COUNT is read-only\n",
                      __func__, frc_names[n]);
        break;
    case R_CTRL:
        frc_set_ctrl(s, f, n, v);
        break;
    case R_INT:
        f->int_status = false;
        qemu_irq_lower(f->irq);
        break;
    case R_ALARM:
        count = frc2_count(f);
        f->alarm = v;
        frc2_set_count(f, count);
        break;
    default:
        qemu_log_mask(LOG_UNIMP, "%s: unimplemented register 0x%02"
                      HWADDR_PRIx " = 0x%08" PRIx32 " (ignored)\n",
                      __func__, addr, v);
        break;
    }
    ptimer_transaction_commit(f->ptimer);
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

/* The APB clock changed: both counters keep their count, new rate. */
static void esp8266_frc_clk_update(void *opaque, ClockEvent event)
{
    Esp8266FrcTimerState *s = opaque;
    int n;

    for (n = 0; n < ESP8266_FRC_NUM; n++) {
        Esp8266Frc *f = &s->frc[n];

        ptimer_transaction_begin(f->ptimer);
        ptimer_set_period_from_clock(f->ptimer, s->clk, frc_divisor(f));
        ptimer_transaction_commit(f->ptimer);
    }
}

static void esp8266_frc_reset_enter(Object *obj, ResetType type)
{
    Esp8266FrcTimerState *s = ESP8266_FRC_TIMER(obj);
    int n;

    for (n = 0; n < ESP8266_FRC_NUM; n++) {
        Esp8266Frc *f = &s->frc[n];

        f->load = 0;
        f->ctrl = 0;
        f->alarm = 0;
        f->int_status = false;
        f->running = false;
        ptimer_transaction_begin(f->ptimer);
        ptimer_stop(f->ptimer);
        ptimer_set_period_from_clock(f->ptimer, s->clk, frc_divisor(f));
        if (n == ESP8266_FRC1) {
            ptimer_set_limit(f->ptimer, 0, 1);
        } else {
            ptimer_set_limit(f->ptimer, FRC2_PERIOD, 1);
        }
        ptimer_transaction_commit(f->ptimer);
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
        s->frc[n].parent = s;
        sysbus_init_irq(sbd, &s->frc[n].irq);
    }
    s->clk = qdev_init_clock_in(DEVICE(obj), "clk", esp8266_frc_clk_update,
                                s, ClockUpdate);
}

static void esp8266_frc_realize(DeviceState *dev, Error **errp)
{
    Esp8266FrcTimerState *s = ESP8266_FRC_TIMER(dev);

    if (!clock_has_source(s->clk)) {
        error_setg(errp, "esp8266-frc-timer: the 'clk' input (APB clock) "
                   "must be connected");
        return;
    }
    s->frc[ESP8266_FRC1].ptimer = ptimer_init(frc1_tick,
                                              &s->frc[ESP8266_FRC1],
                                              PTIMER_POLICY_LEGACY);
    s->frc[ESP8266_FRC2].ptimer = ptimer_init(frc2_tick,
                                              &s->frc[ESP8266_FRC2],
                                              PTIMER_POLICY_LEGACY);
}

static void esp8266_frc_unrealize(DeviceState *dev)
{
    Esp8266FrcTimerState *s = ESP8266_FRC_TIMER(dev);
    int n;

    for (n = 0; n < ESP8266_FRC_NUM; n++) {
        ptimer_free(s->frc[n].ptimer);
    }
}

static const VMStateDescription vmstate_esp8266_frc = {
    .name = "esp8266-frc",
    .version_id = 2,
    .minimum_version_id = 2,
    .fields = (const VMStateField[]) {
        VMSTATE_PTIMER(ptimer, Esp8266Frc),
        VMSTATE_UINT32(load, Esp8266Frc),
        VMSTATE_UINT32(ctrl, Esp8266Frc),
        VMSTATE_UINT32(alarm, Esp8266Frc),
        VMSTATE_BOOL(int_status, Esp8266Frc),
        VMSTATE_BOOL(running, Esp8266Frc),
        VMSTATE_END_OF_LIST()
    }
};

static const VMStateDescription vmstate_esp8266_frc_timer = {
    .name = TYPE_ESP8266_FRC_TIMER,
    .version_id = 2,
    .minimum_version_id = 2,
    .fields = (const VMStateField[]) {
        VMSTATE_CLOCK(clk, Esp8266FrcTimerState),
        VMSTATE_STRUCT_ARRAY(frc, Esp8266FrcTimerState, ESP8266_FRC_NUM, 1,
                             vmstate_esp8266_frc, Esp8266Frc),
        VMSTATE_END_OF_LIST()
    }
};

static void esp8266_frc_class_init(ObjectClass *klass, ESP8266_CLASS_DATA *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    dc->realize = esp8266_frc_realize;
    dc->unrealize = esp8266_frc_unrealize;
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
