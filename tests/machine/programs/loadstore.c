/*
 * LoadStoreError: 8/16-bit loads from the flash window and IRAM raise
 * EXCCAUSE 3 with EXCVADDR = the address; 32-bit loads work, and byte
 * loads from DRAM work.  The hook skips the faulting 3-byte load.
 */
#include "common/esp8266.h"

static volatile uint32_t faults, last_vaddr, last_cause;

static int on_exception(struct exc_frame *f, uint32_t cause, uint32_t vaddr)
{
    faults++;
    last_cause = cause;
    last_vaddr = vaddr;
    f->epc1 += 3;                       /* l8ui/l16ui/l16si are 3 bytes */
    return 1;
}

static void report(const char *what)
{
    uart_puts(what);
    uart_puts(": ");
    print_kv("faults", faults);
    print_kv("cause", last_cause);
    print_kv("vaddr", last_vaddr);
    faults = 0;
    last_cause = 0;
    last_vaddr = 0;
}

static volatile uint8_t dram_byte = 0x5a;

int main(void)
{
    volatile uint8_t *flash8 = (volatile uint8_t *)(FLASH_WINDOW + 0x1001);
    volatile uint16_t *flash16 = (volatile uint16_t *)(FLASH_WINDOW + 0x2002);
    volatile uint8_t *iram8 = (volatile uint8_t *)0x40100003;
    volatile uint32_t *flash32 = (volatile uint32_t *)(FLASH_WINDOW + 0x1000);
    uint32_t v;

    set_exception_hook(on_exception);

    v = *flash8;
    (void)v;
    report("flash_l8ui");
    v = *flash16;
    report("flash_l16ui");
    v = *iram8;
    report("iram_l8ui");
    v = *flash32;
    report("flash_l32i");
    v = dram_byte;
    print_kv("dram_byte", v);
    report("dram_l8ui");
    uart_puts("DONE\n");
    return 0;
}
