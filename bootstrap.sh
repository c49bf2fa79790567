#!/usr/bin/env bash
# Quick start, step 1 of 2: install everything this project needs and run the main job.
#
# - system packages (apt) when run as root; otherwise prints the exact command to run
# - a Python venv in .venv with the harness and its dependencies (pyproject.toml)
# - `invoke setup` (toolchain check; in CI also the lx106 gdb) and the main job: fetch + patch
#   the pinned sources and build the emulator and the MicroPython firmware
# Running it again only does what is missing.
set -euo pipefail
cd "$(dirname "$0")"

need=()
command -v python3 >/dev/null 2>&1 || need+=(python3)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
if ((${#need[@]})); then
    if [ "$(id -u)" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
    else
        echo "error: missing ${need[*]}. Run: sudo apt-get install ${need[*]}" >&2
        echo "then run ./bootstrap.sh again." >&2
        exit 1
    fi
fi
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "error: Python >= 3.11 is needed (found $(python3 --version)); Debian 12 has 3.11." >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
# The lx106 gdb (docs/debugging.md) takes longer to build than everything else together:
# CI builds it here (its test runs in CI); elsewhere `invoke setup --gdb` or the first
# `invoke gdb` does.
setup=(setup)
if [ -n "${CI:-}" ]; then
    setup+=(--gdb)
fi
exec .venv/bin/invoke "${setup[@]}" qemu build "$@"
