/*
 * ESP8266 UART download mode: the serial flasher protocol of the mask ROM
 *
 * With boot-mode=download (GPIO0 strapped low) the machine's boot code
 * holds the CPU and this code answers esptool on UART0, as the ROM does:
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
#include "qemu/log.h"
#include "cpu.h"
#include "exec/address-spaces.h"
#include "hw/xtensa/esp8266_soc.h"
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
#define MAX_PACKET          (0x4000 + 64)
#define HEADER_SIZE         8
#define BLOCK_HEADER_SIZE   16
/* esptool derives the crystal from CLKDIV at its baud rate: 52 MHz APB */
#define DOWNLOAD_CLKDIV     (52000000 / 115200)

struct Esp8266DownloadState {
    Esp8266SocState *soc;
    bool active;
    bool in_frame;
    bool escape;
    bool overflow;
    uint32_t len;
    uint8_t pkt[MAX_PACKET];

    /* FLASH_BEGIN / MEM_BEGIN parameters */
    uint32_t flash_offset;
    uint32_t flash_block_size;
    uint32_t mem_offset;
    uint32_t mem_block_size;
};

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
    esp8266_uart_write_raw(&d->soc->uart[0], out, n);
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

/* Leave download mode and run code loaded with MEM_DATA. */
static void esp8266_download_run(Esp8266DownloadState *d, uint32_t entry)
{
    Esp8266SocState *s = d->soc;
    CPUXtensaState *env = &s->cpu->env;

    esp8266_download_stop(s);
    env->pc = entry;
    env->regs[1] = ESP8266_BOOT_STACK_TOP;
    env->sregs[PS] = PS_UM | 0xf;
    /* the halt request of entering download mode is still pending */
    cpu_reset_interrupt(CPU(s->cpu), CPU_INTERRUPT_HALT);
    xtensa_runstall(env, false);
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
    Esp8266SocState *s = d->soc;
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
        esp8266_spi_flash_erase_range(&s->spi_flash, d->flash_offset,
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
        if (addr64 + len > esp8266_spi_flash_size(&s->spi_flash)) {
            esp8266_download_fail(d, op, ERR_FLASH_WRITE);
            break;
        }
        esp8266_spi_flash_program(&s->spi_flash, addr64,
                                  data + BLOCK_HEADER_SIZE, len);
        esp8266_download_ok(d, op, 0);
        break;
    case OP_FLASH_END:
        esp8266_download_ok(d, op, 0);
        if (size >= 4 && ldl_le_p(data) == 0) {
            /* "reboot": run the firmware now in flash */
            s->boot_flash_once = true;
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

static void esp8266_download_rx(void *opaque, const uint8_t *buf, int size)
{
    Esp8266DownloadState *d = opaque;
    int i;

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
        if (d->len >= MAX_PACKET) {
            d->overflow = true;
            continue;
        }
        d->pkt[d->len++] = c;
    }
}

void esp8266_download_start(Esp8266SocState *s)
{
    Esp8266DownloadState *d = s->download;

    if (!d) {
        d = s->download = g_new0(Esp8266DownloadState, 1);
        d->soc = s;
    }
    d->active = true;
    d->in_frame = false;
    d->escape = false;
    d->overflow = false;
    d->len = 0;
    s->uart[0].clkdiv = DOWNLOAD_CLKDIV;
    esp8266_uart_set_rx_hook(&s->uart[0], esp8266_download_rx, d);
}

void esp8266_download_stop(Esp8266SocState *s)
{
    if (s->download && s->download->active) {
        s->download->active = false;
        esp8266_uart_set_rx_hook(&s->uart[0], NULL, NULL);
    }
}
