/*
 * ESP8266 system on chip: lx106 CPU, memories and peripherals
 *
 * The SoC owns the CPU, the memories at their real addresses, UART0/1,
 * the SPI0 flash controller with the cached flash window, the eFuse words,
 * the emulator-only NIC and the boot code; the board (esp8266.c) only
 * connects host resources (chardevs, drive, NIC, -kernel) to it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/xtensa/esp8266_compat.h"
#include "qemu/units.h"
#include "qemu/log.h"
#include "qapi/error.h"
#include "cpu.h"
#include "hw/irq.h"
#include "hw/qdev-clock.h"
#include "hw/qdev-properties.h"
#include "hw/qdev-properties-system.h"
#include "hw/misc/unimp.h"
#include "migration/vmstate.h"
#include "hw/xtensa/esp8266_boot.h"
#include "hw/xtensa/esp8266_soc.h"
#include "net/net.h"
#include "system/system.h"
#include "trace.h"

qemu_irq esp8266_soc_cpu_irq(Esp8266SocState *s, int inum)
{
    CPUXtensaState *env = &s->cpu->env;

    assert(inum >= 0 && inum < env->config->ninterrupt);
    return env->irq_inputs[inum];
}

static void esp8266_soc_init_peripherals(Object *obj)
{
    Esp8266SocState *s = ESP8266_SOC(obj);

    object_initialize_child(obj, "dport", &s->dport, TYPE_ESP8266_DPORT);
    object_initialize_child(obj, "frc", &s->frc, TYPE_ESP8266_FRC_TIMER);
    object_initialize_child(obj, "rtc", &s->rtc, TYPE_ESP8266_RTC);
    object_initialize_child(obj, "wdt", &s->wdt, TYPE_ESP8266_WDT);
    object_initialize_child(obj, "gpio", &s->gpio, TYPE_ESP8266_GPIO);
    object_initialize_child(obj, "iomux", &s->iomux, TYPE_ESP8266_IOMUX);
}

static bool esp8266_soc_realize_peripherals(Esp8266SocState *s,
                                            Error **errp)
{
    DeviceState *dport = DEVICE(&s->dport);
    DeviceState *rtc = DEVICE(&s->rtc);
    DeviceState *gpio = DEVICE(&s->gpio);
    SysBusDevice *sbd;

    /* DPORT: its EDGE_INT_ENABLE gates the WDT, FRC1 and FRC2 interrupts */
    sbd = SYS_BUS_DEVICE(&s->dport);
    if (!sysbus_realize(sbd, errp)) {
        return false;
    }
    sysbus_mmio_map(sbd, 0, ESP8266_DPORT_BASE);
    sysbus_mmio_map(sbd, 1, ESP8266_WDEV_BASE);
    qdev_connect_gpio_out_named(dport, "edge-out", ESP8266_DPORT_EDGE_WDT,
                                esp8266_soc_cpu_irq(s, ESP8266_IRQ_WDT));
    qdev_connect_gpio_out_named(dport, "edge-out", ESP8266_DPORT_EDGE_FRC1,
                                esp8266_soc_cpu_irq(s, ESP8266_IRQ_FRC1));
    qdev_connect_gpio_out_named(dport, "edge-out", ESP8266_DPORT_EDGE_FRC2,
                                esp8266_soc_cpu_irq(s, ESP8266_IRQ_FRC2));

    /* RTC block and RTC memory; deep sleep stalls the CPU */
    sbd = SYS_BUS_DEVICE(&s->rtc);
    if (!sysbus_realize(sbd, errp)) {
        return false;
    }
    sysbus_mmio_map(sbd, 0, ESP8266_RTC_BASE);
    sysbus_mmio_map(sbd, 1, ESP8266_RTC_MEM_BASE);
    qdev_connect_gpio_out_named(rtc, "runstall", 0,
                                qdev_get_gpio_in(DEVICE(&s->runstall_or),
                                                 ESP8266_RUNSTALL_RTC));

    /* FRC1/FRC2 timers, on the APB clock */
    qdev_connect_clock_in(DEVICE(&s->frc), "clk", s->apb_clk);
    sbd = SYS_BUS_DEVICE(&s->frc);
    if (!sysbus_realize(sbd, errp)) {
        return false;
    }
    sysbus_mmio_map(sbd, 0, ESP8266_FRC_BASE);
    sysbus_connect_irq(sbd, ESP8266_FRC1,
                       qdev_get_gpio_in_named(dport, "edge-in",
                                              ESP8266_DPORT_EDGE_FRC1));
    sysbus_connect_irq(sbd, ESP8266_FRC2,
                       qdev_get_gpio_in_named(dport, "edge-in",
                                              ESP8266_DPORT_EDGE_FRC2));

    /* Hardware watchdog: its reset cause goes to the RTC */
    sbd = SYS_BUS_DEVICE(&s->wdt);
    if (!sysbus_realize(sbd, errp)) {
        return false;
    }
    sysbus_mmio_map(sbd, 0, ESP8266_WDT_BASE);
    sysbus_connect_irq(sbd, 0, qdev_get_gpio_in_named(dport, "edge-in",
                                                      ESP8266_DPORT_EDGE_WDT));
    qdev_connect_gpio_out_named(DEVICE(&s->wdt), "reset-cause", 0,
                                qdev_get_gpio_in_named(rtc, "reset-cause",
                                                       ESP8266_RESET_WATCHDOG));
    qdev_connect_gpio_out_named(rtc, "deep-sleep", 0,
                                qdev_get_gpio_in_named(DEVICE(&s->wdt),
                                                       "sleep", 0));

    /* GPIO (GPIO16 through the RTC); straps: GPIO15 low, GPIO0, GPIO2 high */
    qdev_prop_set_uint32(DEVICE(&s->gpio), "strapping",
                         s->boot_mode == ESP8266_BOOT_DOWNLOAD ? 0x1 : 0x3);
    sbd = SYS_BUS_DEVICE(&s->gpio);
    if (!sysbus_realize(sbd, errp)) {
        return false;
    }
    sysbus_mmio_map(sbd, 0, ESP8266_GPIO_BASE);
    sysbus_connect_irq(sbd, 0, esp8266_soc_cpu_irq(s, ESP8266_IRQ_GPIO));
    qdev_connect_gpio_out_named(gpio, "gpio16-in", 0,
                                qdev_get_gpio_in_named(rtc, "gpio16-in", 0));
    qdev_connect_gpio_out_named(rtc, "gpio16-level", 0,
                                qdev_get_gpio_in_named(gpio, "gpio16-from-rtc",
                                                       0));
    qdev_connect_gpio_out_named(rtc, "gpio16-oe", 0,
                                qdev_get_gpio_in_named(gpio, "gpio16-from-rtc",
                                                       1));

    /* IOMUX */
    sbd = SYS_BUS_DEVICE(&s->iomux);
    if (!sysbus_realize(sbd, errp)) {
        return false;
    }
    sysbus_mmio_map(sbd, 0, ESP8266_IOMUX_BASE);
    return true;
}

/*
 * eFuse words (read-only): the MAC address and chip id as esptool and the
 * SDK decode them, mapped over the DPORT block at 0x3ff00050.
 */
static uint64_t esp8266_efuse_read(void *opaque, hwaddr addr, unsigned size)
{
    Esp8266SocState *s = opaque;
    const uint8_t *m = s->mac.a;

    switch (addr) {
    case 0x0:
        return (uint32_t)m[5] << 24;
    case 0x4:
        return (m[3] << 8) | m[4];
    case 0x8:
        return 0;
    case 0xc:
        return (m[0] << 16) | (m[1] << 8) | m[2];
    default:
        return 0;
    }
}

static void esp8266_efuse_write(void *opaque, hwaddr addr, uint64_t value,
                                unsigned size)
{
    qemu_log_mask(LOG_GUEST_ERROR, "%s: eFuse word 0x%" HWADDR_PRIx
                  " is read-only\n", __func__, addr);
}

static const MemoryRegionOps esp8266_efuse_ops = {
    .read = esp8266_efuse_read,
    .write = esp8266_efuse_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid.min_access_size = 4,
    .valid.max_access_size = 4,
    .impl.min_access_size = 4,
    .impl.max_access_size = 4,
};

static bool esp8266_soc_init_nic(Esp8266SocState *s, MemoryRegion *sys,
                                 Error **errp)
{
    SysBusDevice *sbd;

    s->nic = qemu_create_nic_device("open_eth", true, NULL);
    if (!s->nic) {
        return true;
    }
    sbd = SYS_BUS_DEVICE(s->nic);
    if (!sysbus_realize_and_unref(sbd, errp)) {
        return false;
    }
    sysbus_connect_irq(sbd, 0, esp8266_soc_cpu_irq(s, ESP8266_IRQ_NIC));
    memory_region_add_subregion(sys, ESP8266_NIC_REGS_BASE,
                                sysbus_mmio_get_region(sbd, 0));
    memory_region_add_subregion(sys, ESP8266_NIC_DESC_BASE,
                                sysbus_mmio_get_region(sbd, 1));
    /* Packet buffer RAM the driver may use instead of the scarce DRAM. */
    if (!memory_region_init_ram(&s->nic_buf, OBJECT(s), "esp8266.nic-buf",
                                ESP8266_NIC_BUF_SIZE, errp)) {
        return false;
    }
    memory_region_add_subregion(sys, ESP8266_NIC_BUF_BASE, &s->nic_buf);
    return true;
}

/* A LOG_UNIMP background below the placeholders of individual devices. */
static void esp8266_soc_unimp_background(const char *name, hwaddr base,
                                         hwaddr size)
{
    DeviceState *dev = qdev_new(TYPE_UNIMPLEMENTED_DEVICE);

    qdev_prop_set_string(dev, "name", name);
    qdev_prop_set_uint64(dev, "size", size);
    sysbus_realize_and_unref(SYS_BUS_DEVICE(dev), &error_fatal);
    sysbus_mmio_map_overlap(SYS_BUS_DEVICE(dev), 0, base, -2000);
}

/* Download mode's FLASH_END "reboot": the next boot is from flash. */
static void esp8266_soc_flash_boot(void *opaque, int n, int level)
{
    Esp8266SocState *s = opaque;

    if (level) {
        s->boot_flash_once = true;
    }
}

static void esp8266_soc_init(Object *obj)
{
    Esp8266SocState *s = ESP8266_SOC(obj);
    int i;

    for (i = 0; i < ARRAY_SIZE(s->uart); i++) {
        g_autofree char *name = g_strdup_printf("uart%d", i);

        object_initialize_child(obj, name, &s->uart[i], TYPE_ESP8266_UART);
    }
    object_initialize_child(obj, "spi-flash", &s->spi_flash,
                            TYPE_ESP8266_SPI_FLASH);
    object_initialize_child(obj, "download", &s->download,
                            TYPE_ESP8266_DOWNLOAD);
    object_initialize_child(obj, "runstall-or", &s->runstall_or, TYPE_OR_IRQ);
    object_initialize_child(obj, "uart-irq-or", &s->uart_irq_or, TYPE_OR_IRQ);
    s->apb_clk = clock_new(obj, "apb-clk");
    qdev_init_gpio_in_named(DEVICE(obj), esp8266_soc_flash_boot,
                            "flash-boot-once", 1);
    object_property_add_alias(obj, "drive", OBJECT(&s->spi_flash), "drive");
    object_property_add_alias(obj, "serial0", OBJECT(&s->uart[0]), "chardev");
    object_property_add_alias(obj, "serial1", OBJECT(&s->uart[1]), "chardev");

    esp8266_soc_init_peripherals(obj);
}

static void esp8266_soc_realize(DeviceState *dev, Error **errp)
{
    Esp8266SocState *s = ESP8266_SOC(dev);
    MemoryRegion *sys = get_system_memory();
    static const uint8_t default_mac[] = ESP8266_DEFAULT_MAC;
    static const hwaddr uart_base[] = {
        ESP8266_UART0_BASE, ESP8266_UART1_BASE,
    };
    MemoryRegion *flash;
    int i;

    if (s->boot_mode > ESP8266_BOOT_DOWNLOAD) {
        error_setg(errp, "esp8266: unknown boot mode %u", s->boot_mode);
        return;
    }
    if (!(s->mac.a[0] | s->mac.a[1] | s->mac.a[2] | s->mac.a[3] |
          s->mac.a[4] | s->mac.a[5])) {
        memcpy(s->mac.a, default_mac, sizeof(s->mac.a));
    }

    /* The APB clock (80 MHz, whatever the CPU clock) */
    clock_set_hz(s->apb_clk, ESP8266_APB_FREQ_HZ);

    /* CPU */
    s->cpu = XTENSA_CPU(object_new(XTENSA_CPU_TYPE_NAME("lx106")));
    object_property_add_child(OBJECT(s), "cpu", OBJECT(s->cpu));
    clock_set_hz(s->cpu->clock, ESP8266_CPU_FREQ_HZ);
    if (s->narrow_load_error) {
        /* IRAM and the flash window answer 32-bit loads only */
        qdev_prop_set_uint32(DEVICE(s->cpu), "narrow-load-error-base",
                             ESP8266_NARROW_LOAD_ERROR_BASE);
        qdev_prop_set_uint32(DEVICE(s->cpu), "narrow-load-error-size",
                             ESP8266_NARROW_LOAD_ERROR_SIZE);
    }
    if (!qdev_realize_and_unref(DEVICE(s->cpu), NULL, errp)) {
        return;
    }

    /* The CPU's RUNSTALL input: deep sleep, boot halt, download mode */
    object_property_set_int(OBJECT(&s->runstall_or), "num-lines",
                            ESP8266_RUNSTALL_NUM, &error_abort);
    if (!qdev_realize(DEVICE(&s->runstall_or), NULL, errp)) {
        return;
    }
    qdev_connect_gpio_out(DEVICE(&s->runstall_or), 0,
                          xtensa_get_runstall(&s->cpu->env));
    s->boot_halt = qdev_get_gpio_in(DEVICE(&s->runstall_or),
                                    ESP8266_RUNSTALL_BOOT);

    /* Memories */
    if (!memory_region_init_rom(&s->rom, OBJECT(s), "esp8266.rom",
                                ESP8266_ROM_SIZE, errp)) {
        return;
    }
    memory_region_add_subregion(sys, ESP8266_ROM_BASE, &s->rom);
    /* We ship no ROM code; only the word esptool reads to detect the chip. */
    stl_le_p((uint8_t *)memory_region_get_ram_ptr(&s->rom) +
             ESP8266_ROM_MAGIC_OFFSET, ESP8266_ROM_MAGIC_VALUE);
    if (!memory_region_init_ram(&s->iram, OBJECT(s), "esp8266.iram",
                                ESP8266_IRAM_SIZE, errp)) {
        return;
    }
    memory_region_add_subregion(sys, ESP8266_IRAM_BASE, &s->iram);
    if (!memory_region_init_ram(&s->dram, OBJECT(s), "esp8266.dram",
                                ESP8266_DRAM_SIZE, errp)) {
        return;
    }
    memory_region_add_subregion(sys, ESP8266_DRAM_BASE, &s->dram);

    /* UART0, UART1: both on CPU interrupt 5, through an OR gate */
    object_property_set_int(OBJECT(&s->uart_irq_or), "num-lines",
                            ARRAY_SIZE(s->uart), &error_abort);
    if (!qdev_realize(DEVICE(&s->uart_irq_or), NULL, errp)) {
        return;
    }
    qdev_connect_gpio_out(DEVICE(&s->uart_irq_or), 0,
                          esp8266_soc_cpu_irq(s, ESP8266_IRQ_UART));
    for (i = 0; i < ARRAY_SIZE(s->uart); i++) {
        SysBusDevice *sbd = SYS_BUS_DEVICE(&s->uart[i]);

        if (i == 0) {
            /* download mode takes UART0's input while it is active */
            object_property_set_link(OBJECT(sbd), "rx-sink",
                                     OBJECT(&s->download), &error_abort);
            if (s->boot_mode == ESP8266_BOOT_DOWNLOAD) {
                qdev_prop_set_uint32(DEVICE(sbd), "clkdiv-reset",
                                     ESP8266_DOWNLOAD_UART_CLKDIV);
            }
        }
        if (!sysbus_realize(sbd, errp)) {
            return;
        }
        sysbus_mmio_map(sbd, 0, uart_base[i]);
        sysbus_connect_irq(sbd, 0, qdev_get_gpio_in(DEVICE(&s->uart_irq_or),
                                                    i));
    }

    /* SPI0 flash controller and the cached flash window */
    if (!sysbus_realize(SYS_BUS_DEVICE(&s->spi_flash), errp)) {
        return;
    }
    sysbus_mmio_map(SYS_BUS_DEVICE(&s->spi_flash), 0, ESP8266_SPI0_BASE);
    flash = sysbus_mmio_get_region(SYS_BUS_DEVICE(&s->spi_flash), 1);
    memory_region_init_alias(&s->flash_window, OBJECT(s),
                             "esp8266.flash-window", flash, 0,
                             MIN(ESP8266_FLASH_WINDOW_SIZE,
                                 esp8266_spi_flash_size(&s->spi_flash)));
    memory_region_add_subregion(sys, ESP8266_FLASH_WINDOW_BASE,
                                &s->flash_window);

    /* The ROM's UART download mode, on UART0 */
    object_property_set_link(OBJECT(&s->download), "uart",
                             OBJECT(&s->uart[0]), &error_abort);
    object_property_set_link(OBJECT(&s->download), "flash",
                             OBJECT(&s->spi_flash), &error_abort);
    object_property_set_link(OBJECT(&s->download), "cpu", OBJECT(s->cpu),
                             &error_abort);
    if (!sysbus_realize(SYS_BUS_DEVICE(&s->download), errp)) {
        return;
    }
    qdev_connect_gpio_out_named(DEVICE(&s->download), "uart-bypass", 0,
                                qdev_get_gpio_in_named(DEVICE(&s->uart[0]),
                                                       "rx-bypass", 0));
    qdev_connect_gpio_out_named(DEVICE(&s->download), "runstall", 0,
                                qdev_get_gpio_in(DEVICE(&s->runstall_or),
                                                 ESP8266_RUNSTALL_DOWNLOAD));
    qdev_connect_gpio_out_named(DEVICE(&s->download), "flash-boot", 0,
                                qdev_get_gpio_in_named(dev, "flash-boot-once",
                                                       0));

    /* eFuse words, over the DPORT block */
    memory_region_init_io(&s->efuse, OBJECT(s), &esp8266_efuse_ops, s,
                          "esp8266.efuse", ESP8266_EFUSE_SIZE);
    memory_region_add_subregion_overlap(sys, ESP8266_EFUSE_BASE, &s->efuse, 1);

    if (!esp8266_soc_realize_peripherals(s, errp)) {
        return;
    }

    /* Emulator-only NIC, if the user configured one (-nic ...) */
    if (!esp8266_soc_init_nic(s, sys, errp)) {
        return;
    }

    /* Everything else in the peripheral spaces logs LOG_UNIMP. */
    create_unimplemented_device("esp8266.hspi", ESP8266_HSPI_BASE, 0x100);
    create_unimplemented_device("esp8266.i2c-pll", ESP8266_I2C_BASE, 0x100);
    esp8266_soc_unimp_background("esp8266.periph", 0x60000000, 0x2000);
    esp8266_soc_unimp_background("esp8266.dport-space", 0x3ff00000, 0x40000);
}

/*
 * Boot in the exit phase: after every device of the machine (UARTs, SPI
 * flash, RTC with the reset cause...) has completed its reset.
 */
static void esp8266_soc_reset_exit(Object *obj, ResetType type)
{
    esp8266_boot_reset(ESP8266_SOC(obj));
}

/*
 * The SoC's own state: the one-shot flash boot that download mode's
 * FLASH_END asked for (its devices, the OR gates and the RAM migrate
 * themselves).
 */
static const VMStateDescription vmstate_esp8266_soc = {
    .name = TYPE_ESP8266_SOC,
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_BOOL(boot_flash_once, Esp8266SocState),
        VMSTATE_END_OF_LIST()
    }
};

static const Property esp8266_soc_properties[] = {
    DEFINE_PROP_UINT32("boot-mode", Esp8266SocState, boot_mode,
                       ESP8266_BOOT_FLASH),
    DEFINE_PROP_MACADDR("mac", Esp8266SocState, mac),
    DEFINE_PROP_BOOL("narrow-load-error", Esp8266SocState, narrow_load_error,
                     true),
};

static void esp8266_soc_class_init(ObjectClass *klass, ESP8266_CLASS_DATA *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    dc->realize = esp8266_soc_realize;
    dc->vmsd = &vmstate_esp8266_soc;
    rc->phases.exit = esp8266_soc_reset_exit;
    /* Created by the board only: needs the system memory and -nic config */
    dc->user_creatable = false;
    device_class_set_props(dc, esp8266_soc_properties);
}

static const TypeInfo esp8266_soc_info = {
    .name = TYPE_ESP8266_SOC,
    .parent = TYPE_SYS_BUS_DEVICE,
    .instance_size = sizeof(Esp8266SocState),
    .instance_init = esp8266_soc_init,
    .class_init = esp8266_soc_class_init,
};

static void esp8266_soc_register_types(void)
{
    type_register_static(&esp8266_soc_info);
}

type_init(esp8266_soc_register_types)
