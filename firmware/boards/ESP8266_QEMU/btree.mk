# SPDX-License-Identifier: MIT
# btree for the ESP8266_QEMU board (as the stock ESP8266_GENERIC has it): MicroPython's
# extmod/modbtree.c on Berkeley DB 1.85 from Debian's db1-compat, patched by
# berkeley-db-patches/ to work on a stream (docs/firmware.md, "btree"). Included by
# mpconfigboard.mk. Input from make's command line (harness/build/firmware.py passes it):
#   BERKELEY_DB_TREE   the prepared tree (sources.toml [berkeley-db], `invoke sources`)
#
# extmod.mk builds btree only from lib/berkeley-db-1.xx, empty in Debian's +ds source: make's
# MICROPY_PY_BTREE stays 0 and the C side gets MICROPY_PY_BTREE=1 here, with the stock port's
# page size and cache (ports/esp8266/Makefile's BTREE_DEFS_EXTRA) and MicroPython's own
# configuration header for the library.

ifeq ($(BERKELEY_DB_TREE),)
$(error BERKELEY_DB_TREE is not set: build through harness/build/firmware.py (invoke build), \
	which prepares the pinned Berkeley DB tree)
endif

CFLAGS += -DMICROPY_PY_BTREE=1 -I$(BERKELEY_DB_TREE)/include -I$(BERKELEY_DB_TREE) \
	-DBERKELEY_DB_CONFIG_FILE='"extmod/berkeley-db/berkeley_db_config_port.h"' \
	-DMICROPY_BERKELEY_DB_DEFPSIZE=1024 -DMICROPY_BERKELEY_DB_MINCACHE=3

LIB_SRC_C += $(addprefix $(BERKELEY_DB_TREE)/,\
	btree/bt_close.c \
	btree/bt_conv.c \
	btree/bt_debug.c \
	btree/bt_delete.c \
	btree/bt_get.c \
	btree/bt_open.c \
	btree/bt_overflow.c \
	btree/bt_page.c \
	btree/bt_put.c \
	btree/bt_search.c \
	btree/bt_seq.c \
	btree/bt_split.c \
	btree/bt_utils.c \
	mpool/mpool.c \
	)
# 1994 C (K&R definitions, signed/unsigned comparisons), as extmod.mk's own rule allows, and
# GCC 12's maybe-uninitialized on bt_delete.c's search index (set on every path that uses it).
$(BUILD)/$(BERKELEY_DB_TREE)/%.o: CFLAGS += -Wno-old-style-definition -Wno-sign-compare \
	-Wno-unused-parameter -Wno-deprecated-non-prototype -Wno-unknown-warning-option \
	-Wno-maybe-uninitialized
