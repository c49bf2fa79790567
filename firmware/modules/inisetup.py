# First-boot setup of the ESP8266_QEMU board: format the flash filesystem as FAT when its
# first sector is blank, mount it at / and write a default boot.py. A filesystem that is
# neither mountable nor blank is left alone (no data is destroyed without being asked).
import vfs
from flashbdev import bdev

BOOT_PY = """\
# boot.py: runs on every boot, after the frozen _boot.py mounted the filesystem.
import gc

gc.collect()
"""


def _blank():
    buf = bytearray(bdev.SEC_SIZE)
    bdev.readblocks(0, buf)
    for b in buf:
        if b != 0xFF:
            return False
    return True


def setup():
    if not _blank():
        print(
            f"The filesystem at flash sector {bdev.start_sec} ({bdev.blocks} sectors) does not "
            "mount and is not blank.\nKeep it, or format it with: import vfs, flashbdev; "
            "vfs.VfsFat.mkfs(flashbdev.bdev); then reset."
        )
        return None
    print("Formatting the flash filesystem (FAT), first boot")
    vfs.VfsFat.mkfs(bdev)
    fs = vfs.VfsFat(bdev)
    vfs.mount(fs, "/")
    with open("boot.py", "w") as f:
        f.write(BOOT_PY)
    return fs
