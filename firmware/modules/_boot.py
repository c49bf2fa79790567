# Frozen start-up of the ESP8266_QEMU board, run by main.c before boot.py and main.py:
# mount the filesystem on SPI flash at / (FAT, or littlefs if the user made one), and on
# the first boot (blank flash) format it as FAT.
import gc

gc.threshold((gc.mem_free() + gc.mem_alloc()) // 4)

import vfs  # noqa: E402 (after the GC threshold, as upstream)
from flashbdev import bdev  # noqa: E402

if bdev:
    try:
        vfs.mount(bdev, "/")
    except OSError:
        import inisetup

        inisetup.setup()

gc.collect()
