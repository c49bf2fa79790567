// SPDX-License-Identifier: MIT
/*
 * UART0 pin swap of the ESP8266_QEMU open HAL.
 *
 * Replaces the SDK's system_uart_swap() and system_uart_de_swap() (libmain): DPORT's
 * PERI_IO_SWAP bit 2 routes UART0 to GPIO15 (TX) and GPIO13 (RX), whose IO_MUX functions
 * are set to the UART. The register is only touched when swapping.
 */

#include "hal.h"

#define DPORT_PERI_IO_SWAP (PERIPHS_DPORT_BASEADDR + 0x28)
#define PERI_IO_SWAP_UART0 BIT2

static bool uart_swapped;

void system_uart_swap(void) {
    PIN_FUNC_SELECT(PERIPHS_IO_MUX_MTDO_U, FUNC_U0RTS);
    PIN_FUNC_SELECT(PERIPHS_IO_MUX_MTCK_U, FUNC_UART0_CTS);
    SET_PERI_REG_MASK(DPORT_PERI_IO_SWAP, PERI_IO_SWAP_UART0);
    uart_swapped = true;
}

void system_uart_de_swap(void) {
    if (uart_swapped) {
        CLEAR_PERI_REG_MASK(DPORT_PERI_IO_SWAP, PERI_IO_SWAP_UART0);
        uart_swapped = false;
    }
}
