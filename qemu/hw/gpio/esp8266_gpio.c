/*
 * ESP8266 GPIO block (0x60000300)
 *
 * OUT/ENABLE/STATUS with their W1TS/W1TC aliases, IN, and one config
 * register per pin (PAD_DRIVER open-drain bit 2, INT_TYPE bits [9:7],
 * WAKEUP_ENABLE bit 10, stored). The level on pad n is OUT[n] when the
 * output is enabled (open-drain: low when OUT[n] is 0, otherwise the
 * host's level), else the level the host drives ("in" property). Edges
 * and levels on the pads set STATUS bits according to INT_TYPE (1 rising,
 * 2 falling, 3 any edge, 4 low level, 5 high level); the interrupt line
 * (CPU interrupt 4) is high while any of STATUS[15:0] is set. The RTC
 * calibration registers (0x6C/0x70) report the emulator's fixed RTC
 * clock. GPIO16 is part of the RTC block; the host properties include it
 * as bit 16 through GPIO lines to and from the RTC. A meter accumulates, per
 * pad, the virtual time spent high and the number of level changes, so a
 * test can measure PWM duty and frequency in guest time. Pads may be wired
 * together outside the chip ("wires" property): a pad that does not drive
 * sees the level of the wired pad that does.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/xtensa/esp8266_compat.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "qapi/qapi-builtin-visit.h"
#include "qemu/timer.h"
#include "hw/gpio/esp8266_gpio.h"
#include "hw/misc/esp8266_rtc.h"
#include "hw/irq.h"
#include "hw/qdev-properties.h"
#include "hw/registerfields.h"
#include "migration/vmstate.h"
#include "trace.h"

REG32(OUT, 0x00)
REG32(OUT_W1TS, 0x04)
REG32(OUT_W1TC, 0x08)
REG32(ENABLE, 0x0C)
REG32(ENABLE_W1TS, 0x10)
REG32(ENABLE_W1TC, 0x14)
REG32(IN, 0x18)
    FIELD(IN, DATA, 0, 16)
    FIELD(IN, STRAPPING, 16, 16)
REG32(STATUS, 0x1C)
REG32(STATUS_W1TS, 0x20)
REG32(STATUS_W1TC, 0x24)
REG32(PIN0, 0x28)
    FIELD(PIN, SOURCE, 0, 1)
    FIELD(PIN, DRIVER, 2, 1)
    FIELD(PIN, INT_TYPE, 7, 3)
    FIELD(PIN, WAKEUP_ENABLE, 10, 1)
    FIELD(PIN, CONFIG, 11, 2)
REG32(PIN15, 0x64)
REG32(SIGMA_DELTA, 0x68)
REG32(RTC_CALIB_SYNC, 0x6C)
    FIELD(RTC_CALIB_SYNC, PERIOD_NUM, 0, 10)
    FIELD(RTC_CALIB_SYNC, START, 31, 1)
REG32(RTC_CALIB_VALUE, 0x70)
    FIELD(RTC_CALIB_VALUE, VALUE, 0, 20)
    FIELD(RTC_CALIB_VALUE, READY, 31, 1)

enum {
    INT_NONE = 0,
    INT_RISING = 1,
    INT_FALLING = 2,
    INT_ANY_EDGE = 3,
    INT_LOW = 4,
    INT_HIGH = 5,
};

#define PINS_MASK   MAKE_64BIT_MASK(0, ESP8266_GPIO_NUM_PINS)

/* Whether the chip drives pad n (sets *level if so): an output, or open drain pulling low. */
static bool esp8266_gpio_drives(Esp8266GpioState *s, int n, bool *level)
{
    bool out = s->out & BIT(n);

    if (!(s->enable & BIT(n)) || (FIELD_EX32(s->pin[n], PIN, DRIVER) && out)) {
        return false;
    }
    *level = out;
    return true;
}

/* The level outside each pad 0..15: the host's, or the level of a wired pad that drives. */
static uint32_t esp8266_gpio_outside(Esp8266GpioState *s)
{
    uint32_t outside = s->host_in;
    unsigned i;

    for (i = 0; i < s->num_wires; i++) {
        int a = s->wire[i][0], b = s->wire[i][1];
        bool level_a = false, level_b = false;
        bool drives_a = esp8266_gpio_drives(s, a, &level_a);
        bool drives_b = esp8266_gpio_drives(s, b, &level_b);

        if (drives_a && !drives_b) {
            outside = deposit32(outside, b, 1, level_a);
        } else if (drives_b && !drives_a) {
            outside = deposit32(outside, a, 1, level_b);
        } else if (drives_a && drives_b && level_a != level_b) {
            qemu_log_mask(LOG_GUEST_ERROR, "esp8266-gpio: GPIO%d and GPIO%d are wired "
                          "together and driven to different levels\n", a, b);
        }
    }
    return outside;
}

static uint32_t esp8266_gpio_pads(Esp8266GpioState *s)
{
    uint32_t outside = s->num_wires ? esp8266_gpio_outside(s) : s->host_in;
    uint32_t pads = 0;
    int n;

    for (n = 0; n < ESP8266_GPIO_NUM_PINS; n++) {
        bool host = outside & BIT(n);
        bool level = host;

        if (s->enable & BIT(n)) {
            level = s->out & BIT(n);
            if (FIELD_EX32(s->pin[n], PIN, DRIVER)) {
                level = level && host;      /* open drain */
            }
        }
        pads |= (uint32_t)level << n;
    }
    return pads;
}

/* GPIO in "gpio16-level" (0) and "gpio16-oe" (1), from the RTC block. */
static void esp8266_gpio16_from_rtc(void *opaque, int n, int level)
{
    Esp8266GpioState *s = opaque;

    if (n == 0) {
        s->gpio16_level = level;
    } else {
        s->gpio16_oe = level;
    }
}

/* Charge the time since the last call to the pads that were high. */
static void esp8266_gpio_meter(Esp8266GpioState *s, uint32_t new_pads)
{
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    uint64_t elapsed = now > s->pads_since_ns ? now - s->pads_since_ns : 0;
    uint32_t changed = new_pads ^ s->pads;
    int n;

    for (n = 0; n < ESP8266_GPIO_NUM_PINS; n++) {
        if (s->pads & BIT(n)) {
            s->high_ns[n] += elapsed;
        }
        if (changed & BIT(n)) {
            s->edges[n]++;
        }
    }
    s->pads_since_ns = now;
}

static void esp8266_gpio_update(Esp8266GpioState *s)
{
    uint32_t pads = esp8266_gpio_pads(s);
    uint32_t changed = pads ^ s->pads;
    int n;

    esp8266_gpio_meter(s, pads);

    for (n = 0; n < ESP8266_GPIO_NUM_PINS; n++) {
        bool level = pads & BIT(n);
        bool hit = false;

        switch (FIELD_EX32(s->pin[n], PIN, INT_TYPE)) {
        case INT_RISING:
            hit = (changed & BIT(n)) && level;
            break;
        case INT_FALLING:
            hit = (changed & BIT(n)) && !level;
            break;
        case INT_ANY_EDGE:
            hit = changed & BIT(n);
            break;
        case INT_LOW:
            hit = !level;
            break;
        case INT_HIGH:
            hit = level;
            break;
        default:
            break;
        }
        if (hit) {
            s->status |= BIT(n);
        }
        if (changed & BIT(n)) {
            qemu_set_irq(s->pin_out[n], level);
        }
    }
    if (changed) {
        trace_esp8266_gpio_pads(s->pads, pads, s->status);
    }
    s->pads = pads;
    qemu_set_irq(s->irq, (s->status & PINS_MASK) != 0);
}

static uint32_t esp8266_gpio_calib_value(Esp8266GpioState *s)
{
    uint64_t period = FIELD_EX32(s->calib_sync, RTC_CALIB_SYNC, PERIOD_NUM);
    uint32_t v;

    if (!FIELD_EX32(s->calib_sync, RTC_CALIB_SYNC, START)) {
        return 0;
    }
    /* Crystal cycles in PERIOD_NUM cycles of the RTC clock. */
    v = (period * ESP8266_XTAL_HZ + ESP8266_RTC_CLOCK_HZ / 2) /
        ESP8266_RTC_CLOCK_HZ;
    v = FIELD_DP32(0, RTC_CALIB_VALUE, VALUE, v);
    return FIELD_DP32(v, RTC_CALIB_VALUE, READY, 1);
}

static uint64_t esp8266_gpio_read(void *opaque, hwaddr addr, unsigned size)
{
    Esp8266GpioState *s = opaque;
    uint32_t r = 0;

    switch (addr >> 2) {
    case R_OUT:
        r = s->out;
        break;
    case R_ENABLE:
        r = s->enable;
        break;
    case R_IN:
        r = FIELD_DP32(s->pads, IN, STRAPPING, s->strapping);
        break;
    case R_STATUS:
        r = s->status;
        break;
    case R_OUT_W1TS:
    case R_OUT_W1TC:
    case R_ENABLE_W1TS:
    case R_ENABLE_W1TC:
    case R_STATUS_W1TS:
    case R_STATUS_W1TC:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: register 0x%02" HWADDR_PRIx
                      " is write-only\n", __func__, addr);
        break;
    case R_PIN0 ... R_PIN15:
        r = s->pin[(addr - A_PIN0) >> 2];
        break;
    case R_SIGMA_DELTA:
        r = s->sigma_delta;
        break;
    case R_RTC_CALIB_SYNC:
        r = s->calib_sync;
        break;
    case R_RTC_CALIB_VALUE:
        r = esp8266_gpio_calib_value(s);
        break;
    default:
        qemu_log_mask(LOG_UNIMP, "%s: unimplemented register 0x%02"
                      HWADDR_PRIx " read as 0\n", __func__, addr);
        break;
    }
    trace_esp8266_gpio_read(addr, r);
    return r;
}

static void esp8266_gpio_write(void *opaque, hwaddr addr, uint64_t value,
                               unsigned size)
{
    Esp8266GpioState *s = opaque;
    uint32_t v = value;

    trace_esp8266_gpio_write(addr, v);
    switch (addr >> 2) {
    case R_OUT:
        s->out = v;
        break;
    case R_OUT_W1TS:
        s->out |= v;
        break;
    case R_OUT_W1TC:
        s->out &= ~v;
        break;
    case R_ENABLE:
        s->enable = v;
        break;
    case R_ENABLE_W1TS:
        s->enable |= v;
        break;
    case R_ENABLE_W1TC:
        s->enable &= ~v;
        break;
    case R_IN:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: GPIO_IN is read-only\n",
                      __func__);
        return;
    case R_STATUS:
        s->status = v;
        break;
    case R_STATUS_W1TS:
        s->status |= v;
        break;
    case R_STATUS_W1TC:
        s->status &= ~v;
        break;
    case R_PIN0 ... R_PIN15:
        s->pin[(addr - A_PIN0) >> 2] = v;
        break;
    case R_SIGMA_DELTA:
        qemu_log_mask(LOG_UNIMP, "%s: sigma-delta output not modelled "
                      "(0x%08" PRIx32 " stored)\n", __func__, v);
        s->sigma_delta = v;
        return;
    case R_RTC_CALIB_SYNC:
        s->calib_sync = v;
        return;
    case R_RTC_CALIB_VALUE:
        return;     /* software clears READY here; the value is computed */
    default:
        qemu_log_mask(LOG_UNIMP, "%s: unimplemented register 0x%02"
                      HWADDR_PRIx " = 0x%08" PRIx32 " (ignored)\n",
                      __func__, addr, v);
        return;
    }
    esp8266_gpio_update(s);
}

static const MemoryRegionOps esp8266_gpio_ops = {
    .read = esp8266_gpio_read,
    .write = esp8266_gpio_write,
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

static void esp8266_gpio_set_host_in(Esp8266GpioState *s, uint32_t in)
{
    s->host_in = in & ESP8266_GPIO_ALL_PINS;
    trace_esp8266_gpio_host_in(s->host_in);
    qemu_set_irq(s->gpio16_in, !!(s->host_in & BIT(ESP8266_GPIO_PIN16)));
    esp8266_gpio_update(s);
}

static void esp8266_gpio_pin_in(void *opaque, int n, int level)
{
    Esp8266GpioState *s = opaque;
    uint32_t in = level ? s->host_in | BIT(n) : s->host_in & ~BIT(n);

    esp8266_gpio_set_host_in(s, in);
}

static void esp8266_gpio_get_in(Object *obj, Visitor *v, const char *name,
                                void *opaque, Error **errp)
{
    Esp8266GpioState *s = ESP8266_GPIO(obj);
    uint32_t value = s->host_in;

    visit_type_uint32(v, name, &value, errp);
}

static void esp8266_gpio_set_in(Object *obj, Visitor *v, const char *name,
                                void *opaque, Error **errp)
{
    Esp8266GpioState *s = ESP8266_GPIO(obj);
    uint32_t value;

    if (!visit_type_uint32(v, name, &value, errp)) {
        return;
    }
    if (value & ~ESP8266_GPIO_ALL_PINS) {
        error_setg(errp, "'%s' has bits for pins 0..16 only (mask 0x%x), "
                   "got 0x%" PRIx32, name, ESP8266_GPIO_ALL_PINS, value);
        return;
    }
    esp8266_gpio_set_host_in(s, value);
}

static void esp8266_gpio_get_out(Object *obj, Visitor *v, const char *name,
                                 void *opaque, Error **errp)
{
    Esp8266GpioState *s = ESP8266_GPIO(obj);
    uint32_t value = esp8266_gpio_pads(s) |
                     (uint32_t)s->gpio16_level << ESP8266_GPIO_PIN16;

    visit_type_uint32(v, name, &value, errp);
}

static void esp8266_gpio_get_enable(Object *obj, Visitor *v, const char *name,
                                    void *opaque, Error **errp)
{
    Esp8266GpioState *s = ESP8266_GPIO(obj);
    uint32_t value = s->enable & PINS_MASK;

    if (s->gpio16_oe) {
        value |= BIT(ESP8266_GPIO_PIN16);
    }
    visit_type_uint32(v, name, &value, errp);
}

static char *esp8266_gpio_get_wires(Object *obj, Error **errp)
{
    return g_strdup(ESP8266_GPIO(obj)->wires ? ESP8266_GPIO(obj)->wires : "");
}

/* "A-B[,C-D...]": pins 0..15, A != B, at most ESP8266_GPIO_MAX_WIRES pairs. */
static void esp8266_gpio_set_wires(Object *obj, const char *value, Error **errp)
{
    Esp8266GpioState *s = ESP8266_GPIO(obj);
    uint8_t wire[ESP8266_GPIO_MAX_WIRES][2];
    g_auto(GStrv) pairs = g_strsplit(value, ",", -1);
    unsigned count = 0;
    int i;

    for (i = 0; pairs[i]; i++) {
        unsigned a, b;
        char end;

        if (!*g_strstrip(pairs[i])) {
            continue;
        }
        if (sscanf(pairs[i], "%u-%u%c", &a, &b, &end) != 2 ||
            a >= ESP8266_GPIO_NUM_PINS || b >= ESP8266_GPIO_NUM_PINS || a == b) {
            error_setg(errp, "wires: '%s' is not a pair A-B of two pins 0..15 "
                       "(e.g. \"4-5\")", pairs[i]);
            return;
        }
        if (count == ESP8266_GPIO_MAX_WIRES) {
            error_setg(errp, "wires: at most %d pairs", ESP8266_GPIO_MAX_WIRES);
            return;
        }
        wire[count][0] = a;
        wire[count][1] = b;
        count++;
    }
    memcpy(s->wire, wire, sizeof(wire[0]) * count);
    s->num_wires = count;
    g_free(s->wires);
    s->wires = g_strdup(value);
    if (DEVICE(obj)->realized) {
        esp8266_gpio_update(s);     /* else -global: the reset computes the pads */
    }
}

/*
 * "meter": {"clock-ns": now, "high-ns": [16], "edges": [16]}, one snapshot
 * (all brought up to the same virtual time).
 */
static void esp8266_gpio_get_meter(Object *obj, Visitor *v, const char *name,
                                   void *opaque, Error **errp)
{
    Esp8266GpioState *s = ESP8266_GPIO(obj);
    uint64List *high = NULL, **high_tail = &high;
    uint64List *edges = NULL, **edges_tail = &edges;
    uint64_t clock;
    int n;

    esp8266_gpio_meter(s, s->pads);
    clock = s->pads_since_ns;
    for (n = 0; n < ESP8266_GPIO_NUM_PINS; n++) {
        QAPI_LIST_APPEND(high_tail, s->high_ns[n]);
        QAPI_LIST_APPEND(edges_tail, s->edges[n]);
    }
    if (visit_start_struct(v, name, NULL, 0, errp)) {
        if (visit_type_uint64(v, "clock-ns", &clock, errp) &&
            visit_type_uint64List(v, "high-ns", &high, errp) &&
            visit_type_uint64List(v, "edges", &edges, errp)) {
            visit_check_struct(v, errp);
        }
        visit_end_struct(v, NULL);
    }
    qapi_free_uint64List(high);
    qapi_free_uint64List(edges);
}

static void esp8266_gpio_reset_enter(Object *obj, ResetType type)
{
    Esp8266GpioState *s = ESP8266_GPIO(obj);

    /* The host's levels are outside the chip: a reset keeps them. */
    s->out = 0;
    s->enable = 0;
    s->status = 0;
    memset(s->pin, 0, sizeof(s->pin));
    s->sigma_delta = 0;
    s->calib_sync = 0;
    esp8266_gpio_meter(s, esp8266_gpio_pads(s));
    s->pads = esp8266_gpio_pads(s);
}

static void esp8266_gpio_reset_hold(Object *obj, ResetType type)
{
    Esp8266GpioState *s = ESP8266_GPIO(obj);
    int n;

    qemu_irq_lower(s->irq);
    for (n = 0; n < ESP8266_GPIO_NUM_PINS; n++) {
        qemu_set_irq(s->pin_out[n], s->pads & BIT(n));
    }
    qemu_set_irq(s->gpio16_in, !!(s->host_in & BIT(ESP8266_GPIO_PIN16)));
}

static void esp8266_gpio_init(Object *obj)
{
    Esp8266GpioState *s = ESP8266_GPIO(obj);
    SysBusDevice *sbd = SYS_BUS_DEVICE(obj);

    memory_region_init_io(&s->iomem, obj, &esp8266_gpio_ops, s,
                          TYPE_ESP8266_GPIO, ESP8266_GPIO_MMIO_SIZE);
    sysbus_init_mmio(sbd, &s->iomem);
    sysbus_init_irq(sbd, &s->irq);
    qdev_init_gpio_in_named(DEVICE(obj), esp8266_gpio_pin_in, "pin-in",
                            ESP8266_GPIO_NUM_PINS + 1);
    qdev_init_gpio_out_named(DEVICE(obj), s->pin_out, "pin-out",
                             ESP8266_GPIO_NUM_PINS);
    qdev_init_gpio_out_named(DEVICE(obj), &s->gpio16_in, "gpio16-in", 1);
    qdev_init_gpio_in_named(DEVICE(obj), esp8266_gpio16_from_rtc,
                            "gpio16-from-rtc", 2);
    s->host_in = ESP8266_GPIO_ALL_PINS;
    s->gpio16_level = true;

    object_property_add(obj, "in", "uint32", esp8266_gpio_get_in,
                        esp8266_gpio_set_in, NULL, NULL);
    object_property_set_description(obj, "in",
        "levels driven by the host on pins 0..15 and GPIO16 (bit 16)");
    object_property_add(obj, "out", "uint32", esp8266_gpio_get_out,
                        NULL, NULL, NULL);
    object_property_set_description(obj, "out",
        "level on each pad, pins 0..15 and GPIO16 (bit 16), read-only");
    object_property_add(obj, "enable", "uint32", esp8266_gpio_get_enable,
                        NULL, NULL, NULL);
    object_property_set_description(obj, "enable",
        "output-enable mask, pins 0..15 and GPIO16 (bit 16), read-only");
    object_property_add_str(obj, "wires", esp8266_gpio_get_wires,
                            esp8266_gpio_set_wires);
    object_property_set_description(obj, "wires",
        "pads wired together outside the chip: \"A-B\" pairs of pins 0..15, "
        "comma-separated (e.g. \"4-5\")");
    object_property_add(obj, "meter", "Esp8266GpioMeter",
                        esp8266_gpio_get_meter, NULL, NULL, NULL);
    object_property_set_description(obj, "meter",
        "pad meter snapshot: {clock-ns, high-ns[16], edges[16]}, read-only");
}

static void esp8266_gpio_finalize(Object *obj)
{
    g_free(ESP8266_GPIO(obj)->wires);
}

static const Property esp8266_gpio_props[] = {
    /* Boot-mode straps (GPIO15, GPIO0, GPIO2) latched into IN[31:16]. */
    DEFINE_PROP_UINT32("strapping", Esp8266GpioState, strapping, 0x3),
};

static const VMStateDescription vmstate_esp8266_gpio = {
    .name = TYPE_ESP8266_GPIO,
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(out, Esp8266GpioState),
        VMSTATE_UINT32(enable, Esp8266GpioState),
        VMSTATE_UINT32(status, Esp8266GpioState),
        VMSTATE_UINT32_ARRAY(pin, Esp8266GpioState, ESP8266_GPIO_NUM_PINS),
        VMSTATE_UINT32(sigma_delta, Esp8266GpioState),
        VMSTATE_UINT32(calib_sync, Esp8266GpioState),
        VMSTATE_UINT32(host_in, Esp8266GpioState),
        VMSTATE_UINT32(pads, Esp8266GpioState),
        VMSTATE_BOOL(gpio16_level, Esp8266GpioState),
        VMSTATE_BOOL(gpio16_oe, Esp8266GpioState),
        VMSTATE_END_OF_LIST()
    }
};

static void esp8266_gpio_class_init(ObjectClass *klass,
                                    ESP8266_CLASS_DATA *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    dc->vmsd = &vmstate_esp8266_gpio;
    dc->desc = "ESP8266 GPIO";
    device_class_set_props(dc, esp8266_gpio_props);
    rc->phases.enter = esp8266_gpio_reset_enter;
    rc->phases.hold = esp8266_gpio_reset_hold;
}

static const TypeInfo esp8266_gpio_info = {
    .name = TYPE_ESP8266_GPIO,
    .parent = TYPE_SYS_BUS_DEVICE,
    .instance_size = sizeof(Esp8266GpioState),
    .instance_init = esp8266_gpio_init,
    .instance_finalize = esp8266_gpio_finalize,
    .class_init = esp8266_gpio_class_init,
};

static void esp8266_gpio_register_types(void)
{
    type_register_static(&esp8266_gpio_info);
}

type_init(esp8266_gpio_register_types)
