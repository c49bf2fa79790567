/*
 * Our open ESP8266 ROM: interrupts, delays, UART and SPI flash entry points.
 *
 * Each function has the name and the C interface of the mask ROM routine whose address
 * entries.S gives it; they work through the same registers the emulator models, so code
 * written for the mask ROM (esptool's flasher stubs) runs unchanged.
 *
 * SPDX-License-Identifier: MIT
 */
#include "rom.h"

#define EXCCAUSE_LEVEL1_INTERRUPT   4
#define FRAME_EPC1                  17
#define DEFAULT_TICKS_PER_US        80      /* the emulated CPU clock, 80 MHz */
#define NUM_INTERRUPTS              32

static struct {
    rom_isr_t handler;
    void *arg;
} isr_table[NUM_INTERRUPTS];
static uint32_t ticks_per_us;
static void (*user_start)(void);

static inline uint32_t read_ccount(void)
{
    uint32_t v;
    __asm__ volatile ("rsr %0, ccount" : "=a" (v));
    return v;
}

static inline uint32_t read_intenable(void)
{
    uint32_t v;
    __asm__ volatile ("rsr %0, intenable" : "=a" (v));
    return v;
}

static inline void write_intenable(uint32_t v)
{
    __asm__ volatile ("wsr %0, intenable; rsync" :: "a" (v));
}

static void rom_puts(const char *s)
{
    while (*s) {
        uart_tx_one_char((uint8_t)*s++);
    }
}

static void rom_put_hex(uint32_t v)
{
    for (int shift = 28; shift >= 0; shift -= 4) {
        uart_tx_one_char((uint8_t)"0123456789abcdef"[(v >> shift) & 0xf]);
    }
}

static void __attribute__((noreturn)) rom_halt(void)
{
    for (;;) {
        __asm__ volatile ("waiti 15");
    }
}

/* ---- interrupts ------------------------------------------------------------- */

void ets_isr_attach(int intr, rom_isr_t handler, void *arg)
{
    if (intr >= 0 && intr < NUM_INTERRUPTS) {
        isr_table[intr].handler = handler;
        isr_table[intr].arg = arg;
    }
}

void ets_isr_mask(uint32_t mask)
{
    write_intenable(read_intenable() & ~mask);
}

void ets_isr_unmask(uint32_t mask)
{
    write_intenable(read_intenable() | mask);
}

static void rom_dispatch_interrupts(void)
{
    uint32_t pending;

    for (;;) {
        __asm__ volatile ("rsr %0, interrupt" : "=a" (pending));
        pending &= read_intenable();
        if (!pending) {
            return;
        }
        for (int i = 0; i < NUM_INTERRUPTS; i++) {
            uint32_t bit = 1u << i;
            if (!(pending & bit)) {
                continue;
            }
            /* edge and software interrupts are acknowledged here, level ones by the handler */
            __asm__ volatile ("wsr %0, intclear" :: "a" (bit));
            if (isr_table[i].handler) {
                isr_table[i].handler(isr_table[i].arg);
            } else {
                ets_isr_mask(bit);          /* nobody to serve it: keep it from storming */
            }
        }
    }
}

void rom_exception(uint32_t *frame)
{
    uint32_t cause, vaddr;

    __asm__ volatile ("rsr %0, exccause" : "=a" (cause));
    if (cause == EXCCAUSE_LEVEL1_INTERRUPT) {
        rom_dispatch_interrupts();
        return;
    }
    __asm__ volatile ("rsr %0, excvaddr" : "=a" (vaddr));
    rom_puts("\r\nrom: unhandled exception, cause ");
    rom_put_hex(cause);
    rom_puts(" epc1 ");
    rom_put_hex(frame[FRAME_EPC1]);
    rom_puts(" excvaddr ");
    rom_put_hex(vaddr);
    rom_puts("\r\n");
    rom_halt();
}

void ets_set_user_start(void (*start)(void))
{
    user_start = start;
}

void rom_stub_returned(void)
{
    rom_puts("\r\nrom: the loaded program returned; halted\r\n");
    rom_halt();
}

/* A system reset through the RTC block; the boot straps then apply again. */
void software_reset(void)
{
    RTC_CTRL0 |= RTC_CTRL0_SW_RESET;
    rom_halt();
}

/* ---- time ------------------------------------------------------------------- */

void ets_update_cpu_frequency(uint32_t ticks)
{
    ticks_per_us = ticks;
}

uint32_t ets_get_cpu_frequency(void)
{
    return ticks_per_us ? ticks_per_us : DEFAULT_TICKS_PER_US;
}

/*
 * CCOUNT runs at the emulated CPU clock whatever a program told ets_update_cpu_frequency
 * (the stubs set 52 for the crystal-derived clock of a real chip in download mode), so the
 * delay counts at the emulator's rate.
 */
void ets_delay_us(uint32_t us)
{
    uint32_t start = read_ccount();
    uint32_t ticks = us * DEFAULT_TICKS_PER_US;

    while (read_ccount() - start < ticks) {
    }
}

/* ---- UART --------------------------------------------------------------------- */

void uart_div_modify(uint32_t uart_no, uint32_t divisor)
{
    if (uart_no <= 1) {
        UART_CLKDIV(uart_no) = divisor & UART_CLKDIV_MASK;
    }
}

int uart_tx_one_char(uint8_t c)
{
    while (UART_TXFIFO_CNT(UART_STATUS(0)) >= UART_FIFO_SIZE - 2) {
    }
    UART_FIFO(0) = c;
    return 0;
}

int uart_rx_one_char(uint8_t *c)
{
    if (UART_RXFIFO_CNT(UART_STATUS(0)) == 0) {
        return 1;
    }
    *c = (uint8_t)UART_FIFO(0);
    return 0;
}

/* ---- SPI flash ---------------------------------------------------------------- */

void SelectSpiFunction(uint32_t ishspi)
{
    (void)ishspi;               /* the emulated flash has no pins to route */
}

void spi_flash_attach(void)
{
}

static void spi_command(uint32_t cmd)
{
    SPI0_CMD = cmd;
    while (SPI0_CMD != 0) {
    }
}

static void spi_wait_ready(void)
{
    do {
        spi_command(SPI_CMD_RDSR);
    } while (SPI0_RD_STATUS & SPI_STATUS_WIP);
}

static int spi_erase(uint32_t cmd, uint32_t addr)
{
    spi_wait_ready();
    spi_command(SPI_CMD_WREN);
    SPI0_ADDR = addr & 0xffffff;
    spi_command(cmd);
    spi_wait_ready();
    return SPI_RESULT_OK;
}

int SPIUnlock(void)
{
    spi_wait_ready();
    spi_command(SPI_CMD_WREN);
    SPI0_RD_STATUS = 0;         /* no block protection */
    spi_command(SPI_CMD_WRSR);
    spi_wait_ready();
    return SPI_RESULT_OK;
}

int SPIEraseChip(void)
{
    return spi_erase(SPI_CMD_CE, 0);
}

int SPIEraseBlock(uint32_t block)
{
    return spi_erase(SPI_CMD_BE, block * FLASH_BLOCK_SIZE);
}

int SPIEraseSector(uint32_t sector)
{
    return spi_erase(SPI_CMD_SE, sector * FLASH_SECTOR_SIZE);
}

int SPIEraseArea(uint32_t start, uint32_t size)
{
    uint32_t end = start + size;

    if ((start | size) & (FLASH_SECTOR_SIZE - 1)) {
        return SPI_RESULT_ERR;
    }
    while (start < end) {
        if (!(start & (FLASH_BLOCK_SIZE - 1)) && end - start >= FLASH_BLOCK_SIZE) {
            spi_erase(SPI_CMD_BE, start);
            start += FLASH_BLOCK_SIZE;
        } else {
            spi_erase(SPI_CMD_SE, start);
            start += FLASH_SECTOR_SIZE;
        }
    }
    return SPI_RESULT_OK;
}

/* Page program in pieces of at most the 64-byte buffer, never across a page. */
int SPIWrite(uint32_t addr, const void *src, uint32_t size)
{
    const uint8_t *p = src;

    while (size) {
        uint32_t n = FLASH_PAGE_SIZE - (addr & (FLASH_PAGE_SIZE - 1));
        uint32_t word;

        if (n > SPI_BUF_SIZE) {
            n = SPI_BUF_SIZE;
        }
        if (n > size) {
            n = size;
        }
        for (uint32_t i = 0; i < n; i += 4) {
            word = 0xffffffffu;
            memcpy(&word, p + i, n - i < 4 ? n - i : 4);
            SPI0_W(i / 4) = word;
        }
        spi_wait_ready();
        spi_command(SPI_CMD_WREN);
        SPI0_ADDR = (addr & 0xffffff) | (n << 24);
        spi_command(SPI_CMD_PP);
        addr += n;
        p += n;
        size -= n;
    }
    spi_wait_ready();
    return SPI_RESULT_OK;
}

int SPIRead(uint32_t addr, void *dst, uint32_t size)
{
    uint8_t *p = dst;

    spi_wait_ready();
    while (size) {
        uint32_t n = size < SPI_BUF_SIZE ? size : SPI_BUF_SIZE;

        SPI0_ADDR = (addr & 0xffffff) | (n << 24);
        spi_command(SPI_CMD_READ);
        for (uint32_t i = 0; i < n; i += 4) {
            uint32_t word = SPI0_W(i / 4);
            memcpy(p + i, &word, n - i < 4 ? n - i : 4);
        }
        addr += n;
        p += n;
        size -= n;
    }
    return SPI_RESULT_OK;
}

int SPIParamCfg(uint32_t id, uint32_t chip_size, uint32_t block_size, uint32_t sector_size,
                uint32_t page_size, uint32_t status_mask)
{
    /* the emulated flash knows its geometry; nothing to configure */
    (void)id;
    (void)chip_size;
    (void)block_size;
    (void)sector_size;
    (void)page_size;
    (void)status_mask;
    return SPI_RESULT_OK;
}
