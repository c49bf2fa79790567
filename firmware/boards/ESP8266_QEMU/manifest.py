# SPDX-License-Identifier: MIT
# Frozen modules of the ESP8266_QEMU board: our own _boot/flashbdev/inisetup (the port's
# inisetup needs network) plus asyncio from MicroPython's tree.
freeze("$(BOARD_DIR)/../../modules")
include("$(MPY_DIR)/extmod/asyncio")
