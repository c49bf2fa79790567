/*
 * ESP8266 SPI0 flash controller with its SPI NOR flash chip
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_SSI_ESP8266_SPI_FLASH_H
#define HW_SSI_ESP8266_SPI_FLASH_H

#include "hw/sysbus.h"
#include "qemu/queue.h"
#include "qom/object.h"

#define TYPE_ESP8266_SPI_FLASH "esp8266-spi-flash"
OBJECT_DECLARE_SIMPLE_TYPE(Esp8266SpiFlashState, ESP8266_SPI_FLASH)

#define ESP8266_SPI_MMIO_SIZE       0x100
#define ESP8266_SPI_NREGS           (ESP8266_SPI_MMIO_SIZE / 4)
#define ESP8266_SPI_BUF_SIZE        64
#define ESP8266_FLASH_PAGE_SIZE     256
#define ESP8266_FLASH_SECTOR_SIZE   0x1000
#define ESP8266_FLASH_BLOCK_SIZE    0x10000
#define ESP8266_FLASH_DEFAULT_SIZE  (4 * MiB)
#define ESP8266_FLASH_JEDEC_MFR     0xef
#define ESP8266_FLASH_JEDEC_TYPE    0x40

/* A range of the contents on its way to the image file. */
typedef struct Esp8266SpiFlashWrite Esp8266SpiFlashWrite;

struct Esp8266SpiFlashState {
    SysBusDevice parent_obj;

    /* MMIO 0: controller registers; MMIO 1: the whole flash (romd). */
    MemoryRegion iomem;
    MemoryRegion storage_mr;
    BlockBackend *blk;
    uint8_t *storage;
    uint32_t size;

    uint32_t regs[ESP8266_SPI_NREGS];
    uint8_t buf[ESP8266_SPI_BUF_SIZE];      /* SPI_W0..SPI_W15 */
    uint8_t status;                         /* flash status register */
    bool wel;
    uint64_t unimp_logged;                  /* one bit per register */

    /*
     * Program and erase change the contents at once and queue a copy of
     * the changed range for the image file; one asynchronous write is in
     * flight at a time, in order.  WIP reads 1 until the queue is empty.
     */
    QSIMPLEQ_HEAD(, Esp8266SpiFlashWrite) writes;
    bool write_in_flight;
};

/* The flash contents (the same memory the 0x40200000 window shows). */
const uint8_t *esp8266_spi_flash_data(Esp8266SpiFlashState *s);
uint32_t esp8266_spi_flash_size(Esp8266SpiFlashState *s);

/*
 * Direct access for the ROM's download mode: erase (to 0xFF, whole
 * sectors containing the range) and program (NOR: new = old & data).
 * Both change the contents at once, invalidate translated code and
 * reach the drive asynchronously (never blocking the caller).
 */
void esp8266_spi_flash_erase_range(Esp8266SpiFlashState *s, uint32_t offset,
                                   uint32_t len);
void esp8266_spi_flash_program(Esp8266SpiFlashState *s, uint32_t offset,
                               const uint8_t *data, uint32_t len);

#endif
