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

# Network: lwIP 2.2.1 (the pinned tree, LWIP_DIR, prepared by harness/firmware_build.py),
# our NIC driver and network.WLAN on the emulator's NIC, MicroPython's socket/select.
# 0 builds the firmware without any of it (see docs/firmware.md, "Network").
MICROPY_PY_NETWORK_QEMU ?= 1
ifeq ($(MICROPY_PY_NETWORK_QEMU),1)
ifeq ($(LWIP_DIR),)
$(error LWIP_DIR is not set: build through harness/firmware_build.py (invoke build), \
	which prepares the pinned lwIP tree, or pass MICROPY_PY_NETWORK_QEMU=0)
endif
CFLAGS += -DMICROPY_PY_NETWORK_QEMU=1 -I$(LWIP_DIR)/src/include
BOARD_SRC_C += $(addprefix $(HAL_DIR)/,\
	lwip_port.c \
	netif_openeth.c \
	network_qemu.c \
	)
# lwIP goes through LIB_SRC_C: compiled like the port's own files, but not scanned for qstrs.
LWIP_SRC_C = $(addprefix $(LWIP_DIR)/src/,\
	core/def.c \
	core/dns.c \
	core/inet_chksum.c \
	core/init.c \
	core/ip.c \
	core/mem.c \
	core/memp.c \
	core/netif.c \
	core/pbuf.c \
	core/raw.c \
	core/stats.c \
	core/sys.c \
	core/tcp.c \
	core/tcp_in.c \
	core/tcp_out.c \
	core/timeouts.c \
	core/udp.c \
	core/ipv4/dhcp.c \
	core/ipv4/etharp.c \
	core/ipv4/icmp.c \
	core/ipv4/igmp.c \
	core/ipv4/ip4.c \
	core/ipv4/ip4_addr.c \
	core/ipv4/ip4_frag.c \
	netif/ethernet.c \
	)
LIB_SRC_C += $(LWIP_SRC_C)
$(BUILD)/$(LWIP_DIR)/src/core/ipv4/dhcp.o: CFLAGS += -Wno-address
else
CFLAGS += -DMICROPY_PY_NETWORK_QEMU=0
endif

# No TLS (no axTLS/mbedTLS in the Debian source), no btree, no ESP-NOW. The SDK's WiFi
# driver (network_wlan.c) is replaced by hal/network_qemu.c.
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
