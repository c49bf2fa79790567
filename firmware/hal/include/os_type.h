// SPDX-License-Identifier: MIT
// OS task/timer types of Espressif's SDK (os_type.h). ESP8266_QEMU open HAL.
#ifndef HAL_OS_TYPE_H
#define HAL_OS_TYPE_H

#include "ets_sys.h"

#define os_signal_t ETSSignal
#define os_param_t ETSParam
#define os_event_t ETSEvent
#define os_task_t ETSTask
#define os_timer_t ETSTimer
#define os_timer_func_t ETSTimerFunc

#endif // HAL_OS_TYPE_H
