"""Build MicroPython's esp8266 port for our board ESP8266_QEMU (open HAL, no Espressif SDK).

``build_firmware(mpy_tree, out_dir, jobs)`` runs, incrementally:

1. the lx106 libgcc helpers (soft-float, integer division) that the ESP8266 mask ROM provides
   and Debian's lx106 libgcc omits: assembled from GCC's own ``libgcc/config/xtensa`` sources,
   taken at build time from Debian's ``gcc-12-source`` package (downloaded into the cache,
   never committed) and configured by the toolchain's installed ``xtensa-config.h``;
2. ``mpy-cross`` and ``make -C ports/esp8266 BOARD_DIR=firmware/boards/ESP8266_QEMU``;
3. the image (``harness.build.image``, on esptool's library): ``firmware.bin`` in upstream's
   layout (esptool v1 header image at 0x0, padded, ``.irom0.text`` at 0x9000) and
   ``flash.img`` (firmware.bin in a 2 MiB 0xFF-filled image);
4. a size report (IRAM, DRAM, IROM used against the linker script's limits) that fails on
   overflow.

Outputs in ``out_dir``: firmware.elf, firmware.bin, flash.img, firmware.map, size.txt.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from harness import progress
from harness.build import image
from harness.errors import BuildError, SetupError
from harness.paths import REPO_ROOT, build_dir, cache_dir

BOARD_DIR = REPO_ROOT / "firmware" / "boards" / "ESP8266_QEMU"
CROSS = "xtensa-lx106-elf-"
FLASH_SIZE = 2 * 1024 * 1024

GCC_SOURCE_PACKAGE = "gcc-12-source"
# The helpers of GCC's libgcc/config/xtensa/t-xtensa (LIB1ASMFUNCS).
LIB1_FUNCS = (
    "_mulsi3 _divsi3 _modsi3 _udivsi3 _umodsi3 _umulsidi3 _clz _clzsi2 _ctzsi2 _ffssi2 "
    "_ashldi3 _ashrdi3 _lshrdi3 _bswapsi2 _bswapdi2 "
    "_negsf2 _addsubsf3 _mulsf3 _divsf3 _cmpsf2 _fixsfsi _fixsfdi _fixunssfsi _fixunssfdi "
    "_floatsisf _floatunsisf _sqrtf _recipsf2 _rsqrtsf2 _floatdisf _floatundisf "
    "_negdf2 _addsubdf3 _muldf3 _divdf3 _cmpdf2 _fixdfsi _fixdfdi _fixunsdfsi _fixunsdfdi "
    "_floatsidf _floatunsidf _floatdidf _floatundidf _truncdfsf2 _extendsfdf2 "
    "_sqrt _recipdf2 _rsqrtdf2"
).split()
LIB1_SOURCES = ("lib1funcs.S", "ieee754-sf.S", "ieee754-df.S")
# Always ours: needed by libc_extra.c's 64-bit multiply.
LIB1_ALWAYS = {"_umulsidi3"}


@dataclass(frozen=True)
class SizeReport:
    """Bytes used per memory region and the linker script's limits."""

    iram: int
    iram_limit: int
    dram: int  # .data + .rodata + .bss (includes MicroPython's static GC heap)
    dram_limit: int
    irom: int
    irom_limit: int
    gc_heap: int = 0
    hal_heap: int = 0

    def overflows(self) -> list[str]:
        out = []
        for name, used, limit in (
            ("IRAM", self.iram, self.iram_limit),
            ("DRAM", self.dram, self.dram_limit),
            ("IROM", self.irom, self.irom_limit),
        ):
            if used > limit:
                out.append(f"{name} overflows by {used - limit} bytes ({used} > {limit})")
        return out

    def format(self) -> str:
        def line(name: str, used: int, limit: int, note: str = "") -> str:
            pct = 100.0 * used / limit if limit else 0.0
            return f"{name:5} {used:8d} / {limit:8d} bytes  {pct:5.1f}%{note}"

        lines = [
            line("IRAM", self.iram, self.iram_limit),
            line("DRAM", self.dram, self.dram_limit,
                 f"  (GC heap {self.gc_heap}, HAL heap left {self.hal_heap})"),
            line("IROM", self.irom, self.irom_limit),
        ]
        return "\n".join(lines)


@dataclass(frozen=True)
class FirmwareBuild:
    """What build_firmware() wrote (the names build.artifacts.FirmwareArtifacts looks for)."""

    elf: Path
    bin: Path
    flash_img: Path
    map: Path
    size: SizeReport


def parse_symbols(nm_output: str) -> dict[str, int]:
    """Map symbol names to values from ``nm`` output (``value type name`` lines)."""
    syms: dict[str, int] = {}
    for raw in nm_output.splitlines():
        parts = raw.split()
        if len(parts) == 3:
            try:
                syms[parts[2]] = int(parts[0], 16)
            except ValueError:
                continue
    return syms


def parse_sections(readelf_output: str) -> dict[str, tuple[int, int]]:
    """Map section names to (address, size) from ``readelf -SW`` output."""
    out: dict[str, tuple[int, int]] = {}
    pat = re.compile(r"\]\s+(\S+)\s+\S+\s+([0-9a-fA-F]{8})\s+[0-9a-fA-F]+\s+([0-9a-fA-F]+)")
    for raw in readelf_output.splitlines():
        m = pat.search(raw)
        if m:
            out[m.group(1)] = (int(m.group(2), 16), int(m.group(3), 16))
    return out


def size_report(sections: dict[str, tuple[int, int]], syms: dict[str, int]) -> SizeReport:
    """Compute region usage from section sizes and the linker script's limit symbols."""

    def size(name: str) -> int:
        return sections.get(name, (0, 0))[1]

    missing = [s for s in ("_iram_limit", "_dram_limit", "_irom_limit") if s not in syms]
    if missing:
        raise BuildError(
            f"the ELF lacks {', '.join(missing)}: the board's linker script "
            f"({BOARD_DIR / 'esp8266_qemu.ld'}) must define them"
        )
    dram = size(".data") + size(".rodata") + size(".bss")
    hal_heap = 0
    if "_heap_start" in syms and "_heap_end" in syms:
        hal_heap = max(0, syms["_heap_end"] - syms["_heap_start"])
    return SizeReport(
        iram=size(".text"),
        iram_limit=syms["_iram_limit"],
        dram=dram,
        dram_limit=syms["_dram_limit"],
        irom=size(".irom0.text"),
        irom_limit=syms["_irom_limit"],
        gc_heap=syms.get("__gc_heap_size", 0),
        hal_heap=hal_heap,
    )


def _run(cmd: list[str], what: str, cwd: Path | None = None,
         env: dict[str, str] | None = None) -> str:
    try:
        res = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    except FileNotFoundError as e:
        raise SetupError(f"{what}: {e.filename} not found; run `invoke setup` "
                         "(needs gcc-xtensa-lx106, binutils-xtensa-lx106)") from e
    if res.returncode != 0:
        tail = "\n".join((res.stdout + res.stderr).strip().splitlines()[-40:])
        raise BuildError(f"{what} failed (exit {res.returncode}):\n{tail}")
    return res.stdout


def _tool(name: str) -> str:
    path = shutil.which(CROSS + name)
    if not path:
        raise SetupError(f"{CROSS}{name} not found: install gcc-xtensa-lx106 and "
                         "binutils-xtensa-lx106 (`invoke setup`)")
    return path


# ---- lx106 libgcc helpers -------------------------------------------------------------------


def _gcc_xtensa_sources(cache: Path) -> Path:
    """GCC's libgcc/config/xtensa sources, extracted from Debian's gcc-12-source."""
    dest = cache / "gcc-xtensa-libgcc"
    if all((dest / f).is_file() for f in LIB1_SOURCES):
        return dest
    from harness.build.apt import AptDownloader

    deb = AptDownloader(cache).download_deb(GCC_SOURCE_PACKAGE, "GCC's libgcc sources")
    tmp = cache / "gcc-xtensa-libgcc.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    with progress.step(f"extract libgcc/config/xtensa from {deb.name}"):
        script = (
            f"dpkg-deb --fsys-tarfile '{deb}' | tar -xO --wildcards './usr/src/gcc-*/gcc-*.tar.*'"
            " | tar -xJ --wildcards --strip-components=4 -C . 'gcc-*/libgcc/config/xtensa/*'"
        )
        _run(["sh", "-c", script], f"extracting GCC's xtensa libgcc sources from {deb}", cwd=tmp)
    for f in LIB1_SOURCES:
        if not (tmp / f).is_file():
            raise BuildError(f"{f} not found in {deb}; delete it and retry")
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)
    return dest


def _xtensa_config_dir() -> Path:
    gcc = _tool("gcc")
    out = _run([gcc, "-print-file-name=plugin"], "locating GCC's plugin dir").strip()
    inc = Path(out) / "include"
    if not (inc / "xtensa-config.h").is_file():
        raise SetupError(f"{inc / 'xtensa-config.h'} not found: the lx106 GCC's core "
                         "configuration header is needed to assemble libgcc helpers")
    return inc


def build_libgcc_helpers(out_dir: Path, cache: Path | None = None) -> Path:
    """Build liblx106helpers.a: the lib1funcs helpers Debian's lx106 libgcc lacks."""
    cache = cache or cache_dir()
    lib = out_dir / "liblx106helpers.a"
    if lib.is_file():
        return lib
    src = _gcc_xtensa_sources(cache)
    inc = _xtensa_config_dir()
    gcc, ar, nm = _tool("gcc"), _tool("ar"), _tool("nm")
    libgcc = _run([gcc, "-print-libgcc-file-name"], "locating libgcc").strip()
    have = {s.split()[-1] for s in _run([nm, "-g", "--defined-only", libgcc], "nm libgcc")
            .splitlines() if len(s.split()) == 3}
    work = out_dir / "lx106helpers"
    work.mkdir(parents=True, exist_ok=True)
    objs: list[str] = []
    with progress.step("lx106 libgcc helpers (soft-float, division) from GCC's sources"):
        for func in LIB1_FUNCS:
            obj = work / f"{func}.o"
            _run([gcc, "-c", "-O2", "-mtext-section-literals", f"-DL{func}", f"-I{inc}",
                  f"-I{src}", "-o", str(obj), str(src / "lib1funcs.S")],
                 f"assembling {func} from GCC's lib1funcs.S")
            defined = {s.split()[-1] for s in _run([nm, "-g", "--defined-only", str(obj)],
                                                   "nm").splitlines() if len(s.split()) == 3}
            if not defined:
                continue
            if func in LIB1_ALWAYS or not defined & have:
                objs.append(str(obj))
            elif not defined <= have:
                raise BuildError(f"{func} defines {sorted(defined)}; libgcc has only part of "
                                 f"them ({sorted(defined & have)}): cannot mix; report this")
        tmp = lib.with_suffix(".tmp.a")
        tmp.unlink(missing_ok=True)
        _run([ar, "rcs", str(tmp), *objs], "archiving the libgcc helpers")
        tmp.rename(lib)
    return lib


# ---- MicroPython ------------------------------------------------------------------------------


def _make(args: list[str], what: str, cwd: Path, env: dict[str, str] | None = None) -> None:
    res = subprocess.run(["make", *args], cwd=cwd, capture_output=True, text=True, env=env)
    if res.returncode != 0:
        lines = (res.stdout + res.stderr).strip().splitlines()
        errors = [ln for ln in lines if "error" in ln.lower() or "undefined" in ln.lower()]
        tail = "\n".join(errors[:30] or lines[-40:])
        raise BuildError(f"{what} failed (exit {res.returncode}); first errors:\n{tail}\n"
                         f"(re-run `make {' '.join(args)}` in {cwd} for the full log)")


def _check_tree(mpy_tree: Path) -> Path:
    port = mpy_tree / "ports" / "esp8266"
    if not (port / "Makefile").is_file() or not (mpy_tree / "py" / "py.mk").is_file():
        raise BuildError(f"{mpy_tree} is not a MicroPython tree (no ports/esp8266/Makefile): "
                         "run `invoke sources` first")
    mk = (port / "Makefile").read_text()
    if "BOARD_SRC_C" not in mk or "ESP_SDK_LIBS" not in mk:
        raise BuildError(f"{port}/Makefile lacks our patches (firmware/patches/series): "
                         "run `invoke sources` to recreate the patched tree")
    return port


def mpconfig_version(mpconfig_h: str) -> str:
    """``vX.Y.Z`` (``-preview`` for prereleases) from py/mpconfig.h's version macros."""
    fields = {}
    for name in ("MAJOR", "MINOR", "MICRO", "PRERELEASE"):
        m = re.search(rf"^#define MICROPY_VERSION_{name}\s+\(?(\d+)", mpconfig_h, re.M)
        if not m:
            raise BuildError(f"py/mpconfig.h has no MICROPY_VERSION_{name}: not MicroPython?")
        fields[name] = int(m.group(1))
    tag = f"v{fields['MAJOR']}.{fields['MINOR']}.{fields['MICRO']}"
    return tag + ("-preview" if fields["PRERELEASE"] else "")


def _make_env(mpy_tree: Path) -> dict[str, str]:
    """Version and date of the source tree, not of whatever git repo encloses it."""
    env = dict(os.environ)
    if not (mpy_tree / ".git").exists():
        mpconfig = mpy_tree / "py" / "mpconfig.h"
        env.setdefault("MICROPY_GIT_TAG", mpconfig_version(mpconfig.read_text()))
        env.setdefault("SOURCE_DATE_EPOCH", str(int(mpconfig.stat().st_mtime)))
    return env


def _config_digest(port: Path) -> str:
    """Digest of what changes MicroPython's generated headers wholesale."""
    h = hashlib.sha256()
    for f in sorted(BOARD_DIR.iterdir()):
        if f.is_file():
            h.update(f.name.encode() + b"\0" + f.read_bytes())
    for f in ("Makefile", "mpconfigport.h"):
        h.update((port / f).read_bytes())
    return h.hexdigest()


def network_enabled() -> bool:
    """Whether the build includes the network (lwIP, NIC driver, network.WLAN, socket).

    ``MICROPY_PY_NETWORK_QEMU=0|1`` in the environment wins; else the board's
    ``mpconfigboard.mk`` default (``MICROPY_PY_NETWORK_QEMU ?= N``).
    """
    env = os.environ.get("MICROPY_PY_NETWORK_QEMU")
    if env is not None and env.strip():
        return env.strip() == "1"
    mk = (BOARD_DIR / "mpconfigboard.mk").read_text()
    m = re.search(r"^MICROPY_PY_NETWORK_QEMU\s*\?=\s*(\d)", mk, re.M)
    return bool(m and m.group(1) == "1")


def _lwip_tree() -> Path:
    """The pinned lwIP tree (build/src/lwip-*), fetched and patched if needed."""
    from harness.build import sources

    tree = sources.prepare(["lwip"])["lwip"]
    if not (tree / "src" / "include" / "lwip" / "init.h").is_file():
        raise BuildError(f"{tree} is not an lwIP tree (no src/include/lwip/init.h): "
                         "run `invoke sources --name lwip --fresh`")
    return tree


# Pinned library trees the firmware compiles in: (sources.toml name, files that prove the tree,
# what it is). A wrong tree stops the build with what to do.
_MBEDTLS = ("mbedtls", ("library/ssl_tls.c", "include/mbedtls/ssl.h"), "an Mbed TLS tree")
_BERKELEY_DB = ("berkeley-db", ("btree/bt_open.c", "include/berkeley-db/db.h"),
                "a patched Berkeley DB 1.85 tree")


def _check_library_tree(tree: Path, spec: tuple[str, tuple[str, ...], str]) -> None:
    name, files, what = spec
    if not all((tree / f).is_file() for f in files):
        raise BuildError(f"{tree} is not {what} (no {', '.join(files)}): run "
                         f"`invoke sources --name {name} --fresh`")


def _pinned_tree(spec: tuple[str, tuple[str, ...], str]) -> Path:
    """The pinned tree (build/src/...), fetched and patched if needed, and checked."""
    from harness.build import sources

    tree = sources.prepare([spec[0]])[spec[0]]
    _check_library_tree(tree, spec)
    return tree


def _mbedtls_tree() -> Path:
    return _pinned_tree(_MBEDTLS)


def check_mbedtls_tree(tree: Path) -> None:
    _check_library_tree(tree, _MBEDTLS)


def _berkeley_db_tree() -> Path:
    return _pinned_tree(_BERKELEY_DB)


def check_berkeley_db_tree(tree: Path) -> None:
    _check_library_tree(tree, _BERKELEY_DB)


def build_micropython(mpy_tree: Path, obj_dir: Path, helpers: Path, jobs: int,
                      lwip_tree: Path | None = None, mbedtls_tree: Path | None = None,
                      berkeley_db_tree: Path | None = None) -> Path:
    """Run mpy-cross's and the port's make; returns the firmware ELF in obj_dir.

    ``lwip_tree``: the lwIP tree to build the network with; None builds without network.
    ``mbedtls_tree``: the Mbed TLS tree for ssl, cryptolib and hashlib (default: the pin's).
    ``berkeley_db_tree``: the Berkeley DB tree for btree (default: the pin's).
    """
    port = _check_tree(mpy_tree)
    mbedtls = mbedtls_tree or _mbedtls_tree()
    berkeley_db = berkeley_db_tree or _berkeley_db_tree()
    jobs = max(1, jobs)
    env = _make_env(mpy_tree)
    if not (mpy_tree / "mpy-cross" / "build" / "mpy-cross").is_file():
        with progress.step("mpy-cross"):
            _make(["-C", str(mpy_tree / "mpy-cross"), f"-j{jobs}"], "building mpy-cross",
                  cwd=mpy_tree, env=env)
    # MicroPython's qstr/module collection keeps per-file results; after a configuration
    # change stale ones survive (e.g. a module that was turned off), so start those afresh.
    # Objects of another tree or configuration start afresh: make's dependency files would
    # mislead it, and generated qstr/frozen-module files keep the old split (e.g. turning the
    # network on left frozen_content.c redeclaring socket's qstrs). A clean port build is ~30 s.
    stamp = obj_dir / ".config-digest"
    digest = (f"tree={mpy_tree} " + _config_digest(port) + f" network={lwip_tree}"
              f" mbedtls={mbedtls} berkeley-db={berkeley_db}")
    if obj_dir.exists() and (not stamp.is_file() or stamp.read_text() != digest):
        shutil.rmtree(obj_dir)
    obj_dir.mkdir(parents=True, exist_ok=True)
    with progress.step("MicroPython esp8266 port, board ESP8266_QEMU"):
        net = (["MICROPY_PY_NETWORK_QEMU=1", f"LWIP_DIR={lwip_tree}"] if lwip_tree
               else ["MICROPY_PY_NETWORK_QEMU=0"])
        _make([f"-j{jobs}", f"BOARD_DIR={BOARD_DIR}", f"BUILD={obj_dir}",
               f"HAL_LIBGCC_EXTRA={helpers}", f"MBEDTLS_TREE={mbedtls}",
               f"BERKELEY_DB_TREE={berkeley_db}", *net,
               f"{obj_dir}/firmware.elf"],
              "building the firmware", cwd=port, env=env)
    stamp.write_text(digest)
    return obj_dir / "firmware.elf"


def check_undefined(elf: Path) -> None:
    out = _run([_tool("nm"), "-u", str(elf)], "nm -u")
    undefined = [ln.split()[-1] for ln in out.splitlines() if ln.strip()]
    if undefined:
        raise BuildError("firmware.elf has undefined symbols (implement them in firmware/hal): "
                         + ", ".join(undefined))


def build_firmware(mpy_tree: str | os.PathLike[str], out_dir: str | os.PathLike[str] | None = None,
                   jobs: int = 2, network: bool | None = None,
                   lwip_tree: str | os.PathLike[str] | None = None,
                   mbedtls_tree: str | os.PathLike[str] | None = None,
                   berkeley_db_tree: str | os.PathLike[str] | None = None) -> FirmwareBuild:
    """Build firmware.elf/.bin/.map and flash.img for ESP8266_QEMU into out_dir.

    ``mpy_tree``: the patched MicroPython 1.25 tree (``invoke sources``). ``network``: build
    lwIP, the NIC driver and network.WLAN in (default: network_enabled()); ``lwip_tree``:
    the lwIP tree (default: the pinned one, prepared here); ``mbedtls_tree``: the Mbed TLS
    tree, ``berkeley_db_tree`` the Berkeley DB tree (defaults: the pinned ones, prepared here).
    Incremental: make rebuilds only what changed and the image steps are cheap. Raises
    BuildError/SetupError with what to do.
    """
    tree = Path(mpy_tree).resolve()
    out = Path(out_dir).resolve() if out_dir else build_dir() / "firmware"
    out.mkdir(parents=True, exist_ok=True)
    obj_dir = out / "obj"
    if network is None:
        network = network_enabled()
    lwip = None
    if network:
        lwip = Path(lwip_tree).resolve() if lwip_tree else _lwip_tree()
    helpers = build_libgcc_helpers(out)
    mbedtls = Path(mbedtls_tree).resolve() if mbedtls_tree else _mbedtls_tree()
    check_mbedtls_tree(mbedtls)
    berkeley_db = (Path(berkeley_db_tree).resolve() if berkeley_db_tree
                   else _berkeley_db_tree())
    check_berkeley_db_tree(berkeley_db)
    elf_built = build_micropython(tree, obj_dir, helpers, jobs, lwip, mbedtls, berkeley_db)
    check_undefined(elf_built)

    elf = out / "firmware.elf"
    mapf = out / "firmware.map"
    shutil.copy2(elf_built, elf)
    if (obj_dir / "firmware.map").is_file():
        shutil.copy2(obj_dir / "firmware.map", mapf)

    sections = parse_sections(_run([_tool("readelf"), "-SW", str(elf)], "readelf -S"))
    syms = parse_symbols(_run([_tool("nm"), str(elf)], "nm"))
    syms.setdefault("__gc_heap_size", _gc_heap_size(elf))
    report = size_report(sections, syms)
    (out / "size.txt").write_text(report.format() + "\n")
    progress.say(report.format())
    problems = report.overflows()
    if problems:
        raise BuildError("firmware does not fit: " + "; ".join(problems)
                         + " (see firmware.map; docs/firmware.md has the RAM budget)")

    fw = image.firmware_bin(elf, FLASH_SIZE)
    (out / "firmware.bin").write_bytes(fw)
    image.flash_image(out / "flash.img", FLASH_SIZE, {0: fw})
    return FirmwareBuild(elf=elf, bin=out / "firmware.bin", flash_img=out / "flash.img",
                             map=mapf, size=report)


def _gc_heap_size(elf: Path) -> int:
    """Size of main.c's static GC heap (``heap``), from the symbol table."""
    out = _run([_tool("nm"), "-S", str(elf)], "nm -S")
    for ln in out.splitlines():
        parts = ln.split()
        if len(parts) == 4 and parts[3] == "heap" and parts[2] in "bB":
            return int(parts[1], 16)
    return 0
