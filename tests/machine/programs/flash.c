/*
 * SPI0 flash controller: JEDEC id, status, read, sector erase, page program
 * (with and without write enable, and wrapping within a page), and the same
 * data seen through the cached flash window at 0x40200000 (32-bit loads).
 * A boot counter at 0x82000 shows persistence across emulator restarts.
 */
#include "common/esp8266.h"

#define PATTERN_ADDR    0x80000u
#define COUNTER_ADDR    0x82000u
#define NOWREN_ADDR     0x83000u
#define PP64_ADDR       0x84000u
#define WRAP_SECTOR     0x85000u

static void spi_cmd(uint32_t cmd)
{
    SPI0_CMD = cmd;
    while (SPI0_CMD) {
    }
}

static void flash_read(uint32_t addr, uint32_t *buf, unsigned len)
{
    unsigned i;

    SPI0_ADDR = addr | (len << 24);
    spi_cmd(SPI_CMD_READ);
    for (i = 0; i < (len + 3) / 4; i++) {
        buf[i] = SPI0_W(i);
    }
}

static void flash_program(uint32_t addr, const uint32_t *buf, unsigned len, int wren)
{
    unsigned i;

    for (i = 0; i < (len + 3) / 4; i++) {
        SPI0_W(i) = buf[i];
    }
    if (wren) {
        spi_cmd(SPI_CMD_WREN);
    }
    SPI0_ADDR = addr | (len << 24);
    spi_cmd(SPI_CMD_PP);
}

static void flash_erase_sector(uint32_t addr)
{
    spi_cmd(SPI_CMD_WREN);
    SPI0_ADDR = addr;
    spi_cmd(SPI_CMD_SE);
}

static uint32_t window_word(uint32_t addr)
{
    return *(volatile uint32_t *)(FLASH_WINDOW + addr);
}

int main(void)
{
    uint32_t buf[16], count, i, ok;

    spi_cmd(SPI_CMD_RDID);
    print_kv("jedec", SPI0_W(0) & 0xffffff);

    spi_cmd(SPI_CMD_WREN);
    spi_cmd(SPI_CMD_RDSR);
    print_kv("status_after_wren", SPI0_RD_STATUS);
    spi_cmd(SPI_CMD_WRDI);
    spi_cmd(SPI_CMD_RDSR);
    print_kv("status_after_wrdi", SPI0_RD_STATUS);

    /* the host put bytes 0..31 at PATTERN_ADDR */
    flash_read(PATTERN_ADDR, buf, 32);
    for (i = 0; i < 8; i++) {
        uart_puts("spi_word");
        print_kv("", buf[i]);
    }
    for (i = 0; i < 8; i++) {
        uart_puts("window_word");
        print_kv("", window_word(PATTERN_ADDR + 4 * i));
    }

    /* boot counter: erase + program, read back both ways */
    count = window_word(COUNTER_ADDR);
    if (count == 0xffffffffu) {
        count = 0;
    }
    print_kv("boot_count", count);
    flash_erase_sector(COUNTER_ADDR);
    print_kv("erased_word", window_word(COUNTER_ADDR));
    buf[0] = count + 1;
    flash_program(COUNTER_ADDR, buf, 4, 1);
    print_kv("counter_window", window_word(COUNTER_ADDR));
    flash_read(COUNTER_ADDR, buf, 4);
    print_kv("counter_spi", buf[0]);

    /* page program without WREN is ignored */
    flash_erase_sector(NOWREN_ADDR);
    buf[0] = 0x12345678;
    flash_program(NOWREN_ADDR, buf, 4, 0);
    print_kv("pp_without_wren", window_word(NOWREN_ADDR));

    /* NOR semantics: programming only clears bits */
    buf[0] = 0x0000ffff;
    flash_program(NOWREN_ADDR, buf, 4, 1);
    buf[0] = 0xff00ff00;
    flash_program(NOWREN_ADDR, buf, 4, 1);
    print_kv("nor_and", window_word(NOWREN_ADDR));

    /* 64-byte page program */
    flash_erase_sector(PP64_ADDR);
    for (i = 0; i < 16; i++) {
        buf[i] = 0x01010101u * (i + 1);
    }
    flash_program(PP64_ADDR, buf, 64, 1);
    ok = 1;
    for (i = 0; i < 16; i++) {
        if (window_word(PP64_ADDR + 4 * i) != 0x01010101u * (i + 1)) {
            ok = 0;
        }
    }
    print_kv("pp64_ok", ok);

    /* 8 bytes at page offset 0xfc wrap to the start of the page */
    flash_erase_sector(WRAP_SECTOR);
    buf[0] = 0xaaaaaaaa;
    buf[1] = 0xbbbbbbbb;
    flash_program(WRAP_SECTOR + 0xfc, buf, 8, 1);
    print_kv("wrap_end", window_word(WRAP_SECTOR + 0xfc));
    print_kv("wrap_start", window_word(WRAP_SECTOR));
    print_kv("wrap_next_page", window_word(WRAP_SECTOR + 0x100));

    uart_puts("DONE\n");
    return 0;
}
