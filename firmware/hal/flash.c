// SPDX-License-Identifier: MIT
/*
 * SPI flash access of the ESP8266_QEMU open HAL, on the SPI0 controller.
 *
 * Replaces the ROM's SPIRead/SPIWrite/SPIEraseSector, the SDK's spi_flash_* API and the
 * ROM's `flashchip` descriptor (the port reads chip_size from &flashchip + 4).
 *
 * SPI0 (0x60000200): SPI_CMD is written with one command bit and reads back 0 when done;
 * SPI_ADDR holds the address (bits 23:0) and, for READ and PP, the byte count (bits 31:24,
 * at most 64); data goes through W0..W15, little-endian. PP needs WREN first, must stay
 * within a 256-byte page and only clears bits. Flash status bit 0 is WIP.
 */

#include <string.h>
#include "hal.h"
#include "etshal.h"

#define SPI0_BASE 0x60000200
#define SPI_CMD (SPI0_BASE + 0x00)
#define SPI_ADDR (SPI0_BASE + 0x04)
#define SPI_RD_STATUS (SPI0_BASE + 0x10)
#define SPI_W0 (SPI0_BASE + 0x40)

#define SPI_CMD_READ BIT31
#define SPI_CMD_WREN BIT30
#define SPI_CMD_RDID BIT28
#define SPI_CMD_RDSR BIT27
#define SPI_CMD_PP BIT25
#define SPI_CMD_SE BIT24

#define SPI_CHUNK 64
#define FLASH_PAGE 256
#define FLASH_SECTOR 4096
#define WAIT_LOOPS 10000000

// The ROM's descriptor: one word, then SpiFlashChip (see esp_init_data.c, modesp.c).
struct {
    uint32_t reserved;
    SpiFlashChip chip;
} flashchip;

static bool spi_cmd(uint32_t cmd) {
    WRITE_PERI_REG(SPI_CMD, cmd);
    for (uint32_t i = 0; i < WAIT_LOOPS; ++i) {
        if (READ_PERI_REG(SPI_CMD) == 0) {
            return true;
        }
    }
    return false;
}

static bool spi_wait_idle(void) {
    for (uint32_t i = 0; i < WAIT_LOOPS; ++i) {
        WRITE_PERI_REG(SPI_RD_STATUS, 0);
        if (!spi_cmd(SPI_CMD_RDSR)) {
            return false;
        }
        if ((READ_PERI_REG(SPI_RD_STATUS) & 1) == 0) {
            return true;
        }
    }
    return false;
}

uint32_t spi_flash_get_id(void) {
    WRITE_PERI_REG(SPI_W0, 0);
    spi_cmd(SPI_CMD_RDID);
    return READ_PERI_REG(SPI_W0) & 0xffffff;
}

void hal_flash_init(void) {
    uint32_t id = spi_flash_get_id();
    uint32_t size = 0;
    uint32_t cap = (id >> 16) & 0xff;
    if (cap >= 0x13 && cap <= 0x18) {
        size = 1u << cap;
    } else {
        // No JEDEC answer: fall back to the size field of the image header.
        static const uint32_t sizes[] = {512, 256, 1024, 2048, 4096, 2048, 4096, 4096};
        uint32_t hdr = *(volatile uint32_t *)0x40200000;
        size = sizes[(hdr >> 28) & 7] * 1024;
    }
    flashchip.chip.deviceId = id;
    flashchip.chip.chip_size = size;
    flashchip.chip.block_size = 64 * 1024;
    flashchip.chip.sector_size = FLASH_SECTOR;
    flashchip.chip.page_size = FLASH_PAGE;
    flashchip.chip.status_mask = 0xffff;
}

uint32_t SPIRead(uint32_t offset, void *buf, uint32_t len) {
    uint8_t *dst = buf;
    while (len > 0) {
        uint32_t n = len > SPI_CHUNK ? SPI_CHUNK : len;
        WRITE_PERI_REG(SPI_ADDR, (offset & 0xffffff) | (n << 24));
        if (!spi_cmd(SPI_CMD_READ)) {
            return 1;
        }
        for (uint32_t i = 0; i < n; i += 4) {
            uint32_t w = READ_PERI_REG(SPI_W0 + i);
            uint32_t k = n - i < 4 ? n - i : 4;
            memcpy(dst + i, &w, k);
        }
        dst += n;
        offset += n;
        len -= n;
    }
    return 0;
}

uint32_t SPIWrite(uint32_t offset, const void *buf, uint32_t len) {
    const uint8_t *src = buf;
    while (len > 0) {
        uint32_t room = FLASH_PAGE - (offset & (FLASH_PAGE - 1));
        uint32_t n = len > SPI_CHUNK ? SPI_CHUNK : len;
        if (n > room) {
            n = room;
        }
        for (uint32_t i = 0; i < n; i += 4) {
            uint32_t w = 0xffffffff;
            uint32_t k = n - i < 4 ? n - i : 4;
            memcpy(&w, src + i, k);
            WRITE_PERI_REG(SPI_W0 + i, w);
        }
        if (!spi_wait_idle() || !spi_cmd(SPI_CMD_WREN)) {
            return 1;
        }
        WRITE_PERI_REG(SPI_ADDR, (offset & 0xffffff) | (n << 24));
        if (!spi_cmd(SPI_CMD_PP) || !spi_wait_idle()) {
            return 1;
        }
        src += n;
        offset += n;
        len -= n;
    }
    return 0;
}

uint32_t SPIEraseSector(int sector) {
    if (!spi_wait_idle() || !spi_cmd(SPI_CMD_WREN)) {
        return 1;
    }
    WRITE_PERI_REG(SPI_ADDR, (sector * FLASH_SECTOR) & 0xffffff);
    if (!spi_cmd(SPI_CMD_SE) || !spi_wait_idle()) {
        return 1;
    }
    return 0;
}

SpiFlashOpResult spi_flash_erase_sector(uint16_t sec) {
    return SPIEraseSector(sec) == 0 ? SPI_FLASH_RESULT_OK : SPI_FLASH_RESULT_ERR;
}

SpiFlashOpResult spi_flash_write(uint32_t des_addr, uint32_t *src_addr, uint32_t size) {
    return SPIWrite(des_addr, src_addr, size) == 0 ? SPI_FLASH_RESULT_OK : SPI_FLASH_RESULT_ERR;
}

SpiFlashOpResult spi_flash_read(uint32_t src_addr, uint32_t *des_addr, uint32_t size) {
    return SPIRead(src_addr, des_addr, size) == 0 ? SPI_FLASH_RESULT_OK : SPI_FLASH_RESULT_ERR;
}
