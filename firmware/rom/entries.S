/*
 * Vectors and entry points of our open ESP8266 ROM, at the addresses of the mask ROM.
 *
 * Code written for the mask ROM (esptool's flasher stubs) calls fixed addresses such as
 * SPIWrite at 0x40004a4c.  Each such address here holds one jump to our C body (rom.c,
 * md5.c, libc.c).  The exception vectors are those of the lx106 at VECBASE 0x40000000;
 * level-1 interrupts (EXCCAUSE 4) are dispatched to the handlers of ets_isr_attach().
 *
 * The addresses are facts of the chip (its ROM symbol table); the code is ours.
 *
 * SPDX-License-Identifier: MIT
 */

#define ENTRY(name, offset) \
    .org offset; \
    .global name##_entry; \
name##_entry: \
    j       name

/* ---- 0x40000000: vectors and low entry points --------------------------- */
    .section .rom.low, "ax"
    .org 0x10
debug_vector:
    j       debug_vector
    .org 0x20
nmi_vector:
    rfi     3
    .org 0x30
kernel_vector:                  /* PS.UM clear: same frame and dispatch */
    wsr     a0, excsave1
    j       exception_entry
    .org 0x50
user_vector:
    wsr     a0, excsave1
    j       exception_entry
    .org 0x70
double_vector:
    j       double_vector

    ENTRY(ets_isr_attach,     0x0f88)
    ENTRY(ets_isr_mask,       0x0f98)
    ENTRY(ets_isr_unmask,     0x0fa8)
    ENTRY(ets_set_user_start, 0x0fbc)
    .org 0x1000
    .word   0xfff0c101          /* the word esptool reads to tell an ESP8266 */
    /* A stub's entry code sets a0 here, so returning from its main lands here. */
    ENTRY(rom_stub_returned,  0x10a8)
    ENTRY(software_reset,     0x264c)
    ENTRY(ets_delay_us,       0x2ecc)
    ENTRY(ets_update_cpu_frequency, 0x2f04)
    ENTRY(ets_get_cpu_frequency,    0x2f0c)
    ENTRY(uart_div_modify,    0x39d8)
    ENTRY(uart_tx_one_char,   0x3b30)
    ENTRY(uart_rx_one_char,   0x3b8c)
    ENTRY(SelectSpiFunction,  0x3f58)
    ENTRY(spi_flash_attach,   0x4644)
    ENTRY(SPIUnlock,          0x4878)
    ENTRY(SPIEraseChip,       0x4984)
    ENTRY(SPIEraseBlock,      0x49b4)
    ENTRY(SPIEraseSector,     0x4a00)
    ENTRY(SPIWrite,           0x4a4c)
    ENTRY(SPIRead,            0x4b1c)
    ENTRY(SPIEraseArea,       0x4b44)
    ENTRY(SPIParamCfg,        0x4c2c)

/* ---- 0x40009800: high entry points ---------------------------------------- */
    .section .rom.high, "ax"
    ENTRY(MD5Init,            0x0018)   /* 0x40009818 */
    ENTRY(MD5Update,          0x0034)   /* 0x40009834 */
    ENTRY(MD5Final,           0x0100)   /* 0x40009900 */
    ENTRY(memcpy,             0x4748)   /* 0x4000df48 */
    ENTRY(memmove,            0x484c)   /* 0x4000e04c */
    ENTRY(memset,             0x4990)   /* 0x4000e190 */
    ENTRY(__udivsi3,          0x4a1c)   /* 0x4000e21c */
    ENTRY(__umodsi3,          0x4a68)   /* 0x4000e268 */

/* ---- exception frame: all of a0..a15, SAR, EPC1 on the interrupted stack ---- */
    .text
    .literal_position
    .balign 4
exception_entry:
    addi    a1, a1, -80
    s32i    a2, a1, 8
    rsr     a2, excsave1
    s32i    a2, a1, 0
    addi    a2, a1, 80
    s32i    a2, a1, 4
    s32i    a3, a1, 12
    s32i    a4, a1, 16
    s32i    a5, a1, 20
    s32i    a6, a1, 24
    s32i    a7, a1, 28
    s32i    a8, a1, 32
    s32i    a9, a1, 36
    s32i    a10, a1, 40
    s32i    a11, a1, 44
    s32i    a12, a1, 48
    s32i    a13, a1, 52
    s32i    a14, a1, 56
    s32i    a15, a1, 60
    rsr     a2, sar
    s32i    a2, a1, 64
    rsr     a2, epc1
    s32i    a2, a1, 68
    mov     a2, a1
    call0   rom_exception
    l32i    a2, a1, 68
    wsr     a2, epc1
    l32i    a2, a1, 64
    wsr     a2, sar
    l32i    a0, a1, 0
    l32i    a3, a1, 12
    l32i    a4, a1, 16
    l32i    a5, a1, 20
    l32i    a6, a1, 24
    l32i    a7, a1, 28
    l32i    a8, a1, 32
    l32i    a9, a1, 36
    l32i    a10, a1, 40
    l32i    a11, a1, 44
    l32i    a12, a1, 48
    l32i    a13, a1, 52
    l32i    a14, a1, 56
    l32i    a15, a1, 60
    l32i    a2, a1, 8
    addi    a1, a1, 80
    rfe
