/*
 * ESP8266 UART download mode: the mask ROM's serial flasher protocol
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_XTENSA_ESP8266_DOWNLOAD_H
#define HW_XTENSA_ESP8266_DOWNLOAD_H

#include "hw/sysbus.h"
#include "hw/stream.h"
#include "qom/object.h"

#define TYPE_ESP8266_DOWNLOAD "esp8266-download"
OBJECT_DECLARE_SIMPLE_TYPE(Esp8266DownloadState, ESP8266_DOWNLOAD)

/* Largest request: FLASH_DATA with a 16 KiB block and its headers. */
#define ESP8266_DOWNLOAD_MAX_PACKET (0x4000 + 64)

/*
 * Connections (made by the SoC):
 *  - link "uart" (stream-sink): where replies go (UART0's TX FIFO);
 *  - the device itself is a stream-sink: UART0 pushes received bytes
 *    into it while its "rx-bypass" input is high;
 *  - link "flash" (esp8266-spi-flash): FLASH_BEGIN/DATA program it;
 *  - link "cpu": MEM_END starts the loaded program;
 *  - GPIO out "uart-bypass": high while active, to UART0's "rx-bypass";
 *  - GPIO out "runstall": high while active (the CPU is held);
 *  - GPIO out "flash-boot": pulsed by FLASH_END "reboot", before the
 *    system reset it requests: the next boot is from flash.
 * Every system reset makes the device inactive; the boot code starts it.
 */
struct Esp8266DownloadState {
    SysBusDevice parent_obj;

    Object *uart;
    Object *flash;
    Object *cpu;
    qemu_irq uart_bypass;
    qemu_irq runstall;
    qemu_irq flash_boot;

    bool rom_loaded;                /* -bios: our ROM is mapped (the board) */
    bool active;
    bool in_frame;
    bool escape;
    bool overflow;
    uint32_t len;
    uint8_t *pkt;                   /* ESP8266_DOWNLOAD_MAX_PACKET bytes */

    /* FLASH_BEGIN / MEM_BEGIN parameters */
    uint32_t flash_offset;
    uint32_t flash_block_size;
    uint32_t mem_offset;
    uint32_t mem_block_size;
};

/* Enter download mode: take UART0's input, hold the CPU. */
void esp8266_download_start(Esp8266DownloadState *d);

#endif
