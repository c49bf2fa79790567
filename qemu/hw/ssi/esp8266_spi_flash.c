/*
 * ESP8266 SPI0 flash controller with its SPI NOR flash chip
 *
 * The controller and the chip are modelled together at the command level:
 * the guest writes one command bit to SPI_CMD, the operation completes at
 * once and the bit reads back 0.  The flash contents live in a ROM device
 * region (the SoC maps its first MiB at 0x40200000 as the cached flash
 * window) backed by a raw image given with -drive if=mtd,format=raw.
 * Program and erase change the contents at once; the changed range is
 * written to the image with asynchronous block I/O (as hw/block/m25p80.c
 * does), never blocking the vCPU, and the status register's WIP bit
 * reads 1 until the image has it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/xtensa/esp8266_compat.h"
#include "qemu/units.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "qapi/error.h"
#include "hw/ssi/esp8266_spi_flash.h"
#include "hw/block/block.h"
#include "hw/qdev-properties.h"
#include "hw/qdev-properties-system.h"
#include "hw/registerfields.h"
#include "system/block-backend.h"
#include "migration/vmstate.h"
#include "trace.h"

REG32(CMD, 0x00)
    FIELD(CMD, USR, 18, 1)
    FIELD(CMD, CE, 22, 1)
    FIELD(CMD, BE, 23, 1)
    FIELD(CMD, SE, 24, 1)
    FIELD(CMD, PP, 25, 1)
    FIELD(CMD, WRSR, 26, 1)
    FIELD(CMD, RDSR, 27, 1)
    FIELD(CMD, RDID, 28, 1)
    FIELD(CMD, WRDI, 29, 1)
    FIELD(CMD, WREN, 30, 1)
    FIELD(CMD, READ, 31, 1)
REG32(ADDR, 0x04)
    FIELD(ADDR, OFFSET, 0, 24)
    FIELD(ADDR, LEN, 24, 8)
REG32(CTRL, 0x08)
REG32(RD_STATUS, 0x10)
    FIELD(RD_STATUS, WIP, 0, 1)
    FIELD(RD_STATUS, WEL, 1, 1)
REG32(USER, 0x1C)
REG32(USER2, 0x24)
    FIELD(USER2, COMMAND_VALUE, 0, 16)
REG32(W0, 0x40)
REG32(W15, 0x7C)

#define CMD_KNOWN_MASK  (0xffc00000u | R_CMD_USR_MASK)

/* SPI NOR opcodes understood as "user" commands (SPI_CMD_USR) */
#define OPCODE_WRSR     0x01
#define OPCODE_WRDI     0x04
#define OPCODE_RDSR     0x05
#define OPCODE_WREN     0x06
#define OPCODE_RDSR2    0x35
#define OPCODE_SFDP     0x5a
#define OPCODE_RSTEN    0x66
#define OPCODE_RST      0x99
#define OPCODE_RDID     0x9f
#define OPCODE_RES      0xab
#define OPCODE_DP       0xb9

static const char *esp8266_spi_cmd_name(int bit)
{
    static const char *const names[] = {
        [R_CMD_CE_SHIFT] = "CE", [R_CMD_BE_SHIFT] = "BE",
        [R_CMD_SE_SHIFT] = "SE", [R_CMD_PP_SHIFT] = "PP",
        [R_CMD_WRSR_SHIFT] = "WRSR", [R_CMD_RDSR_SHIFT] = "RDSR",
        [R_CMD_RDID_SHIFT] = "RDID", [R_CMD_WRDI_SHIFT] = "WRDI",
        [R_CMD_WREN_SHIFT] = "WREN", [R_CMD_READ_SHIFT] = "READ",
    };

    return (bit < ARRAY_SIZE(names) && names[bit]) ? names[bit] : "?";
}

const uint8_t *esp8266_spi_flash_data(Esp8266SpiFlashState *s)
{
    return s->storage;
}

uint32_t esp8266_spi_flash_size(Esp8266SpiFlashState *s)
{
    return s->size;
}

struct Esp8266SpiFlashWrite {
    Esp8266SpiFlashState *s;
    uint32_t offset;
    QEMUIOVector qiov;
    uint8_t *data;
    QSIMPLEQ_ENTRY(Esp8266SpiFlashWrite) next;
};

static bool esp8266_spi_flash_busy(Esp8266SpiFlashState *s)
{
    return s->write_in_flight || !QSIMPLEQ_EMPTY(&s->writes);
}

static void esp8266_spi_flash_write_next(Esp8266SpiFlashState *s);

static void esp8266_spi_flash_write_done(void *opaque, int ret)
{
    Esp8266SpiFlashWrite *w = opaque;
    Esp8266SpiFlashState *s = w->s;

    trace_esp8266_spi_flash_write_done(w->offset, w->qiov.size, ret);
    if (ret < 0) {
        qemu_log_mask(LOG_GUEST_ERROR, "esp8266_spi_flash: writing the flash "
                      "image at 0x%" PRIx32 " failed (%s)\n", w->offset,
                      strerror(-ret));
    }
    qemu_iovec_destroy(&w->qiov);
    g_free(w->data);
    g_free(w);
    s->write_in_flight = false;
    esp8266_spi_flash_write_next(s);
}

/* Start the oldest queued write; writes reach the image in order. */
static void esp8266_spi_flash_write_next(Esp8266SpiFlashState *s)
{
    Esp8266SpiFlashWrite *w = QSIMPLEQ_FIRST(&s->writes);

    if (s->write_in_flight || !w) {
        return;
    }
    QSIMPLEQ_REMOVE_HEAD(&s->writes, next);
    s->write_in_flight = true;
    blk_aio_pwritev(s->blk, w->offset, &w->qiov, 0,
                    esp8266_spi_flash_write_done, w);
}

/*
 * [offset, offset + len) of the contents changed: make the window show it
 * and queue a copy of it for the image file (the copy keeps the order of
 * overlapping changes).
 */
static void esp8266_spi_flash_sync(Esp8266SpiFlashState *s, uint32_t offset,
                                   uint32_t len)
{
    Esp8266SpiFlashWrite *w;

    memory_region_flush_rom_device(&s->storage_mr, offset, len);
    if (!s->blk || !blk_is_writable(s->blk)) {
        return;
    }
    w = g_new0(Esp8266SpiFlashWrite, 1);
    w->s = s;
    w->offset = offset;
    w->data = g_memdup2(s->storage + offset, len);
    qemu_iovec_init(&w->qiov, 1);
    qemu_iovec_add(&w->qiov, w->data, len);
    trace_esp8266_spi_flash_write_queued(offset, len);
    QSIMPLEQ_INSERT_TAIL(&s->writes, w, next);
    esp8266_spi_flash_write_next(s);
}

static uint8_t esp8266_spi_flash_status(Esp8266SpiFlashState *s)
{
    return (s->status & ~(R_RD_STATUS_WIP_MASK | R_RD_STATUS_WEL_MASK)) |
           (s->wel ? R_RD_STATUS_WEL_MASK : 0) |
           (esp8266_spi_flash_busy(s) ? R_RD_STATUS_WIP_MASK : 0);
}

void esp8266_spi_flash_erase_range(Esp8266SpiFlashState *s, uint32_t offset,
                                   uint32_t len)
{
    uint32_t start, end;

    if (len == 0 || offset >= s->size) {
        return;
    }
    start = QEMU_ALIGN_DOWN(offset, ESP8266_FLASH_SECTOR_SIZE);
    end = QEMU_ALIGN_UP(MIN((uint64_t)offset + len, s->size),
                        ESP8266_FLASH_SECTOR_SIZE);
    trace_esp8266_spi_flash_erase(start, end - start);
    memset(s->storage + start, 0xff, end - start);
    esp8266_spi_flash_sync(s, start, end - start);
}

void esp8266_spi_flash_program(Esp8266SpiFlashState *s, uint32_t offset,
                               const uint8_t *data, uint32_t len)
{
    uint32_t i;

    if (offset >= s->size) {
        return;
    }
    len = MIN(len, s->size - offset);
    trace_esp8266_spi_flash_program(offset, len);
    for (i = 0; i < len; i++) {
        s->storage[offset + i] &= data[i];
    }
    esp8266_spi_flash_sync(s, offset, len);
}

static uint32_t esp8266_spi_flash_jedec_id(Esp8266SpiFlashState *s)
{
    return ESP8266_FLASH_JEDEC_MFR | (ESP8266_FLASH_JEDEC_TYPE << 8) |
           (ctz32(s->size) << 16);
}

/*
 * "User" command (SPI_CMD_USR): the opcode is in SPI_USER2; esptool uses
 * this for RDID and status reads.  The result goes to W0.
 */
static void esp8266_spi_flash_user_command(Esp8266SpiFlashState *s)
{
    uint8_t opcode = FIELD_EX32(s->regs[R_USER2], USER2, COMMAND_VALUE);
    uint32_t result = 0;

    trace_esp8266_spi_flash_cmd("USR", opcode, 0);
    switch (opcode) {
    case OPCODE_RDID:
        result = esp8266_spi_flash_jedec_id(s);
        break;
    case OPCODE_RDSR:
        result = esp8266_spi_flash_status(s);
        break;
    case OPCODE_RDSR2:
        result = 0;
        break;
    case OPCODE_WREN:
        s->wel = true;
        break;
    case OPCODE_WRDI:
        s->wel = false;
        break;
    case OPCODE_WRSR:
        if (s->wel) {
            s->status = s->buf[0] & ~(R_RD_STATUS_WIP_MASK |
                                      R_RD_STATUS_WEL_MASK);
            s->wel = false;
        }
        break;
    case OPCODE_SFDP:
        result = 0xffffffff;            /* no SFDP table */
        break;
    case OPCODE_RES:
    case OPCODE_DP:
    case OPCODE_RSTEN:
    case OPCODE_RST:
        break;
    default:
        qemu_log_mask(LOG_UNIMP, "%s: SPI user command opcode 0x%02x not "
                      "implemented\n", __func__, opcode);
        break;
    }
    stl_le_p(s->buf, result);
}

static bool esp8266_spi_flash_check_wel(Esp8266SpiFlashState *s, int bit)
{
    if (!s->wel) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: %s without write enable (WREN) "
                      "ignored\n", __func__, esp8266_spi_cmd_name(bit));
        return false;
    }
    return true;
}

static void esp8266_spi_flash_command(Esp8266SpiFlashState *s, int bit)
{
    uint32_t addr = FIELD_EX32(s->regs[R_ADDR], ADDR, OFFSET) % s->size;
    uint32_t len = FIELD_EX32(s->regs[R_ADDR], ADDR, LEN);
    uint32_t page, i, id;

    trace_esp8266_spi_flash_cmd(esp8266_spi_cmd_name(bit), addr, len);

    if (len > ESP8266_SPI_BUF_SIZE &&
        (bit == R_CMD_READ_SHIFT || bit == R_CMD_PP_SHIFT)) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: %s length %u exceeds %d bytes\n",
                      __func__, esp8266_spi_cmd_name(bit), len,
                      ESP8266_SPI_BUF_SIZE);
        len = ESP8266_SPI_BUF_SIZE;
    }

    switch (bit) {
    case R_CMD_READ_SHIFT:
        for (i = 0; i < len; i++) {
            s->buf[i] = s->storage[(addr + i) % s->size];
        }
        break;
    case R_CMD_WREN_SHIFT:
        s->wel = true;
        break;
    case R_CMD_WRDI_SHIFT:
        s->wel = false;
        break;
    case R_CMD_RDID_SHIFT:
        id = esp8266_spi_flash_jedec_id(s);
        stl_le_p(s->buf, id);
        break;
    case R_CMD_RDSR_SHIFT:
        s->regs[R_RD_STATUS] = esp8266_spi_flash_status(s);
        break;
    case R_CMD_WRSR_SHIFT:
        if (esp8266_spi_flash_check_wel(s, bit)) {
            s->status = s->regs[R_RD_STATUS] & ~(R_RD_STATUS_WIP_MASK |
                                                R_RD_STATUS_WEL_MASK);
            s->wel = false;
        }
        break;
    case R_CMD_PP_SHIFT:
        if (esp8266_spi_flash_check_wel(s, bit)) {
            page = addr & ~(ESP8266_FLASH_PAGE_SIZE - 1);
            for (i = 0; i < len; i++) {
                /* wrap within the page, like a real page program */
                s->storage[page + ((addr + i) % ESP8266_FLASH_PAGE_SIZE)] &=
                    s->buf[i];
            }
            trace_esp8266_spi_flash_program(addr, len);
            esp8266_spi_flash_sync(s, page, ESP8266_FLASH_PAGE_SIZE);
            s->wel = false;
        }
        break;
    case R_CMD_SE_SHIFT:
        if (esp8266_spi_flash_check_wel(s, bit)) {
            esp8266_spi_flash_erase_range(s, addr, ESP8266_FLASH_SECTOR_SIZE);
            s->wel = false;
        }
        break;
    case R_CMD_BE_SHIFT:
        if (esp8266_spi_flash_check_wel(s, bit)) {
            esp8266_spi_flash_erase_range(
                s, QEMU_ALIGN_DOWN(addr, ESP8266_FLASH_BLOCK_SIZE),
                ESP8266_FLASH_BLOCK_SIZE);
            s->wel = false;
        }
        break;
    case R_CMD_CE_SHIFT:
        if (esp8266_spi_flash_check_wel(s, bit)) {
            esp8266_spi_flash_erase_range(s, 0, s->size);
            s->wel = false;
        }
        break;
    case R_CMD_USR_SHIFT:
        esp8266_spi_flash_user_command(s);
        break;
    default:
        g_assert_not_reached();
    }
}

static void esp8266_spi_flash_log_unimp(Esp8266SpiFlashState *s, hwaddr addr)
{
    unsigned idx = addr >> 2;

    if (!(s->unimp_logged & (1ull << idx))) {
        s->unimp_logged |= 1ull << idx;
        qemu_log_mask(LOG_UNIMP, "%s: register 0x%02" HWADDR_PRIx
                      " is stored but has no effect\n", __func__, addr);
    }
}

static uint64_t esp8266_spi_flash_read(void *opaque, hwaddr addr,
                                       unsigned size)
{
    Esp8266SpiFlashState *s = opaque;
    uint64_t r;

    switch (addr) {
    case A_CMD:
        r = 0;                      /* every command has completed */
        break;
    case A_ADDR:
    case A_RD_STATUS:
    case A_USER:
    case A_USER2:
        r = s->regs[addr >> 2];
        break;
    case A_W0 ... A_W15:
        r = ldl_le_p(s->buf + (addr - A_W0));
        break;
    default:
        esp8266_spi_flash_log_unimp(s, addr);
        r = s->regs[addr >> 2];
        break;
    }
    trace_esp8266_spi_flash_read(addr, r);
    return r;
}

static void esp8266_spi_flash_write(void *opaque, hwaddr addr, uint64_t value,
                                    unsigned size)
{
    Esp8266SpiFlashState *s = opaque;
    uint32_t cmd;
    int bit;

    trace_esp8266_spi_flash_write(addr, value);

    switch (addr) {
    case A_CMD:
        cmd = value;
        if (cmd & ~CMD_KNOWN_MASK) {
            qemu_log_mask(LOG_UNIMP, "%s: SPI_CMD bits 0x%08x (user "
                          "commands) not implemented\n", __func__,
                          cmd & ~CMD_KNOWN_MASK);
        }
        cmd &= CMD_KNOWN_MASK;
        if (ctpop32(cmd) > 1) {
            qemu_log_mask(LOG_GUEST_ERROR, "%s: several command bits set "
                          "(0x%08x), executing them one by one\n", __func__,
                          cmd);
        }
        while (cmd) {
            bit = 31 - clz32(cmd);
            cmd &= ~(1u << bit);
            esp8266_spi_flash_command(s, bit);
        }
        break;
    case A_ADDR:
    case A_RD_STATUS:
    case A_USER:
    case A_USER2:
        s->regs[addr >> 2] = value;
        break;
    case A_W0 ... A_W15:
        stl_le_p(s->buf + (addr - A_W0), value);
        break;
    default:
        esp8266_spi_flash_log_unimp(s, addr);
        s->regs[addr >> 2] = value;
        break;
    }
}

static const MemoryRegionOps esp8266_spi_flash_ops = {
    .read = esp8266_spi_flash_read,
    .write = esp8266_spi_flash_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid.min_access_size = 4,
    .valid.max_access_size = 4,
    .impl.min_access_size = 4,
    .impl.max_access_size = 4,
};

/* Only guest writes reach these ops: reads are served from RAM (romd). */
static uint64_t esp8266_flash_window_read(void *opaque, hwaddr addr,
                                          unsigned size)
{
    Esp8266SpiFlashState *s = opaque;

    return ldn_le_p(s->storage + addr, size);
}

static void esp8266_flash_window_write(void *opaque, hwaddr addr,
                                       uint64_t value, unsigned size)
{
    qemu_log_mask(LOG_GUEST_ERROR, "%s: write to the read-only flash window "
                  "at offset 0x%" HWADDR_PRIx " ignored (program flash "
                  "through SPI0)\n", __func__, addr);
}

static const MemoryRegionOps esp8266_flash_window_ops = {
    .read = esp8266_flash_window_read,
    .write = esp8266_flash_window_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid.min_access_size = 1,
    .valid.max_access_size = 4,
};

static void esp8266_spi_flash_realize(DeviceState *dev, Error **errp)
{
    Esp8266SpiFlashState *s = ESP8266_SPI_FLASH(dev);
    int64_t len;
    int ret;

    if (s->blk) {
        uint64_t perm = BLK_PERM_CONSISTENT_READ |
                        (blk_supports_write_perm(s->blk) ? BLK_PERM_WRITE : 0);

        ret = blk_set_perm(s->blk, perm, BLK_PERM_ALL, errp);
        if (ret < 0) {
            return;
        }
        len = blk_getlength(s->blk);
        if (len < 0) {
            error_setg_errno(errp, -len, "cannot get the flash image size");
            return;
        }
        if (len != 1 * MiB && len != 2 * MiB && len != 4 * MiB) {
            error_setg(errp, "esp8266 flash image is %" PRId64 " bytes; it "
                       "must be exactly 1, 2 or 4 MiB (1048576, 2097152 or "
                       "4194304 bytes): pad it with 0xFF bytes to one of "
                       "these sizes", len);
            return;
        }
        s->size = len;
    } else {
        s->size = ESP8266_FLASH_DEFAULT_SIZE;
    }

    if (!memory_region_init_rom_device(&s->storage_mr, OBJECT(s),
                                       &esp8266_flash_window_ops, s,
                                       "esp8266.flash", s->size, errp)) {
        return;
    }
    s->storage = memory_region_get_ram_ptr(&s->storage_mr);
    sysbus_init_mmio(SYS_BUS_DEVICE(s), &s->storage_mr);

    if (s->blk) {
        if (!blk_check_size_and_read_all(s->blk, dev, s->storage, s->size,
                                         errp)) {
            return;
        }
    } else {
        memset(s->storage, 0xff, s->size);
    }
}

static void esp8266_spi_flash_reset_hold(Object *obj, ResetType type)
{
    Esp8266SpiFlashState *s = ESP8266_SPI_FLASH(obj);

    memset(s->regs, 0, sizeof(s->regs));
    memset(s->buf, 0, sizeof(s->buf));
    s->wel = false;
}

static void esp8266_spi_flash_init(Object *obj)
{
    Esp8266SpiFlashState *s = ESP8266_SPI_FLASH(obj);

    QSIMPLEQ_INIT(&s->writes);
    memory_region_init_io(&s->iomem, obj, &esp8266_spi_flash_ops, s,
                          TYPE_ESP8266_SPI_FLASH, ESP8266_SPI_MMIO_SIZE);
    sysbus_init_mmio(SYS_BUS_DEVICE(obj), &s->iomem);
}

static const VMStateDescription vmstate_esp8266_spi_flash = {
    .name = TYPE_ESP8266_SPI_FLASH,
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32_ARRAY(regs, Esp8266SpiFlashState, ESP8266_SPI_NREGS),
        VMSTATE_UINT8_ARRAY(buf, Esp8266SpiFlashState, ESP8266_SPI_BUF_SIZE),
        VMSTATE_UINT8(status, Esp8266SpiFlashState),
        VMSTATE_BOOL(wel, Esp8266SpiFlashState),
        VMSTATE_END_OF_LIST()
    }
};

static const Property esp8266_spi_flash_properties[] = {
    DEFINE_PROP_DRIVE("drive", Esp8266SpiFlashState, blk),
};

static void esp8266_spi_flash_class_init(ObjectClass *klass,
                                         ESP8266_CLASS_DATA *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    dc->realize = esp8266_spi_flash_realize;
    dc->vmsd = &vmstate_esp8266_spi_flash;
    rc->phases.hold = esp8266_spi_flash_reset_hold;
    device_class_set_props(dc, esp8266_spi_flash_properties);
    set_bit(DEVICE_CATEGORY_STORAGE, dc->categories);
}

static const TypeInfo esp8266_spi_flash_info = {
    .name = TYPE_ESP8266_SPI_FLASH,
    .parent = TYPE_SYS_BUS_DEVICE,
    .instance_size = sizeof(Esp8266SpiFlashState),
    .instance_init = esp8266_spi_flash_init,
    .class_init = esp8266_spi_flash_class_init,
};

static void esp8266_spi_flash_register_types(void)
{
    type_register_static(&esp8266_spi_flash_info);
}

type_init(esp8266_spi_flash_register_types)
