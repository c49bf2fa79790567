/* C runtime of the bare-metal test programs: UART output, interrupts. */
#include "esp8266.h"

extern uint32_t _bss_start, _bss_end;

static irq_handler_t irq_handlers[16];
static exc_hook_t exc_hook;

void *memset(void *s, int c, unsigned int n)
{
    unsigned char *p = s;

    while (n--) {
        *p++ = (unsigned char)c;
    }
    return s;
}

void *memcpy(void *d, const void *s, unsigned int n)
{
    unsigned char *dp = d;
    const unsigned char *sp = s;

    while (n--) {
        *dp++ = *sp++;
    }
    return d;
}

void uart_putc(char c)
{
    while (((UART_STATUS(0) >> 16) & 0xff) >= 126) {
    }
    UART_FIFO(0) = (uint8_t)c;
}

void uart_puts(const char *s)
{
    while (*s) {
        if (*s == '\n') {
            uart_putc('\r');
        }
        uart_putc(*s++);
    }
}

void uart_puthex(uint32_t v)
{
    static const char digits[] = "0123456789abcdef";
    int i;

    uart_puts("0x");
    for (i = 28; i >= 0; i -= 4) {
        uart_putc(digits[(v >> i) & 0xf]);
    }
}

void print_kv(const char *key, uint32_t v)
{
    uart_puts(key);
    uart_putc('=');
    uart_puthex(v);
    uart_puts("\n");
}

int uart_getc_poll(void)
{
    if (UART_STATUS(0) & 0xff) {
        return UART_FIFO(0) & 0xff;
    }
    return -1;
}

void irq_attach(int inum, irq_handler_t handler)
{
    irq_handlers[inum] = handler;
    WSR(intenable, RSR(intenable) | (1u << inum));
}

void irq_enable_all(void)
{
    WSR(ps, 0x20);
}

uint32_t irq_disable_all(void)
{
    uint32_t ps;

    __asm__ volatile("rsil %0, 15" : "=a"(ps) :: "memory");
    return ps;
}

void irq_restore(uint32_t ps)
{
    WSR(ps, ps);
}

void wait_for_interrupt(void)
{
    __asm__ volatile("waiti 0" ::: "memory");
}

void set_exception_hook(exc_hook_t hook)
{
    exc_hook = hook;
}

void halt(void)
{
    irq_disable_all();
    for (;;) {
        __asm__ volatile("waiti 15");
    }
}

void exc_dispatch(struct exc_frame *f);
void exc_dispatch(struct exc_frame *f)
{
    uint32_t cause = RSR(exccause);
    uint32_t vaddr = RSR(excvaddr);
    uint32_t pending;
    int i;

    if (cause == 4) {                   /* level-1 interrupt */
        pending = RSR(interrupt) & RSR(intenable);
        for (i = 0; i < 16; i++) {
            if ((pending & (1u << i)) && irq_handlers[i]) {
                irq_handlers[i]();
            }
        }
        return;
    }
    if (exc_hook && exc_hook(f, cause, vaddr)) {
        return;
    }
    uart_puts("\nFATAL EXCEPTION\n");
    print_kv("exccause", cause);
    print_kv("epc1", f->epc1);
    print_kv("excvaddr", vaddr);
    halt();
}

void c_start(void);
void c_start(void)
{
    uint32_t *p;

    for (p = &_bss_start; p < &_bss_end; p++) {
        *p = 0;
    }
    main();
    uart_puts("\nMAIN RETURNED\n");
    halt();
}
