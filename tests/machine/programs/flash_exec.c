/*
 * Code in the flash window: two functions in .irom0.text (flash sectors
 * 0x10000 and 0x11000) run in place; then the program copies the second
 * one over the first through SPI0 (erase + page program) and calls the
 * first again: the emulator must run the new code, not a stale translation.
 */
#include "common/esp8266.h"

#define FUNC_A_FLASH    0x10000u
#define FUNC_B_FLASH    0x11000u
#define FUNC_SIZE       16

__attribute__((section(".irom0.text.0"), noipa)) uint32_t irom_a(void);
__attribute__((section(".irom0.text.1"), noipa)) uint32_t irom_b(void);

uint32_t irom_a(void)
{
    return 0x11;
}

uint32_t irom_b(void)
{
    return 0x22;
}

static void spi_cmd(uint32_t cmd)
{
    SPI0_CMD = cmd;
    while (SPI0_CMD) {
    }
}

int main(void)
{
    uint32_t i, words[FUNC_SIZE / 4];
    /* a constant address: from a function pointer GCC may assume 2-byte alignment */
    volatile uint32_t *b = (volatile uint32_t *)(FLASH_WINDOW + FUNC_B_FLASH);

    print_kv("irom_a_addr", (uint32_t)(uintptr_t)irom_a);
    print_kv("irom_b_addr", (uint32_t)(uintptr_t)irom_b);
    print_kv("a_before", irom_a());
    print_kv("b", irom_b());

    for (i = 0; i < FUNC_SIZE / 4; i++) {
        words[i] = b[i];                /* 32-bit loads from the window */
    }
    spi_cmd(SPI_CMD_WREN);
    SPI0_ADDR = FUNC_A_FLASH;
    spi_cmd(SPI_CMD_SE);
    for (i = 0; i < FUNC_SIZE / 4; i++) {
        SPI0_W(i) = words[i];
    }
    spi_cmd(SPI_CMD_WREN);
    SPI0_ADDR = FUNC_A_FLASH | (FUNC_SIZE << 24);
    spi_cmd(SPI_CMD_PP);

    print_kv("a_after", irom_a());
    uart_puts("DONE\n");
    return 0;
}
