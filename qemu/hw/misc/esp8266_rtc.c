/*
 * ESP8266 RTC block (0x60000700) and RTC memory (0x60001000)
 *
 * Modelled: reset cause as the ROM's rtc_get_reset_reason() reads it
 * (RTC_STATE1[3:0], RTC_STATE2[13:8]), software restart (RTC_CTRL0
 * bit 31), the RTC counter (RTC_SLP_CNT_VAL) at ESP8266_RTC_CLOCK_HZ,
 * deep sleep (RTC_STATE0 bit 20 stalls the CPU; with the timer wake-up
 * enabled in RTC_STATE2 bit 3 the machine resets with the deep-sleep
 * cause once the counter reaches RTC_SLP_VAL), scratch registers and
 * RTC memory that survive every reset but power-on, and GPIO16
 * (RTC_GPIO_OUT/ENABLE/IN_DATA/CONF, PAD_XPD_DCDC_CONF).
 * Every other register is stored and logged as unimplemented.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/xtensa/esp8266_compat.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "hw/misc/esp8266_rtc.h"
#include "hw/irq.h"
#include "hw/registerfields.h"
#include "migration/vmstate.h"
#include "system/runstate.h"
#include "trace.h"

REG32(CTRL0, 0x00)
    FIELD(CTRL0, SW_RESET, 31, 1)
REG32(SLP_VAL, 0x04)
REG32(STATE0, 0x08)
    FIELD(STATE0, SLEEP_EN, 20, 1)
    FIELD(STATE0, RESET_FLAG, 21, 1)
REG32(STATE1, 0x14)
    FIELD(STATE1, RESET_CAUSE, 0, 4)
REG32(STATE2, 0x18)
    FIELD(STATE2, WAKE_ENA, 0, 8)
    FIELD(STATE2, WAKE_CAUSE, 8, 6)
REG32(SLP_CNT_VAL, 0x1C)
REG32(INT_ST, 0x20)
REG32(INT_CLR, 0x24)
REG32(INT_ENA, 0x28)
REG32(SCRATCH0, 0x30)
REG32(SCRATCH3, 0x3C)
REG32(GPIO_OUT, 0x68)
REG32(GPIO_ENABLE, 0x74)
REG32(GPIO_IN_DATA, 0x8C)
REG32(GPIO_CONF, 0x90)
REG32(GPIO_CFG0, 0x94)
REG32(PAD_XPD_DCDC_CONF, 0xA0)
REG32(GPIO_CFG5, 0xA8)

/* Wake-up source bit in RTC_STATE2 (enable) and RTC_STATE2[13:8] (cause). */
#define RTC_WAKE_TIMER  0x8

static const char *const cause_names[] = {
    [ESP8266_RESET_NONE] = "none",
    [ESP8266_RESET_POWER_ON] = "power-on",
    [ESP8266_RESET_EXTERNAL] = "external",
    [ESP8266_RESET_SOFTWARE] = "software",
    [ESP8266_RESET_WATCHDOG] = "watchdog",
    [ESP8266_RESET_DEEP_SLEEP] = "deep-sleep",
    [ESP8266_RESET_EXCEPTION] = "exception",
};

static const char *esp8266_rtc_reset_cause_name(Esp8266ResetCause c)
{
    if (c < ARRAY_SIZE(cause_names)) {
        return cause_names[c];
    }
    return "unknown";
}

static uint32_t esp8266_rtc_reset_code(Esp8266ResetCause c)
{
    switch (c) {
    case ESP8266_RESET_POWER_ON:
        return 1;
    case ESP8266_RESET_EXTERNAL:
        return 2;
    case ESP8266_RESET_SOFTWARE:
    case ESP8266_RESET_EXCEPTION:
        return 3;
    case ESP8266_RESET_WATCHDOG:
        return 4;
    case ESP8266_RESET_DEEP_SLEEP:
        return 5;
    default:
        return 0;
    }
}

static void esp8266_rtc_set_reset_cause(Esp8266RtcState *s,
                                        Esp8266ResetCause c)
{
    trace_esp8266_rtc_set_reset_cause(esp8266_rtc_reset_cause_name(c));
    s->pending = c;
}

/* GPIO in "reset-cause": line c records cause c for the next reset. */
static void esp8266_rtc_reset_cause_in(void *opaque, int c, int level)
{
    if (level) {
        esp8266_rtc_set_reset_cause(opaque, c);
    }
}

static bool esp8266_rtc_gpio16_output_enabled(Esp8266RtcState *s)
{
    return s->regs[R_GPIO_ENABLE] & 1;
}

static bool esp8266_rtc_gpio16_pad(Esp8266RtcState *s)
{
    if (esp8266_rtc_gpio16_output_enabled(s)) {
        return s->regs[R_GPIO_OUT] & 1;
    }
    return s->gpio16_in;
}

/* Tell the GPIO device about GPIO16's pad. */
static void esp8266_rtc_gpio16_update(Esp8266RtcState *s)
{
    qemu_set_irq(s->gpio16_oe, esp8266_rtc_gpio16_output_enabled(s));
    qemu_set_irq(s->gpio16_level, esp8266_rtc_gpio16_pad(s));
}

/* GPIO in "gpio16-in": the level the host drives on GPIO16. */
static void esp8266_rtc_gpio16_in(void *opaque, int n, int level)
{
    Esp8266RtcState *s = opaque;

    s->gpio16_in = !!level;
    esp8266_rtc_gpio16_update(s);
}

static void esp8266_rtc_set_sleeping(Esp8266RtcState *s, bool sleeping)
{
    s->sleeping = sleeping;
    qemu_set_irq(s->runstall, sleeping);
    qemu_set_irq(s->deep_sleep, sleeping);
}

static uint32_t esp8266_rtc_counter(Esp8266RtcState *s)
{
    int64_t ns = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) - s->counter_base_ns;

    return muldiv64(ns, ESP8266_RTC_CLOCK_HZ, NANOSECONDS_PER_SECOND);
}

static void esp8266_rtc_request_reset(Esp8266RtcState *s, Esp8266ResetCause c)
{
    esp8266_rtc_set_reset_cause(s, c);
    qemu_system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
}

static void esp8266_rtc_wake(void *opaque)
{
    Esp8266RtcState *s = opaque;

    trace_esp8266_rtc_wake();
    esp8266_rtc_request_reset(s, ESP8266_RESET_DEEP_SLEEP);
}

static void esp8266_rtc_enter_sleep(Esp8266RtcState *s)
{
    /* A target that the counter has just passed counts as due now. */
    int32_t ticks = s->regs[R_SLP_VAL] - esp8266_rtc_counter(s);
    bool timer = s->regs[R_STATE2] & RTC_WAKE_TIMER;

    trace_esp8266_rtc_sleep(MAX(ticks, 1), timer);
    esp8266_rtc_set_sleeping(s, true);
    if (timer) {
        int64_t ns = muldiv64(MAX(ticks, 1), NANOSECONDS_PER_SECOND,
                              ESP8266_RTC_CLOCK_HZ);
        timer_mod(s->wake_timer, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) + ns);
    }
}

static uint64_t esp8266_rtc_read(void *opaque, hwaddr addr, unsigned size)
{
    Esp8266RtcState *s = opaque;
    uint32_t r;

    switch (addr >> 2) {
    case R_SLP_CNT_VAL:
        r = esp8266_rtc_counter(s);
        break;
    case R_GPIO_IN_DATA:
        r = esp8266_rtc_gpio16_pad(s);
        break;
    case R_CTRL0:
    case R_SLP_VAL:
    case R_STATE0:
    case R_STATE1:
    case R_STATE2:
    case R_SCRATCH0 ... R_SCRATCH3:
    case R_GPIO_OUT:
    case R_GPIO_ENABLE:
    case R_GPIO_CONF:
    case R_GPIO_CFG0 ... R_GPIO_CFG5:
        r = s->regs[addr >> 2];
        break;
    default:
        qemu_log_mask(LOG_UNIMP, "%s: unimplemented register 0x%02" HWADDR_PRIx
                      " read (stored value returned)\n", __func__, addr);
        r = s->regs[addr >> 2];
        break;
    }
    trace_esp8266_rtc_read(addr, r);
    return r;
}

static void esp8266_rtc_write(void *opaque, hwaddr addr, uint64_t value,
                              unsigned size)
{
    Esp8266RtcState *s = opaque;
    uint32_t v = value;

    trace_esp8266_rtc_write(addr, v);
    switch (addr >> 2) {
    case R_CTRL0:
        s->regs[R_CTRL0] = v & ~R_CTRL0_SW_RESET_MASK;
        if (v & R_CTRL0_SW_RESET_MASK) {
            esp8266_rtc_request_reset(s, ESP8266_RESET_SOFTWARE);
        }
        break;
    case R_STATE0:
        s->regs[R_STATE0] = v & ~R_STATE0_SLEEP_EN_MASK;
        if ((v & R_STATE0_SLEEP_EN_MASK) && !s->sleeping) {
            esp8266_rtc_enter_sleep(s);
        }
        break;
    case R_STATE1:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: RTC_STATE1 (reset cause) is "
                      "read-only\n", __func__);
        break;
    case R_STATE2:
        s->regs[R_STATE2] = (s->regs[R_STATE2] & ~R_STATE2_WAKE_ENA_MASK) |
                            (v & R_STATE2_WAKE_ENA_MASK);
        break;
    case R_SLP_CNT_VAL:
    case R_GPIO_IN_DATA:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: register 0x%02" HWADDR_PRIx
                      " is read-only\n", __func__, addr);
        break;
    case R_SLP_VAL:
    case R_SCRATCH0 ... R_SCRATCH3:
    case R_GPIO_CONF:
    case R_GPIO_CFG0 ... R_GPIO_CFG5:
        s->regs[addr >> 2] = v;
        break;
    case R_GPIO_OUT:
    case R_GPIO_ENABLE:
        s->regs[addr >> 2] = v & 1;
        esp8266_rtc_gpio16_update(s);
        break;
    default:
        qemu_log_mask(LOG_UNIMP, "%s: unimplemented register 0x%02" HWADDR_PRIx
                      " = 0x%08" PRIx32 " (stored)\n", __func__, addr, v);
        s->regs[addr >> 2] = v;
        break;
    }
}

static const MemoryRegionOps esp8266_rtc_ops = {
    .read = esp8266_rtc_read,
    .write = esp8266_rtc_write,
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

static void esp8266_rtc_reset_enter(Object *obj, ResetType type)
{
    Esp8266RtcState *s = ESP8266_RTC(obj);
    uint32_t scratch[4];

    if (!s->powered) {
        s->cause = ESP8266_RESET_POWER_ON;
        memset(memory_region_get_ram_ptr(&s->mem), 0, ESP8266_RTC_RAM_SIZE);
        memset(scratch, 0, sizeof(scratch));
        s->powered = true;
    } else {
        s->cause = s->pending != ESP8266_RESET_NONE ? s->pending
                                                     : ESP8266_RESET_EXTERNAL;
        memcpy(scratch, &s->regs[R_SCRATCH0], sizeof(scratch));
    }
    s->pending = ESP8266_RESET_NONE;
    trace_esp8266_rtc_reset(esp8266_rtc_reset_cause_name(s->cause));

    timer_del(s->wake_timer);
    memset(s->regs, 0, sizeof(s->regs));
    memcpy(&s->regs[R_SCRATCH0], scratch, sizeof(scratch));
    s->regs[R_STATE1] = esp8266_rtc_reset_code(s->cause);
    if (s->cause == ESP8266_RESET_DEEP_SLEEP) {
        s->regs[R_STATE2] = RTC_WAKE_TIMER << R_STATE2_WAKE_CAUSE_SHIFT;
    }
    s->counter_base_ns = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

static void esp8266_rtc_reset_hold(Object *obj, ResetType type)
{
    Esp8266RtcState *s = ESP8266_RTC(obj);

    /* Our line is one input of the SoC's RUNSTALL OR gate. */
    esp8266_rtc_set_sleeping(s, false);
    esp8266_rtc_gpio16_update(s);
}

static void esp8266_rtc_get_reset_code(Object *obj, Visitor *v,
                                       const char *name, void *opaque,
                                       Error **errp)
{
    Esp8266RtcState *s = ESP8266_RTC(obj);
    uint32_t code = esp8266_rtc_reset_code(s->cause);

    visit_type_uint32(v, name, &code, errp);
}

static char *esp8266_rtc_get_reset_cause_name(Object *obj, Error **errp)
{
    return g_strdup(esp8266_rtc_reset_cause_name(ESP8266_RTC(obj)->cause));
}

static void esp8266_rtc_init(Object *obj)
{
    Esp8266RtcState *s = ESP8266_RTC(obj);
    SysBusDevice *sbd = SYS_BUS_DEVICE(obj);

    memory_region_init_io(&s->iomem, obj, &esp8266_rtc_ops, s,
                          TYPE_ESP8266_RTC, ESP8266_RTC_MMIO_SIZE);
    sysbus_init_mmio(sbd, &s->iomem);
    qdev_init_gpio_out_named(DEVICE(obj), &s->runstall, "runstall", 1);
    qdev_init_gpio_out_named(DEVICE(obj), &s->deep_sleep, "deep-sleep", 1);
    qdev_init_gpio_out_named(DEVICE(obj), &s->gpio16_level, "gpio16-level",
                             1);
    qdev_init_gpio_out_named(DEVICE(obj), &s->gpio16_oe, "gpio16-oe", 1);
    qdev_init_gpio_in_named(DEVICE(obj), esp8266_rtc_gpio16_in, "gpio16-in",
                            1);
    qdev_init_gpio_in_named(DEVICE(obj), esp8266_rtc_reset_cause_in,
                            "reset-cause", ESP8266_RESET_NUM_CAUSES);
    s->gpio16_in = 1;

    object_property_add(obj, "reset-code", "uint32",
                        esp8266_rtc_get_reset_code, NULL, NULL, NULL);
    object_property_add_str(obj, "reset-cause",
                            esp8266_rtc_get_reset_cause_name, NULL);
}

static void esp8266_rtc_realize(DeviceState *dev, Error **errp)
{
    Esp8266RtcState *s = ESP8266_RTC(dev);

    /* RTC memory: plain RAM that a reset leaves alone. */
    if (!memory_region_init_ram(&s->mem, OBJECT(dev), "esp8266.rtc-mem",
                                ESP8266_RTC_RAM_SIZE, errp)) {
        return;
    }
    sysbus_init_mmio(SYS_BUS_DEVICE(dev), &s->mem);
    s->wake_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, esp8266_rtc_wake, s);
}

static const VMStateDescription vmstate_esp8266_rtc = {
    .name = TYPE_ESP8266_RTC,
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32_ARRAY(regs, Esp8266RtcState, ESP8266_RTC_NUM_REGS),
        VMSTATE_INT64(counter_base_ns, Esp8266RtcState),
        VMSTATE_UINT32(cause, Esp8266RtcState),
        VMSTATE_UINT32(pending, Esp8266RtcState),
        VMSTATE_BOOL(powered, Esp8266RtcState),
        VMSTATE_BOOL(sleeping, Esp8266RtcState),
        VMSTATE_UINT32(gpio16_in, Esp8266RtcState),
        VMSTATE_TIMER_PTR(wake_timer, Esp8266RtcState),
        VMSTATE_END_OF_LIST()
    }
};

static void esp8266_rtc_class_init(ObjectClass *klass, ESP8266_CLASS_DATA *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    dc->realize = esp8266_rtc_realize;
    dc->vmsd = &vmstate_esp8266_rtc;
    dc->desc = "ESP8266 RTC block and RTC memory";
    rc->phases.enter = esp8266_rtc_reset_enter;
    rc->phases.hold = esp8266_rtc_reset_hold;
}

static const TypeInfo esp8266_rtc_info = {
    .name = TYPE_ESP8266_RTC,
    .parent = TYPE_SYS_BUS_DEVICE,
    .instance_size = sizeof(Esp8266RtcState),
    .instance_init = esp8266_rtc_init,
    .class_init = esp8266_rtc_class_init,
};

static void esp8266_rtc_register_types(void)
{
    type_register_static(&esp8266_rtc_info);
}

type_init(esp8266_rtc_register_types)
