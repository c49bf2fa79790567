/*
 * ESP8266 boot: what the mask ROM does at reset, done by the machine
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_XTENSA_ESP8266_BOOT_H
#define HW_XTENSA_ESP8266_BOOT_H

#include "cpu.h"

/* Initial stack pointer the boot code hands to the firmware */
#define ESP8266_BOOT_STACK_TOP      0x3ffffff0

typedef struct Esp8266SocState Esp8266SocState;

/*
 * Start @env at @entry the way the ROM hands over to a program: stack at
 * the top of DRAM, user vector mode, interrupts masked.
 */
static inline void esp8266_boot_set_entry(CPUXtensaState *env,
                                          uint32_t entry)
{
    env->pc = entry;
    env->regs[1] = ESP8266_BOOT_STACK_TOP;
    env->sregs[PS] = PS_UM | 0xf;
}

/* Load the -kernel ELF once (its segments are restored at each reset). */
void esp8266_boot_load_kernel(Esp8266SocState *s, const char *filename,
                              Error **errp);
/*
 * Reset the CPU and boot (flash image, -kernel ELF or download mode);
 * the SoC calls it in the exit phase of its reset.
 */
void esp8266_boot_reset(Esp8266SocState *s);

#endif
