/*
 * Our open ESP8266 ROM: registers and the entry points it implements.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef ESP8266_ROM_H
#define ESP8266_ROM_H

#include <stddef.h>
#include <stdint.h>

#define REG(addr)               (*(volatile uint32_t *)(addr))

/* UART0 at 0x60000000, UART1 at 0x60000f00 */
#define UART_BASE(n)            (0x60000000u + (n) * 0xf00u)
#define UART_FIFO(n)            REG(UART_BASE(n) + 0x00)
#define UART_CLKDIV(n)          REG(UART_BASE(n) + 0x14)
#define UART_STATUS(n)          REG(UART_BASE(n) + 0x1c)
#define UART_RXFIFO_CNT(st)     ((st) & 0xff)
#define UART_TXFIFO_CNT(st)     (((st) >> 16) & 0xff)
#define UART_FIFO_SIZE          128
#define UART_CLKDIV_MASK        0xfffffu

/* RTC block: software system reset */
#define RTC_CTRL0               REG(0x60000700)
#define RTC_CTRL0_SW_RESET      (1u << 31)

/* SPI0: the controller of the SPI flash */
#define SPI0_CMD                REG(0x60000200)
#define SPI0_ADDR               REG(0x60000204)
#define SPI0_RD_STATUS          REG(0x60000210)
#define SPI0_W(i)               REG(0x60000240 + 4 * (i))
#define SPI_CMD_READ            (1u << 31)
#define SPI_CMD_WREN            (1u << 30)
#define SPI_CMD_RDSR            (1u << 27)
#define SPI_CMD_WRSR            (1u << 26)
#define SPI_CMD_PP              (1u << 25)
#define SPI_CMD_SE              (1u << 24)
#define SPI_CMD_BE              (1u << 23)
#define SPI_CMD_CE              (1u << 22)
#define SPI_STATUS_WIP          1u
#define SPI_BUF_SIZE            64
#define FLASH_PAGE_SIZE         256
#define FLASH_SECTOR_SIZE       4096
#define FLASH_BLOCK_SIZE        65536

/* Results of the SPI flash entry points, as the mask ROM returns them */
#define SPI_RESULT_OK           0
#define SPI_RESULT_ERR          1

typedef void (*rom_isr_t)(void *arg);

void ets_isr_attach(int intr, rom_isr_t handler, void *arg);
void ets_isr_mask(uint32_t mask);
void ets_isr_unmask(uint32_t mask);
void ets_set_user_start(void (*start)(void));
void rom_stub_returned(void);
void software_reset(void);
void ets_delay_us(uint32_t us);
void ets_update_cpu_frequency(uint32_t ticks_per_us);
uint32_t ets_get_cpu_frequency(void);
void uart_div_modify(uint32_t uart_no, uint32_t divisor);
int uart_tx_one_char(uint8_t c);
int uart_rx_one_char(uint8_t *c);
void SelectSpiFunction(uint32_t ishspi);
void spi_flash_attach(void);
int SPIUnlock(void);
int SPIEraseChip(void);
int SPIEraseBlock(uint32_t block);
int SPIEraseSector(uint32_t sector);
int SPIEraseArea(uint32_t start, uint32_t size);
int SPIWrite(uint32_t addr, const void *src, uint32_t size);
int SPIRead(uint32_t addr, void *dst, uint32_t size);
int SPIParamCfg(uint32_t id, uint32_t chip_size, uint32_t block_size, uint32_t sector_size,
                uint32_t page_size, uint32_t status_mask);

struct MD5Context {
    uint32_t state[4];
    uint32_t count[2];          /* bits, low word first */
    uint8_t buf[64];
};
void MD5Init(struct MD5Context *ctx);
void MD5Update(struct MD5Context *ctx, const void *data, uint32_t len);
void MD5Final(uint8_t digest[16], struct MD5Context *ctx);

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
uint32_t __udivsi3(uint32_t n, uint32_t d);
uint32_t __umodsi3(uint32_t n, uint32_t d);

/* Called by the exception vector with the saved registers (entries.S). */
void rom_exception(uint32_t *frame);

#endif
