/*
 * Reset entry and exception vectors of the bare-metal test programs.
 * lx106 vector offsets from VECBASE: kernel 0x30, user 0x50, double 0x70,
 * NMI 0x20, debug 0x10.  Level-1 interrupts arrive as user exceptions
 * (EXCCAUSE 4) because PS.UM is set.
 */
    .section .vectors.text, "ax"
    .balign 256
    .global _vectors
_vectors:
    .org 0x10
debug_vector:
    j       debug_vector
    .org 0x20
nmi_vector:
    rfi     3
    .org 0x30
kernel_vector:
    j       kernel_vector
    .org 0x50
user_vector:
    wsr     a0, excsave1
    j       user_entry
    .org 0x70
double_vector:
    j       double_vector

    .text
    .literal_position
    .balign 4
user_entry:
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
    call0   exc_dispatch
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

    .global _start
    .balign 4
_start:
    movi    a1, _stack_top
    movi    a2, _vectors
    wsr     a2, vecbase
    movi    a2, 0x2f            /* PS: UM, INTLEVEL 15 */
    wsr     a2, ps
    rsync
    call0   c_start
1:  j       1b
