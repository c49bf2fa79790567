// SPDX-License-Identifier: MIT
/*
 * Reset information and restart of the ESP8266_QEMU open HAL.
 *
 * Replaces the SDK's system_get_rst_info() and system_restart() (libmain) and the reset
 * bookkeeping of the ROM. The RTC block reports the hardware cause in RTC_STATE1[3:0]
 * (1 power-on, 2 external, 3 software, 4 watchdog, 5 deep-sleep wake). A software reset
 * made by us is refined with a record (magic + rst_info) we leave in the system part of RTC
 * memory (0x60001000, below the user part at 0x60001100): soft restart, soft watchdog or
 * fatal exception with its registers.
 */

#include <string.h>
#include "hal.h"

#define RST_RECORD_ADDR HAL_RTC_MEM_BASE
#define RST_RECORD_MAGIC 0x48414c52 // "HALR"

static struct rst_info rst_info;

void hal_reset_init(void) {
    uint32_t record[1 + sizeof(struct rst_info) / 4];
    hal_rtc_words_read(RST_RECORD_ADDR, record, sizeof(record));
    memset(&rst_info, 0, sizeof(rst_info));
    switch (READ_PERI_REG(HAL_RTC_STATE1) & 0xf) {
        case 2:
            rst_info.reason = REASON_EXT_SYS_RST;
            break;
        case 3:
            if (record[0] == RST_RECORD_MAGIC) {
                memcpy(&rst_info, &record[1], sizeof(rst_info));
            } else {
                rst_info.reason = REASON_SOFT_RESTART;
            }
            break;
        case 4:
            rst_info.reason = REASON_WDT_RST;
            break;
        case 5:
            rst_info.reason = REASON_DEEP_SLEEP_AWAKE;
            break;
        default:
            rst_info.reason = REASON_DEFAULT_RST;
            break;
    }
    // Consume the record: a later reset that is not ours must not reuse it.
    WRITE_PERI_REG(RST_RECORD_ADDR, 0);
}

void hal_reset_with_info(const struct rst_info *info) {
    __asm__ volatile ("rsil a2, 15" : : : "a2");
    WRITE_PERI_REG(RST_RECORD_ADDR, RST_RECORD_MAGIC);
    hal_rtc_words_write(RST_RECORD_ADDR + 4, info, sizeof(*info));
    // Let UART0 drain its FIFO before the reset (at most ~11 ms at 115200 baud).
    ets_delay_us(12000);
    SET_PERI_REG_MASK(HAL_RTC_CTRL0, HAL_RTC_CTRL0_SW_RESET);
    for (;;) {
    }
}

struct rst_info *system_get_rst_info(void) {
    return &rst_info;
}

void system_restart(void) {
    struct rst_info info = {.reason = REASON_SOFT_RESTART};
    hal_reset_with_info(&info);
}
