/*
 * ESP8266 UART download mode: the serial flasher protocol of the mask ROM
 *
 * With boot-mode=download (GPIO0 strapped low) the boot code starts this
 * device at reset: it holds the CPU (GPIO "runstall"), takes UART0's
 * input (GPIO "uart-bypass"; UART0 pushes the bytes into this stream
 * sink) and answers esptool, as the ROM does, through UART0's TX FIFO:
 * SLIP frames (0xC0 ... 0xC0, 0xDB escapes) carrying
 *   request:  0x00, op, size (LE16), checksum (LE32), data[size]
 *   response: 0x01, op, size (LE16), value (LE32), status, error
 * Commands: FLASH_BEGIN/DATA/END, MEM_BEGIN/DATA/END, SYNC, WRITE_REG,
 * READ_REG, SPI_SET_PARAMS, SPI_ATTACH, CHANGE_BAUDRATE; others get the
 * ROM's "invalid message" answer (esptool then knows to avoid them, e.g.
 * it skips the MD5 verify on an ESP8266 ROM).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/xtensa/esp8266_compat.h"
#include "qemu/log.h"
#include "qemu/error-report.h"
#include "qapi/error.h"
#include "cpu.h"
#include "hw/irq.h"
#include "hw/sysbus.h"
#include "hw/qdev-properties.h"
#include "hw/ssi/esp8266_spi_flash.h"
#include "hw/xtensa/esp8266_boot.h"
#include "hw/xtensa/esp8266_download.h"
#include "migration/vmstate.h"
#include "system/runstate.h"
#include "trace.h"

#define SLIP_END            0xc0
#define SLIP_ESC            0xdb
#define SLIP_ESC_END        0xdc
#define SLIP_ESC_ESC        0xdd

#define OP_FLASH_BEGIN      0x02
#define OP_FLASH_DATA       0x03
#define OP_FLASH_END        0x04
#define OP_MEM_BEGIN        0x05
#define OP_MEM_END          0x06
#define OP_MEM_DATA         0x07
#define OP_SYNC             0x08
#define OP_WRITE_REG        0x09
#define OP_READ_REG         0x0a
#define OP_SPI_SET_PARAMS   0x0b
#define OP_SPI_ATTACH       0x0d
#define OP_CHANGE_BAUDRATE  0x0f

#define ERR_INVALID_MSG     0x05
#define ERR_FAILED          0x06
#define ERR_BAD_CHECKSUM    0x07
#define ERR_FLASH_WRITE     0x08

#define CHECKSUM_SEED       0xef
#define SYNC_REPLIES        8
#define SYNC_VALUE          0x20120707
#define HEADER_SIZE         8
#define BLOCK_HEADER_SIZE   16
/*
 * UART0 CONF1 as the ROM's UART driver leaves it for loaded code: RX FIFO
 * full threshold 1 (an interrupt per received byte), RX timeout off.  The
 * legacy flasher stub relies on it; the current one sets its own.
 */
#define UART_CONF1_OFFSET   0x24
#define DOWNLOAD_UART_CONF1 0x01


static void esp8266_download_send(Esp8266DownloadState *d, uint8_t op,
                                  uint32_t value, uint8_t status,
                                  uint8_t error)
{
    uint8_t raw[HEADER_SIZE + 2];
    uint8_t out[2 * sizeof(raw) + 2];
    int i, n = 0;

    trace_esp8266_download_reply(op, value, status);
    raw[0] = 0x01;
    raw[1] = op;
    stw_le_p(raw + 2, 2);
    stl_le_p(raw + 4, value);
    raw[8] = status;
    raw[9] = error;

    out[n++] = SLIP_END;
    for (i = 0; i < sizeof(raw); i++) {
        if (raw[i] == SLIP_END) {
            out[n++] = SLIP_ESC;
            out[n++] = SLIP_ESC_END;
        } else if (raw[i] == SLIP_ESC) {
            out[n++] = SLIP_ESC;
            out[n++] = SLIP_ESC_ESC;
        } else {
            out[n++] = raw[i];
        }
    }
    out[n++] = SLIP_END;
    /* Queued behind earlier output; what does not fit is dropped. */
    if (stream_push(STREAM_SINK(d->uart), out, n, true) < (size_t)n) {
        trace_esp8266_download_reply_dropped(op);
    }
}

static void esp8266_download_ok(Esp8266DownloadState *d, uint8_t op,
                                uint32_t value)
{
    esp8266_download_send(d, op, value, 0, 0);
}

static void esp8266_download_fail(Esp8266DownloadState *d, uint8_t op,
                                  uint8_t error)
{
    esp8266_download_send(d, op, 0, 1, error);
}

static uint8_t esp8266_download_checksum(const uint8_t *data, uint32_t len)
{
    uint8_t c = CHECKSUM_SEED;

    while (len--) {
        c ^= *data++;
    }
    return c;
}

static void esp8266_download_stop(Esp8266DownloadState *d)
{
    if (d->active) {
        trace_esp8266_download_active(false);
    }
    d->active = false;
    qemu_irq_lower(d->uart_bypass);
    qemu_irq_lower(d->runstall);
}

/* Leave download mode and run code loaded with MEM_DATA. */
static void esp8266_download_run(Esp8266DownloadState *d, uint32_t entry)
{
    XtensaCPU *cpu = XTENSA_CPU(d->cpu);
    MemoryRegion *uart_regs =
        sysbus_mmio_get_region(SYS_BUS_DEVICE(d->uart), 0);

    if (!d->rom_loaded) {
        warn_report_once("esp8266: starting code loaded over UART without "
                         "a ROM image: esptool's flasher stub needs one "
                         "(-bios build/rom/esp8266-rom.bin), or use "
                         "esptool --no-stub");
    }
    /* through UART0's registers, as the ROM's code would write it */
    memory_region_dispatch_write(uart_regs, UART_CONF1_OFFSET,
                                 DOWNLOAD_UART_CONF1, MO_32,
                                 MEMTXATTRS_UNSPECIFIED);
    esp8266_boot_set_entry(&cpu->env, entry);
    /*
     * The ROM calls the loaded code with interrupts unmasked (INTLEVEL 0):
     * esptool's stub never lowers INTLEVEL, it only attaches and unmasks its
     * UART interrupt through the ROM (-bios).  INTENABLE is 0 after reset.
     */
    cpu->env.sregs[PS] = PS_UM;
    /* the halt request of entering download mode is still pending */
    cpu_reset_interrupt(CPU(cpu), CPU_INTERRUPT_HALT);
    esp8266_download_stop(d);
}

/* A block command: 16-byte header (len, seq, 0, 0) then the data. */
static bool esp8266_download_block(Esp8266DownloadState *d, uint8_t op,
                                   const uint8_t *data, uint32_t size,
                                   uint32_t checksum, uint32_t *len,
                                   uint32_t *seq)
{
    if (size < BLOCK_HEADER_SIZE) {
        esp8266_download_fail(d, op, ERR_INVALID_MSG);
        return false;
    }
    *len = ldl_le_p(data);
    *seq = ldl_le_p(data + 4);
    if (*len > size - BLOCK_HEADER_SIZE) {
        esp8266_download_fail(d, op, ERR_INVALID_MSG);
        return false;
    }
    if (esp8266_download_checksum(data + BLOCK_HEADER_SIZE, *len) !=
        (checksum & 0xff)) {
        esp8266_download_fail(d, op, ERR_BAD_CHECKSUM);
        return false;
    }
    return true;
}

static void esp8266_download_command(Esp8266DownloadState *d)
{
    Esp8266SpiFlashState *flash = ESP8266_SPI_FLASH(d->flash);
    const uint8_t *p = d->pkt;
    const uint8_t *data = p + HEADER_SIZE;
    uint8_t op;
    uint32_t size, checksum, addr, value, mask, len, seq, erase, nblocks;
    uint64_t addr64;
    uint8_t buf[4];
    int i;

    if (d->len < HEADER_SIZE || p[0] != 0x00) {
        return;                         /* not a request: ignore, like noise */
    }
    op = p[1];
    size = lduw_le_p(p + 2);
    checksum = ldl_le_p(p + 4);
    trace_esp8266_download_cmd(op, size);
    if (size != d->len - HEADER_SIZE) {
        esp8266_download_fail(d, op, ERR_INVALID_MSG);
        return;
    }

    switch (op) {
    case OP_SYNC:
        for (i = 0; i < SYNC_REPLIES; i++) {
            esp8266_download_ok(d, op, SYNC_VALUE);
        }
        break;
    case OP_READ_REG:
        if (size < 4) {
            esp8266_download_fail(d, op, ERR_INVALID_MSG);
            break;
        }
        addr = ldl_le_p(data);
        if (address_space_read(&address_space_memory, addr,
                               MEMTXATTRS_UNSPECIFIED, buf, 4) != MEMTX_OK) {
            esp8266_download_fail(d, op, ERR_FAILED);
            break;
        }
        esp8266_download_ok(d, op, ldl_le_p(buf));
        break;
    case OP_WRITE_REG:
        if (size < 16) {
            esp8266_download_fail(d, op, ERR_INVALID_MSG);
            break;
        }
        addr = ldl_le_p(data);
        value = ldl_le_p(data + 4);
        mask = ldl_le_p(data + 8);
        if (mask != 0xffffffff) {
            address_space_read(&address_space_memory, addr,
                               MEMTXATTRS_UNSPECIFIED, buf, 4);
            value = (ldl_le_p(buf) & ~mask) | (value & mask);
        }
        stl_le_p(buf, value);
        if (address_space_write(&address_space_memory, addr,
                                MEMTXATTRS_UNSPECIFIED, buf, 4) != MEMTX_OK) {
            esp8266_download_fail(d, op, ERR_FAILED);
            break;
        }
        esp8266_download_ok(d, op, 0);
        break;
    case OP_FLASH_BEGIN:
        if (size < 16) {
            esp8266_download_fail(d, op, ERR_INVALID_MSG);
            break;
        }
        erase = ldl_le_p(data);
        nblocks = ldl_le_p(data + 4);
        d->flash_block_size = ldl_le_p(data + 8);
        d->flash_offset = ldl_le_p(data + 12);
        /*
         * esptool shrinks erase_size to undo an erase bug of the real ROM;
         * erasing everything the blocks will cover is what that yields.
         */
        esp8266_spi_flash_erase_range(flash, d->flash_offset,
                                      MAX((uint64_t)erase, (uint64_t)nblocks *
                                          d->flash_block_size));
        esp8266_download_ok(d, op, 0);
        break;
    case OP_FLASH_DATA:
        if (!esp8266_download_block(d, op, data, size, checksum, &len, &seq)) {
            break;
        }
        /* in 64 bits: a large seq must not wrap back into the flash */
        addr64 = (uint64_t)d->flash_offset +
                 (uint64_t)seq * d->flash_block_size;
        if (addr64 + len > esp8266_spi_flash_size(flash)) {
            esp8266_download_fail(d, op, ERR_FLASH_WRITE);
            break;
        }
        esp8266_spi_flash_program(flash, addr64,
                                  data + BLOCK_HEADER_SIZE, len);
        esp8266_download_ok(d, op, 0);
        break;
    case OP_FLASH_END:
        esp8266_download_ok(d, op, 0);
        if (size >= 4 && ldl_le_p(data) == 0) {
            /* "reboot": run the firmware now in flash */
            qemu_irq_pulse(d->flash_boot);
            qemu_system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
        }
        break;
    case OP_MEM_BEGIN:
        if (size < 16) {
            esp8266_download_fail(d, op, ERR_INVALID_MSG);
            break;
        }
        d->mem_block_size = ldl_le_p(data + 8);
        d->mem_offset = ldl_le_p(data + 12);
        esp8266_download_ok(d, op, 0);
        break;
    case OP_MEM_DATA:
        if (!esp8266_download_block(d, op, data, size, checksum, &len, &seq)) {
            break;
        }
        addr64 = (uint64_t)d->mem_offset + (uint64_t)seq * d->mem_block_size;
        if (addr64 + len > UINT32_MAX + 1ULL) {
            esp8266_download_fail(d, op, ERR_FAILED);
            break;
        }
        if (address_space_write(&address_space_memory, addr64,
                                MEMTXATTRS_UNSPECIFIED,
                                data + BLOCK_HEADER_SIZE, len) != MEMTX_OK) {
            esp8266_download_fail(d, op, ERR_FAILED);
            break;
        }
        esp8266_download_ok(d, op, 0);
        break;
    case OP_MEM_END:
        if (size < 8) {
            esp8266_download_fail(d, op, ERR_INVALID_MSG);
            break;
        }
        esp8266_download_ok(d, op, 0);
        if (ldl_le_p(data) == 0) {
            esp8266_download_run(d, ldl_le_p(data + 4));
        }
        break;
    case OP_SPI_SET_PARAMS:
    case OP_SPI_ATTACH:
    case OP_CHANGE_BAUDRATE:
        esp8266_download_ok(d, op, 0);
        break;
    default:
        qemu_log_mask(LOG_UNIMP, "esp8266 download mode: command 0x%02x is "
                      "not supported by the ESP8266 ROM loader\n", op);
        esp8266_download_fail(d, op, ERR_INVALID_MSG);
        break;
    }
}

/* Bytes from UART0 (stream sink): SLIP frames, one request each. */
static size_t esp8266_download_push(StreamSink *obj, uint8_t *buf, size_t size,
                                    bool eop)
{
    Esp8266DownloadState *d = ESP8266_DOWNLOAD(obj);
    size_t i;

    for (i = 0; i < size && d->active; i++) {
        uint8_t c = buf[i];

        if (c == SLIP_END) {
            if (d->in_frame && d->len > 0 && !d->overflow) {
                esp8266_download_command(d);
            }
            /* a delimiter both ends a frame and may start the next one */
            d->in_frame = true;
            d->escape = false;
            d->overflow = false;
            d->len = 0;
            continue;
        }
        if (!d->in_frame) {
            continue;
        }
        if (d->escape) {
            d->escape = false;
            c = (c == SLIP_ESC_END) ? SLIP_END :
                (c == SLIP_ESC_ESC) ? SLIP_ESC : c;
        } else if (c == SLIP_ESC) {
            d->escape = true;
            continue;
        }
        if (d->len >= ESP8266_DOWNLOAD_MAX_PACKET) {
            d->overflow = true;
            continue;
        }
        d->pkt[d->len++] = c;
    }
    /* Inactive: the bytes are consumed and dropped, like line noise. */
    return size;
}

void esp8266_download_start(Esp8266DownloadState *d)
{
    trace_esp8266_download_active(true);
    d->active = true;
    d->in_frame = false;
    d->escape = false;
    d->overflow = false;
    d->len = 0;
    qemu_irq_raise(d->runstall);
    qemu_irq_raise(d->uart_bypass);
}

static void esp8266_download_reset_hold(Object *obj, ResetType type)
{
    esp8266_download_stop(ESP8266_DOWNLOAD(obj));
}

static void esp8266_download_init(Object *obj)
{
    Esp8266DownloadState *d = ESP8266_DOWNLOAD(obj);
    DeviceState *dev = DEVICE(obj);

    qdev_init_gpio_out_named(dev, &d->uart_bypass, "uart-bypass", 1);
    qdev_init_gpio_out_named(dev, &d->runstall, "runstall", 1);
    qdev_init_gpio_out_named(dev, &d->flash_boot, "flash-boot", 1);
}

static void esp8266_download_realize(DeviceState *dev, Error **errp)
{
    Esp8266DownloadState *d = ESP8266_DOWNLOAD(dev);

    if (!d->uart || !d->flash || !d->cpu) {
        error_setg(errp, "esp8266-download: the 'uart', 'flash' and 'cpu' "
                   "links must be set");
        return;
    }
    d->pkt = g_malloc0(ESP8266_DOWNLOAD_MAX_PACKET);
}

static void esp8266_download_unrealize(DeviceState *dev)
{
    g_free(ESP8266_DOWNLOAD(dev)->pkt);
}

static bool esp8266_download_len_valid(void *opaque, int version_id)
{
    return ESP8266_DOWNLOAD(opaque)->len <= ESP8266_DOWNLOAD_MAX_PACKET;
}

/*
 * The protocol state travels with the machine: a migration between two
 * esptool requests (or in the middle of one) continues where it was.
 */
static const VMStateDescription vmstate_esp8266_download = {
    .name = TYPE_ESP8266_DOWNLOAD,
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_BOOL(active, Esp8266DownloadState),
        VMSTATE_BOOL(in_frame, Esp8266DownloadState),
        VMSTATE_BOOL(escape, Esp8266DownloadState),
        VMSTATE_BOOL(overflow, Esp8266DownloadState),
        VMSTATE_UINT32(len, Esp8266DownloadState),
        VMSTATE_VALIDATE("len is in range", esp8266_download_len_valid),
        VMSTATE_VBUFFER_UINT32(pkt, Esp8266DownloadState, 1, NULL, len),
        VMSTATE_UINT32(flash_offset, Esp8266DownloadState),
        VMSTATE_UINT32(flash_block_size, Esp8266DownloadState),
        VMSTATE_UINT32(mem_offset, Esp8266DownloadState),
        VMSTATE_UINT32(mem_block_size, Esp8266DownloadState),
        VMSTATE_END_OF_LIST()
    }
};

static const Property esp8266_download_properties[] = {
    DEFINE_PROP_LINK("uart", Esp8266DownloadState, uart, TYPE_STREAM_SINK,
                     Object *),
    DEFINE_PROP_LINK("flash", Esp8266DownloadState, flash,
                     TYPE_ESP8266_SPI_FLASH, Object *),
    DEFINE_PROP_LINK("cpu", Esp8266DownloadState, cpu, TYPE_XTENSA_CPU,
                     Object *),
};

static void esp8266_download_class_init(ObjectClass *klass,
                                        ESP8266_CLASS_DATA *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);
    StreamSinkClass *ssc = STREAM_SINK_CLASS(klass);

    dc->realize = esp8266_download_realize;
    dc->unrealize = esp8266_download_unrealize;
    dc->vmsd = &vmstate_esp8266_download;
    dc->desc = "ESP8266 ROM UART download mode (esptool protocol)";
    /* Part of the SoC: needs its links to UART0, the flash and the CPU */
    dc->user_creatable = false;
    device_class_set_props(dc, esp8266_download_properties);
    rc->phases.hold = esp8266_download_reset_hold;
    ssc->push = esp8266_download_push;
}

static const TypeInfo esp8266_download_info = {
    .name = TYPE_ESP8266_DOWNLOAD,
    .parent = TYPE_SYS_BUS_DEVICE,
    .instance_size = sizeof(Esp8266DownloadState),
    .instance_init = esp8266_download_init,
    .class_init = esp8266_download_class_init,
    .interfaces = (InterfaceInfo[]) {
        { TYPE_STREAM_SINK },
        { }
    },
};

static void esp8266_download_register_types(void)
{
    type_register_static(&esp8266_download_info);
}

type_init(esp8266_download_register_types)
