// SPDX-License-Identifier: MIT
/*
 * lwIP port of the ESP8266_QEMU open HAL.
 *
 * Replaces the lwIP glue of Espressif's SDK (libmain + liblwip_open): the time base of
 * lwIP's timers (sys_now), lwIP's heap on the HAL heap, assertions, and the "lwIP task".
 * That task belongs to the port's task loop (ets_loop_iter, which MicroPython runs while it
 * waits and every few bytecodes); it hands received frames to the stack and runs lwIP's
 * timeouts. The NIC interrupt (which only allocates and fills pbufs) and a 100 ms os_timer
 * (armed with the first interface) post to it, so the stack itself never runs in interrupt
 * context and never interrupts MicroPython's own calls into lwIP (modlwip), as with the SDK.
 *
 * It knows no driver: the NIC driver (netif_openeth.c) registers its input routine with
 * hal_net_start() and calls hal_net_post(), so the dependency goes one way (hal.h).
 */

#include "hal.h"
#include "mem.h"
#include "osapi.h"
#include "lwip/init.h"
#include "lwip/sys.h"
#include "lwip/timeouts.h"

#define NET_TASK_PRIO 2
#define NET_TICK_MS 100

uint32_t mp_hal_ticks_ms(void);

static os_event_t net_task_queue[2];
static volatile uint8_t net_task_posted;
static os_timer_t net_tick;
static hal_net_input_fn_t net_input;

// Milliseconds from MicroPython's 64-bit microsecond clock: wraps cleanly at 2^32 ms, which
// lwIP's timeout arithmetic expects (system_get_time()/1000 would jump at 71 minutes).
u32_t sys_now(void) {
    return mp_hal_ticks_ms();
}

// sys_arch_protect/unprotect (SYS_LIGHTWEIGHT_PROT): mask all interrupts and the port's task
// loop, as MicroPython's MICROPY_BEGIN_ATOMIC_SECTION does. MicroPython up to 1.27 defines them
// in extmod/modlwip.c; 1.28 dropped them from there, so the HAL has them too, weak, and the
// older modlwip's definitions win where they exist.
uint32_t esp_disable_irq(void);
void esp_enable_irq(uint32_t state);

__attribute__((weak)) sys_prot_t sys_arch_protect(void) {
    return (sys_prot_t)esp_disable_irq();
}

__attribute__((weak)) void sys_arch_unprotect(sys_prot_t state) {
    esp_enable_irq((uint32_t)state);
}

void *hal_lwip_malloc(size_t size) {
    return pvPortMalloc(size, NULL, 0);
}

void *hal_lwip_calloc(size_t n, size_t size) {
    return pvPortCalloc(n, size, NULL, 0);
}

void hal_lwip_free(void *p) {
    vPortFree(p, NULL, 0);
}

// Straight to UART0 (like fatal exceptions): ets_printf goes to the "OS" UART, off by default.
void hal_lwip_assert(const char *msg, const char *file, int line) {
    char num[12];
    int i = sizeof(num) - 1;
    num[i] = 0;
    do {
        num[--i] = '0' + line % 10;
        line /= 10;
    } while (line > 0 && i > 0);
    hal_uart0_puts_raw("\r\nlwIP assertion \"");
    hal_uart0_puts_raw(msg);
    hal_uart0_puts_raw("\" failed at ");
    hal_uart0_puts_raw(file);
    hal_uart0_puts_raw(":");
    hal_uart0_puts_raw(&num[i]);
    hal_uart0_puts_raw("\r\n");
    system_restart();
    for (;;) {
    }
}

// Interrupt-safe: at most one post is outstanding, so the task queue never overflows.
void hal_net_post(void) {
    SYS_ARCH_DECL_PROTECT(old);
    SYS_ARCH_PROTECT(old);
    if (!net_task_posted) {
        net_task_posted = 1;
        system_os_post(NET_TASK_PRIO, 0, 0);
    }
    SYS_ARCH_UNPROTECT(old);
}

static void net_tick_cb(void *arg) {
    (void)arg;
    hal_net_post();
}

static void net_task(os_event_t *e) {
    (void)e;
    net_task_posted = 0;
    if (net_input != NULL) {
        net_input();
    }
    sys_check_timeouts();
}

// At start-up (before MicroPython's REPL owns the console: the port's ets_task() prints).
void hal_net_init(void) {
    lwip_init();
    system_os_task(net_task, NET_TASK_PRIO, net_task_queue, sizeof(net_task_queue) / sizeof(net_task_queue[0]));
}

// With the first interface (from its driver, which passes the routine that hands its received
// frames to lwIP): lwIP's timers only matter once there is one, and an idle board without
// network keeps no periodic interrupt.
void hal_net_start(hal_net_input_fn_t input) {
    if (net_input == NULL) {
        os_timer_disarm(&net_tick);
        os_timer_setfn(&net_tick, net_tick_cb, NULL);
        os_timer_arm(&net_tick, NET_TICK_MS, 1);
    }
    net_input = input;
}
