# Block device over the SPI flash after the firmware: from esp.flash_user_start() (1 MiB on
# this board) to the end of flash minus the 20 KiB that the SDK-era code reserves at the
# top. One block is one 4 KiB erase sector.
import esp


class FlashBdev:
    SEC_SIZE = 4096

    def __init__(self, start_sec, blocks):
        self.start_sec = start_sec
        self.blocks = blocks

    def readblocks(self, n, buf, off=0):
        esp.flash_read((n + self.start_sec) * self.SEC_SIZE + off, buf)

    def writeblocks(self, n, buf, off=None):
        if off is None:
            # Whole-block write (FAT): erase first.
            esp.flash_erase(n + self.start_sec)
            off = 0
        esp.flash_write((n + self.start_sec) * self.SEC_SIZE + off, buf)

    def ioctl(self, op, arg):
        if op == 4:  # MP_BLOCKDEV_IOCTL_BLOCK_COUNT
            return self.blocks
        if op == 5:  # MP_BLOCKDEV_IOCTL_BLOCK_SIZE
            return self.SEC_SIZE
        if op == 6:  # MP_BLOCKDEV_IOCTL_BLOCK_ERASE
            esp.flash_erase(arg + self.start_sec)
            return 0
        return None


def _make():
    size = esp.flash_size()
    if size < 1024 * 1024:
        return None
    start = esp.flash_user_start() // FlashBdev.SEC_SIZE
    end = (size - 20 * 1024) // FlashBdev.SEC_SIZE
    return FlashBdev(start, end - start)


bdev = _make()
