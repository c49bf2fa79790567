/*
 * QTest testcase for the ESP8266 SPI0 flash controller and its flash chip
 * (esp8266-spi-flash)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"

#define SPI0            0x60000200
#define CMD             0x00
#define ADDR            0x04
#define RD_STATUS       0x10
#define USER2           0x24
#define W(n)            (0x40 + 4 * (n))
#define WINDOW          0x40200000

#define CMD_READ        (1u << 31)
#define CMD_WREN        (1u << 30)
#define CMD_WRDI        (1u << 29)
#define CMD_RDID        (1u << 28)
#define CMD_RDSR        (1u << 27)
#define CMD_PP          (1u << 25)
#define CMD_SE          (1u << 24)
#define CMD_CE          (1u << 22)
#define CMD_USR         (1u << 18)
#define OPCODE_RDSR     0x05
#define WIP             0x1
#define WEL             0x2

#define FLASH_SIZE      (1024 * 1024)
#define TEST_ADDR       0x3000

static char *flash_path;

static QTestState *start(void)
{
    return qtest_initf("-machine esp8266 "
                       "-drive if=mtd,format=raw,file=%s", flash_path);
}

static void make_image(void)
{
    g_autofree uint8_t *blank = g_malloc(FLASH_SIZE);
    int fd = g_file_open_tmp("esp8266-flash-test-XXXXXX", &flash_path, NULL);

    g_assert(fd >= 0);
    close(fd);
    memset(blank, 0xff, FLASH_SIZE);
    g_assert_true(g_file_set_contents(flash_path, (char *)blank, FLASH_SIZE,
                                      NULL));
}

static void spi_cmd(QTestState *qts, uint32_t cmd)
{
    qtest_writel(qts, SPI0 + CMD, cmd);
    g_assert_cmphex(qtest_readl(qts, SPI0 + CMD), ==, 0);
}

static uint32_t status(QTestState *qts)
{
    spi_cmd(qts, CMD_RDSR);
    return qtest_readl(qts, SPI0 + RD_STATUS);
}

/* Poll WIP as a driver does: the image write completes in the main loop */
static void wait_idle(QTestState *qts)
{
    int i;

    for (i = 0; i < 10000 && (status(qts) & WIP); i++) {
        g_usleep(1000);
    }
    g_assert_cmphex(status(qts) & WIP, ==, 0);
}

static uint32_t image_word(uint32_t offset)
{
    g_autofree char *data = NULL;
    gsize len;

    g_assert_true(g_file_get_contents(flash_path, &data, &len, NULL));
    g_assert_cmpuint(len, ==, FLASH_SIZE);
    return (uint8_t)data[offset] | (uint8_t)data[offset + 1] << 8 |
           (uint8_t)data[offset + 2] << 16 |
           (uint32_t)(uint8_t)data[offset + 3] << 24;
}

static void test_id_and_write_enable(void)
{
    QTestState *qts = start();

    spi_cmd(qts, CMD_RDID);
    g_assert_cmphex(qtest_readl(qts, SPI0 + W(0)) & 0xffffff, ==, 0x1440ef);
    g_assert_cmphex(status(qts), ==, 0);
    spi_cmd(qts, CMD_WREN);
    g_assert_cmphex(status(qts), ==, WEL);
    spi_cmd(qts, CMD_WRDI);
    g_assert_cmphex(status(qts), ==, 0);
    qtest_quit(qts);
}

static void program(QTestState *qts, uint32_t addr, const uint32_t *words,
                    int n)
{
    int i;

    for (i = 0; i < n; i++) {
        qtest_writel(qts, SPI0 + W(i), words[i]);
    }
    qtest_writel(qts, SPI0 + ADDR, addr | ((4 * n) << 24));
    spi_cmd(qts, CMD_PP);
}

static void test_erase_program_read(void)
{
    static const uint32_t words[] = { 0x11223344, 0x55667788, 0xf0f0f0f0 };
    static const uint32_t mask[] = { 0x0f0f0f0f, 0xffffffff, 0xff00ff00 };
    QTestState *qts = start();
    int i;

    spi_cmd(qts, CMD_WREN);
    qtest_writel(qts, SPI0 + ADDR, TEST_ADDR);
    spi_cmd(qts, CMD_SE);
    wait_idle(qts);
    spi_cmd(qts, CMD_WREN);
    program(qts, TEST_ADDR, words, 3);
    /* WEL is cleared by the program */
    g_assert_cmphex(status(qts) & WEL, ==, 0);
    wait_idle(qts);

    qtest_writel(qts, SPI0 + ADDR, TEST_ADDR | (12 << 24));
    spi_cmd(qts, CMD_READ);
    for (i = 0; i < 3; i++) {
        g_assert_cmphex(qtest_readl(qts, SPI0 + W(i)), ==, words[i]);
        g_assert_cmphex(qtest_readl(qts, WINDOW + TEST_ADDR + 4 * i), ==,
                        words[i]);
        g_assert_cmphex(image_word(TEST_ADDR + 4 * i), ==, words[i]);
    }

    /* NOR: programming only clears bits; without WREN nothing happens */
    program(qts, TEST_ADDR, mask, 3);
    g_assert_cmphex(qtest_readl(qts, WINDOW + TEST_ADDR), ==, words[0]);
    spi_cmd(qts, CMD_WREN);
    program(qts, TEST_ADDR, mask, 3);
    wait_idle(qts);
    for (i = 0; i < 3; i++) {
        g_assert_cmphex(qtest_readl(qts, WINDOW + TEST_ADDR + 4 * i), ==,
                        words[i] & mask[i]);
        g_assert_cmphex(image_word(TEST_ADDR + 4 * i), ==,
                        words[i] & mask[i]);
    }
    qtest_quit(qts);
}

static void test_chip_erase_is_busy_until_written(void)
{
    static const uint32_t word = 0x12345678;
    QTestState *qts = start();

    spi_cmd(qts, CMD_WREN);
    qtest_writel(qts, SPI0 + ADDR, TEST_ADDR);
    spi_cmd(qts, CMD_SE);
    wait_idle(qts);
    spi_cmd(qts, CMD_WREN);
    program(qts, TEST_ADDR, &word, 1);
    wait_idle(qts);
    g_assert_cmphex(image_word(TEST_ADDR), ==, word);

    /*
     * CE and, in the same command word, a RDSR user command that runs
     * after it: the image write has only been queued, so WIP is set.
     */
    spi_cmd(qts, CMD_WREN);
    qtest_writel(qts, SPI0 + USER2, OPCODE_RDSR);
    spi_cmd(qts, CMD_CE | CMD_USR);
    g_assert_cmphex(qtest_readl(qts, SPI0 + W(0)) & WIP, ==, WIP);
    /* the contents are erased at once, the image when WIP clears */
    g_assert_cmphex(qtest_readl(qts, WINDOW + TEST_ADDR), ==, 0xffffffff);
    wait_idle(qts);
    g_assert_cmphex(image_word(TEST_ADDR), ==, 0xffffffff);
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    make_image();
    qtest_add_func("/esp8266-spi-flash/id-wel", test_id_and_write_enable);
    qtest_add_func("/esp8266-spi-flash/erase-program-read",
                   test_erase_program_read);
    qtest_add_func("/esp8266-spi-flash/chip-erase-wip",
                   test_chip_erase_is_busy_until_written);
    ret = g_test_run();
    unlink(flash_path);
    g_free(flash_path);
    return ret;
}
