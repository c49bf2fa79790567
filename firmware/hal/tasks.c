// SPDX-License-Identifier: MIT
/*
 * Task posting of the ESP8266_QEMU open HAL.
 *
 * Replaces the SDK's system_os_task() and system_os_post() (libmain). The port's own
 * ets_alt_task.c implements the ROM's ets_task/ets_post and runs the tasks from its loop
 * (ets_loop_iter); the SDK calls map straight onto it.
 */

#include "hal.h"

bool ets_task(os_task_t task, uint8_t prio, os_event_t *queue, uint8_t qlen);
bool ets_post(uint8_t prio, os_signal_t sig, os_param_t param);

bool system_os_task(os_task_t task, uint8_t prio, os_event_t *queue, uint8_t qlen) {
    return ets_task(task, prio, queue, qlen);
}

bool system_os_post(uint8_t prio, os_signal_t sig, os_param_t par) {
    // ets_post() returns 0 on success.
    return ets_post(prio, sig, par) == 0;
}
