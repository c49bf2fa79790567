// SPDX-License-Identifier: MIT
// GPIO helpers of the ESP8266 ROM/SDK (gpio.h). ESP8266_QEMU open HAL (gpio.c).
#ifndef HAL_GPIO_H
#define HAL_GPIO_H

#include "c_types.h"
#include "eagle_soc.h"

typedef enum {
    GPIO_PIN_INTR_DISABLE = 0,
    GPIO_PIN_INTR_POSEDGE = 1,
    GPIO_PIN_INTR_NEGEDGE = 2,
    GPIO_PIN_INTR_ANYEDGE = 3,
    GPIO_PIN_INTR_LOLEVEL = 4,
    GPIO_PIN_INTR_HILEVEL = 5
} GPIO_INT_TYPE;

#define GPIO_OUTPUT_SET(gpio_no, bit_value) \
    gpio_output_set((bit_value) << (gpio_no), ((~(bit_value)) & 0x01) << (gpio_no), 1 << (gpio_no), 0)
#define GPIO_DIS_OUTPUT(gpio_no) gpio_output_set(0, 0, 0, 1 << (gpio_no))
#define GPIO_INPUT_GET(gpio_no) ((gpio_input_get() >> (gpio_no)) & BIT0)

void gpio_output_set(uint32_t set_mask, uint32_t clear_mask, uint32_t enable_mask, uint32_t disable_mask);
uint32_t gpio_input_get(void);
void gpio_pin_intr_state_set(uint32_t i, GPIO_INT_TYPE intr_state);
void gpio_init(void);

#endif // HAL_GPIO_H
