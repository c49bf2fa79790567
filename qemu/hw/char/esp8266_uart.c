/*
 * ESP8266 UART (UART0 at 0x60000000, UART1 at 0x60000F00)
 *
 * Register layout as used by MicroPython's ports/esp8266 (uart_register.h):
 * a 128-byte RX FIFO fed by the chardev at the line's rate (one character
 * time per byte, from CLKDIV or the "rx-baud" property, like a wire: a
 * paste never arrives faster than the firmware's ISR and stdin ring were
 * built for), a 128-byte TX FIFO, RX full-threshold, RX timeout, RX
 * overflow and TX empty interrupts.  The TX FIFO drains in one of two ways
 * (property "tx-pace", docs/qemu-peripherals.md):
 * - unpaced (default without -icount): into the chardev as fast as it
 *   takes bytes, with no baud-rate timing (non-blocking writes plus a
 *   G_IO_OUT watch, so a reader that does not read fills the FIFO and the
 *   guest waits, instead of QEMU blocking);
 * - paced (default with -icount): one character time per byte on the
 *   virtual clock, like a wire, into a host-side line buffer the chardev
 *   empties when it can, so the guest's time never depends on the host.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/xtensa/esp8266_compat.h"
#include "exec/replay-core.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "hw/char/esp8266_uart.h"
#include "hw/irq.h"
#include "hw/qdev-properties.h"
#include "hw/qdev-properties-system.h"
#include "hw/registerfields.h"
#include "migration/vmstate.h"
#include "trace.h"

REG32(FIFO, 0x00)
REG32(INT_RAW, 0x04)
    FIELD(INT, RXFIFO_FULL, 0, 1)
    FIELD(INT, TXFIFO_EMPTY, 1, 1)
    FIELD(INT, PARITY_ERR, 2, 1)
    FIELD(INT, FRM_ERR, 3, 1)
    FIELD(INT, RXFIFO_OVF, 4, 1)
    FIELD(INT, DSR_CHG, 5, 1)
    FIELD(INT, CTS_CHG, 6, 1)
    FIELD(INT, BRK_DET, 7, 1)
    FIELD(INT, RXFIFO_TOUT, 8, 1)
REG32(INT_ST, 0x08)
REG32(INT_ENA, 0x0C)
REG32(INT_CLR, 0x10)
REG32(CLKDIV, 0x14)
    FIELD(CLKDIV, CNT, 0, 20)
REG32(AUTOBAUD, 0x18)
REG32(STATUS, 0x1C)
    FIELD(STATUS, RXFIFO_CNT, 0, 8)
    FIELD(STATUS, RXD, 15, 1)
    FIELD(STATUS, TXFIFO_CNT, 16, 8)
    FIELD(STATUS, TXD, 31, 1)
REG32(CONF0, 0x20)
    FIELD(CONF0, LOOPBACK, 14, 1)
    FIELD(CONF0, RXFIFO_RST, 17, 1)
    FIELD(CONF0, TXFIFO_RST, 18, 1)
REG32(CONF1, 0x24)
    FIELD(CONF1, RXFIFO_FULL_THRHD, 0, 7)
    FIELD(CONF1, TXFIFO_EMPTY_THRHD, 8, 7)
    FIELD(CONF1, RX_FLOW_THRHD, 16, 7)
    FIELD(CONF1, RX_FLOW_EN, 23, 1)
    FIELD(CONF1, RX_TOUT_THRHD, 24, 7)
    FIELD(CONF1, RX_TOUT_EN, 31, 1)
REG32(LOWPULSE, 0x28)
REG32(HIGHPULSE, 0x2C)
REG32(PULSE_NUM, 0x30)
REG32(DATE, 0x78)
REG32(ID, 0x7C)

#define INT_MASK            0x1ff
#define CLKDIV_RESET        (ESP8266_UART_CLK_HZ / 115200)
#define CONF0_RESET         0x1c        /* 8 data bits, 1 stop bit */
#define CONF1_RESET         0x6060      /* full and empty thresholds 0x60 */
#define UART_DATE_VALUE     0x62000000
#define UART_ID_VALUE       0x0500

static void esp8266_uart_update(Esp8266UartState *s)
{
    uint32_t count = fifo8_num_used(&s->rx_fifo);
    uint32_t full_thr = FIELD_EX32(s->conf1, CONF1, RXFIFO_FULL_THRHD);
    uint32_t empty_thr = FIELD_EX32(s->conf1, CONF1, TXFIFO_EMPTY_THRHD);

    /* Level conditions re-assert their raw bit for as long as they hold. */
    if (count > 0 && count >= full_thr) {
        s->int_raw |= R_INT_RXFIFO_FULL_MASK;
    }
    /* TX "empty": the TX FIFO holds fewer bytes than the threshold. */
    if (fifo8_num_used(&s->tx_fifo) < empty_thr) {
        s->int_raw |= R_INT_TXFIFO_EMPTY_MASK;
    }
    qemu_set_irq(s->irq, !!(s->int_raw & s->int_ena));
}

static uint64_t esp8266_uart_char_time_ns(Esp8266UartState *s)
{
    uint32_t div = FIELD_EX32(s->clkdiv, CLKDIV, CNT);

    if (div == 0) {
        div = 1;
    }
    /* 10 bit times per character (start, 8 data, stop). */
    return muldiv64(10ull * div, NANOSECONDS_PER_SECOND, ESP8266_UART_CLK_HZ);
}

/*
 * The receive wire.  Bytes enter the RX FIFO no faster than one character
 * time each (virtual clock).  To keep timer wake-ups rare at high rates the
 * chardev is polled every RX_PACE_TICK_NS at most and then hands over the
 * bytes the line carried since, but never more than RX_PACE_WINDOW_NS of
 * them: QEMU's virtual clock runs on while the host does not schedule the
 * vCPU, and a line that caught up after such a stall would hand the
 * firmware bytes it had no CPU time to take (measured: 1263 of 8192 bytes
 * dropped with a 10 ms catch-up under a load of 30 on 2 cores, none with
 * this window).  So a late wake-up loses line time: the rate is the line
 * rate on an idle host and lower, never higher, on a busy one; an idle
 * line owes nothing, so a paste never starts with a burst.
 */
#define RX_PACE_TICK_NS     (200 * SCALE_US)
#define RX_PACE_WINDOW_NS   (2 * RX_PACE_TICK_NS)

static uint64_t esp8266_uart_rx_char_time_ns(Esp8266UartState *s)
{
    if (s->rx_baud) {
        return muldiv64(10, NANOSECONDS_PER_SECOND, s->rx_baud);
    }
    return esp8266_uart_char_time_ns(s);
}

/* Bytes the line may deliver now; arms the pace timer when none. */
static uint32_t esp8266_uart_rx_credit(Esp8266UartState *s)
{
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    int64_t ct = esp8266_uart_rx_char_time_ns(s);
    int64_t window = MAX(ct, RX_PACE_WINDOW_NS);
    int64_t base = MAX(s->rx_line_ns, now - window);
    uint32_t credit = (now - base) / ct;

    if (credit == 0 && !timer_pending(s->rx_pace_timer)) {
        timer_mod(s->rx_pace_timer, base + MAX(ct, RX_PACE_TICK_NS));
    }
    return credit;
}

/* @n bytes went onto the line now. */
static void esp8266_uart_rx_consume(Esp8266UartState *s, int n)
{
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    int64_t ct = esp8266_uart_rx_char_time_ns(s);
    int64_t window = MAX(ct, RX_PACE_WINDOW_NS);

    s->rx_line_ns = MAX(s->rx_line_ns, now - window) + n * ct;
}

static void esp8266_uart_push(Esp8266UartState *s, const uint8_t *buf,
                              int size);

static bool esp8266_uart_replaying(void)
{
    return replay_mode != REPLAY_MODE_NONE;
}

/* Record/replay: move what the line may carry now from the backlog. */
static void esp8266_uart_rx_feed(Esp8266UartState *s)
{
    uint32_t n, i;
    uint8_t buf[ESP8266_UART_FIFO_SIZE];

    if (fifo8_is_empty(&s->rx_backlog) ||
        FIELD_EX32(s->conf0, CONF0, RXFIFO_RST)) {
        return;
    }
    n = MIN(fifo8_num_used(&s->rx_backlog), fifo8_num_free(&s->rx_fifo));
    if (n == 0) {
        return;  /* a read from the FIFO feeds again */
    }
    n = MIN(n, esp8266_uart_rx_credit(s));
    for (i = 0; i < n; i++) {
        buf[i] = fifo8_pop(&s->rx_backlog);
    }
    if (n) {
        esp8266_uart_rx_consume(s, n);
        esp8266_uart_push(s, buf, n);
    }
}

static void esp8266_uart_rx_pace(void *opaque)
{
    Esp8266UartState *s = opaque;

    esp8266_uart_rx_feed(s);
    /* The line can carry more: let the chardev poll again. */
    qemu_chr_fe_accept_input(&s->chr);
}

static void esp8266_uart_arm_rx_timeout(Esp8266UartState *s)
{
    uint32_t thr = FIELD_EX32(s->conf1, CONF1, RX_TOUT_THRHD);

    if (!FIELD_EX32(s->conf1, CONF1, RX_TOUT_EN)) {
        timer_del(s->rx_timeout_timer);
        return;
    }
    if (thr == 0) {
        thr = 1;
    }
    timer_mod(s->rx_timeout_timer, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) +
              thr * esp8266_uart_char_time_ns(s));
}

static void esp8266_uart_rx_timeout(void *opaque)
{
    Esp8266UartState *s = opaque;

    if (!fifo8_is_empty(&s->rx_fifo)) {
        s->int_raw |= R_INT_RXFIFO_TOUT_MASK;
        esp8266_uart_update(s);
    }
}

static void esp8266_uart_push(Esp8266UartState *s, const uint8_t *buf,
                              int size)
{
    int i;

    for (i = 0; i < size; i++) {
        if (fifo8_is_full(&s->rx_fifo)) {
            s->int_raw |= R_INT_RXFIFO_OVF_MASK;
            trace_esp8266_uart_rx_overflow();
            break;
        }
        fifo8_push(&s->rx_fifo, buf[i]);
    }
    esp8266_uart_arm_rx_timeout(s);
    esp8266_uart_update(s);
}

static bool esp8266_uart_bypassed(Esp8266UartState *s)
{
    return s->rx_bypass && s->rx_sink;
}

static int esp8266_uart_can_receive(void *opaque)
{
    Esp8266UartState *s = opaque;
    uint32_t space;

    if (esp8266_uart_bypassed(s)) {
        return stream_can_push(STREAM_SINK(s->rx_sink), NULL, NULL) ? 256 : 0;
    }
    if (esp8266_uart_replaying()) {
        return fifo8_num_free(&s->rx_backlog);
    }
    if (FIELD_EX32(s->conf0, CONF0, RXFIFO_RST)) {
        return 0;
    }
    space = fifo8_num_free(&s->rx_fifo);
    if (space == 0) {
        /* A read from the FIFO calls accept_input. */
        return 0;
    }
    return MIN(space, esp8266_uart_rx_credit(s));
}

static void esp8266_uart_receive(void *opaque, const uint8_t *buf, int size)
{
    Esp8266UartState *s = opaque;

    if (esp8266_uart_bypassed(s)) {
        stream_push(STREAM_SINK(s->rx_sink), (uint8_t *)buf, size, false);
        return;
    }
    if (esp8266_uart_replaying()) {
        size = MIN(size, fifo8_num_free(&s->rx_backlog));
        fifo8_push_all(&s->rx_backlog, buf, size);
        esp8266_uart_rx_feed(s);
        return;
    }
    esp8266_uart_rx_consume(s, size);
    esp8266_uart_push(s, buf, size);
}

static gboolean esp8266_uart_tx_ready(void *do_not_use, GIOCondition cond,
                                      void *opaque);

/*
 * Move TX FIFO bytes into the chardev without blocking.  What it does not
 * take now stays in the FIFO and a G_IO_OUT watch continues from the main
 * loop when the chardev can take more.  Runs with the BQL held (vCPU MMIO
 * or main loop).
 */
static void esp8266_uart_tx_drain(Esp8266UartState *s)
{
    /* Paced: the line buffer goes to the chardev, the FIFO to the line. */
    Fifo8 *f = s->tx_paced ? &s->tx_line : &s->tx_fifo;

    while (!fifo8_is_empty(f)) {
        const uint8_t *buf;
        uint32_t len;
        int ret;

        if (!qemu_chr_fe_backend_connected(&s->chr)) {
            /* No chardev: the bytes go nowhere, as on an unwired pin. */
            trace_esp8266_uart_tx_discard(fifo8_num_used(f));
            fifo8_reset(f);
            break;
        }
        buf = fifo8_peek_bufptr(f, fifo8_num_used(f), &len);
        ret = qemu_chr_fe_write(&s->chr, buf, len);
        if (ret > 0) {
            fifo8_drop(f, ret);
            continue;
        }
        if (ret < 0 && errno != EAGAIN) {
            /* e.g. a socket chardev without a peer: the line is dead. */
            trace_esp8266_uart_tx_discard(fifo8_num_used(f));
            fifo8_reset(f);
            break;
        }
        /* The chardev is full: wait until it can take more. */
        if (!s->tx_watch) {
            s->tx_watch = qemu_chr_fe_add_watch(&s->chr, G_IO_OUT | G_IO_HUP,
                                                esp8266_uart_tx_ready, s);
            if (!s->tx_watch) {
                /* Nothing to wait on (disconnected): drop, never stall. */
                trace_esp8266_uart_tx_discard(fifo8_num_used(f));
                fifo8_reset(f);
                break;
            }
            trace_esp8266_uart_tx_wait(fifo8_num_used(f));
        }
        break;
    }
    esp8266_uart_update(s);
}

static gboolean esp8266_uart_tx_ready(void *do_not_use, GIOCondition cond,
                                      void *opaque)
{
    Esp8266UartState *s = opaque;

    s->tx_watch = 0;
    esp8266_uart_tx_drain(s);
    return G_SOURCE_REMOVE;
}

static void esp8266_uart_tx_cancel_watch(Esp8266UartState *s)
{
    if (s->tx_watch) {
        g_source_remove(s->tx_watch);
        s->tx_watch = 0;
    }
}

/* Empty the TX FIFO (TXFIFO_RST, reset); paced, the line keeps its bytes. */
static void esp8266_uart_tx_reset(Esp8266UartState *s)
{
    if (s->tx_paced) {
        timer_del(s->tx_pace_timer);
    } else {
        esp8266_uart_tx_cancel_watch(s);
    }
    fifo8_reset(&s->tx_fifo);
}

static uint64_t esp8266_uart_tx_char_time_ns(Esp8266UartState *s)
{
    if (s->tx_baud) {
        return muldiv64(10, NANOSECONDS_PER_SECOND, s->tx_baud);
    }
    return esp8266_uart_char_time_ns(s);
}

/* Paced: put @len bytes on the host side of the line (drop what won't fit). */
static void esp8266_uart_tx_line_put(Esp8266UartState *s, const uint8_t *buf,
                                     uint32_t len)
{
    uint32_t n = MIN(len, fifo8_num_free(&s->tx_line));

    if (!qemu_chr_fe_backend_connected(&s->chr)) {
        return;  /* no chardev: the bytes go nowhere */
    }
    if (n > 0) {
        fifo8_push_all(&s->tx_line, buf, n);
    }
    if (n < len) {
        trace_esp8266_uart_tx_line_drop(len - n);
    }
}

/*
 * Paced: arm the line's timer for the next moment the guest can see: the
 * FIFO falling below the TX empty threshold, else its last byte leaving.
 */
static void esp8266_uart_tx_pace_arm(Esp8266UartState *s)
{
    uint32_t used = fifo8_num_used(&s->tx_fifo);
    uint32_t thr = FIELD_EX32(s->conf1, CONF1, TXFIFO_EMPTY_THRHD);
    int64_t ct = esp8266_uart_tx_char_time_ns(s);

    if (used == 0) {
        timer_del(s->tx_pace_timer);
        return;
    }
    /* The k-th byte (from 0) leaves at tx_line_ns + k * ct. */
    timer_mod(s->tx_pace_timer,
              s->tx_line_ns + (used > thr ? used - thr : used - 1) * ct);
}

/* Paced: move the FIFO's first @n bytes onto the line. */
static void esp8266_uart_tx_fifo_to_line(Esp8266UartState *s, uint32_t n)
{
    uint32_t len;
    const uint8_t *buf;

    while (n > 0) {
        buf = fifo8_pop_bufptr(&s->tx_fifo, n, &len);
        esp8266_uart_tx_line_put(s, buf, len);
        n -= len;
    }
}

/* Paced: move the bytes the line has sent by now from the FIFO onwards. */
static void esp8266_uart_tx_advance(Esp8266UartState *s)
{
    int64_t now, ct;
    uint32_t n;

    if (!s->tx_paced || fifo8_is_empty(&s->tx_fifo)) {
        return;
    }
    now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    if (s->tx_line_ns > now) {
        return;
    }
    ct = esp8266_uart_tx_char_time_ns(s);
    n = MIN(fifo8_num_used(&s->tx_fifo), (now - s->tx_line_ns) / ct + 1);
    s->tx_line_ns += (int64_t)n * ct;
    esp8266_uart_tx_fifo_to_line(s, n);
    if (fifo8_is_empty(&s->tx_fifo)) {
        s->tx_line_ns -= ct;  /* when the last byte left */
    }
    if (!s->tx_watch) {
        esp8266_uart_tx_drain(s);
    }
    esp8266_uart_tx_pace_arm(s);
    esp8266_uart_update(s);
}

static void esp8266_uart_tx_pace(void *opaque)
{
    esp8266_uart_tx_advance(opaque);
}

/* Queue @len bytes for TX; returns how many fit (the rest is dropped). */
static int esp8266_uart_tx_push(Esp8266UartState *s, const uint8_t *buf,
                                int len)
{
    int n;

    if (!qemu_chr_fe_backend_connected(&s->chr)) {
        /* No chardev: discard at once, the FIFO never fills up. */
        return len;
    }
    esp8266_uart_tx_advance(s);
    n = MIN(len, (int)fifo8_num_free(&s->tx_fifo));
    if (n > 0) {
        if (s->tx_paced && fifo8_is_empty(&s->tx_fifo)) {
            /* An idle line starts on the first byte now. */
            s->tx_line_ns = MAX(s->tx_line_ns,
                                qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL)) +
                            esp8266_uart_tx_char_time_ns(s);
        }
        fifo8_push_all(&s->tx_fifo, buf, n);
    }
    if (s->tx_paced) {
        esp8266_uart_tx_pace_arm(s);
        esp8266_uart_update(s);
        return n;
    }
    if (s->tx_watch) {
        /* The chardev is full: the watch drains the FIFO later. */
        esp8266_uart_update(s);
    } else {
        esp8266_uart_tx_drain(s);
    }
    return n;
}

/* Stream sink: output of the ROM model, behind the TX FIFO's bytes. */
static size_t esp8266_uart_stream_push(StreamSink *obj, uint8_t *buf,
                                       size_t len, bool eop)
{
    Esp8266UartState *s = ESP8266_UART(obj);
    size_t n;

    if (s->tx_paced) {
        /* The model is no guest: its bytes go straight onto the line. */
        esp8266_uart_tx_fifo_to_line(s, fifo8_num_used(&s->tx_fifo));
        timer_del(s->tx_pace_timer);
        esp8266_uart_tx_line_put(s, buf, MIN(len, UINT32_MAX));
        if (!s->tx_watch) {
            esp8266_uart_tx_drain(s);
        }
        return len;
    }
    n = esp8266_uart_tx_push(s, buf, MIN(len, INT_MAX));

    if (n < len) {
        trace_esp8266_uart_tx_overflow(len - n);
    }
    return n;
}

/* GPIO input "rx-bypass": chardev input to the "rx-sink" while high. */
static void esp8266_uart_set_rx_bypass(void *opaque, int n, int level)
{
    Esp8266UartState *s = opaque;

    s->rx_bypass = level;
    trace_esp8266_uart_rx_bypass(level);
    qemu_chr_fe_accept_input(&s->chr);
}

static uint64_t esp8266_uart_read(void *opaque, hwaddr addr, unsigned size)
{
    Esp8266UartState *s = opaque;
    uint64_t r = 0;

    switch (addr >> 2) {
    case R_FIFO:
        if (!fifo8_is_empty(&s->rx_fifo)) {
            r = fifo8_pop(&s->rx_fifo);
            if (fifo8_is_empty(&s->rx_fifo)) {
                timer_del(s->rx_timeout_timer);
            }
            esp8266_uart_rx_feed(s);
            qemu_chr_fe_accept_input(&s->chr);
            esp8266_uart_update(s);
        }
        break;
    case R_INT_RAW:
        r = s->int_raw;
        break;
    case R_INT_ST:
        r = s->int_raw & s->int_ena;
        break;
    case R_INT_ENA:
        r = s->int_ena;
        break;
    case R_INT_CLR:
        r = 0;
        break;
    case R_CLKDIV:
        r = s->clkdiv;
        break;
    case R_AUTOBAUD:
        r = s->autobaud;
        break;
    case R_STATUS:
        esp8266_uart_tx_advance(s);
        r = FIELD_DP32(0, STATUS, RXFIFO_CNT, fifo8_num_used(&s->rx_fifo));
        r = FIELD_DP32(r, STATUS, TXFIFO_CNT, fifo8_num_used(&s->tx_fifo));
        r = FIELD_DP32(r, STATUS, RXD, 1);
        /* TXD (bit 31) reads 0 on real chips whatever the line does */
        break;
    case R_CONF0:
        r = s->conf0;
        break;
    case R_CONF1:
        r = s->conf1;
        break;
    case R_LOWPULSE:
        r = s->lowpulse;
        break;
    case R_HIGHPULSE:
        r = s->highpulse;
        break;
    case R_PULSE_NUM:
        r = s->pulse_num;
        break;
    case R_DATE:
        r = UART_DATE_VALUE;
        break;
    case R_ID:
        r = UART_ID_VALUE;
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: bad read offset 0x%" HWADDR_PRIx
                      "\n", __func__, addr);
        break;
    }
    trace_esp8266_uart_read(addr, r);
    return r;
}

static void esp8266_uart_write(void *opaque, hwaddr addr, uint64_t value,
                               unsigned size)
{
    Esp8266UartState *s = opaque;
    uint8_t ch;

    trace_esp8266_uart_write(addr, value);

    switch (addr >> 2) {
    case R_FIFO:
        ch = value;
        if (FIELD_EX32(s->conf0, CONF0, LOOPBACK)) {
            /* TX wired to RX: the byte moves into the RX FIFO at once. */
            esp8266_uart_push(s, &ch, 1);
        } else if (esp8266_uart_tx_push(s, &ch, 1) == 0) {
            /* Hardware drops it too: the guest should check TXFIFO_CNT. */
            trace_esp8266_uart_tx_overflow(1);
            qemu_log_mask(LOG_GUEST_ERROR, "%s: TX FIFO full, byte 0x%02x "
                          "dropped\n", __func__, ch);
        }
        break;
    case R_INT_ENA:
        s->int_ena = value & INT_MASK;
        break;
    case R_INT_CLR:
        s->int_raw &= ~(value & INT_MASK);
        if ((value & R_INT_RXFIFO_TOUT_MASK) && !fifo8_is_empty(&s->rx_fifo)) {
            /*
             * Bytes came after the ISR emptied the FIFO and their timeout
             * fired before the ISR cleared it: a chip's ISR takes a few
             * microseconds there, but a realtime virtual clock runs on
             * while the host does not schedule the vCPU.  Unanswered, the
             * bytes would wait for the next one, which a host that waits
             * for an answer never sends; so time out again.
             */
            esp8266_uart_arm_rx_timeout(s);
        }
        break;
    case R_CLKDIV:
        s->clkdiv = value & R_CLKDIV_CNT_MASK;
        break;
    case R_AUTOBAUD:
        s->autobaud = value;
        break;
    case R_CONF0:
        s->conf0 = value;
        if (FIELD_EX32(value, CONF0, RXFIFO_RST)) {
            fifo8_reset(&s->rx_fifo);
            timer_del(s->rx_timeout_timer);
        } else {
            qemu_chr_fe_accept_input(&s->chr);
        }
        if (FIELD_EX32(value, CONF0, TXFIFO_RST)) {
            esp8266_uart_tx_reset(s);
        }
        break;
    case R_CONF1:
        s->conf1 = value;
        if (s->tx_paced) {
            esp8266_uart_tx_pace_arm(s);
        }
        break;
    case R_LOWPULSE:
        s->lowpulse = value;
        break;
    case R_HIGHPULSE:
        s->highpulse = value;
        break;
    case R_PULSE_NUM:
        s->pulse_num = value;
        break;
    case R_INT_RAW:
    case R_INT_ST:
    case R_STATUS:
    case R_DATE:
    case R_ID:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: write to read-only offset 0x%"
                      HWADDR_PRIx "\n", __func__, addr);
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: bad write offset 0x%" HWADDR_PRIx
                      "\n", __func__, addr);
        break;
    }
    esp8266_uart_update(s);
}

static const MemoryRegionOps esp8266_uart_ops = {
    .read = esp8266_uart_read,
    .write = esp8266_uart_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid.min_access_size = 1,
    .valid.max_access_size = 4,
    .impl.min_access_size = 4,
    .impl.max_access_size = 4,
};

static void esp8266_uart_reset_hold(Object *obj, ResetType type)
{
    Esp8266UartState *s = ESP8266_UART(obj);

    fifo8_reset(&s->rx_fifo);
    esp8266_uart_tx_reset(s);
    timer_del(s->rx_timeout_timer);
    s->int_raw = 0;
    s->int_ena = 0;
    s->clkdiv = s->clkdiv_reset;
    s->autobaud = 0;
    s->conf0 = CONF0_RESET;
    s->conf1 = CONF1_RESET;
    s->lowpulse = 0;
    s->highpulse = 0;
    s->pulse_num = 0;
    timer_del(s->rx_pace_timer);
    s->rx_line_ns = 0;
    qemu_set_irq(s->irq, 0);
}

static void esp8266_uart_init(Object *obj)
{
    Esp8266UartState *s = ESP8266_UART(obj);

    memory_region_init_io(&s->iomem, obj, &esp8266_uart_ops, s,
                          TYPE_ESP8266_UART, ESP8266_UART_MMIO_SIZE);
    sysbus_init_mmio(SYS_BUS_DEVICE(obj), &s->iomem);
    sysbus_init_irq(SYS_BUS_DEVICE(obj), &s->irq);
    qdev_init_gpio_in_named(DEVICE(obj), esp8266_uart_set_rx_bypass,
                            "rx-bypass", 1);
}

static void esp8266_uart_realize(DeviceState *dev, Error **errp)
{
    Esp8266UartState *s = ESP8266_UART(dev);

    fifo8_create(&s->rx_fifo, ESP8266_UART_FIFO_SIZE);
    fifo8_create(&s->rx_backlog, ESP8266_UART_RX_BACKLOG_SIZE);
    fifo8_create(&s->tx_fifo, ESP8266_UART_FIFO_SIZE);
    s->tx_paced = s->tx_pace == ON_OFF_AUTO_ON ||
                  (s->tx_pace == ON_OFF_AUTO_AUTO && icount_enabled());
    if (s->tx_paced) {
        fifo8_create(&s->tx_line, ESP8266_UART_TX_LINE_SIZE);
        s->tx_pace_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL,
                                        esp8266_uart_tx_pace, s);
    }
    s->rx_timeout_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL,
                                       esp8266_uart_rx_timeout, s);
    s->rx_pace_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL,
                                    esp8266_uart_rx_pace, s);
    qemu_chr_fe_set_handlers(&s->chr, esp8266_uart_can_receive,
                             esp8266_uart_receive, NULL, NULL, s, NULL, true);
}

static void esp8266_uart_unrealize(DeviceState *dev)
{
    Esp8266UartState *s = ESP8266_UART(dev);

    esp8266_uart_tx_cancel_watch(s);
    timer_free(s->rx_timeout_timer);
    timer_free(s->rx_pace_timer);
    fifo8_destroy(&s->rx_fifo);
    fifo8_destroy(&s->rx_backlog);
    fifo8_destroy(&s->tx_fifo);
    if (s->tx_paced) {
        timer_free(s->tx_pace_timer);
        fifo8_destroy(&s->tx_line);
    }
}

/*
 * The TX FIFO travels in a subsection that is only sent while it holds
 * bytes, so the stream of an idle UART is unchanged (version 1).
 */
static bool esp8266_uart_tx_fifo_needed(void *opaque)
{
    Esp8266UartState *s = opaque;

    return !fifo8_is_empty(&s->tx_fifo);
}

static int esp8266_uart_tx_fifo_post_load(void *opaque, int version_id)
{
    Esp8266UartState *s = opaque;

    /* Paced, the line's timer (subsection tx_pace) drains the FIFO. */
    if (s->tx_paced) {
        return 0;
    }
    /* Continue draining from the main loop once it runs. */
    if (!fifo8_is_empty(&s->tx_fifo) && !s->tx_watch) {
        s->tx_watch = qemu_chr_fe_add_watch(&s->chr, G_IO_OUT | G_IO_HUP,
                                            esp8266_uart_tx_ready, s);
        if (!s->tx_watch) {
            fifo8_reset(&s->tx_fifo);
        }
    }
    return 0;
}

static const VMStateDescription vmstate_esp8266_uart_tx_fifo = {
    .name = TYPE_ESP8266_UART "/tx_fifo",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = esp8266_uart_tx_fifo_needed,
    .post_load = esp8266_uart_tx_fifo_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_FIFO8(tx_fifo, Esp8266UartState),
        VMSTATE_END_OF_LIST()
    }
};

/* The paced transmit line's clock: only while the FIFO holds bytes. */
static bool esp8266_uart_tx_pace_needed(void *opaque)
{
    Esp8266UartState *s = opaque;

    return s->tx_paced && !fifo8_is_empty(&s->tx_fifo);
}

static const VMStateDescription vmstate_esp8266_uart_tx_pace = {
    .name = TYPE_ESP8266_UART "/tx_pace",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = esp8266_uart_tx_pace_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_INT64(tx_line_ns, Esp8266UartState),
        VMSTATE_TIMER_PTR(tx_pace_timer, Esp8266UartState),
        VMSTATE_END_OF_LIST()
    }
};

/* The receive line's clock: only while a paced byte is waiting. */
static bool esp8266_uart_rx_pace_needed(void *opaque)
{
    Esp8266UartState *s = opaque;

    return timer_pending(s->rx_pace_timer);
}

static const VMStateDescription vmstate_esp8266_uart_rx_pace = {
    .name = TYPE_ESP8266_UART "/rx_pace",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = esp8266_uart_rx_pace_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_INT64(rx_line_ns, Esp8266UartState),
        VMSTATE_TIMER_PTR(rx_pace_timer, Esp8266UartState),
        VMSTATE_END_OF_LIST()
    }
};

static int esp8266_uart_pre_load(void *opaque)
{
    /* No subsection in the stream means an empty TX FIFO (loadvm). */
    esp8266_uart_tx_reset(opaque);
    return 0;
}

static const VMStateDescription vmstate_esp8266_uart = {
    .name = TYPE_ESP8266_UART,
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_load = esp8266_uart_pre_load,
    .fields = (const VMStateField[]) {
        VMSTATE_FIFO8(rx_fifo, Esp8266UartState),
        VMSTATE_TIMER_PTR(rx_timeout_timer, Esp8266UartState),
        VMSTATE_UINT32(int_raw, Esp8266UartState),
        VMSTATE_UINT32(int_ena, Esp8266UartState),
        VMSTATE_UINT32(clkdiv, Esp8266UartState),
        VMSTATE_UINT32(autobaud, Esp8266UartState),
        VMSTATE_UINT32(conf0, Esp8266UartState),
        VMSTATE_UINT32(conf1, Esp8266UartState),
        VMSTATE_UINT32(lowpulse, Esp8266UartState),
        VMSTATE_UINT32(highpulse, Esp8266UartState),
        VMSTATE_UINT32(pulse_num, Esp8266UartState),
        VMSTATE_BOOL(rx_bypass, Esp8266UartState),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription * const []) {
        &vmstate_esp8266_uart_tx_fifo,
        &vmstate_esp8266_uart_rx_pace,
        &vmstate_esp8266_uart_tx_pace,
        NULL
    }
};

static const Property esp8266_uart_properties[] = {
    DEFINE_PROP_CHR("chardev", Esp8266UartState, chr),
    DEFINE_PROP_LINK("rx-sink", Esp8266UartState, rx_sink, TYPE_STREAM_SINK,
                     Object *),
    DEFINE_PROP_UINT32("clkdiv-reset", Esp8266UartState, clkdiv_reset,
                       CLKDIV_RESET),
    /* Receive line rate in baud; 0: the rate CLKDIV configures. */
    DEFINE_PROP_UINT32("rx-baud", Esp8266UartState, rx_baud, 0),
    /* TX paced at the line rate: on, off, auto (with -icount). */
    DEFINE_PROP_ON_OFF_AUTO("tx-pace", Esp8266UartState, tx_pace,
                            ON_OFF_AUTO_AUTO),
    /* Paced TX line rate in baud; 0: the rate CLKDIV configures. */
    DEFINE_PROP_UINT32("tx-baud", Esp8266UartState, tx_baud, 0),
};

static void esp8266_uart_class_init(ObjectClass *klass,
                                    ESP8266_CLASS_DATA *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);
    StreamSinkClass *ssc = STREAM_SINK_CLASS(klass);

    dc->realize = esp8266_uart_realize;
    dc->unrealize = esp8266_uart_unrealize;
    dc->vmsd = &vmstate_esp8266_uart;
    rc->phases.hold = esp8266_uart_reset_hold;
    device_class_set_props(dc, esp8266_uart_properties);
    set_bit(DEVICE_CATEGORY_INPUT, dc->categories);
    ssc->push = esp8266_uart_stream_push;
}

static const TypeInfo esp8266_uart_info = {
    .name = TYPE_ESP8266_UART,
    .parent = TYPE_SYS_BUS_DEVICE,
    .instance_size = sizeof(Esp8266UartState),
    .instance_init = esp8266_uart_init,
    .class_init = esp8266_uart_class_init,
    .interfaces = (InterfaceInfo[]) {
        { TYPE_STREAM_SINK },
        { }
    },
};

static void esp8266_uart_register_types(void)
{
    type_register_static(&esp8266_uart_info);
}

type_init(esp8266_uart_register_types)
