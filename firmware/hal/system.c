/*
 * system_* services of the ESP8266_QEMU open HAL.
 *
 * Replaces the SDK's system_* API (libmain) and a few ROM helpers: reset cause and restart,
 * RTC memory, RTC clock, deep sleep, chip id, CPU frequency, the watchdogs (the software
 * one, and the hardware one fed from its tick, as the SDK does), task posting (onto the
 * port's ets_alt_task.c), GPIO output/input helpers and the ROM's memory helpers.
 *
 * Reset information: the RTC block reports the hardware cause in RTC_STATE1[3:0]
 * (1 power-on, 2 external, 3 software, 4 watchdog, 5 deep-sleep wake). A software reset
 * made by us is refined with a record we leave in the system part of RTC memory
 * (0x60001000, below the user part at 0x60001100): soft restart, soft watchdog or fatal
 * exception with its registers.
 */

#include <string.h>
#include "hal.h"
#include "gpio.h"
#include "mem.h"
#include "osapi.h"
#include "etshal.h"

#define RTC_BASE 0x60000700
#define RTC_CTRL0 (RTC_BASE + 0x00)
#define RTC_SLP_VAL (RTC_BASE + 0x04)
#define RTC_STATE0 (RTC_BASE + 0x08)
#define RTC_STATE1 (RTC_BASE + 0x14)
#define RTC_STATE2 (RTC_BASE + 0x18)
#define RTC_SLP_CNT_VAL (RTC_BASE + 0x1C)
#define RTC_CTRL0_SW_RESET BIT31
#define RTC_STATE0_SLEEP_EN BIT20
#define RTC_STATE2_WAKE_TIMER BIT3
#define RTC_CLOCK_HZ 160000
// system_rtc_clock_cali_proc(): microseconds per RTC tick, Q12 (6.25 us at 160 kHz).
#define RTC_CAL_Q12 ((1000000u << 12) / RTC_CLOCK_HZ)

#define WDT_BASE 0x60000900
#define WDT_CTL (WDT_BASE + 0x00)
#define WDT_OP (WDT_BASE + 0x04)
#define WDT_OP_ND (WDT_BASE + 0x08)
#define WDT_RST (WDT_BASE + 0x14)
#define WDT_FEED_MAGIC 0x73
#define WDT_CTL_EN BIT(0)
#define WDT_CTL_RESET_LEN (7 << 3)
// Hardware watchdog stages, 2^n x 0.8 ms, the SDK's values: 6.6 s, then 1.6 s to the reset.
#define WDT_STAGE0_EXP 13
#define WDT_STAGE1_EXP 11

// Our record in the system part of RTC memory (words 0..63 are the "system" area).
#define RST_RECORD_ADDR HAL_RTC_MEM_BASE
#define RST_RECORD_MAGIC 0x48414c52 // "HALR"
#define RTC_USER_FIRST_BLOCK 64
#define RTC_LAST_BLOCK 192

// The soft watchdog resets after this many 1.6 s ticks without a feed (about 5 s, the
// timeout that machine.WDT documents for this port).
#define SOFT_WDT_PERIOD_MS 1600
#define SOFT_WDT_TICKS 4

extern uint32_t hal_soft_wdt_count[];
extern uint32_t _heap_start[];
extern uint32_t _heap_end[];

static struct rst_info rst_info;
static ETSTimer soft_wdt_timer;
static bool soft_wdt_enabled = true;
static uint8_t sleep_option;

static void rtc_words_write(uint32_t addr, const void *src, uint32_t len) {
    const uint8_t *s = src;
    for (uint32_t i = 0; i < len; i += 4) {
        uint32_t w = 0;
        memcpy(&w, s + i, len - i < 4 ? len - i : 4);
        WRITE_PERI_REG(addr + i, w);
    }
}

static void rtc_words_read(uint32_t addr, void *dst, uint32_t len) {
    uint8_t *d = dst;
    for (uint32_t i = 0; i < len; i += 4) {
        uint32_t w = READ_PERI_REG(addr + i);
        memcpy(d + i, &w, len - i < 4 ? len - i : 4);
    }
}

static void hw_wdt_enable(void) {
    WRITE_PERI_REG(WDT_CTL, READ_PERI_REG(WDT_CTL) & ~WDT_CTL_EN);
    WRITE_PERI_REG(WDT_OP, WDT_STAGE0_EXP);
    WRITE_PERI_REG(WDT_OP_ND, WDT_STAGE1_EXP);
    // Response mode 0 (stage 0 ends with an interrupt, which DPORT does not route: no
    // handler), then stage 1 ends with the reset.
    WRITE_PERI_REG(WDT_CTL, WDT_CTL_RESET_LEN | WDT_CTL_EN);
}

static void hw_wdt_disable(void) {
    WRITE_PERI_REG(WDT_CTL, READ_PERI_REG(WDT_CTL) & ~WDT_CTL_EN);
}

// Every 1.6 s, from the timer interrupt: feeds the hardware watchdog, so only a CPU stuck
// with interrupts masked (or in an interrupt handler) for ~8 s gets the hardware reset, and
// counts the soft watchdog, which catches code that runs with interrupts on but stops
// calling ets_loop_iter() (or machine.WDT.feed()).
static void soft_wdt_tick(void *arg) {
    (void)arg;
    WRITE_PERI_REG(WDT_RST, WDT_FEED_MAGIC);
    if (soft_wdt_enabled && ++hal_soft_wdt_count[0] >= SOFT_WDT_TICKS) {
        struct rst_info info = {.reason = REASON_SOFT_WDT_RST};
        hal_uart0_puts_raw("\r\nSoft WDT reset\r\n");
        hal_reset_with_info(&info);
    }
}

void hal_system_init(void) {
    // Hardware watchdog off until the timers run (hal_soft_wdt_start feeds it).
    hw_wdt_disable();

    uint32_t record[1 + sizeof(struct rst_info) / 4];
    rtc_words_read(RST_RECORD_ADDR, record, sizeof(record));
    memset(&rst_info, 0, sizeof(rst_info));
    switch (READ_PERI_REG(RTC_STATE1) & 0xf) {
        case 2:
            rst_info.reason = REASON_EXT_SYS_RST;
            break;
        case 3:
            if (record[0] == RST_RECORD_MAGIC) {
                memcpy(&rst_info, &record[1], sizeof(rst_info));
            } else {
                rst_info.reason = REASON_SOFT_RESTART;
            }
            break;
        case 4:
            rst_info.reason = REASON_WDT_RST;
            break;
        case 5:
            rst_info.reason = REASON_DEEP_SLEEP_AWAKE;
            break;
        default:
            rst_info.reason = REASON_DEFAULT_RST;
            break;
    }
    // Consume the record: a later reset that is not ours must not reuse it.
    WRITE_PERI_REG(RST_RECORD_ADDR, 0);
}

void hal_reset_with_info(const struct rst_info *info) {
    __asm__ volatile ("rsil a2, 15" : : : "a2");
    WRITE_PERI_REG(RST_RECORD_ADDR, RST_RECORD_MAGIC);
    rtc_words_write(RST_RECORD_ADDR + 4, info, sizeof(*info));
    // Let UART0 drain its FIFO before the reset (at most ~11 ms at 115200 baud).
    ets_delay_us(12000);
    SET_PERI_REG_MASK(RTC_CTRL0, RTC_CTRL0_SW_RESET);
    for (;;) {
    }
}

struct rst_info *system_get_rst_info(void) {
    return &rst_info;
}

const char *system_get_sdk_version(void) {
    return "open-hal";
}

void system_restart(void) {
    struct rst_info info = {.reason = REASON_SOFT_RESTART};
    hal_reset_with_info(&info);
}

uint32_t system_get_rtc_time(void) {
    return READ_PERI_REG(RTC_SLP_CNT_VAL);
}

uint32_t system_rtc_clock_cali_proc(void) {
    return RTC_CAL_Q12;
}

bool system_rtc_mem_read(uint8_t src_addr, void *des_addr, uint16_t load_size) {
    if (src_addr < RTC_USER_FIRST_BLOCK || des_addr == NULL
        || src_addr * 4 + load_size > RTC_LAST_BLOCK * 4) {
        return false;
    }
    rtc_words_read(HAL_RTC_MEM_BASE + src_addr * 4, des_addr, load_size);
    return true;
}

bool system_rtc_mem_write(uint8_t des_addr, const void *src_addr, uint16_t save_size) {
    if (des_addr < RTC_USER_FIRST_BLOCK || src_addr == NULL
        || des_addr * 4 + save_size > RTC_LAST_BLOCK * 4) {
        return false;
    }
    rtc_words_write(HAL_RTC_MEM_BASE + des_addr * 4, src_addr, save_size);
    return true;
}

bool system_deep_sleep_set_option(uint8_t option) {
    sleep_option = option;
    return true;
}

void system_deep_sleep(uint64_t time_in_us) {
    (void)sleep_option;
    uint32_t ps;
    __asm__ volatile ("rsil %0, 15" : "=a" (ps));
    ets_delay_us(12000);    // drain UART0
    if (time_in_us != 0) {
        uint64_t ticks = time_in_us * RTC_CLOCK_HZ / 1000000;
        WRITE_PERI_REG(RTC_SLP_VAL, READ_PERI_REG(RTC_SLP_CNT_VAL) + (uint32_t)ticks);
        SET_PERI_REG_MASK(RTC_STATE2, RTC_STATE2_WAKE_TIMER);
    } else {
        CLEAR_PERI_REG_MASK(RTC_STATE2, RTC_STATE2_WAKE_TIMER);
    }
    SET_PERI_REG_MASK(RTC_STATE0, RTC_STATE0_SLEEP_EN);
    for (;;) {
        __asm__ volatile ("waiti 15");
    }
}

uint32_t system_get_chip_id(void) {
    // The ROM derives it from the eFuse MAC; without eFuses, from the flash JEDEC id.
    return 0x00e55e00 ^ spi_flash_get_id();
}

uint32_t system_get_free_heap_size(void) {
    return xPortGetFreeHeapSize();
}

void system_print_meminfo(void) {
    extern uint32_t _data_start[], _data_end[], _rodata_start[], _rodata_end[];
    extern uint32_t _bss_start[], _bss_end[];
    ets_printf("data  : 0x%08x ~ 0x%08x, len: %u\n", (uint32_t)_data_start,
        (uint32_t)_data_end, (uint32_t)_data_end - (uint32_t)_data_start);
    ets_printf("rodata: 0x%08x ~ 0x%08x, len: %u\n", (uint32_t)_rodata_start,
        (uint32_t)_rodata_end, (uint32_t)_rodata_end - (uint32_t)_rodata_start);
    ets_printf("bss   : 0x%08x ~ 0x%08x, len: %u\n", (uint32_t)_bss_start,
        (uint32_t)_bss_end, (uint32_t)_bss_end - (uint32_t)_bss_start);
    ets_printf("heap  : 0x%08x ~ 0x%08x, len: %u\n", (uint32_t)_heap_start,
        (uint32_t)_heap_end, (uint32_t)_heap_end - (uint32_t)_heap_start);
}

uint8_t system_get_cpu_freq(void) {
    return ets_get_cpu_frequency();
}

bool system_update_cpu_freq(uint8_t freq) {
    if (freq == 80) {
        CLEAR_PERI_REG_MASK(HAL_DPORT_CPU_CLK, 1);
    } else if (freq == 160) {
        SET_PERI_REG_MASK(HAL_DPORT_CPU_CLK, 1);
    } else {
        return false;
    }
    ets_update_cpu_frequency(freq);
    return true;
}

void system_soft_wdt_feed(void) {
    hal_soft_wdt_count[0] = 0;
}

void system_soft_wdt_stop(void) {
    soft_wdt_enabled = false;
}

void system_soft_wdt_restart(void) {
    hal_soft_wdt_count[0] = 0;
    soft_wdt_enabled = true;
}

void hal_soft_wdt_start(void) {
    ets_timer_setfn(&soft_wdt_timer, soft_wdt_tick, NULL);
    ets_timer_arm_new(&soft_wdt_timer, SOFT_WDT_PERIOD_MS, true, true);
    hw_wdt_enable();
}

void ets_wdt_enable(void) {
    hw_wdt_enable();
    system_soft_wdt_restart();
}

void ets_wdt_disable(void) {
    hw_wdt_disable();
    system_soft_wdt_stop();
}

// Tasks: the port's ets_alt_task.c implements ets_task/ets_post and runs them.
bool ets_task(os_task_t task, uint8_t prio, os_event_t *queue, uint8_t qlen);
bool ets_post(uint8_t prio, os_signal_t sig, os_param_t param);

bool system_os_task(os_task_t task, uint8_t prio, os_event_t *queue, uint8_t qlen) {
    return ets_task(task, prio, queue, qlen);
}

bool system_os_post(uint8_t prio, os_signal_t sig, os_param_t par) {
    return ets_post(prio, sig, par) == 0;
}

// DPORT PERI_IO_SWAP bit 2 routes UART0 to GPIO15/GPIO13; only touched when swapping.
#define DPORT_PERI_IO_SWAP (PERIPHS_DPORT_BASEADDR + 0x28)
static bool uart_swapped;

void system_uart_swap(void) {
    PIN_FUNC_SELECT(PERIPHS_IO_MUX_MTDO_U, FUNC_U0RTS);
    PIN_FUNC_SELECT(PERIPHS_IO_MUX_MTCK_U, FUNC_UART0_CTS);
    SET_PERI_REG_MASK(DPORT_PERI_IO_SWAP, BIT2);
    uart_swapped = true;
}

void system_uart_de_swap(void) {
    if (uart_swapped) {
        CLEAR_PERI_REG_MASK(DPORT_PERI_IO_SWAP, BIT2);
        uart_swapped = false;
    }
}

uint16_t system_adc_read(void) {
    // No SAR ADC model: read as 0 V.
    return 0;
}

uint16_t system_get_vdd33(void) {
    return 3300;
}

void system_set_os_print(uint8_t onoff) {
    (void)onoff;
}

// GPIO helpers of the ROM.
void gpio_output_set(uint32_t set_mask, uint32_t clear_mask, uint32_t enable_mask, uint32_t disable_mask) {
    GPIO_REG_WRITE(GPIO_OUT_W1TS_ADDRESS, set_mask);
    GPIO_REG_WRITE(GPIO_OUT_W1TC_ADDRESS, clear_mask);
    GPIO_REG_WRITE(GPIO_ENABLE_W1TS_ADDRESS, enable_mask);
    GPIO_REG_WRITE(GPIO_ENABLE_W1TC_ADDRESS, disable_mask);
}

uint32_t gpio_input_get(void) {
    return GPIO_REG_READ(GPIO_IN_ADDRESS);
}

void gpio_pin_intr_state_set(uint32_t i, GPIO_INT_TYPE intr_state) {
    uint32_t r = GPIO_REG_READ(GPIO_PIN_ADDR(i));
    GPIO_REG_WRITE(GPIO_PIN_ADDR(i), (r & ~GPIO_PIN_INT_TYPE_MASK) | GPIO_PIN_INT_TYPE_SET(intr_state));
}

void gpio_init(void) {
}

// Memory helpers of the ROM.
void *ets_memcpy(void *dest, const void *src, size_t n) {
    return memcpy(dest, src, n);
}

void *ets_memset(void *s, int c, size_t n) {
    return memset(s, c, n);
}

int ets_memcmp(const void *s1, const void *s2, size_t n) {
    return memcmp(s1, s2, n);
}
