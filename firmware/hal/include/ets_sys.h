// SPDX-License-Identifier: MIT
// The ets_* services of the ESP8266 mask ROM (ets_sys.h in Espressif's SDK): interrupts,
// timers, console. Implemented by the ESP8266_QEMU open HAL (firmware/hal).
#ifndef HAL_ETS_SYS_H
#define HAL_ETS_SYS_H

#include <stdarg.h>
#include "c_types.h"
#include "eagle_soc.h"

typedef uint32_t ETSSignal;
typedef uint32_t ETSParam;

typedef struct ETSEventTag ETSEvent;
struct ETSEventTag {
    ETSSignal sig;
    ETSParam par;
};

typedef void (*ETSTask)(ETSEvent *e);

typedef void ETSTimerFunc(void *timer_arg);

typedef struct _ETSTIMER_ {
    struct _ETSTIMER_ *timer_next;
    uint32_t timer_expire;
    uint32_t timer_period;
    ETSTimerFunc *timer_func;
    void *timer_arg;
} ETSTimer;

typedef void (*int_handler_t)(void *);

// Interrupts (interrupts.c)
void ets_isr_attach(int intr, int_handler_t handler, void *arg);
void ets_isr_mask(uint32_t mask);
void ets_isr_unmask(uint32_t mask);
void ets_intr_lock(void);
void ets_intr_unlock(void);

#define ETS_INTR_ENABLE(inum) ets_isr_unmask((1 << (inum)))
#define ETS_INTR_DISABLE(inum) ets_isr_mask((1 << (inum)))

#define ETS_UART_INTR_ATTACH(func, arg) ets_isr_attach(ETS_UART_INUM, (int_handler_t)(func), (void *)(arg))
#define ETS_UART_INTR_ENABLE() ETS_INTR_ENABLE(ETS_UART_INUM)
#define ETS_UART_INTR_DISABLE() ETS_INTR_DISABLE(ETS_UART_INUM)
#define ETS_GPIO_INTR_ATTACH(func, arg) ets_isr_attach(ETS_GPIO_INUM, (int_handler_t)(func), (void *)(arg))
#define ETS_GPIO_INTR_ENABLE() ETS_INTR_ENABLE(ETS_GPIO_INUM)
#define ETS_GPIO_INTR_DISABLE() ETS_INTR_DISABLE(ETS_GPIO_INUM)
#define ETS_FRC_TIMER1_INTR_ATTACH(func, arg) ets_isr_attach(ETS_FRC_TIMER1_INUM, (int_handler_t)(func), (void *)(arg))
#define ETS_FRC1_INTR_ENABLE() ETS_INTR_ENABLE(ETS_FRC_TIMER1_INUM)
#define ETS_FRC1_INTR_DISABLE() ETS_INTR_DISABLE(ETS_FRC_TIMER1_INUM)
#define ETS_SPI_INTR_ATTACH(func, arg) ets_isr_attach(ETS_SPI_INUM, (int_handler_t)(func), (void *)(arg))
#define ETS_SPI_INTR_ENABLE() ETS_INTR_ENABLE(ETS_SPI_INUM)
#define ETS_SPI_INTR_DISABLE() ETS_INTR_DISABLE(ETS_SPI_INUM)
#define ETS_CCOMPARE0_INTR_ATTACH(func, arg) ets_isr_attach(ETS_CCOMPARE0_INUM, (int_handler_t)(func), (void *)(arg))
#define ETS_CCOMPARE0_ENABLE() ETS_INTR_ENABLE(ETS_CCOMPARE0_INUM)
#define ETS_CCOMPARE0_DISABLE() ETS_INTR_DISABLE(ETS_CCOMPARE0_INUM)

// Software timers (timer.c)
void ets_timer_setfn(ETSTimer *ptimer, ETSTimerFunc *pfunction, void *parg);
void ets_timer_arm_new(ETSTimer *ptimer, uint32_t time, bool repeat_flag, bool is_ms);
void ets_timer_disarm(ETSTimer *ptimer);
void ets_delay_us(uint32_t us);
uint32_t ets_get_cpu_frequency(void);
void ets_update_cpu_frequency(uint32_t mhz);

// Console (uart_os.c)
int ets_vprintf(const char *fmt, va_list ap);
void ets_putc(char c);
void ets_install_putc1(void (*p)(char c));
void uart_div_modify(uint8_t uart_no, uint32_t div);

// Watchdog (watchdog.c)
void ets_wdt_enable(void);
void ets_wdt_disable(void);

// Memory helpers of the ROM
void *ets_memcpy(void *dest, const void *src, size_t n);
void *ets_memset(void *s, int c, size_t n);
int ets_memcmp(const void *s1, const void *s2, size_t n);

#endif // HAL_ETS_SYS_H
