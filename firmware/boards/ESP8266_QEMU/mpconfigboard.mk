# ESP8266_QEMU: MicroPython's esp8266 port on our open HAL (firmware/hal) instead of
# Espressif's SDK libraries and mask ROM. Built with:
#   make -C ports/esp8266 BOARD_DIR=<repo>/firmware/boards/ESP8266_QEMU \
#        HAL_LIBGCC_EXTRA=<lib> BUILD=<dir>
# (harness/firmware_build.py does this and builds HAL_LIBGCC_EXTRA first).

HAL_DIR := $(abspath $(BOARD_DIR)/../../hal)

LD_FILES = $(BOARD_DIR)/esp8266_qemu.ld

# Our HAL stands in for the SDK: its headers replace the SDK's include dir.
ESP_SDK = $(HAL_DIR)

# Soft-float and integer helpers that the ESP8266 mask ROM provides and Debian's
# lx106 libgcc omits; built at build time from GCC's sources (see docs/firmware.md).
ifeq ($(HAL_LIBGCC_EXTRA),)
$(error HAL_LIBGCC_EXTRA is not set: build through harness/firmware_build.py (invoke build), \
	which prepares the lx106 libgcc helpers)
endif
ESP_SDK_LIBS = $(HAL_LIBGCC_EXTRA)

BOARD_SRC_C = $(addprefix $(HAL_DIR)/,\
	startup.c \
	interrupts.c \
	fatal.c \
	timer.c \
	uart_os.c \
	flash.c \
	system.c \
	heap.c \
	md5.c \
	wifi_stub.c \
	libc_extra.c \
	)
BOARD_SRC_S = $(HAL_DIR)/vectors.S

# No TLS (no axTLS/mbedTLS in the Debian source), no btree, no ESP-NOW, and no network
# until the NIC + lwIP work lands.
MICROPY_PY_SSL = 0
MICROPY_SSL_AXTLS = 0
MICROPY_PY_BTREE = 0
MICROPY_PY_ESPNOW = 0
MICROPY_PY_NETWORK_WLAN = 0
MICROPY_VFS_FAT = 1
MICROPY_VFS_LFS2 = 1

FROZEN_MANIFEST ?= $(BOARD_DIR)/manifest.py
# Debian's source has no micropython-lib; our frozen modules need none of it.
MPY_LIB_DIR = $(abspath $(BOARD_DIR)/../../micropython-lib)

# The port's SDK-era code trips GCC 12's -Warray-bounds (e.g. &flashchip + 4).
CFLAGS += -Wno-array-bounds
# ... and modmachine.h defines (not declares) pyb_pin_obj, which -fno-common (GCC >= 10) rejects.
CFLAGS += -fcommon

CFLAGS += -DMICROPY_ESP8266_QEMU -I$(HAL_DIR)/include
