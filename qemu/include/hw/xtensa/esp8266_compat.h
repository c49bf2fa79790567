/*
 * ESP8266 machine: the QEMU API differences between the QEMU versions it
 * builds on (10.0 and 10.2, docs/qemu-machine.md "QEMU versions").  The
 * device code is written in the newest API's terms; these shims give the
 * older QEMU the same names.  Keep them few and drop one with its version.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_XTENSA_ESP8266_COMPAT_H
#define HW_XTENSA_ESP8266_COMPAT_H

#include "chardev/char-fe.h"

#define ESP8266_QEMU_VERSION (QEMU_VERSION_MAJOR * 100 + QEMU_VERSION_MINOR)

/* 10.2 renamed a character device's front-end handle to CharFrontend. */
#if ESP8266_QEMU_VERSION < 1002
typedef CharBackend CharFrontend;
#endif

/* 10.1 moved the address-space globals' header from exec/ to system/. */
#if ESP8266_QEMU_VERSION < 1001
#include "exec/address-spaces.h"
#else
#include "system/address-spaces.h"
#endif

/* 10.1 made the data argument of a class_init function const. */
#if ESP8266_QEMU_VERSION < 1001
#define ESP8266_CLASS_DATA void
#else
#define ESP8266_CLASS_DATA const void
#endif

/* icount_enabled(): system/cpu-timers.h on 10.0, exec/icount.h on 10.2. */
#if ESP8266_QEMU_VERSION < 1002
#include "system/cpu-timers.h"
#else
#include "exec/icount.h"
#endif

#endif
