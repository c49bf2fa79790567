# SPDX-License-Identifier: MIT
# ESP8266_QEMU: MicroPython's esp8266 port on our open HAL (firmware/hal) instead of
# Espressif's SDK libraries and mask ROM. Built with:
#   make -C ports/esp8266 BOARD_DIR=<repo>/firmware/boards/ESP8266_QEMU \
#        HAL_LIBGCC_EXTRA=<lib> LWIP_DIR=<lwIP tree> BUILD=<dir>
# (harness/firmware_build.py does this and prepares both inputs first).

# Network: lwIP on the emulator's NIC, network.WLAN on it (network_qemu.c), socket/select and
# WebREPL. 0 builds the firmware without any of it (see docs/firmware.md, "Network").
MICROPY_PY_NETWORK_QEMU ?= 1

include $(BOARD_DIR)/../../hal/hal.mk

LD_FILES = $(BOARD_DIR)/esp8266_qemu.ld
# The port compiles every .c file here (network_qemu.c: network.WLAN, empty without network).

# ssl/tls, cryptolib, hashlib sha1/md5 on the pinned Mbed TLS, and btree on the pinned
# Berkeley DB 1.85 (Debian's +ds MicroPython source has neither axTLS, mbedTLS nor
# berkeley-db-1.xx; docs/firmware.md, "TLS, cryptolib, hashlib" and "btree"). No ESP-NOW. The
# SDK's WiFi driver (network_wlan.c) is replaced by network_qemu.c.
include $(BOARD_DIR)/mbedtls/mbedtls.mk
include $(BOARD_DIR)/btree.mk
MICROPY_PY_BTREE = 0
MICROPY_PY_ESPNOW = 0
MICROPY_PY_NETWORK_WLAN = 0
MICROPY_VFS_FAT = 1
MICROPY_VFS_LFS2 = 1

FROZEN_MANIFEST ?= $(BOARD_DIR)/manifest.py
# Debian's source has no micropython-lib; our frozen modules need none of it.
MPY_LIB_DIR = $(abspath $(BOARD_DIR)/../../micropython-lib)

# The port's SDK-era code trips GCC 12's -Warray-bounds (e.g. &flashchip + 4), and
# modmachine.h defines (not declares) pyb_pin_obj, which -fno-common (GCC >= 10) rejects.
CFLAGS += -Wno-array-bounds -fcommon
