"""Build the stock esp8266 port for real boards (e.g. ESP8266_GENERIC) with the user's SDK.

This path is not ours to ship: it needs Espressif's NONOS SDK as packaged by esp-open-sdk (its
`xtensa-lx106-elf/` sysroot holds the SDK libraries and headers) and a full MicroPython checkout
with the submodules Debian's source leaves empty. Both are named by options or environment
variables; without them we stop at once and say what to provide.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from harness import progress
from harness.errors import BuildError, SetupError
from harness.paths import build_dir

SDK_ENV = "ESP8266_SDK_DIR"
CHECKOUT_ENV = "ESP8266_MICROPYTHON_CHECKOUT"
# Submodules the stock port needs (SSL, btree, frozen micropython-lib packages).
NEEDED_SUBMODULES = ("lib/axtls", "lib/berkeley-db-1.xx", "lib/micropython-lib")
HELP = (
    "The stock esp8266 port builds only with Espressif's SDK, which this project does not ship:\n"
    f"  --sdk DIR or {SDK_ENV}=DIR: an esp-open-sdk build (DIR/xtensa-lx106-elf/bin/"
    "xtensa-lx106-elf-gcc and the SDK in its sysroot)\n"
    f"  --checkout DIR or {CHECKOUT_ENV}=DIR: a MicroPython v1.25.0 git checkout with "
    "`git submodule update --init " + " ".join(NEEDED_SUBMODULES) + "`\n"
    "For the emulator, build the default board instead: `invoke build`."
)


@dataclass(frozen=True)
class GenericInputs:
    board: str
    sdk: Path
    checkout: Path


def resolve_inputs(board: str, sdk: str | None, checkout: str | None) -> GenericInputs:
    """Check the SDK and the checkout before anything runs; SetupError says what is missing."""
    sdk_value = sdk or os.environ.get(SDK_ENV)
    checkout_value = checkout or os.environ.get(CHECKOUT_ENV)
    problems = []
    if not sdk_value:
        problems.append("no Espressif SDK given")
    elif not (Path(sdk_value) / "xtensa-lx106-elf/bin/xtensa-lx106-elf-gcc").is_file():
        problems.append(f"{sdk_value} holds no xtensa-lx106-elf/bin/xtensa-lx106-elf-gcc")
    if not checkout_value:
        problems.append("no MicroPython checkout given")
    else:
        port = Path(checkout_value) / "ports/esp8266"
        if not port.is_dir():
            problems.append(f"{checkout_value} has no ports/esp8266")
        elif not (port / "boards" / board).is_dir():
            problems.append(f"{checkout_value} has no board {board} (ports/esp8266/boards/)")
        for sub in NEEDED_SUBMODULES:
            d = Path(checkout_value) / sub
            if port.is_dir() and (not d.is_dir() or not any(d.iterdir())):
                problems.append(f"submodule {sub} is empty in {checkout_value}")
    if problems:
        raise SetupError(f"cannot build {board}: " + "; ".join(problems) + "\n" + HELP)
    assert sdk_value and checkout_value
    return GenericInputs(board, Path(sdk_value).resolve(), Path(checkout_value).resolve())


def build_generic(inputs: GenericInputs, out_dir: Path | None = None, jobs: int = 2) -> Path:
    """make -C ports/esp8266 BOARD=...; copies firmware.bin/.elf to build/firmware-<board>/."""
    start = time.monotonic()
    out = out_dir or build_dir() / f"firmware-{inputs.board}"
    obj = out / "obj"
    env = {**os.environ, "PATH": f"{inputs.sdk / 'xtensa-lx106-elf/bin'}{os.pathsep}"
           + os.environ.get("PATH", "")}
    port = inputs.checkout / "ports/esp8266"
    with progress.step(f"make mpy-cross and the {inputs.board} firmware (your SDK)"):
        for cmd in (["make", "-C", str(inputs.checkout / "mpy-cross"), f"-j{jobs}"],
                    ["make", "-C", str(port), f"BOARD={inputs.board}", f"BUILD={obj}",
                     f"-j{jobs}"]):
            result = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if result.returncode != 0:
                tail = (result.stdout + result.stderr).strip()[-3000:]
                raise BuildError(f"`{' '.join(cmd)}` failed:\n{tail}")
    artefacts = {}
    for name in ("firmware.bin", "firmware.elf"):
        if not (obj / name).is_file():
            raise BuildError(f"the port's build finished without {obj / name}")
        shutil.copy2(obj / name, out / name)
        artefacts[name] = out / name
    progress.summary(f"invoke build --board {inputs.board}", artefacts, time.monotonic() - start)
    return out / "firmware.bin"
