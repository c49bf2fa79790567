"""Build, boot and test MicroPython on an emulated (or real) ESP8266.

The package holds all logic; ``tasks.py`` only wraps it. See docs/architecture.md.
"""

__version__ = "0.1.0"
