"""Tasks of the ESP8266-on-QEMU project. Thin wrappers: the logic lives in harness/.

`invoke --list` shows them; every help line starts with its group (setup, build, test, misc).
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
from collections.abc import Callable
from typing import Any

from invoke import Context, Exit, task

from harness import paths
from harness.errors import HarnessError
from harness.signals import describe, raise_on_signals


def friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn our errors into a clean message and exit code instead of a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            # SIGTERM/SIGHUP unwind like Ctrl-C: boards and networks are torn down.
            with raise_on_signals():
                return func(*args, **kwargs)
        except HarnessError as exc:
            raise Exit(f"\nerror: {exc}", code=getattr(exc, "exit_code", 1)) from None
        except KeyboardInterrupt as exc:
            message, code = describe(exc)
            raise Exit(f"\n{message}", code=code) from None

    return wrapper


@task(help={"no_install": "only check, never run apt-get",
            "gdb": "also build xtensa-lx106-elf-gdb into the cache (docs/debugging.md)"})
@friendly
def setup(c: Context, no_install: bool = False, gdb: bool = False) -> None:
    """setup: install system packages (apt, as root) and check the xtensa toolchain."""
    from harness.build import setup as system_setup

    system_setup.setup(install=not no_install)
    if gdb:
        from harness.build import gdb as gdb_build

        if not no_install:
            system_setup.install_packages(gdb_build.APT_PACKAGES)
        gdb_build.ensure_gdb()


@task(
    iterable=["name"],
    help={
        "name": "micropython, lwip or qemu (repeatable; default: all)",
        "origin": "debian (default), git (upstream tag) or local ($ESP8266_QEMU_<NAME>_DIR)",
        "ref": "with --origin git: MicroPython's tag or branch, e.g. v1.28.0 or master "
               "(default: the pin's tag)",
        "fresh": "re-create the trees from the pristine sources",
        "cache": f"download cache (default ${paths.CACHE_ENV} or ~/.cache/esp8266-qemu)",
        "micropython": "which pinned MicroPython, e.g. 1.26 (default: sources.toml's "
                       "[micropython])",
    },
)
@friendly
def sources(c: Context, name: list[str] | None = None, origin: str | None = None,
            fresh: bool = False, cache: str | None = None,
            micropython: str | None = None, ref: str | None = None) -> None:
    """build: fetch, verify, unpack and patch the pinned sources into build/src/."""
    from harness.build.orchestrate import prepare_sources

    prepare_sources(name, origin=origin, fresh=fresh, cache=paths.cache_dir(cache),
                    micropython=micropython, ref=ref)


@task(
    help={
        "jobs": "parallel compile jobs (default: all cores)",
        "origin": "where the QEMU source comes from (see `invoke sources`)",
        "fresh": "re-create the QEMU tree from the pristine source first",
        "cache": "download cache directory",
        "version": "another pinned QEMU, e.g. 10.2 (into build/qemu-<version>/; default: "
                   "sources.toml's [qemu] into build/qemu/)",
    }
)
@friendly
def qemu(c: Context, jobs: int = 0, origin: str | None = None, fresh: bool = False,
         cache: str | None = None, version: str | None = None) -> None:
    """build: build qemu-system-xtensa with our esp8266 machine into build/qemu/."""
    from harness.build import rom
    from harness.build.qemu import build_qemu

    build_qemu(jobs=jobs or None, origin=origin, fresh=fresh, cache=paths.cache_dir(cache),
               version=version)
    rom.build_rom()  # the machine's -bios: our open ROM entry points (esptool's stub)


@task(
    help={
        "board": "ESP8266_QEMU (default, our open HAL) or a stock board, e.g. ESP8266_GENERIC",
        "jobs": "parallel jobs (default: all cores)",
        "origin": "where MicroPython comes from (see `invoke sources`)",
        "ref": "with --origin git: MicroPython's tag or branch (see `invoke sources`)",
        "sdk": "stock boards only: esp-open-sdk directory ($ESP8266_SDK_DIR)",
        "checkout": "stock boards only: full MicroPython checkout ($ESP8266_MICROPYTHON_CHECKOUT)",
        "micropython": "pinned MicroPython version, e.g. 1.26 (default: sources.toml's "
                       "[micropython]); output in build/firmware-<version>/",
    }
)
@friendly
def build(c: Context, board: str = "ESP8266_QEMU", jobs: int = 0, origin: str | None = None,
          sdk: str | None = None, checkout: str | None = None,
          micropython: str | None = None, ref: str | None = None) -> None:
    """build: build the MicroPython firmware (elf, bin, flash image, size report)."""
    from harness.build.orchestrate import build_board

    build_board(board, jobs=jobs, origin=origin, sdk=sdk, checkout=checkout,
                micropython=micropython, ref=ref)


@task(
    help={
        "suite": "host, machine or board (repeatable; default: all)",
        "k": "only tests matching this pytest -k expression",
        "pytest_args": "extra arguments for pytest, as one string",
        "jobs": "parallel pytest workers (pytest-xdist), each with its own QEMU (default 2, "
                "or 1 on a single CPU; 1 runs serially)",
        "micropython": "only this pinned MicroPython version, e.g. 1.26 (default: the default "
                       "version, then the board suite on every other pinned one)",
        "netem": "tap network faults on every board link: lossy, slow or netem's words "
                 "(e.g. 'loss 10% delay 50ms'); docs/reliability.md",
        "clock": "guest clock of every board: realtime or icount (default: icount for the "
                 "timing tests marked icount, realtime for the rest); docs/timing.md",
        "record": "record the boards (icount); keep a replay bundle for each failing test in "
                  "build/reports/replays/ (`invoke replay DIR`); the main run only",
    },
    iterable=["suite"],
)
@friendly
def test(c: Context, suite: list[str] | None = None, k: str = "", pytest_args: str = "",
         jobs: int = 0, micropython: str | None = None, netem: str = "",
         clock: str = "", record: bool = False) -> None:
    """test: run the test suites (host, machine, board) with JUnit XML in build/reports/."""
    from harness.cli.test_runner import run_suites

    run_suites(suite, k=k, pytest_args=pytest_args, jobs=jobs, micropython=micropython,
               netem=netem, clock=clock, record=record)


@task(
    help={
        "runs": "how many times to run the suites (default 3)",
        "jobs": "pytest-xdist workers per run (default 2)",
        "hog": "one CPU hog process beside the runs (a busy loop), as on a loaded CI host",
        "suite": "host, machine or board (repeatable; default: machine and board)",
        "k": "only tests matching this pytest -k expression",
        "pytest_args": "extra arguments for pytest, as one string",
    },
    iterable=["suite"],
)
@friendly
def soak(c: Context, runs: int = 3, jobs: int = 2, hog: bool = False,
         suite: list[str] | None = None, k: str = "", pytest_args: str = "") -> None:
    """test: the suites N times (optionally with CPU hogs): failures per test, leftovers."""
    from harness.cli.soak import soak as run_soak

    run_soak(runs, jobs=jobs, hog=1 if hog else 0, suites=suite, k=k, pytest_args=pytest_args)


_TARGET_HELP = {
    "target": "qemu (default) or serial",
    "port": "serial port of a real board (with --target serial)",
    "firmware": "firmware dir or file (default build/firmware/)",
    "qemu_binary": "emulator (default $ESP8266_QEMU_BINARY, else build/qemu/qemu-system-xtensa)",
    "clock": "guest clock: realtime (default) or icount (deterministic, chip speed; "
             "docs/timing.md)",
}


def _target_options(target: str, port: str | None, firmware: str | None,
                    qemu_binary: str | None, flash: str | None = None,
                    clock: str = "realtime") -> Any:
    from pathlib import Path

    from harness.cli.targets import TargetOptions, check_clock

    return TargetOptions(
        target=target, port=port, firmware=Path(firmware) if firmware else None,
        qemu_binary=Path(qemu_binary) if qemu_binary else None,
        flash=Path(flash) if flash else None, clock=check_clock(clock),
    )


_BOARD_HELP = {
    **_TARGET_HELP,
    "net": "give the emulated board a NIC: user (slirp, 127.0.0.1 forwards) or tap",
    "flash": "flash file kept across runs (made from the firmware when missing)",
}


@task(help=_BOARD_HELP)
@friendly
def repl(c: Context, target: str = "qemu", port: str | None = None,
         firmware: str | None = None, qemu_binary: str | None = None,
         net: str | None = None, flash: str | None = None, clock: str = "realtime") -> None:
    """misc: interactive REPL on the (emulated) board's UART; Ctrl-] quits."""
    from harness.cli import interactive

    interactive.repl(_target_options(target, port, firmware, qemu_binary, flash, clock),
                     net=net)


_RUN_HELP = {"file": "the Python script to run on the board",
             "timeout": "seconds before the script is stopped (default: none)", **_BOARD_HELP}


@task(help=_RUN_HELP, positional=["file"])
@friendly
def run(c: Context, file: str | None = None, target: str = "qemu", port: str | None = None,
        firmware: str | None = None, qemu_binary: str | None = None,
        net: str | None = None, flash: str | None = None, timeout: float = 0,
        clock: str = "realtime") -> None:
    """misc: run FILE.py on the (emulated) board and stream its output."""
    from pathlib import Path

    from harness.cli import interactive

    if not file or file in ("-h", "--help"):
        # the positional FILE takes `--help` as a file name: answer it as help
        options = "\n".join(f"  --{name.replace('_', '-'):<13} {text}"
                            for name, text in _RUN_HELP.items() if name != "file")
        raise Exit(f"usage: invoke run FILE.py [options]\n\nrun FILE.py on the (emulated) "
                   f"board and stream its output\n\noptions:\n{options}", code=0 if file else 1)
    code = interactive.run(_target_options(target, port, firmware, qemu_binary, flash, clock),
                           Path(file), timeout=timeout or None, net=net)
    if code:
        raise Exit(code=code)


@task(
    help={
        "boards": "how many boards (default 1)",
        "net": "give the boards a NIC: user (slirp) or tap (a namespace)",
        "forward": "board TCP port reachable on 127.0.0.1 (repeatable; default 8266, WebREPL)",
        "flash": "flash file kept across runs (default build/run/board0/flash.img)",
        "fresh": "start over from the firmware's flash image",
        "download": "GPIO0 low: the ROM's download mode, for esptool",
        "gdb": "QEMU's gdbstub on 127.0.0.1:PORT (--gdb alone: a free port)",
        "wait_gdb": "the CPU waits for gdb's `continue` (implies --gdb)",
        "password": "WebREPL password with --net (default esp8266)",
        "firmware": _TARGET_HELP["firmware"], "qemu_binary": _TARGET_HELP["qemu_binary"],
        "clock": _TARGET_HELP["clock"],
        "wires": "pads wired together on every board, e.g. 4-5 (GPIO4 to GPIO5, as "
                 "MicroPython's tests/target_wiring/esp8266.py asks); A-B,C-D for more",
    },
    iterable=["forward"],
    optional=["gdb"],
)
@friendly
def serve(c: Context, boards: int = 1, net: str | None = None, forward: list[str] | None = None,
          flash: str | None = None, fresh: bool = False, download: bool = False,
          gdb: Any = None, wait_gdb: bool = False, password: str = "esp8266",
          firmware: str | None = None, qemu_binary: str | None = None,
          clock: str = "realtime", wires: str = "") -> None:
    """misc: serve emulated board(s) for mpremote, picocom, esptool, WebREPL, gdb until Ctrl-C."""
    from pathlib import Path

    from harness.cli.serve import DEFAULT_FORWARDS, ServeOptions
    from harness.cli.serve import serve as serve_boards
    from harness.cli.targets import check_clock

    try:
        forwards = tuple(int(p) for p in forward) if forward else DEFAULT_FORWARDS
        gdb_port = None if gdb is None else 0 if gdb is True else int(gdb)  # --gdb: a free port
    except ValueError:
        raise Exit(f"--forward/--gdb take a port number, not {forward or gdb!r}") from None
    serve_boards(ServeOptions(
        boards=boards, firmware=Path(firmware) if firmware else None,
        qemu_binary=Path(qemu_binary) if qemu_binary else None, net=net, forwards=forwards,
        flash=Path(flash) if flash else None, fresh=fresh, download=download, gdb=gdb_port,
        wait_gdb=wait_gdb, webrepl_password=password, clock=check_clock(clock),
        gpio_wires=wires))


@task(
    help={"jobs": "boards in parallel, each with its own QEMU and run-tests.py (default 1)",
          "dirs": "test directories under tests/, e.g. basics (repeatable; default: what "
                  "run-tests.py runs on esp8266)",
          "include": "only tests matching this regex (run-tests.py -i; repeatable)",
          "exclude": "not the tests matching this regex (run-tests.py -e; repeatable)",
          "via_mpy": "compile each test to .mpy with the tree's mpy-cross first",
          "emit": "bytecode (default) or native (implies --via-mpy)",
          "micropython": "pinned MicroPython version, e.g. 1.26 (default: sources.toml's)",
          "firmware": "firmware dir (default build/firmware-<version>/)",
          "clock": "the boards' guest clock: auto (default: the timing tests on icount "
                   "boards, the rest on realtime ones), realtime or icount (docs/timing.md)",
          "qemu_binary": _TARGET_HELP["qemu_binary"]},
    iterable=["dirs", "include", "exclude"],
)
@friendly
def test_upstream(c: Context, jobs: int = 1, dirs: list[str] | None = None,
                  include: list[str] | None = None, exclude: list[str] | None = None,
                  via_mpy: bool = False, emit: str = "bytecode", micropython: str | None = None,
                  firmware: str | None = None, qemu_binary: str | None = None,
                  clock: str = "auto") -> None:
    """test: MicroPython's own tests/run-tests.py on emulated boards (docs/upstream-tests.md)."""
    from pathlib import Path

    from harness.cli.upstream import UpstreamOptions, run

    run(UpstreamOptions(
        jobs=jobs, dirs=tuple(dirs or ()), include=tuple(include or ()),
        exclude=tuple(exclude or ()), via_mpy=via_mpy, emit=emit, micropython=micropython,
        firmware=Path(firmware) if firmware else None,
        qemu_binary=Path(qemu_binary) if qemu_binary else None, clock=clock))


@task(
    help={"micropython": "pinned MicroPython version, e.g. 1.26 (default: sources.toml's)",
          "clock": "the board's guest clock: icount (default: about chip speed) or realtime",
          "average": "runs per benchmark (run-perfbench.py -a; default 3)",
          "file": "only this benchmark, e.g. perf_bench/bm_fft.py (repeatable)",
          "no_reference": "skip the unix port reference (no unix build)",
          "firmware": "firmware dir (default build/firmware-<version>/)",
          "qemu_binary": _TARGET_HELP["qemu_binary"]},
    iterable=["file"],
)
@friendly
def perfbench(c: Context, micropython: str | None = None, clock: str = "icount",
              average: int = 3, file: list[str] | None = None, no_reference: bool = False,
              firmware: str | None = None, qemu_binary: str | None = None) -> None:
    """test: MicroPython's run-perfbench.py on the board, the unix port as reference."""
    from pathlib import Path

    from harness.cli.perfbench import PerfOptions, run

    run(PerfOptions(micropython=micropython, clock=clock, average=average,
                    files=tuple(file or ()), reference=not no_reference,
                    firmware=Path(firmware) if firmware else None,
                    qemu_binary=Path(qemu_binary) if qemu_binary else None))


@task(
    help={"micropython": "pinned MicroPython version, e.g. 1.26 (default: sources.toml's)",
          "include": "only tests matching this regex (repeatable)",
          "exclude": "not the tests matching this regex (repeatable)",
          "firmware": "firmware dir (default build/firmware-<version>/)",
          "qemu_binary": _TARGET_HELP["qemu_binary"]},
    iterable=["include", "exclude"],
)
@friendly
def multitests(c: Context, micropython: str | None = None, include: list[str] | None = None,
               exclude: list[str] | None = None, firmware: str | None = None,
               qemu_binary: str | None = None) -> None:
    """test: MicroPython's run-multitests.py multi_net on two emulated boards (tap network)."""
    from pathlib import Path

    from harness.cli.multitests import MultiOptions, run

    run(MultiOptions(micropython=micropython, include=tuple(include or ()),
                     exclude=tuple(exclude or ()),
                     firmware=Path(firmware) if firmware else None,
                     qemu_binary=Path(qemu_binary) if qemu_binary else None))


@task(
    help={"k": "only tests matching this pytest -k expression",
          "pytest_args": "extra arguments for pytest, as one string",
          "qemu_binary": _TARGET_HELP["qemu_binary"]},
)
@friendly
def test_qemu(c: Context, k: str = "", pytest_args: str = "", qemu_binary: str = "") -> None:
    """test: machine and board tests on the emulated ESP8266 (builds the emulator if missing)."""
    from harness.cli.test_runner import run_on_qemu

    run_on_qemu(k=k, pytest_args=pytest_args, qemu_binary=qemu_binary)


@task(help={"port": "serial port of a real board (e.g. /dev/ttyUSB0)",
            "qemu": "flash the emulated board instead: writes this flash image file",
            "image": "firmware.bin to write (default build/firmware/firmware.bin)",
            "baud": "esptool baud rate for a real board (default 460800)"})
@friendly
def flash(c: Context, port: str = "", qemu: str = "", image: str = "",
          baud: int = 460800) -> None:
    """build: write firmware.bin with esptool to a board (--port) or an emulated one (--qemu)."""
    from pathlib import Path

    from harness.cli import flash as flasher

    firmware = Path(image) if image else None
    if bool(port) == bool(qemu):
        raise Exit("give --port PORT (a real board) or --qemu FLASH.img (the emulated board)")
    if port:
        flasher.flash_board(port, firmware, baud)
    else:
        flasher.flash_emulated(Path(qemu), firmware)


@task(help={"host": "board address as the host reaches it (default 127.0.0.1: a forward)",
            "port": "WebREPL port (default 8266)",
            "password": "WebREPL password (asked for when not given)",
            "put": "upload LOCAL:REMOTE", "get": "download REMOTE:LOCAL",
            "command": "run one command and print its output"})
@friendly
def webrepl(c: Context, host: str = "127.0.0.1", port: int = 8266, password: str | None = None,
            put: str = "", get: str = "", command: str = "") -> None:
    """misc: WebREPL client: an interactive REPL, or --put/--get a file, or one --command."""
    from harness.board.webrepl import webrepl_main

    def pair(value: str, what: str) -> tuple[str, str] | None:
        if not value:
            return None
        if ":" not in value:
            raise Exit(f"--{what} takes two paths as FROM:TO")
        a, b = value.split(":", 1)
        return a, b

    code = webrepl_main(host, port, password, put=pair(put, "put"), get=pair(get, "get"),
                        command=command or None)
    if code:
        raise Exit(code=code)


@task(help={"runs": "samples per benchmark (default 10)",
            "no_build": "skip the cached-rebuild benchmark",
            "net": "also the network benchmarks in this mode: tap or user",
            "micropython": "firmware of this pinned MicroPython version, e.g. 1.26",
            "netem": "tap mode: also on these faulty-link profiles, comma-separated "
                     "(default lossy,slow; 'none' to skip)",
            "boards": "instead: N boards at once, each a mix of REPL, compute, sleeps and TCP "
                      "(e.g. 16): wall time, CPU per board, slowest round trip",
            **_TARGET_HELP})
@friendly
def bench(c: Context, runs: int = 10, no_build: bool = False, net: str | None = None,
          netem: str = "lossy,slow", target: str = "qemu", port: str | None = None,
          firmware: str | None = None, qemu_binary: str | None = None,
          micropython: str | None = None, clock: str = "realtime", boards: int = 0) -> None:
    """test: benchmarks (boot, REPL, transfers, CPU, rebuild, network) -> build/reports/."""
    from harness.cli import bench as benchmarks

    if micropython and not firmware:
        from harness.build.versions import firmware_dir_for

        firmware = str(firmware_dir_for(micropython))
    profiles = tuple(p for p in netem.split(",") if p and p != "none")
    if boards:
        from harness.cli.bench_scale import scale

        options = _target_options(target, port, firmware, qemu_binary, clock=clock)
        benchmarks.report(scale(options, boards=boards, net=net), merge=True)
        return
    benchmarks.run(_target_options(target, port, firmware, qemu_binary, clock=clock), runs=runs,
                   include_build=not no_build, net=net, netem=profiles)


@task(
    iterable=["ex"],
    help={"port": "attach to a running gdbstub: PORT or HOST:PORT (default: start a board)",
          "firmware": "firmware dir or ELF (default build/firmware/)",
          "qemu_binary": "emulator (default build/qemu/qemu-system-xtensa)",
          "wait": "started board: halt the CPU at reset until gdb continues",
          "ex": "a gdb command to run after attaching (repeatable)",
          "batch": "run the --ex commands and exit (gdb -batch)",
          "rebuild": "build the gdb again first"},
)
@friendly
def gdb(c: Context, port: str | None = None, firmware: str | None = None,
        qemu_binary: str | None = None, wait: bool = False, ex: list[str] | None = None,
        batch: bool = False, rebuild: bool = False) -> None:
    """misc: xtensa-lx106-elf-gdb on the emulated board (built on first use)."""
    from pathlib import Path

    from harness.build import gdb as gdb_build
    from harness.cli import gdb as gdb_cli

    binary = gdb_build.ensure_gdb(rebuild=rebuild)
    code = gdb_cli.run(gdb_cli.GdbOptions(
        port=port, firmware=Path(firmware) if firmware else None,
        qemu_binary=Path(qemu_binary) if qemu_binary else None, wait=wait, batch=batch,
        commands=tuple(ex or ()), gdb_binary=binary))
    if code:
        raise Exit(code=code)


@task(
    iterable=["ex"],
    positional=["bundle"],
    help={"bundle": "a replay bundle: build/reports/replays/<test>-<board>/ "
                    "(kept by `invoke test --record` for each failing test)",
          "gdb": "the replay waits for xtensa-lx106-elf-gdb, started attached to it",
          "ex": "with --gdb: a gdb command to run after attaching (repeatable)",
          "batch": "with --gdb: run the --ex commands, then continue to the end"},
)
@friendly
def replay(c: Context, bundle: str | None = None, gdb: bool = False, ex: list[str] | None = None,
           batch: bool = False) -> None:
    """test: replay a recorded board run instruction for instruction; compares UART0 output."""
    from pathlib import Path

    from harness.cli import replay as replay_cli

    if not bundle:
        raise Exit("usage: invoke replay BUNDLE_DIR [--gdb [--ex CMD ...] [--batch]]; "
                   "bundles come from `invoke test --record` (build/reports/replays/)")
    code = replay_cli.run(Path(bundle), gdb=gdb, commands=tuple(ex or ()), batch=batch)
    if code:
        raise Exit(code=code)


@task(help={"cache": "also delete the download cache"})
def clean(c: Context, cache: bool = False) -> None:
    """misc: delete build/ (and with --cache the download cache)."""
    targets = [paths.build_dir()] + ([paths.cache_dir()] if cache else [])
    for target in targets:
        if target.exists():
            print(f"removing {target}")
            shutil.rmtree(target)


@task
def lint(c: Context) -> None:
    """misc: ruff over harness/, tests/ and tasks.py."""
    c.run(f"{sys.executable} -m ruff check harness tests tasks.py", pty=os.isatty(1))
