"""Build layer: pinned sources (apt, patches), the emulator, the firmware, machine test programs,
images (esptool's library) and where the artefacts are. Imports nothing from board/, emulator/,
plugins/, cli/ or network/ (tests/host/test_layering.py checks it)."""
