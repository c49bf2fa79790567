// SPDX-License-Identifier: MIT
/*
 * ADC of the ESP8266_QEMU open HAL.
 *
 * Replaces the SDK's system_adc_read() and system_get_vdd33() (libphy/libmain). The
 * emulator has no SAR ADC model: TOUT reads as 0 V and the supply as a nominal 3.3 V.
 */

#include "hal.h"

uint16_t system_adc_read(void) {
    return 0;
}

uint16_t system_get_vdd33(void) {
    return 3300;
}
