// SPDX-License-Identifier: MIT
/*
 * Level-1 interrupt dispatch and the ROM's interrupt services of the ESP8266_QEMU open HAL.
 *
 * Replaces ets_isr_attach/ets_isr_mask/ets_isr_unmask/ets_intr_lock/ets_intr_unlock of the
 * mask ROM. vectors.S saves the interrupted context and calls hal_level1_dispatch(), which
 * calls the handler attached to each pending and enabled CPU interrupt (UART 5, GPIO 4,
 * CCOMPARE0 6, FRC1 9, ...). Edge and software interrupts are acknowledged before their
 * handler runs; level interrupts are acknowledged by the handler at the peripheral.
 */

#include "hal.h"

#define HAL_NUM_INTS 15
#define HAL_EDGE_INTS_MASK ((0x3f << 8) | (1 << 7))  // 8..13 edge, 7 software

typedef struct {
    int_handler_t handler;
    void *arg;
} hal_isr_t;

static hal_isr_t isr_table[HAL_NUM_INTS];
static volatile uint32_t hal_isr_depth;

void hal_interrupts_init(void) {
    __asm__ volatile ("wsr %0, intenable" : : "a" (0));
    __asm__ volatile ("wsr %0, intclear" : : "a" (0xffffffff));
}

void ets_isr_attach(int intr, int_handler_t handler, void *arg) {
    if (intr >= 0 && intr < HAL_NUM_INTS) {
        isr_table[intr].handler = handler;
        isr_table[intr].arg = arg;
    }
}

void ets_isr_unmask(uint32_t mask) {
    uint32_t ps, en;
    __asm__ volatile ("rsil %0, 15" : "=a" (ps));
    __asm__ volatile ("rsr %0, intenable" : "=a" (en));
    en |= mask;
    __asm__ volatile ("wsr %0, intenable; rsync" : : "a" (en));
    __asm__ volatile ("wsr %0, ps; rsync" : : "a" (ps));
}

void ets_isr_mask(uint32_t mask) {
    uint32_t ps, en;
    __asm__ volatile ("rsil %0, 15" : "=a" (ps));
    __asm__ volatile ("rsr %0, intenable" : "=a" (en));
    en &= ~mask;
    __asm__ volatile ("wsr %0, intenable; rsync" : : "a" (en));
    __asm__ volatile ("wsr %0, ps; rsync" : : "a" (ps));
}

// Like the ROM: lock raises the interrupt level, unlock drops it again (no nesting count).
// In a handler, unlock returns to level 1 so that the running interrupt cannot re-enter.
void ets_intr_lock(void) {
    __asm__ volatile ("rsil a2, 3" : : : "a2", "memory");
}

void ets_intr_unlock(void) {
    if (hal_isr_depth) {
        __asm__ volatile ("rsil a2, 1" : : : "a2", "memory");
    } else {
        __asm__ volatile ("rsil a2, 0" : : : "a2", "memory");
    }
}

void hal_level1_dispatch(hal_frame_t *frame) {
    (void)frame;
    uint32_t pending, enabled;
    __asm__ volatile ("rsr %0, interrupt" : "=a" (pending));
    __asm__ volatile ("rsr %0, intenable" : "=a" (enabled));
    pending &= enabled;
    ++hal_isr_depth;
    for (int i = 0; pending != 0 && i < HAL_NUM_INTS; ++i) {
        uint32_t bit = 1u << i;
        if (!(pending & bit)) {
            continue;
        }
        pending &= ~bit;
        if (bit & HAL_EDGE_INTS_MASK) {
            __asm__ volatile ("wsr %0, intclear" : : "a" (bit));
        }
        if (isr_table[i].handler != NULL) {
            isr_table[i].handler(isr_table[i].arg);
        } else {
            // Nobody wants it: keep it from firing forever.
            uint32_t en;
            __asm__ volatile ("rsr %0, intenable" : "=a" (en));
            en &= ~bit;
            __asm__ volatile ("wsr %0, intenable; rsync" : : "a" (en));
        }
    }
    --hal_isr_depth;
}
