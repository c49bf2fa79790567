/*
 * ESP8266 UART (UART0 at 0x60000000, UART1 at 0x60000F00)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_CHAR_ESP8266_UART_H
#define HW_CHAR_ESP8266_UART_H

#include "hw/sysbus.h"
#include "hw/stream.h"
#include "chardev/char-fe.h"
#include "hw/xtensa/esp8266_compat.h"
#include "qapi/qapi-types-common.h"
#include "qemu/fifo8.h"
#include "qemu/timer.h"
#include "qom/object.h"

#define TYPE_ESP8266_UART "esp8266-uart"
OBJECT_DECLARE_SIMPLE_TYPE(Esp8266UartState, ESP8266_UART)

#define ESP8266_UART_MMIO_SIZE  0x80
#define ESP8266_UART_FIFO_SIZE  128   /* RX and TX FIFO, bytes each */
#define ESP8266_UART_RX_BACKLOG_SIZE 4096  /* record/replay: bytes not yet on the line */
/* The UART reference clock (APB) that CLKDIV divides. */
#define ESP8266_UART_CLK_HZ     80000000
/* Paced TX: bytes on the line that the host has not read yet, at most. */
#define ESP8266_UART_TX_LINE_SIZE (1024 * 1024)

/*
 * Besides its registers and interrupt (sysbus IRQ 0) the UART has an
 * interface for the ROM model (boot messages, download mode):
 *  - it is a stream sink (hw/stream.h): bytes pushed into it are queued
 *    behind the TX FIFO's bytes; the call never blocks and returns how
 *    many fitted (the rest is dropped, traced);
 *  - while its GPIO input "rx-bypass" is high, bytes from the chardev go
 *    to the stream sink given by the link "rx-sink" instead of the RX
 *    FIFO (download mode takes UART0's input while the CPU is held);
 *  - property "clkdiv-reset": CLKDIV after reset (the ROM leaves UART0
 *    at 52 MHz / 115200 in download mode; esptool reads it back).
 */

struct Esp8266UartState {
    SysBusDevice parent_obj;

    MemoryRegion iomem;
    CharFrontend chr;
    qemu_irq irq;
    QEMUTimer *rx_timeout_timer;
    /*
     * RX line pacing: rx_line_ns is the virtual time up to which the line
     * has carried bytes; rx_pace_timer wakes the chardev when it may carry
     * the next ones; rx_baud (property) overrides CLKDIV's rate.
     */
    QEMUTimer *rx_pace_timer;
    int64_t rx_line_ns;
    uint32_t rx_baud;

    Fifo8 rx_fifo;
    /*
     * Record/replay only: chardev bytes not yet on the line.  There the
     * chardev's input reaches the UART at a later checkpoint than the
     * can_receive() it was read for, so the line takes it from here.
     */
    Fifo8 rx_backlog;
    /*
     * TX FIFO: guest writes land here and drain into the chardev with
     * non-blocking writes; what the chardev does not take waits for a
     * G_IO_OUT watch (tx_watch), so a reader that does not read fills the
     * FIFO (the guest sees TXFIFO_CNT rise and waits) instead of blocking
     * the vCPU thread.
     */
    Fifo8 tx_fifo;
    guint tx_watch;
    /*
     * Paced TX (property "tx-pace"; "auto": with -icount): the FIFO drains
     * at the line rate (tx_baud, else CLKDIV's) on the virtual clock, into
     * tx_line, which the chardev empties when it can.  The guest's time
     * then never depends on how fast the host reads, as on a chip, whose
     * UART sends whether or not anyone listens; bytes beyond
     * ESP8266_UART_TX_LINE_SIZE unread are dropped.  tx_line_ns: when the
     * line finishes the FIFO's head byte (FIFO empty: the last byte sent).
     * In this mode tx_watch waits on tx_line instead of the FIFO.
     */
    OnOffAuto tx_pace;
    bool tx_paced;
    uint32_t tx_baud;
    QEMUTimer *tx_pace_timer;
    int64_t tx_line_ns;
    Fifo8 tx_line;
    uint32_t int_raw;
    uint32_t int_ena;
    uint32_t clkdiv;
    uint32_t autobaud;
    uint32_t conf0;
    uint32_t conf1;
    uint32_t lowpulse;
    uint32_t highpulse;
    uint32_t pulse_num;

    bool rx_bypass;                 /* GPIO input "rx-bypass" */
    Object *rx_sink;                /* link "rx-sink" (stream sink) */
    uint32_t clkdiv_reset;          /* property "clkdiv-reset" */
};

#endif
