// SPDX-License-Identifier: MIT
// SPI flash API of Espressif's SDK (spi_flash.h) on the SPI0 controller (flash.c).
#ifndef HAL_SPI_FLASH_H
#define HAL_SPI_FLASH_H

#include "c_types.h"

typedef enum {
    SPI_FLASH_RESULT_OK,
    SPI_FLASH_RESULT_ERR,
    SPI_FLASH_RESULT_TIMEOUT
} SpiFlashOpResult;

typedef struct {
    uint32_t deviceId;
    uint32_t chip_size;
    uint32_t block_size;
    uint32_t sector_size;
    uint32_t page_size;
    uint32_t status_mask;
} SpiFlashChip;

#define SPI_FLASH_SEC_SIZE 4096

uint32_t spi_flash_get_id(void);
SpiFlashOpResult spi_flash_erase_sector(uint16_t sec);
SpiFlashOpResult spi_flash_write(uint32_t des_addr, uint32_t *src_addr, uint32_t size);
SpiFlashOpResult spi_flash_read(uint32_t src_addr, uint32_t *des_addr, uint32_t size);

#endif // HAL_SPI_FLASH_H
