/*
 * ESP8266 boot: what the mask ROM does at reset, done by the machine
 *
 * We ship no ROM.  At every system reset this code resets the CPU and
 * then, like the ROM's boot path, either
 *  - enters UART download mode (boot-mode=download, i.e. GPIO0 low), or
 *  - starts an ELF given with -kernel (debugging), or
 *  - loads the esptool v1 image at flash offset 0 (magic 0xE9, segments
 *    copied to IRAM/DRAM, checksum checked) and jumps to its entry.
 * It prints a ROM-like banner on UART0 first.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qapi/error.h"
#include "cpu.h"
#include "elf.h"
#include "hw/xtensa/esp8266_compat.h"  /* address spaces */
#include "hw/irq.h"
#include "hw/loader.h"
#include "hw/stream.h"
#include "hw/xtensa/esp8266_boot.h"
#include "hw/xtensa/esp8266_soc.h"
#include "trace.h"

#define IMAGE_MAGIC         0xe9
#define IMAGE_HEADER_SIZE   8
#define SEGMENT_HEADER_SIZE 8
#define CHECKSUM_SEED       0xef
#define BOOT_MODE_FLASH     "(3,6)"
#define BOOT_MODE_UART      "(1,6)"

static void G_GNUC_PRINTF(2, 3) esp8266_boot_print(Esp8266SocState *s,
                                                   const char *fmt, ...)
{
    g_autofree char *text = NULL;
    va_list ap;

    va_start(ap, fmt);
    text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    /* UART0's TX FIFO, behind the guest's bytes; never blocks. */
    stream_push(STREAM_SINK(&s->uart[0]), (uint8_t *)text, strlen(text),
                true);
}

static void esp8266_boot_banner(Esp8266SocState *s, const char *mode)
{
    esp8266_boot_print(s, "\r\n ets Jan  8 2013,rst cause:%u, boot mode:%s"
                       "\r\n\r\n",
                       (unsigned)object_property_get_uint(OBJECT(&s->rtc),
                                                          "reset-code",
                                                          &error_abort),
                       mode);
}

/* Stop the CPU: nothing to run (the ROM would spin in a loop). */
static void esp8266_boot_halt(Esp8266SocState *s, const char *why)
{
    qemu_log_mask(LOG_GUEST_ERROR, "esp8266: boot failed: %s\n", why);
    esp8266_boot_print(s, "%s\r\n", why);
    qemu_irq_raise(s->boot_halt);
}

static void esp8266_boot_start(Esp8266SocState *s, uint32_t entry)
{
    trace_esp8266_boot_start(entry);
    esp8266_boot_set_entry(&s->cpu->env, entry);
}

/* Load the esptool v1 image at flash offset 0; false if there is none. */
static bool esp8266_boot_flash_image(Esp8266SocState *s, uint32_t *entry)
{
    const uint8_t *flash = esp8266_spi_flash_data(&s->spi_flash);
    uint32_t size = esp8266_spi_flash_size(&s->spi_flash);
    uint32_t off = IMAGE_HEADER_SIZE;
    uint8_t csum = CHECKSUM_SEED;
    unsigned nseg, i, j;
    char msg[80];

    if (flash[0] != IMAGE_MAGIC) {
        snprintf(msg, sizeof(msg), "no boot image in flash (byte 0 is 0x%02x,"
                 " expected 0x%02x)", flash[0], IMAGE_MAGIC);
        esp8266_boot_halt(s, msg);
        return false;
    }
    nseg = flash[1];
    *entry = ldl_le_p(flash + 4);

    for (i = 0; i < nseg; i++) {
        uint32_t addr, len;
        MemTxResult res;

        if (off + SEGMENT_HEADER_SIZE > size) {
            esp8266_boot_halt(s, "boot image truncated");
            return false;
        }
        addr = ldl_le_p(flash + off);
        len = ldl_le_p(flash + off + 4);
        off += SEGMENT_HEADER_SIZE;
        if (len > size - off) {
            esp8266_boot_halt(s, "boot image segment beyond the end of flash");
            return false;
        }
        esp8266_boot_print(s, "load 0x%08x, len %u, room 16 \r\n", addr, len);
        trace_esp8266_boot_segment(addr, len);
        res = address_space_write(&address_space_memory, addr,
                                  MEMTXATTRS_UNSPECIFIED, flash + off, len);
        if (res != MEMTX_OK) {
            snprintf(msg, sizeof(msg), "boot image segment at 0x%08x "
                     "(len %u) is not in RAM", addr, len);
            esp8266_boot_halt(s, msg);
            return false;
        }
        for (j = 0; j < len; j++) {
            csum ^= flash[off + j];
        }
        off += len;
    }
    /* The checksum is the last byte of the 16-byte aligned image. */
    off = QEMU_ALIGN_UP(off + 1, 16) - 1;
    if (off >= size) {
        esp8266_boot_halt(s, "boot image has no checksum");
        return false;
    }
    esp8266_boot_print(s, "csum 0x%02x\r\n", flash[off]);
    if (flash[off] != csum) {
        snprintf(msg, sizeof(msg), "csum err: image 0x%02x, computed 0x%02x",
                 flash[off], csum);
        esp8266_boot_halt(s, msg);
        return false;
    }
    return true;
}

void esp8266_boot_reset(Esp8266SocState *s)
{
    uint32_t entry;

    /* Download mode stopped itself in its reset; the CPU is released. */
    qemu_irq_lower(s->boot_halt);
    cpu_reset(CPU(s->cpu));

    if (s->boot_mode == ESP8266_BOOT_DOWNLOAD && !s->boot_flash_once) {
        esp8266_boot_banner(s, BOOT_MODE_UART);
        esp8266_boot_print(s, "waiting for host\r\n");
        esp8266_download_start(&s->download);
        return;
    }

    s->boot_flash_once = false;
    esp8266_boot_banner(s, BOOT_MODE_FLASH);
    if (s->has_kernel) {
        esp8266_boot_start(s, s->kernel_entry);
        return;
    }
    if (esp8266_boot_flash_image(s, &entry)) {
        esp8266_boot_start(s, entry);
    }
}

static uint64_t esp8266_boot_translate(void *opaque, uint64_t addr)
{
    return addr;    /* no MMU: virtual == physical */
}

void esp8266_boot_load_kernel(Esp8266SocState *s, const char *filename,
                              Error **errp)
{
    uint64_t entry;
    ssize_t size;

    size = load_elf(filename, NULL, esp8266_boot_translate, NULL, &entry,
                    NULL, NULL, NULL, ELFDATA2LSB, EM_XTENSA, 0, 0);
    if (size <= 0) {
        error_setg(errp, "could not load ELF file '%s' for -kernel (give a "
                   "little-endian Xtensa ELF, e.g. a program linked for the "
                   "esp8266 memory map)", filename);
        return;
    }
    s->has_kernel = true;
    s->kernel_entry = entry;
}
