/*
 * Bare-metal test programs for the emulated ESP8266: registers and helpers.
 * Our own minimal runtime (start.S, runtime.c, program.ld); no SDK, no ROM.
 */
#ifndef ESP8266_TEST_H
#define ESP8266_TEST_H

#include <stdint.h>

#define REG(addr)           (*(volatile uint32_t *)(addr))

/* UART0/UART1 (MicroPython's uart_register.h layout) */
#define UART_BASE(n)        (0x60000000u + (n) * 0xf00u)
#define UART_FIFO(n)        REG(UART_BASE(n) + 0x00)
#define UART_INT_RAW(n)     REG(UART_BASE(n) + 0x04)
#define UART_INT_ST(n)      REG(UART_BASE(n) + 0x08)
#define UART_INT_ENA(n)     REG(UART_BASE(n) + 0x0c)
#define UART_INT_CLR(n)     REG(UART_BASE(n) + 0x10)
#define UART_CLKDIV(n)      REG(UART_BASE(n) + 0x14)
#define UART_STATUS(n)      REG(UART_BASE(n) + 0x1c)
#define UART_CONF0(n)       REG(UART_BASE(n) + 0x20)
#define UART_CONF1(n)       REG(UART_BASE(n) + 0x24)
#define UART_RXFIFO_FULL_INT    (1u << 0)
#define UART_RXFIFO_TOUT_INT    (1u << 8)
#define UART_RX_TOUT_EN         (1u << 31)

/* SPI0 flash controller (command-level contract, see docs) */
#define SPI0_CMD            REG(0x60000200)
#define SPI0_ADDR           REG(0x60000204)
#define SPI0_RD_STATUS      REG(0x60000210)
#define SPI0_W(i)           REG(0x60000240 + 4 * (i))
#define SPI_CMD_READ        (1u << 31)
#define SPI_CMD_WREN        (1u << 30)
#define SPI_CMD_WRDI        (1u << 29)
#define SPI_CMD_RDID        (1u << 28)
#define SPI_CMD_RDSR        (1u << 27)
#define SPI_CMD_PP          (1u << 25)
#define SPI_CMD_SE          (1u << 24)

#define FLASH_WINDOW        0x40200000u

/* CPU interrupt numbers */
#define INUM_NIC            0
#define INUM_UART           5
#define INUM_CCOMPARE0      6

/* Special registers */
#define RSR(reg) ({ uint32_t v_; __asm__ volatile("rsr %0, " #reg : "=a"(v_)); v_; })
#define WSR(reg, v) __asm__ volatile("wsr %0, " #reg "; rsync" :: "a"((uint32_t)(v)) : "memory")

/* Saved state of an exception; handlers may change epc1 to resume elsewhere. */
struct exc_frame {
    uint32_t a[16];
    uint32_t sar;
    uint32_t epc1;
    uint32_t pad[2];
};

typedef void (*irq_handler_t)(void);
/* Called for non-interrupt exceptions; return nonzero if handled. */
typedef int (*exc_hook_t)(struct exc_frame *f, uint32_t cause, uint32_t vaddr);

void uart_putc(char c);
void uart_puts(const char *s);
void uart_puthex(uint32_t v);
void print_kv(const char *key, uint32_t v);     /* "key=0x........\n" */
int uart_getc_poll(void);                       /* -1 if the RX FIFO is empty */

void irq_attach(int inum, irq_handler_t handler);   /* also enables it */
void irq_enable_all(void);                          /* PS.INTLEVEL = 0 */
uint32_t irq_disable_all(void);                     /* returns the old PS */
void irq_restore(uint32_t ps);
void wait_for_interrupt(void);                      /* waiti 0 */
void set_exception_hook(exc_hook_t hook);
void halt(void) __attribute__((noreturn));

void *memset(void *s, int c, unsigned int n);
void *memcpy(void *d, const void *s, unsigned int n);

int main(void);

#endif
