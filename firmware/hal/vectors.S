/* SPDX-License-Identifier: MIT */
/*
 * Reset entry and exception vectors of the ESP8266_QEMU open HAL.
 *
 * Replaces the mask ROM's reset path and the SDK's vector table (libmain): the boot loader
 * (the emulator, or a real ROM) jumps to hal_reset_entry; we point VECBASE at our table in
 * IRAM, run with PS.UM=1 (CALL0 ABI, no register windows) so that level-1 interrupts and
 * exceptions both arrive at the user vector, save the full register frame (hal_frame_t in
 * hal.h) on the current stack and call C: hal_level1_dispatch() for interrupts,
 * hal_fatal_exception() for everything else (except the bus error of hal_probe_read32).
 */

#define PS_UM           0x20
#define PS_INTLEVEL_1   0x01
#define PS_INTLEVEL_15  0x0f

#define FRAME_SIZE      80
#define F_A(n)          ((n) * 4)
#define F_EPC1          64
#define F_PS            68
#define F_SAR           72
#define F_EXCCAUSE      76

/* Save the interrupted context into the frame at a1 (hal_frame_t): a0 (in EXCSAVE1 since the
   vector), a2..a15, EPC1, PS, SAR and EXCCAUSE; a1 is the caller's to store. Clobbers a2,
   which holds EXCCAUSE afterwards. */
    .macro save_frame
    s32i a2, a1, F_A(2)
    s32i a3, a1, F_A(3)
    s32i a4, a1, F_A(4)
    s32i a5, a1, F_A(5)
    s32i a6, a1, F_A(6)
    s32i a7, a1, F_A(7)
    s32i a8, a1, F_A(8)
    s32i a9, a1, F_A(9)
    s32i a10, a1, F_A(10)
    s32i a11, a1, F_A(11)
    s32i a12, a1, F_A(12)
    s32i a13, a1, F_A(13)
    s32i a14, a1, F_A(14)
    s32i a15, a1, F_A(15)
    rsr a2, excsave1
    s32i a2, a1, F_A(0)
    rsr a2, epc1
    s32i a2, a1, F_EPC1
    rsr a2, ps
    s32i a2, a1, F_PS
    rsr a2, sar
    s32i a2, a1, F_SAR
    rsr a2, exccause
    s32i a2, a1, F_EXCCAUSE
    .endm

/* ---- Vector table: VECBASE, first thing in IRAM (see the board's linker script) ---- */

    .section .hal.vectors, "ax"
    .align 4
    .global hal_vecbase
hal_vecbase:
    /* Offsets are fixed by the lx106 configuration (XCHAL_*_VECTOR_VADDR - 0x40000000). */
    .org 0x10                   /* level-2 interrupt / debug exception: not used */
    rfi 2
    .org 0x20                   /* NMI (level 3): not used */
    rfi 3
    .org 0x30                   /* kernel exception (PS.UM=0): never expected, fatal */
    wsr a0, excsave1
    j hal_kernel_exc_entry
    .org 0x50                   /* user exception and level-1 interrupts */
    wsr a0, excsave1
    j hal_user_exc_entry
    .org 0x70                   /* double exception: fatal */
    wsr a0, excsave1
    j hal_kernel_exc_entry
    .org 0x80

/* ---- Exception entry ---- */

    .section .iram0.text.hal_exc, "ax"
    .literal_position
    .align 4
hal_user_exc_entry:
    addi a1, a1, -FRAME_SIZE
    save_frame
    addi a3, a1, FRAME_SIZE     /* the interrupted a1 */
    s32i a3, a1, F_A(1)
    movi a3, 4                  /* EXCCAUSE_LEVEL1_INTERRUPT */
    bne a2, a3, .Lfatal

    /* Level-1 interrupt: run C handlers with EXCM clear and level-1 interrupts masked. */
    movi a2, PS_UM | PS_INTLEVEL_1
    wsr a2, ps
    rsync
    mov a2, a1
    call0 hal_level1_dispatch

    /* Restore: the saved PS has EXCM set, which masks interrupts until rfe. */
.Lrestore:
    l32i a2, a1, F_PS
    wsr a2, ps
    rsync
    l32i a2, a1, F_EPC1
    wsr a2, epc1
    l32i a2, a1, F_SAR
    wsr a2, sar
    l32i a0, a1, F_A(0)
    l32i a2, a1, F_A(2)
    l32i a3, a1, F_A(3)
    l32i a4, a1, F_A(4)
    l32i a5, a1, F_A(5)
    l32i a6, a1, F_A(6)
    l32i a7, a1, F_A(7)
    l32i a8, a1, F_A(8)
    l32i a9, a1, F_A(9)
    l32i a10, a1, F_A(10)
    l32i a11, a1, F_A(11)
    l32i a12, a1, F_A(12)
    l32i a13, a1, F_A(13)
    l32i a14, a1, F_A(14)
    l32i a15, a1, F_A(15)
    l32i a1, a1, F_A(1)
    rfe

.Lfatal:
    /* A bus error (nothing mapped) at hal_probe_load is the probe's answer, not a crash:
       return the fallback (a3) from hal_probe_read32 and resume after the load. */
    movi a3, 15                 /* EXCCAUSE_LOAD_STORE_PIF_ADDR_ERROR */
    bne a2, a3, 2f
    l32i a3, a1, F_EPC1
    movi a4, hal_probe_load
    bne a3, a4, 2f
    addi a3, a3, 3
    s32i a3, a1, F_EPC1
    l32i a3, a1, F_A(3)
    s32i a3, a1, F_A(2)
    j .Lrestore
2:  mov a2, a1
    call0 hal_fatal_exception   /* does not return */
1:  j 1b

/* uint32_t hal_probe_read32(uint32_t addr, uint32_t fallback): the word at addr, or fallback
   if nothing answers there (e.g. the emulator's NIC window when QEMU has no NIC). */
    .align 4
    .global hal_probe_read32
hal_probe_read32:
hal_probe_load:
    _l32i a2, a2, 0             /* 3-byte form: the handler resumes at hal_probe_load + 3 */
    ret

    .align 4
hal_kernel_exc_entry:
    /* Kernel or double exception: the stack may be what failed, so use our own. */
    movi a0, hal_exc_stack_top - FRAME_SIZE
    s32i a1, a0, F_A(1)
    mov a1, a0
    save_frame
    mov a2, a1
    call0 hal_fatal_exception
1:  j 1b

/* ---- Reset entry ---- */

    .section .iram0.text.hal_reset, "ax"
    .literal_position
    .align 4
    .global hal_reset_entry
hal_reset_entry:
    movi a0, 0
    movi a1, _stack_top
    movi a2, hal_vecbase
    wsr a2, vecbase
    movi a2, 0
    wsr a2, intenable
    movi a2, PS_UM | PS_INTLEVEL_15
    wsr a2, ps
    rsync
    call0 hal_start             /* does not return */
1:  j 1b

/* ---- Stack for reporting kernel and double exceptions ---- */

    .section .bss.hal_exc_stack, "aw"
    .align 16
hal_exc_stack:
    .space 1024
hal_exc_stack_top:

/* ---- Software watchdog counter that the port's ets_alt_task.c feeds ----
 * ets_loop_iter() addresses it as (&pend_flag_noise_check - 6), as in the SDK. */

    .section .bss.hal_soft_wdt, "aw"
    .align 4
    .global hal_soft_wdt_count
hal_soft_wdt_count:
    .space 24
    .global pend_flag_noise_check
pend_flag_noise_check:
    .space 4

/* ---- WiFi buffer bookkeeping that esp.esf_free_bufs() inspects ----
 * The port reads the word before esf_rx_buf_alloc as a pointer to the SDK's buffer
 * control block; without WiFi it points at empty lists (every count is 0). */

    .section .rodata.hal_esf, "a"
    .align 4
    .word hal_esf_ctlblk
    .global esf_rx_buf_alloc
esf_rx_buf_alloc:
    .word 0

    .section .bss.hal_esf, "aw"
    .align 4
hal_esf_ctlblk:
    .space 32
