// SPDX-License-Identifier: MIT
/*
 * Time base and software timers of the ESP8266_QEMU open HAL.
 *
 * Replaces the ROM/SDK timer services: system_get_time() (microseconds), ets_delay_us(),
 * ets_timer_* (os_timer_*) and the CPU frequency bookkeeping.
 *
 * Choices (see docs/firmware.md):
 * - Time base: FRC2, free running at 80 MHz / 16 = 5 MHz, independent of the CPU clock.
 *   system_get_time() accumulates elapsed ticks into a 32-bit microsecond counter, so it
 *   wraps like the SDK's (every ~71.6 min); it must run at least every ~14 min (2^32 ticks),
 *   which the timer heartbeat below guarantees.
 * - Timer interrupt: CCOMPARE0 (CPU interrupt 6), internal to the CPU. The ISR runs every
 *   expired timer (by system_get_time(), so an early interrupt is harmless) and programs
 *   CCOMPARE0 for the next deadline, at most HEARTBEAT_US ahead.
 * - CCOUNT's rate is measured against FRC2 at start-up and after each CPU frequency change
 *   (hal_ccount_per_us), so delays and CCOMPARE0 deadlines stay right whether or not the
 *   clock doubling at 160 MHz reaches CCOUNT (on hardware it does; an emulator may keep
 *   CCOUNT at 80 MHz).
 * - Timer callbacks run in interrupt context (level 1), as MicroPython's callbacks only
 *   schedule work (mp_sched_schedule).
 */

#include "hal.h"

#define HEARTBEAT_US (10 * 1000 * 1000)
#define MIN_CCOMPARE_CYCLES 400
#define MAX_CCOMPARE_CYCLES 0x40000000

uint32_t hal_cpu_mhz = 80;
uint32_t hal_ccount_per_us = 80;

static uint32_t time_last_ticks;
static uint32_t time_rem_ticks;
static uint32_t time_us;
static ETSTimer *timer_list;

uint32_t system_get_time(void) {
    uint32_t ps;
    __asm__ volatile ("rsil %0, 15" : "=a" (ps));
    uint32_t now = *(volatile uint32_t *)HAL_FRC2_COUNT;
    uint32_t d = now - time_last_ticks + time_rem_ticks;
    time_last_ticks = now;
    uint32_t us = d / HAL_FRC2_TICKS_PER_US;
    time_rem_ticks = d - us * HAL_FRC2_TICKS_PER_US;
    time_us += us;
    uint32_t t = time_us;
    __asm__ volatile ("wsr %0, ps; rsync" : : "a" (ps));
    return t;
}

void ets_delay_us(uint32_t us) {
    uint32_t start = hal_ccount();
    uint32_t cycles = us * hal_ccount_per_us;
    while (hal_ccount() - start < cycles) {
    }
}

uint32_t ets_get_cpu_frequency(void) {
    return hal_cpu_mhz;
}

// Measure CCOUNT cycles per microsecond over 1 ms of FRC2 (5000 ticks).
static void ccount_calibrate(void) {
    uint32_t ps;
    __asm__ volatile ("rsil %0, 15" : "=a" (ps));
    volatile uint32_t *frc2 = (volatile uint32_t *)HAL_FRC2_COUNT;
    uint32_t guard = hal_ccount();
    uint32_t f0 = *frc2;
    uint32_t c0 = hal_ccount();
    uint32_t f1, c1;
    do {
        f1 = *frc2;
        c1 = hal_ccount();
        if (c1 - guard > 200000000) {
            // FRC2 does not count: keep the nominal rate.
            __asm__ volatile ("wsr %0, ps; rsync" : : "a" (ps));
            hal_ccount_per_us = hal_cpu_mhz;
            return;
        }
    } while (f1 - f0 < 1000 * HAL_FRC2_TICKS_PER_US);
    __asm__ volatile ("wsr %0, ps; rsync" : : "a" (ps));
    uint32_t ticks = f1 - f0;
    uint32_t per_us = ((c1 - c0) * HAL_FRC2_TICKS_PER_US + ticks / 2) / ticks;
    hal_ccount_per_us = per_us ? per_us : hal_cpu_mhz;
}

void ets_update_cpu_frequency(uint32_t mhz) {
    hal_cpu_mhz = mhz;
    ccount_calibrate();
}

// Program CCOMPARE0 for the earliest timer (or the heartbeat). Interrupts must be masked.
static void timer_program(uint32_t now) {
    uint32_t delta = HEARTBEAT_US;
    if (timer_list != NULL) {
        int32_t d = (int32_t)(timer_list->timer_expire - now);
        if (d < 0) {
            d = 0;
        }
        if ((uint32_t)d < delta) {
            delta = d;
        }
    }
    uint32_t cycles = delta * hal_ccount_per_us;
    if (cycles < MIN_CCOMPARE_CYCLES) {
        cycles = MIN_CCOMPARE_CYCLES;
    } else if (cycles > MAX_CCOMPARE_CYCLES) {
        // Keep the target within half the CCOUNT range (the ISR compares signed).
        cycles = MAX_CCOMPARE_CYCLES;
    }
    uint32_t target = hal_ccount() + cycles;
    __asm__ volatile ("wsr %0, ccompare0; rsync" : : "a" (target));
}

// Program CCOMPARE0 so that its interrupt surely comes. A target that CCOUNT has already
// passed when it is written fires only after CCOUNT wraps (2^32 cycles, ~54 s at 80 MHz):
// every timer (and a CPU in "waiti" waiting for one) would stall that long. With interrupts
// masked the MIN_CCOMPARE_CYCLES margin always holds on hardware, but in an emulator the host
// can deschedule the CPU between reading CCOUNT and writing CCOMPARE0 (seen once in ~50000
// arms with the host loaded). So check after writing and program again if it is behind (an
// interrupt that was lost that way would have been due anyway: the ISR goes by the time).
// Interrupts must be masked.
static void timer_program_ahead(void) {
    for (;;) {
        timer_program(system_get_time());
        uint32_t ccompare;
        __asm__ volatile ("rsr %0, ccompare0" : "=a" (ccompare));
        if ((int32_t)(ccompare - hal_ccount()) > 0) {
            return;
        }
    }
}

// Insert into the list sorted by expiry. Interrupts must be masked.
static void timer_insert(ETSTimer *t) {
    ETSTimer **pp = &timer_list;
    while (*pp != NULL && (int32_t)((*pp)->timer_expire - t->timer_expire) <= 0) {
        pp = &(*pp)->timer_next;
    }
    t->timer_next = *pp;
    *pp = t;
}

// Remove from the list; returns whether it was armed. Interrupts must be masked.
static bool timer_remove(ETSTimer *t) {
    for (ETSTimer **pp = &timer_list; *pp != NULL; pp = &(*pp)->timer_next) {
        if (*pp == t) {
            *pp = t->timer_next;
            t->timer_next = NULL;
            return true;
        }
    }
    return false;
}

static void timer_isr(void *arg) {
    (void)arg;
    for (;;) {
        uint32_t now = system_get_time();
        ETSTimer *t = timer_list;
        if (t == NULL || (int32_t)(t->timer_expire - now) > 0) {
            timer_program(now);
            // A deadline may have passed while programming; if so, go round again.
            uint32_t ccompare;
            __asm__ volatile ("rsr %0, ccompare0" : "=a" (ccompare));
            if ((int32_t)(ccompare - hal_ccount()) > 0) {
                break;
            }
            continue;
        }
        timer_list = t->timer_next;
        t->timer_next = NULL;
        if (t->timer_period != 0) {
            t->timer_expire += t->timer_period;
            if ((int32_t)(t->timer_expire - now) < 0) {
                t->timer_expire = now + t->timer_period;
            }
            timer_insert(t);
        }
        if (t->timer_func != NULL) {
            t->timer_func(t->timer_arg);
        }
    }
}

void ets_timer_setfn(ETSTimer *ptimer, ETSTimerFunc *pfunction, void *parg) {
    uint32_t ps;
    __asm__ volatile ("rsil %0, 15" : "=a" (ps));
    timer_remove(ptimer);
    ptimer->timer_func = pfunction;
    ptimer->timer_arg = parg;
    ptimer->timer_period = 0;
    ptimer->timer_next = NULL;
    __asm__ volatile ("wsr %0, ps; rsync" : : "a" (ps));
}

void ets_timer_arm_new(ETSTimer *ptimer, uint32_t time, bool repeat_flag, bool is_ms) {
    uint32_t us = is_ms ? time * 1000 : time;
    uint32_t ps;
    __asm__ volatile ("rsil %0, 15" : "=a" (ps));
    timer_remove(ptimer);
    uint32_t now = system_get_time();
    ptimer->timer_expire = now + us;
    ptimer->timer_period = repeat_flag ? (us ? us : 1) : 0;
    timer_insert(ptimer);
    if (timer_list == ptimer) {
        timer_program_ahead();
    }
    __asm__ volatile ("wsr %0, ps; rsync" : : "a" (ps));
}

void ets_timer_disarm(ETSTimer *ptimer) {
    uint32_t ps;
    __asm__ volatile ("rsil %0, 15" : "=a" (ps));
    timer_remove(ptimer);
    __asm__ volatile ("wsr %0, ps; rsync" : : "a" (ps));
}

void system_timer_reinit(void) {
    // Microsecond timers are the only kind here; nothing to switch.
}

void hal_timer_init(void) {
    // FRC2: enable, divide by 16, free running.
    *(volatile uint32_t *)HAL_FRC2_CTRL = 0x84;
    time_last_ticks = *(volatile uint32_t *)HAL_FRC2_COUNT;
    time_rem_ticks = 0;
    time_us = 0;
    ccount_calibrate();
    ets_isr_attach(ETS_CCOMPARE0_INUM, timer_isr, NULL);
    timer_program_ahead();
    ets_isr_unmask(1 << ETS_CCOMPARE0_INUM);
}
