"""Build layer: sources, toolchains, the emulator, the firmware and the lx106 gdb."""
