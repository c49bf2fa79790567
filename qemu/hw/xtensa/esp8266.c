/*
 * ESP8266 board: the esp8266 SoC with host resources attached
 *
 *   -M esp8266[,boot-mode=flash|download][,mac=xx:xx:xx:xx:xx:xx]
 *             [,narrow-load-error=on|off]
 *   -drive if=mtd,format=raw,file=flash.bin   SPI flash (1, 2 or 4 MiB)
 *   -serial ... -serial ...                    UART0, UART1
 *   -nic user,model=open_eth                   emulator-only NIC
 *   -kernel prog.elf                           start an ELF, not the flash
 *   -bios rom.bin                              our open ROM image for the ROM
 *                                              window (entry points that code
 *                                              built for the mask ROM calls)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/xtensa/esp8266_compat.h"
#include "qemu/datadir.h"
#include "qemu/error-report.h"
#include "qapi/error.h"
#include "hw/boards.h"
#include "hw/qdev-properties.h"
#include "hw/xtensa/esp8266_boot.h"
#include "hw/xtensa/esp8266_soc.h"
#include "exec/replay-core.h"
#include "qemu/timer.h"
#include "system/blockdev.h"
#include "system/system.h"

#define TYPE_ESP8266_MACHINE MACHINE_TYPE_NAME("esp8266")
OBJECT_DECLARE_SIMPLE_TYPE(Esp8266MachineState, ESP8266_MACHINE)

struct Esp8266MachineState {
    MachineState parent_obj;

    Esp8266SocState soc;
    QEMUTimer *replay_tick;
    int boot_mode;
    char *mac;
    bool narrow_load_error;
};

/*
 * -bios: a raw image of the ROM window from ESP8266_ROM_BASE (built from our
 * firmware/rom/ sources).  Without it the window holds only the chip magic.
 */
static void esp8266_load_rom(Esp8266SocState *s, const char *name,
                             Error **errp)
{
    g_autofree char *path = qemu_find_file(QEMU_FILE_TYPE_BIOS, name);
    g_autofree char *data = NULL;
    uint8_t *rom = memory_region_get_ram_ptr(&s->rom);
    gsize len;

    if (!path || !g_file_get_contents(path, &data, &len, NULL)) {
        error_setg(errp, "could not read the ROM image '%s' given with -bios",
                   name);
        return;
    }
    if (len > ESP8266_ROM_SIZE) {
        error_setg(errp, "ROM image '%s' has %zu bytes; the ROM window holds "
                   "%u", name, (size_t)len, (unsigned)ESP8266_ROM_SIZE);
        return;
    }
    memcpy(rom, data, len);
    stl_le_p(rom + ESP8266_ROM_MAGIC_OFFSET, ESP8266_ROM_MAGIC_VALUE);
    s->rom_loaded = true;
    s->download.rom_loaded = true;  /* loaded code may call the ROM */
}

/*
 * Record/replay (-icount ...,rr=record|replay) hands host input (UART bytes,
 * packets) to the guest at timer checkpoints of the virtual clock.  An idle
 * firmware may have no timer due for seconds (MicroPython's next one is the
 * 1.6 s watchdog tick), so each input would wait that long: this 1 ms tick
 * of the machine bounds the wait.  It is part of the machine in both modes,
 * so the replay runs the same instructions as the recording.
 */
#define ESP8266_REPLAY_TICK_NS (1 * SCALE_MS)

static void esp8266_replay_tick(void *opaque)
{
    Esp8266MachineState *m = opaque;

    timer_mod(m->replay_tick,
              qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) + ESP8266_REPLAY_TICK_NS);
}

static void esp8266_machine_init(MachineState *machine)
{
    Esp8266MachineState *m = ESP8266_MACHINE(machine);
    DriveInfo *dinfo = drive_get(IF_MTD, 0, 0);
    DeviceState *soc;

    object_initialize_child(OBJECT(machine), "soc", &m->soc, TYPE_ESP8266_SOC);
    soc = DEVICE(&m->soc);
    qdev_prop_set_uint32(soc, "boot-mode", m->boot_mode);
    qdev_prop_set_bit(soc, "narrow-load-error", m->narrow_load_error);
    if (m->mac) {
        object_property_parse(OBJECT(soc), "mac", m->mac, &error_fatal);
    }
    if (dinfo) {
        qdev_prop_set_drive_err(soc, "drive", blk_by_legacy_dinfo(dinfo),
                                &error_fatal);
    }
    qdev_prop_set_chr(soc, "serial0", serial_hd(0));
    qdev_prop_set_chr(soc, "serial1", serial_hd(1));
    sysbus_realize(SYS_BUS_DEVICE(soc), &error_fatal);

    if (machine->firmware) {
        esp8266_load_rom(&m->soc, machine->firmware, &error_fatal);
    }
    if (machine->kernel_filename) {
        esp8266_boot_load_kernel(&m->soc, machine->kernel_filename,
                                 &error_fatal);
    }
    if (replay_mode != REPLAY_MODE_NONE) {
        m->replay_tick = timer_new_ns(QEMU_CLOCK_VIRTUAL, esp8266_replay_tick,
                                      m);
        esp8266_replay_tick(m);
    }
}

static int esp8266_get_boot_mode(Object *obj, Error **errp)
{
    return ESP8266_MACHINE(obj)->boot_mode;
}

static void esp8266_set_boot_mode(Object *obj, int value, Error **errp)
{
    ESP8266_MACHINE(obj)->boot_mode = value;
}

static char *esp8266_get_mac(Object *obj, Error **errp)
{
    return g_strdup(ESP8266_MACHINE(obj)->mac);
}

static void esp8266_set_mac(Object *obj, const char *value, Error **errp)
{
    Esp8266MachineState *m = ESP8266_MACHINE(obj);

    g_free(m->mac);
    m->mac = g_strdup(value);
}

static bool esp8266_get_narrow_load_error(Object *obj, Error **errp)
{
    return ESP8266_MACHINE(obj)->narrow_load_error;
}

static void esp8266_set_narrow_load_error(Object *obj, bool value,
                                          Error **errp)
{
    ESP8266_MACHINE(obj)->narrow_load_error = value;
}

static void esp8266_machine_instance_init(Object *obj)
{
    ESP8266_MACHINE(obj)->narrow_load_error = true;
}

static const QEnumLookup esp8266_boot_mode_lookup = {
    .array = (const char *const[]) {
        [ESP8266_BOOT_FLASH] = "flash",
        [ESP8266_BOOT_DOWNLOAD] = "download",
    },
    .size = 2,
};

static void esp8266_machine_class_init(ObjectClass *oc,
                                       ESP8266_CLASS_DATA *data)
{
    MachineClass *mc = MACHINE_CLASS(oc);

    mc->desc = "Espressif ESP8266 (lx106, our own open boot code and ROM)";
    mc->init = esp8266_machine_init;
    mc->max_cpus = 1;
    mc->default_cpu_type = XTENSA_CPU_TYPE_NAME("lx106");
    mc->default_ram_size = 0;
    mc->no_floppy = 1;
    mc->no_cdrom = 1;
    mc->no_parallel = 1;

    object_class_property_add_enum(oc, "boot-mode", "Esp8266BootMode",
                                   &esp8266_boot_mode_lookup,
                                   esp8266_get_boot_mode,
                                   esp8266_set_boot_mode);
    object_class_property_set_description(oc, "boot-mode",
        "Boot strap (GPIO0): 'flash' (default) boots the image at flash "
        "offset 0, 'download' enters the esptool UART download mode");
    object_class_property_add_str(oc, "mac", esp8266_get_mac,
                                  esp8266_set_mac);
    object_class_property_set_description(oc, "mac",
        "Station MAC address held in the eFuse words "
        "(default 5c:cf:7f:e5:51:a1)");
    object_class_property_add_bool(oc, "narrow-load-error",
                                   esp8266_get_narrow_load_error,
                                   esp8266_set_narrow_load_error);
    object_class_property_set_description(oc, "narrow-load-error",
        "8/16-bit loads from IRAM and the flash window raise LoadStoreError "
        "as on hardware (default on; off: allow them, for debugging)");
}

static const TypeInfo esp8266_machine_info = {
    .name = TYPE_ESP8266_MACHINE,
    .parent = TYPE_MACHINE,
    .instance_size = sizeof(Esp8266MachineState),
    .instance_init = esp8266_machine_instance_init,
    .class_init = esp8266_machine_class_init,
};

static void esp8266_machine_register_types(void)
{
    type_register_static(&esp8266_machine_info);
}

type_init(esp8266_machine_register_types)
