/*
 * ESP8266 system on chip: lx106 CPU, memories and peripherals
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_XTENSA_ESP8266_SOC_H
#define HW_XTENSA_ESP8266_SOC_H

#include "qemu/units.h"
#include "hw/clock.h"
#include "hw/or-irq.h"
#include "hw/sysbus.h"
#include "hw/char/esp8266_uart.h"
#include "hw/gpio/esp8266_gpio.h"
#include "hw/misc/esp8266_dport.h"
#include "hw/misc/esp8266_iomux.h"
#include "hw/misc/esp8266_rtc.h"
#include "hw/ssi/esp8266_spi_flash.h"
#include "hw/timer/esp8266_frc_timer.h"
#include "hw/watchdog/esp8266_wdt.h"
#include "hw/xtensa/esp8266_download.h"
#include "net/net.h"
#include "target/xtensa/cpu-qom.h"
#include "qom/object.h"

#define TYPE_ESP8266_SOC "esp8266-soc"
OBJECT_DECLARE_SIMPLE_TYPE(Esp8266SocState, ESP8266_SOC)

/* Memory map (see docs/qemu-machine.md) */
#define ESP8266_DPORT_BASE          0x3ff00000
#define ESP8266_EFUSE_BASE          0x3ff00050
#define ESP8266_EFUSE_SIZE          0x10
#define ESP8266_DRAM_BASE           0x3ffe8000
#define ESP8266_DRAM_SIZE           (96 * KiB)
#define ESP8266_ROM_BASE            0x40000000
#define ESP8266_ROM_SIZE            (64 * KiB)
/* Chip-detect word esptool reads at 0x40001000 (ESP8266: 0xfff0c101) */
#define ESP8266_ROM_MAGIC_OFFSET    0x1000
#define ESP8266_ROM_MAGIC_VALUE     0xfff0c101
#define ESP8266_IRAM_BASE           0x40100000
/*
 * 32 KiB IRAM + the 32 KiB the flash cache may take; with the cache off (as in
 * download mode) all of it is RAM: esptool's flasher stub loads at 0x4010c500.
 */
#define ESP8266_IRAM_SIZE           (64 * KiB)
#define ESP8266_FLASH_WINDOW_BASE   0x40200000
#define ESP8266_FLASH_WINDOW_SIZE   (1 * MiB)
#define ESP8266_UART0_BASE          0x60000000
#define ESP8266_HSPI_BASE           0x60000100
#define ESP8266_SPI0_BASE           0x60000200
#define ESP8266_GPIO_BASE           0x60000300
#define ESP8266_FRC_BASE            0x60000600
#define ESP8266_RTC_BASE            0x60000700
#define ESP8266_IOMUX_BASE          0x60000800
#define ESP8266_WDT_BASE            0x60000900
#define ESP8266_I2C_BASE            0x60000d00
#define ESP8266_UART1_BASE          0x60000f00
#define ESP8266_RTC_MEM_BASE        0x60001000
/* Emulator-only NIC (OpenCores Ethernet MAC), outside every real device */
#define ESP8266_NIC_REGS_BASE       0x60010000
#define ESP8266_NIC_DESC_BASE       0x60010400
#define ESP8266_NIC_BUF_BASE        0x60014000
#define ESP8266_NIC_BUF_SIZE        (16 * KiB)

/* CPU interrupt numbers (level-1 unless noted) */
#define ESP8266_IRQ_NIC             0   /* the WiFi MAC's line */
#define ESP8266_IRQ_SLC             1
#define ESP8266_IRQ_SPI             2
#define ESP8266_IRQ_GPIO            4
#define ESP8266_IRQ_UART            5   /* UART0 and UART1 */
#define ESP8266_IRQ_CCOMPARE0       6   /* internal timer */
#define ESP8266_IRQ_SOFT            7   /* internal software */
#define ESP8266_IRQ_WDT             8   /* edge */
#define ESP8266_IRQ_FRC1            9   /* edge */
#define ESP8266_IRQ_FRC2            10  /* edge (the SDK's ets_timer_init) */

#define ESP8266_CPU_FREQ_HZ         80000000
#define ESP8266_APB_FREQ_HZ         80000000
/*
 * UART0's CLKDIV as the ROM leaves it in download mode (52 MHz APB at
 * 115200 baud): esptool derives the 26 MHz crystal from it.
 */
#define ESP8266_DOWNLOAD_UART_CLKDIV    (52000000 / 115200)

/* Inputs of the OR gate in front of the CPU's RUNSTALL line */
enum {
    ESP8266_RUNSTALL_RTC = 0,       /* deep sleep */
    ESP8266_RUNSTALL_BOOT = 1,      /* no image to run */
    ESP8266_RUNSTALL_DOWNLOAD = 2,  /* download mode waits for the host */
    ESP8266_RUNSTALL_NUM,
};
/* 8/16-bit loads from IRAM .. end of the flash window raise LoadStoreError */
#define ESP8266_NARROW_LOAD_ERROR_BASE  ESP8266_IRAM_BASE
#define ESP8266_NARROW_LOAD_ERROR_SIZE  (ESP8266_FLASH_WINDOW_BASE + \
                                         ESP8266_FLASH_WINDOW_SIZE - \
                                         ESP8266_IRAM_BASE)

/*
 * Default station MAC (Espressif OUI 5c:cf:7f), kept in the eFuse words
 * at 0x3ff00050..0x3ff0005c the way esptool and the SDK read it:
 * word0[31:24] = mac[5], word1[15:0] = mac[3..4], word3[23:0] = OUI.
 * Override with the SoC/machine property "mac".
 */
#define ESP8266_DEFAULT_MAC         { 0x5c, 0xcf, 0x7f, 0xe5, 0x51, 0xa1 }

typedef enum Esp8266BootMode {
    ESP8266_BOOT_FLASH = 0,     /* GPIO0 high: boot from SPI flash */
    ESP8266_BOOT_DOWNLOAD = 1,  /* GPIO0 low: UART download mode */
} Esp8266BootMode;

struct Esp8266SocState {
    SysBusDevice parent_obj;

    XtensaCPU *cpu;
    MemoryRegion rom;
    bool rom_loaded;            /* -bios: our ROM's entry points are there */
    MemoryRegion iram;
    MemoryRegion dram;
    MemoryRegion flash_window;
    MemoryRegion efuse;
    MemoryRegion nic_buf;
    MACAddr mac;
    bool narrow_load_error;

    Clock *apb_clk;                 /* APB clock source, 80 MHz */
    Esp8266UartState uart[2];
    OrIRQState uart_irq_or;         /* UART0 | UART1 -> CPU interrupt 5 */
    Esp8266SpiFlashState spi_flash;
    DeviceState *nic;

    /* boot (esp8266_boot.c) and the ROM's download mode */
    uint32_t boot_mode;             /* Esp8266BootMode */
    bool has_kernel;
    bool boot_flash_once;           /* download mode's FLASH_END "reboot" */
    uint32_t kernel_entry;
    qemu_irq boot_halt;             /* holds the CPU: no image to run */
    Esp8266DownloadState download;
    OrIRQState runstall_or;         /* RTC deep sleep | boot | download */

    Esp8266DportState dport;
    Esp8266FrcTimerState frc;
    Esp8266RtcState rtc;
    Esp8266WdtState wdt;
    Esp8266GpioState gpio;
    Esp8266IomuxState iomux;
};

/* The CPU's interrupt input number @inum (0..14). */
qemu_irq esp8266_soc_cpu_irq(Esp8266SocState *s, int inum);

#endif
