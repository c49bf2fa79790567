// SPDX-License-Identifier: MIT
/*
 * GPIO helpers of the ESP8266_QEMU open HAL.
 *
 * Replaces the ROM's gpio_output_set(), gpio_input_get(), gpio_pin_intr_state_set() and
 * gpio_init(): plain accesses to the GPIO block's W1TS/W1TC, IN and per-pin registers.
 */

#include "hal.h"
#include "gpio.h"

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
    // Nothing to set up: the GPIO block is usable from reset.
}
