// SPDX-License-Identifier: MIT
/*
 * Console output services of the ESP8266_QEMU open HAL.
 *
 * Replaces the ROM's ets_printf/ets_putc/ets_install_putc1/uart_div_modify. ets_printf
 * formats with a small formatter of our own (%d %i %u %x %X %p %s %c %%, width and '0'
 * flag, 'l' ignored) and writes through the character function installed with
 * ets_install_putc1 (the port's uart.c installs one that honours UART_OS); before that, and
 * for fatal reports, characters go straight to UART0's TX FIFO. Also holds UartDev, the
 * ROM's UART settings block.
 */

#include "hal.h"
#include "osapi.h"
#include "uart_register.h"
#include "uart.h"

// The ROM's UART0 settings block that the port's uart.c reads and updates (8N1).
UartDevice UartDev = {
    .baut_rate = UART_BIT_RATE_115200,
    .data_bits = UART_EIGHT_BITS,
    .exist_parity = UART_STICK_PARITY_DIS,
    .parity = UART_NONE_BITS,
    .stop_bits = UART_ONE_STOP_BIT,
    .flow_ctrl = UART_NONE_CTRL,
};

static void (*putc1_fn)(char c);

void hal_uart0_putc_raw(char c) {
    // Wait for room in the 128-byte TX FIFO.
    while (((READ_PERI_REG(UART_STATUS(0)) >> UART_TXFIFO_CNT_S) & UART_TXFIFO_CNT) >= 126) {
    }
    WRITE_PERI_REG(UART_FIFO(0), c);
}

void hal_uart0_puts_raw(const char *s) {
    while (*s) {
        hal_uart0_putc_raw(*s++);
    }
}

void ets_install_putc1(void (*p)(char c)) {
    putc1_fn = p;
}

void ets_putc(char c) {
    if (putc1_fn != NULL) {
        putc1_fn(c);
    } else {
        if (c == '\n') {
            hal_uart0_putc_raw('\r');
        }
        hal_uart0_putc_raw(c);
    }
}

void uart_div_modify(uint8_t uart_no, uint32_t div) {
    WRITE_PERI_REG(UART_CLKDIV(uart_no), div & UART_CLKDIV_CNT);
}

static int emit_padded(const char *s, int len, int width, char pad) {
    int n = 0;
    for (; width > len; --width, ++n) {
        ets_putc(pad);
    }
    for (int i = 0; i < len; ++i, ++n) {
        ets_putc(s[i]);
    }
    return n;
}

int ets_vprintf(const char *fmt, va_list ap) {
    int n = 0;
    char buf[12];
    for (; *fmt; ++fmt) {
        if (*fmt != '%') {
            ets_putc(*fmt);
            ++n;
            continue;
        }
        ++fmt;
        char pad = ' ';
        int width = 0;
        if (*fmt == '0') {
            pad = '0';
            ++fmt;
        }
        while (*fmt >= '0' && *fmt <= '9') {
            width = width * 10 + (*fmt++ - '0');
        }
        // length modifiers: every argument here is 32 bits (short ones are promoted)
        while (*fmt == 'l' || *fmt == 'h' || *fmt == 'z') {
            ++fmt;
        }
        switch (*fmt) {
            case 'd':
            case 'i':
            case 'u': {
                uint32_t v = va_arg(ap, uint32_t);
                bool neg = (*fmt != 'u') && (int32_t)v < 0;
                if (neg) {
                    v = -v;
                }
                int i = sizeof(buf);
                do {
                    buf[--i] = '0' + v % 10;
                    v /= 10;
                } while (v != 0);
                if (neg) {
                    buf[--i] = '-';
                }
                n += emit_padded(&buf[i], sizeof(buf) - i, width, pad);
                break;
            }
            case 'p':
            case 'x':
            case 'X': {
                const char *digits = *fmt == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
                uint32_t v = *fmt == 'p' ? (uint32_t)va_arg(ap, void *) : va_arg(ap, uint32_t);
                int i = sizeof(buf);
                do {
                    buf[--i] = digits[v & 0xf];
                    v >>= 4;
                } while (v != 0);
                n += emit_padded(&buf[i], sizeof(buf) - i, width, pad);
                break;
            }
            case 's': {
                const char *s = va_arg(ap, const char *);
                if (s == NULL) {
                    s = "(null)";
                }
                int len = 0;
                while (s[len]) {
                    ++len;
                }
                n += emit_padded(s, len, width, ' ');
                break;
            }
            case 'c':
                buf[0] = (char)va_arg(ap, int);
                n += emit_padded(buf, 1, width, ' ');
                break;
            case '%':
                ets_putc('%');
                ++n;
                break;
            case '\0':
                return n;
            default:
                ets_putc('%');
                ets_putc(*fmt);
                n += 2;
                break;
        }
    }
    return n;
}

int ets_printf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = ets_vprintf(fmt, ap);
    va_end(ap);
    return n;
}
