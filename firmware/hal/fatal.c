// SPDX-License-Identifier: MIT
/*
 * Fatal exception report of the ESP8266_QEMU open HAL.
 *
 * Replaces the SDK's exception handler (libmain): prints the register dump in a stable
 * format that the harness decodes (the first two lines are the SDK's own, so dumps from
 * real boards decode the same way), then resets the chip with reason "exception":
 *
 *   Fatal exception 28(LoadProhibitedCause):
 *   epc1=0x4020a1b2, epc2=0x00000000, epc3=0x00000000, excvaddr=0x00000004, depc=0x00000000
 *   regs: a0=0x... a1=0x... ... a15=0x... sar=0x... ps=0x...
 *
 * Runs with interrupts masked and writes straight to UART0's FIFO.
 */

#include "hal.h"

static const char *exccause_name(uint32_t cause) {
    switch (cause) {
        case 0:
            return "IllegalInstructionCause";
        case 1:
            return "SyscallCause";
        case 2:
            return "InstructionFetchErrorCause";
        case 3:
            return "LoadStoreErrorCause";
        case 4:
            return "Level1InterruptCause";
        case 5:
            return "AllocaCause";
        case 6:
            return "IntegerDivideByZeroCause";
        case 8:
            return "PrivilegedCause";
        case 9:
            return "LoadStoreAlignmentCause";
        case 12:
            return "InstrPIFDataErrorCause";
        case 13:
            return "LoadStorePIFDataErrorCause";
        case 14:
            return "InstrPIFAddrErrorCause";
        case 15:
            return "LoadStorePIFAddrErrorCause";
        case 20:
            return "InstFetchProhibitedCause";
        case 26:
            return "LoadStorePrivilegeCause";
        case 28:
            return "LoadProhibitedCause";
        case 29:
            return "StoreProhibitedCause";
        default:
            return "UnknownCause";
    }
}

static void put_dec(uint32_t v) {
    char buf[11];
    int i = sizeof(buf);
    buf[--i] = '\0';
    do {
        buf[--i] = '0' + v % 10;
        v /= 10;
    } while (v != 0 && i > 0);
    hal_uart0_puts_raw(&buf[i]);
}

static void put_hex(const char *name, uint32_t v) {
    static const char digits[] = "0123456789abcdef";
    char buf[11];
    buf[0] = '0';
    buf[1] = 'x';
    for (int i = 0; i < 8; ++i) {
        buf[2 + i] = digits[(v >> (28 - 4 * i)) & 0xf];
    }
    buf[10] = '\0';
    hal_uart0_puts_raw(name);
    hal_uart0_puts_raw(buf);
}

void hal_fatal_exception(hal_frame_t *frame) {
    uint32_t epc2, epc3, excvaddr, depc;
    __asm__ volatile ("rsr %0, epc2" : "=a" (epc2));
    __asm__ volatile ("rsr %0, epc3" : "=a" (epc3));
    __asm__ volatile ("rsr %0, excvaddr" : "=a" (excvaddr));
    __asm__ volatile ("rsr %0, depc" : "=a" (depc));

    hal_uart0_puts_raw("\r\nFatal exception ");
    put_dec(frame->exccause);
    hal_uart0_puts_raw("(");
    hal_uart0_puts_raw(exccause_name(frame->exccause));
    hal_uart0_puts_raw("):\r\n");
    put_hex("epc1=", frame->epc1);
    put_hex(", epc2=", epc2);
    put_hex(", epc3=", epc3);
    put_hex(", excvaddr=", excvaddr);
    put_hex(", depc=", depc);
    hal_uart0_puts_raw("\r\nregs:");
    static const char *const names[16] = {
        " a0=", " a1=", " a2=", " a3=", " a4=", " a5=", " a6=", " a7=",
        " a8=", " a9=", " a10=", " a11=", " a12=", " a13=", " a14=", " a15=",
    };
    for (int i = 0; i < 16; ++i) {
        put_hex(names[i], frame->a[i]);
    }
    put_hex(" sar=", frame->sar);
    put_hex(" ps=", frame->ps);
    hal_uart0_puts_raw("\r\n\r\n");

    struct rst_info info = {
        .reason = REASON_EXCEPTION_RST,
        .exccause = frame->exccause,
        .epc1 = frame->epc1,
        .epc2 = epc2,
        .epc3 = epc3,
        .excvaddr = excvaddr,
        .depc = depc,
    };

    hal_reset_with_info(&info);
}
