# SPDX-License-Identifier: MIT
# The ESP8266_QEMU open HAL as a makefile fragment for MicroPython's esp8266 port: it stands in
# for Espressif's SDK (headers, libraries) and adds the HAL's sources. Included by a board's
# mpconfigboard.mk after it has set MICROPY_PY_NETWORK_QEMU (0 or 1). Inputs from make's
# command line (harness/firmware_build.py passes them):
#   HAL_LIBGCC_EXTRA  the lx106 libgcc helpers the mask ROM provides (docs/firmware.md)
#   LWIP_DIR          the prepared lwIP tree, with the network

HAL_DIR := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))

# Our headers replace the SDK's include dir.
ESP_SDK = $(HAL_DIR)
CFLAGS += -DMICROPY_ESP8266_QEMU -I$(HAL_DIR)/include

# Soft-float and integer helpers that the ESP8266 mask ROM provides and Debian's lx106 libgcc
# omits; built at build time from GCC's sources.
ifeq ($(HAL_LIBGCC_EXTRA),)
$(error HAL_LIBGCC_EXTRA is not set: build through harness/firmware_build.py (invoke build), \
	which prepares the lx106 libgcc helpers)
endif
ESP_SDK_LIBS = $(HAL_LIBGCC_EXTRA)

# One file per ROM/SDK service (each file's header says which).
BOARD_SRC_C += $(addprefix $(HAL_DIR)/,\
	startup.c \
	interrupts.c \
	fatal.c \
	timer.c \
	uart_os.c \
	uart_swap.c \
	flash.c \
	reset.c \
	rtc.c \
	deep_sleep.c \
	watchdog.c \
	tasks.c \
	system.c \
	adc.c \
	gpio.c \
	heap.c \
	md5.c \
	ets_mem.c \
	wifi_stub.c \
	libc_extra.c \
	)
BOARD_SRC_S += $(HAL_DIR)/vectors.S

ifeq ($(MICROPY_PY_NETWORK_QEMU),1)
ifeq ($(LWIP_DIR),)
$(error LWIP_DIR is not set: build through harness/firmware_build.py (invoke build), \
	which prepares the pinned lwIP tree, or pass MICROPY_PY_NETWORK_QEMU=0)
endif
CFLAGS += -DMICROPY_PY_NETWORK_QEMU=1 -I$(LWIP_DIR)/src/include
# lwIP's port (time base, heap, the lwIP task) and the NIC driver.
BOARD_SRC_C += $(addprefix $(HAL_DIR)/,\
	lwip_port.c \
	netif_openeth.c \
	)
# lwIP 2.2.1 (core, IPv4, DHCP, ARP, ICMP, IGMP, DNS, raw, UDP, TCP, Ethernet) goes through
# LIB_SRC_C: compiled like the port's own files, but not scanned for qstrs.
LIB_SRC_C += $(addprefix $(LWIP_DIR)/src/,\
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
$(BUILD)/$(LWIP_DIR)/src/core/ipv4/dhcp.o: CFLAGS += -Wno-address
else
CFLAGS += -DMICROPY_PY_NETWORK_QEMU=0
endif
