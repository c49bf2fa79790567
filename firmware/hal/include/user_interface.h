// SPDX-License-Identifier: MIT
// system_* and wifi_* API of Espressif's SDK (user_interface.h), provided by the
// ESP8266_QEMU open HAL (one file per service: reset.c, rtc.c, watchdog.c, system.c, ...;
// wifi_stub.c). WiFi is not emulated: the wifi_* calls report "no WiFi"; network.WLAN is
// mapped onto the emulator's NIC (the board's network_qemu.c).
#ifndef HAL_USER_INTERFACE_H
#define HAL_USER_INTERFACE_H

#include "c_types.h"
#include "os_type.h"
#include "ets_sys.h"
#include "spi_flash.h"

enum rst_reason {
    REASON_DEFAULT_RST = 0,
    REASON_WDT_RST = 1,
    REASON_EXCEPTION_RST = 2,
    REASON_SOFT_WDT_RST = 3,
    REASON_SOFT_RESTART = 4,
    REASON_DEEP_SLEEP_AWAKE = 5,
    REASON_EXT_SYS_RST = 6
};

struct rst_info {
    uint32_t reason;
    uint32_t exccause;
    uint32_t epc1;
    uint32_t epc2;
    uint32_t epc3;
    uint32_t excvaddr;
    uint32_t depc;
};

#define USER_TASK_PRIO_0 0
#define USER_TASK_PRIO_1 1
#define USER_TASK_PRIO_2 2
#define USER_TASK_PRIO_MAX 3

typedef void (*init_done_cb_t)(void);

struct rst_info *system_get_rst_info(void);
const char *system_get_sdk_version(void);
void system_restart(void);
void system_init_done_cb(init_done_cb_t cb);
uint32_t system_get_time(void);
uint32_t system_get_rtc_time(void);
uint32_t system_rtc_clock_cali_proc(void);
bool system_rtc_mem_read(uint8_t src_addr, void *des_addr, uint16_t load_size);
bool system_rtc_mem_write(uint8_t des_addr, const void *src_addr, uint16_t save_size);
uint32_t system_get_chip_id(void);
uint32_t system_get_free_heap_size(void);
void system_print_meminfo(void);
uint8_t system_get_cpu_freq(void);
bool system_update_cpu_freq(uint8_t freq);
void system_deep_sleep(uint64_t time_in_us);
bool system_deep_sleep_set_option(uint8_t option);
void system_soft_wdt_feed(void);
void system_soft_wdt_stop(void);
void system_soft_wdt_restart(void);
void system_timer_reinit(void);
bool system_os_task(os_task_t task, uint8_t prio, os_event_t *queue, uint8_t qlen);
bool system_os_post(uint8_t prio, os_signal_t sig, os_param_t par);
void system_uart_swap(void);
void system_uart_de_swap(void);
uint16_t system_adc_read(void);
uint16_t system_get_vdd33(void);
void system_set_os_print(uint8_t onoff);

// WiFi (no radio: network.WLAN is mapped onto the emulator's NIC, board's network_qemu.c)
#define NULL_MODE 0x00
#define STATION_MODE 0x01
#define SOFTAP_MODE 0x02
#define STATIONAP_MODE 0x03
#define STATION_IF 0x00
#define SOFTAP_IF 0x01

// Station states (wifi_station_get_connect_status), PHY modes, auth modes: the values of
// the SDK, which MicroPython exposes as network.STAT_*, MODE_11*, AUTH_*.
enum {
    STATION_IDLE = 0,
    STATION_CONNECTING,
    STATION_WRONG_PASSWORD,
    STATION_NO_AP_FOUND,
    STATION_CONNECT_FAIL,
    STATION_GOT_IP
};

enum phy_mode {
    PHY_MODE_11B = 1,
    PHY_MODE_11G = 2,
    PHY_MODE_11N = 3
};

typedef enum _auth_mode {
    AUTH_OPEN = 0,
    AUTH_WEP,
    AUTH_WPA_PSK,
    AUTH_WPA2_PSK,
    AUTH_WPA_WPA2_PSK,
    AUTH_MAX
} AUTH_MODE;

enum sleep_type {
    NONE_SLEEP_T = 0,
    LIGHT_SLEEP_T,
    MODEM_SLEEP_T
};

uint8_t wifi_get_opmode(void);
bool wifi_set_opmode(uint8_t opmode);
enum sleep_type wifi_get_sleep_type(void);
bool wifi_set_sleep_type(enum sleep_type type);
void wifi_fpm_set_sleep_type(enum sleep_type type);
void wifi_fpm_open(void);
void wifi_fpm_close(void);
int8_t wifi_fpm_do_sleep(uint32_t sleep_time_in_us);

#endif // HAL_USER_INTERFACE_H
