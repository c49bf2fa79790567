// SPDX-License-Identifier: MIT
/*
 * WiFi API stand-ins of the ESP8266_QEMU open HAL.
 *
 * Replaces the SDK's wifi_* calls that the port makes outside the network module (power
 * management at start-up, esp.sleep_type()). The emulated board has no radio: the WiFi
 * mode is always NULL_MODE and the modem sleep calls only record their argument.
 * network.WLAN itself is the board's network_qemu.c, on the emulator's NIC.
 */

#include "hal.h"

static enum sleep_type sleep_type = MODEM_SLEEP_T;

uint8_t wifi_get_opmode(void) {
    return NULL_MODE;
}

bool wifi_set_opmode(uint8_t opmode) {
    // Only "off" is possible without a radio.
    return opmode == NULL_MODE;
}

enum sleep_type wifi_get_sleep_type(void) {
    return sleep_type;
}

bool wifi_set_sleep_type(enum sleep_type type) {
    sleep_type = type;
    return true;
}

void wifi_fpm_set_sleep_type(enum sleep_type type) {
    sleep_type = type;
}

void wifi_fpm_open(void) {
}

void wifi_fpm_close(void) {
}

int8_t wifi_fpm_do_sleep(uint32_t sleep_time_in_us) {
    (void)sleep_time_in_us;
    return 0;
}
