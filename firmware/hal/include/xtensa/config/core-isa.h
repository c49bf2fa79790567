// SPDX-License-Identifier: MIT
// The few Xtensa core-configuration macros MicroPython reads, for the ESP8266's lx106 core.
//
// Replaces the core-isa.h of Espressif's toolchain overlay, which Debian's gcc-xtensa-lx106
// does not ship. MicroPython 1.28 and later include it in py/persistentcode.h to tell the
// windowed-register ABI (ESP32) from the call0 ABI (ESP8266) for native .mpy files.
#ifndef ESP8266_QEMU_XTENSA_CONFIG_CORE_ISA_H
#define ESP8266_QEMU_XTENSA_CONFIG_CORE_ISA_H

#define XCHAL_HAVE_WINDOWED             0   // lx106: call0 ABI, no register windows

#endif // ESP8266_QEMU_XTENSA_CONFIG_CORE_ISA_H
