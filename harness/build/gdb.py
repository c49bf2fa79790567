"""Build `xtensa-lx106-elf-gdb`: a gdb that speaks the lx106 register layout of QEMU's gdbstub.

Debian ships no gdb for the lx106 and `gdb-multiarch` knows only Xtensa's default core, whose
register layout differs (`Truncated register 33 in remote 'g' packet`). An Xtensa gdb is
configured for one core by three files; we take them from open sources that describe the core
our emulator runs:

- `include/xtensa-config.h` and `bfd/xtensa-modules.c` (ISA options and instruction encodings)
  from the overlay that Debian's lx106 binutils source package carries (`debian/overlay/`);
- `gdb/xtensa-config.c` (the register map) generated here from QEMU's own lx106 register list
  (`target/xtensa/core-lx106/gdb-config.c.inc`, imported by QEMU from the same core's gdb
  overlay). gdb's `g` packet is then the one QEMU sends, by construction. The masked registers
  (`psintlevel`, `litben`, ...) get their bit fields from gdb's default core, looked up by name.

One patch of ours (gdb-patches/): with the call0 ABI, unwind with the compiler's CFI before
gdb's prologue analysis, which loses the return address in GCC-scheduled prologues.

Sources come as pinned Debian files (sources.toml, `[tools.gdb]`) through a private apt
configuration (never /etc/apt) and `apt-helper download-file` (sha256-checked). The gdb is built
once into the cache (`<cache>/gdb-<version>-lx106/bin/xtensa-lx106-elf-gdb`) and reused by every
worktree; a stamp records what it was built from, so a changed pin rebuilds it.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import tarfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from harness import progress
from harness.build import apt as apt_sources
from harness.build import patches
from harness.errors import BuildError, ChecksumError, SourceError
from harness.paths import REPO_ROOT, cache_dir, src_dir

GDB_NAME = "xtensa-lx106-elf-gdb"
PATCH_DIR = REPO_ROOT / "gdb-patches"  # our series on gdb (why: each patch's header)
STAMP = ".esp8266-qemu-gdb"
QEMU_REGMAP = "target/xtensa/core-lx106/gdb-config.c.inc"
QEMU_CORE_ISA = "target/xtensa/core-lx106/core-isa.h"
OVERLAY_FILES = {  # path in the overlay tarball (under <dir>/debian/overlay/) -> path in gdb's tree
    "include/xtensa-config.h": "include/xtensa-config.h",
    "bfd/xtensa-modules.c": "bfd/xtensa-modules.c",
}
# What gdb needs to build (Debian names); a subset of `invoke setup`'s list plus GMP and expat.
APT_PACKAGES = ["build-essential", "libgmp-dev", "libexpat1-dev", "xz-utils"]
CONFIGURE = [
    "--target=xtensa-lx106-elf", "--disable-sim", "--disable-gdbserver", "--without-python",
    "--disable-werror", "--disable-nls", "--without-guile", "--without-debuginfod",
    "--without-babeltrace", "--without-lzma", "--without-xxhash", "--disable-source-highlight",
    "--without-mpfr", "--disable-inprocess-agent",
]
# No optimisation, no debug info: the gdb/ directory is ~450 C++ files and this halves the
# build; a gdb at -O0 reads our 4 MiB ELF in about a second.
COMPILE_FLAGS = ["CFLAGS=-O0 -g0", "CXXFLAGS=-O0 -g0"]


@dataclass(frozen=True)
class DebFile:
    """One pinned file of a Debian source package."""

    package: str
    version: str
    suite: str
    filename: str
    sha256: str


@dataclass(frozen=True)
class GdbPin:
    version: str
    gdb: DebFile
    overlay: DebFile

    @property
    def tree(self) -> str:
        return f"gdb-{self.version}"


def load_pin(path: Path = REPO_ROOT / "sources.toml") -> GdbPin:
    """`[tools.gdb]` of sources.toml; every error names the key to fix."""
    try:
        entry = tomllib.loads(path.read_text())["tools"]["gdb"]
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise SourceError(
            f"{path}: no valid [tools.gdb] table ({exc}); see docs/debugging.md"
        ) from None
    try:
        gdb = DebFile(entry["debian_package"], entry["debian_version"], entry["debian_suite"],
                      entry["orig_tarball"], entry["sha256"].lower())
        overlay = DebFile(entry["overlay_package"], entry["overlay_version"],
                          entry["overlay_suite"], entry["overlay_tarball"],
                          entry["overlay_sha256"].lower())
        return GdbPin(str(entry["version"]), gdb, overlay)
    except KeyError as exc:
        raise SourceError(f"{path}: [tools.gdb] lacks {exc.args[0]}") from None


def install_dir(pin: GdbPin, cache: Path | None = None) -> Path:
    return (cache or cache_dir()) / f"gdb-{pin.version}-lx106"


def gdb_binary(cache: Path | None = None, pin: GdbPin | None = None) -> Path:
    return install_dir(pin or load_pin(), cache) / "bin" / GDB_NAME


# --- fetch ----------------------------------------------------------------------------------

def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _run(cmd: list[str], what: str, cwd: Path | None = None,
         env: dict[str, str] | None = None, log: Path | None = None) -> str:
    try:
        if log is not None:
            with log.open("a") as out:
                out.write(f"\n$ {' '.join(cmd)}\n")
                out.flush()
                result = subprocess.run(cmd, cwd=cwd, env=env, stdout=out,
                                        stderr=subprocess.STDOUT, text=True)
            text = ""
        else:
            result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
            text = result.stdout + result.stderr
    except FileNotFoundError:
        raise BuildError(f"`{cmd[0]}` is not installed: run `invoke setup --gdb`") from None
    if result.returncode != 0:
        if log is not None:
            text = log.read_text(errors="replace")
        raise BuildError(f"{what} failed (exit {result.returncode}):\n{text.strip()[-2500:]}"
                         + (f"\nfull log: {log}" if log else ""))
    return text


class Fetcher:
    """apt with its own list under <cache>/apt-gdb (both suites the pins name)."""

    def __init__(self, cache: Path, pin: GdbPin) -> None:
        self.apt_dir = cache / "apt-gdb"
        self.downloads = cache / "downloads"
        self.suites = sorted({pin.gdb.suite, pin.overlay.suite})

    def _apt(self, *args: str) -> str:
        return _run(["apt-get", *apt_sources.apt_options(self.apt_dir), *args], "apt-get")

    def update(self) -> None:
        changed = apt_sources.write_private_config(self.apt_dir, apt_sources.mirror_uri(),
                                                   self.suites)
        lists = list((self.apt_dir / "lists").glob("*Sources*"))
        fresh = lists and time.time() - min(p.stat().st_mtime for p in lists) < 6 * 3600
        if changed or not fresh:
            with progress.step(f"apt-get update (private list: deb-src {' '.join(self.suites)})"):
                self._apt("update", "-q")

    def uri_of(self, f: DebFile) -> str:
        """The archive URI of a pinned file, checked against the sha256 of apt's signed index."""
        out = self._apt("source", "--print-uris", "-q", f"{f.package}={f.version}")
        for line in out.splitlines():
            words = line.split()
            if len(words) == 4 and words[1] == f.filename:
                index_sha = words[3].removeprefix("SHA256:").lower()
                if index_sha != f.sha256:
                    raise ChecksumError(
                        f"Debian's index lists {f.filename} with sha256 {index_sha}, not the "
                        f"pinned {f.sha256}: the pin in sources.toml [tools.gdb] is stale "
                        "(docs/debugging.md says how to bump it)."
                    )
                return words[0].strip("'")
        raise SourceError(
            f"Debian ({' '.join(self.suites)}) does not offer {f.filename} of {f.package} "
            f"{f.version}. Bump [tools.gdb] in sources.toml (docs/debugging.md)."
        )

    def get(self, f: DebFile) -> Path:
        dest = self.downloads / f.filename
        if dest.is_file() and _sha256(dest) == f.sha256:
            return dest
        self.downloads.mkdir(parents=True, exist_ok=True)
        self.update()
        uri = self.uri_of(f)
        with progress.step(f"download {f.filename}"):
            # apt's own downloader, which checks the hash; only the file we pin (a source
            # package's .dsc may be missing from a partial mirror, and we need no .dsc).
            _run(["/usr/lib/apt/apt-helper", *apt_sources.apt_options(self.apt_dir),
                  "download-file", uri, str(dest), f"SHA256:{f.sha256}"], "apt-helper download")
        if _sha256(dest) != f.sha256:
            dest.unlink()
            raise ChecksumError(f"{f.filename} does not match its pinned sha256 {f.sha256}")
        return dest


# --- the lx106 register map, from QEMU ------------------------------------------------------

def qemu_core_files(members: list[str], cache: Path | None = None,
                    build: Path | None = None) -> dict[str, str]:
    """Files of QEMU's lx106 core: from the prepared QEMU tree, else (one pass) from the
    pinned QEMU orig tarball in the download cache."""
    from harness.build.pins import get_pin

    pin = get_pin("qemu")
    tree = src_dir(build) / pin.tree
    if all((tree / m).is_file() for m in members):
        return {m: (tree / m).read_text() for m in members}
    tarball = (cache or cache_dir()) / "downloads" / pin.orig_tarball
    if not tarball.is_file():  # a fresh clone: fetch the pinned QEMU source (as `invoke qemu`)
        from harness.build.sources import DebianFetcher

        fetched = DebianFetcher(cache or cache_dir()).fetch(pin)
        if fetched.orig is None or not fetched.orig.is_file():
            raise SourceError(f"QEMU's lx106 core description is needed to build the gdb: "
                              f"neither {tree} nor {tarball} exists; run `invoke sources "
                              "--name qemu` first.")
        tarball = fetched.orig
    found: dict[str, str] = {}
    with tarfile.open(tarball) as tar:
        for info in tar:
            inner = info.name.split("/", 1)[-1]
            if inner in members and info.isfile():
                data = tar.extractfile(info)
                assert data is not None
                found[inner] = data.read().decode()
                if len(found) == len(members):
                    return found
    raise SourceError(f"{tarball.name} lacks {', '.join(set(members) - set(found))}")


_XTREG = re.compile(r"XTREG\((.*?)\)\s*$", re.S)


@dataclass(frozen=True)
class Reg:
    index: int
    name: str
    mask: str  # "" or "xtensa_maskN"
    text: str  # the XTREG(...) entry as written


def parse_regmap(text: str) -> list[Reg]:
    """The XTREG entries of a gdb register map (gdb's xtensa-config.c or QEMU's .inc)."""
    regs = []
    for chunk in re.findall(r"XTREG\s*\([^)]*\)", text):
        fields = [f.strip() for f in chunk[chunk.index("(") + 1:-1].split(",")]
        if len(fields) != 17:
            raise BuildError(f"unexpected register entry (not 17 fields): {chunk}")
        mask = fields[13].lstrip("&") if fields[13] not in ("0", "NULL") else ""
        regs.append(Reg(int(fields[0], 0), fields[10], mask, chunk))
    if [r.index for r in regs] != list(range(len(regs))):
        raise BuildError("register map entries are not numbered 0, 1, 2, ...")
    return regs


def parse_masks(text: str) -> dict[str, list[tuple[int, int, int]]]:
    """`xtensa_maskN` -> [(register index, first bit, bit count), ...] of a gdb config."""
    subs = {m.group(1): [tuple(int(x) for x in part.split(","))
                         for part in re.findall(r"\{\s*([\d\s,]+?)\s*\}", m.group(2))]
            for m in re.finditer(r"xtensa_submask(\d+)\[\]\s*=\s*\{(.*?)\};", text, re.S)}
    return {f"xtensa_mask{n}": v for n, v in subs.items()}  # type: ignore[misc]


def generate_config(qemu_regmap: str, default_config: str) -> str:
    """gdb/xtensa-config.c for the lx106: QEMU's register list, masks resolved by name."""
    regs = parse_regmap(qemu_regmap)
    default_regs = parse_regmap(default_config)
    default_masks = parse_masks(default_config)
    by_index = {r.index: r.name for r in default_regs}
    default_by_name = {r.name: r for r in default_regs}
    index_of = {r.name: r.index for r in regs}
    lines = [
        "/* Generated by esp8266-qemu harness/build/gdb.py: the lx106 register map of QEMU's",
        f"   {QEMU_REGMAP}; bit fields of masked registers from gdb's default core. */",
        '#include "defs.h"',
        "#define XTENSA_CONFIG_VERSION 0x60",
        '#include "xtensa-config.h"',
        '#include "xtensa-tdep.h"',
        "",
    ]
    for reg in regs:
        if not reg.mask:
            continue
        source = default_by_name.get(reg.name)
        if source is None or not source.mask:
            raise BuildError(f"masked register '{reg.name}' of QEMU's lx106 has no counterpart "
                             "in gdb's default xtensa-config.c to take its bit field from")
        parts = []
        for base_index, first, count in default_masks[source.mask]:
            base = by_index[base_index]
            if base not in index_of:
                raise BuildError(f"'{reg.name}' is a field of '{base}', which the lx106 lacks")
            parts.append(f"{{ {index_of[base]}, {first}, {count} }}")
        n = reg.mask.removeprefix("xtensa_mask")
        lines.append(f"xtensa_reg_mask_t xtensa_submask{n}[] = {{ {', '.join(parts)} }};")
        lines.append(f"const xtensa_mask_t xtensa_mask{n} = {{ {len(parts)}, "
                     f"xtensa_submask{n} }};")
    lines += ["", "static xtensa_register_t rmap[] =", "{"]
    lines += [f"  {reg.text}" for reg in regs]
    lines += ["  XTREG_END", "};", "", "xtensa_gdbarch_tdep xtensa_tdep (rmap);", ""]
    return "\n".join(lines)


def g_packet_registers(regs: list[Reg]) -> int:
    """How many registers gdb puts in a `g` packet for this map (xtensa_derive_tdep's rule:
    up to the first masked register, else up to the first privileged one)."""
    for reg in regs:
        if reg.mask:
            return reg.index
    for reg in regs:
        flags = int(reg.text.split(",")[6], 0)
        if flags & 1:
            return reg.index
    return len(regs)


def qemu_g_registers(regs: list[Reg]) -> int:
    """How many registers QEMU's system-mode gdbstub sends (xtensa_count_regs: every entry
    except the types TieState (5), Mapped (6) and Unmapped (7))."""
    return sum(1 for r in regs if int(r.text.split(",")[8], 0) not in (5, 6, 7))


_IGNORED_ISA_DIFFS = {  # the lx106 has no caches (sizes 0): line sizes do not matter
    "XCHAL_ICACHE_LINESIZE", "XCHAL_ICACHE_LINEWIDTH",
    "XCHAL_DCACHE_LINESIZE", "XCHAL_DCACHE_LINEWIDTH",
}


def isa_differences(overlay_h: str, qemu_core_isa: str) -> list[str]:
    """Options both the Debian overlay and QEMU's core define, with different values."""
    def defines(text: str) -> dict[str, str]:
        return dict(re.findall(r"^#define\s+(XCHAL_\w+)\s+(\S+)", text, re.M))
    ours, qemus = defines(overlay_h), defines(qemu_core_isa)
    return [f"{k}: overlay {ours[k]}, QEMU {qemus[k]}" for k in sorted(ours)
            if k in qemus and ours[k] != qemus[k] and k not in _IGNORED_ISA_DIFFS]


# --- build ----------------------------------------------------------------------------------

def identity(pin: GdbPin) -> str:
    """What the built gdb depends on: both pins, the QEMU pin (its lx106 register map) and the
    configure flags. A stamp with another identity means: build again."""
    from harness.build.pins import get_pin

    series = "".join(f"patch {p.name} {p.sha256}\n" for p in patches.read_series(PATCH_DIR))
    return (f"{pin.gdb.filename} {pin.gdb.sha256}\n{pin.overlay.filename} {pin.overlay.sha256}\n"
            f"qemu {get_pin('qemu').sha256}\nconfigure {' '.join(CONFIGURE + COMPILE_FLAGS)}\n"
            + series)


def is_built(cache: Path | None = None) -> bool:
    pin = load_pin()
    stamp = install_dir(pin, cache) / STAMP
    return (gdb_binary(cache, pin).is_file() and stamp.is_file()
            and stamp.read_text() == identity(pin))


def ensure_gdb(cache: Path | None = None, jobs: int = 2, rebuild: bool = False) -> Path:
    """The gdb binary, built first when missing or built from other inputs."""
    cache = cache or cache_dir()
    pin = load_pin()
    prefix = install_dir(pin, cache)
    binary = prefix / "bin" / GDB_NAME
    if is_built(cache) and not rebuild:
        return binary
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / f"gdb-{pin.version}-lx106.lock").open("w") as lock:
        # checkouts and test workers share the cache: one builds, the others wait for it
        fcntl.flock(lock, fcntl.LOCK_EX)
        if is_built(cache) and not rebuild:
            return binary
        return _build(pin, cache, prefix, jobs)


def _build(pin: GdbPin, cache: Path, prefix: Path, jobs: int) -> Path:
    binary = prefix / "bin" / GDB_NAME
    stamp = prefix / STAMP
    _check_build_tools()
    start = time.monotonic()
    fetcher = Fetcher(cache, pin)
    with progress.step(f"sources: {pin.gdb.filename} + {pin.overlay.filename}"):
        orig = fetcher.get(pin.gdb)
        overlay = fetcher.get(pin.overlay)
    qemu = qemu_core_files([QEMU_REGMAP, QEMU_CORE_ISA], cache)
    qemu_regmap, qemu_isa = qemu[QEMU_REGMAP], qemu[QEMU_CORE_ISA]
    work = cache / f"gdb-{pin.version}-lx106.build"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    log = work / "build.log"
    with progress.step(f"unpack {orig.name} and the lx106 overlay"):
        _run(["tar", "-xf", str(orig), "-C", str(work)], "unpack gdb")
        tree = work / pin.tree
        if not tree.is_dir():
            raise BuildError(f"{orig.name} did not unpack into {pin.tree}/")
        _apply_overlay(overlay, tree)
        overlay_h = (tree / "include/xtensa-config.h").read_text()
        diffs = isa_differences(overlay_h, qemu_isa)
        if diffs:
            raise BuildError("Debian's lx106 overlay and QEMU's lx106 core disagree:\n  "
                             + "\n  ".join(diffs))
        applied = patches.apply_series(tree, PATCH_DIR)
        if applied:
            progress.say(f"    applied {', '.join(applied)}")
        config_c = generate_config(qemu_regmap, (tree / "gdb/xtensa-config.c").read_text())
        (tree / "gdb/xtensa-config.c").write_text(config_c)
        regs = parse_regmap(qemu_regmap)
        if g_packet_registers(regs) != qemu_g_registers(regs):
            raise BuildError(f"gdb would expect {g_packet_registers(regs)} registers in a 'g' "
                             f"packet, QEMU sends {qemu_g_registers(regs)}")
        progress.say(f"    register map: {len(regs)} registers, 'g' packet "
                     f"{qemu_g_registers(regs)} x 4 bytes (same as QEMU's gdbstub)")
    build = work / "build"
    build.mkdir()
    env = {**os.environ, "MAKEINFO": "true"}  # no docs
    with progress.step(f"configure ({' '.join(CONFIGURE[:1])} ...)"):
        _run([str(tree / "configure"), f"--prefix={prefix}", *CONFIGURE, *COMPILE_FLAGS],
             "gdb configure",
             cwd=build, env=env, log=log)
    with progress.step(f"make -j{jobs} all-gdb (log: {log})"):
        _run(["make", f"-j{jobs}", "all-gdb", "MAKEINFO=true"], "gdb build", cwd=build,
             env=env, log=log)
    shutil.rmtree(prefix, ignore_errors=True)
    with progress.step("make install-gdb"):
        _run(["make", "install-gdb", "MAKEINFO=true"], "gdb install", cwd=build, env=env,
             log=log)
    if not binary.is_file():
        raise BuildError(f"the gdb build finished but {binary} is missing; see {log}")
    stamp.write_text(identity(pin))
    shutil.copy(log, prefix / "build.log")
    shutil.rmtree(work, ignore_errors=True)
    elapsed = time.monotonic() - start
    (prefix / "build-seconds").write_text(f"{elapsed:.0f}\n")
    progress.summary(f"{GDB_NAME} {pin.version}", {"gdb": binary}, elapsed)
    return binary


def _apply_overlay(overlay_tarball: Path, tree: Path) -> None:
    with tarfile.open(overlay_tarball) as tar:
        members = {m.name.split("/", 1)[1]: m for m in tar if "/" in m.name and m.isfile()}
        for src, dest in OVERLAY_FILES.items():
            member = members.get(f"debian/overlay/{src}")
            if member is None:
                raise SourceError(f"{overlay_tarball.name} has no debian/overlay/{src}")
            data = tar.extractfile(member)
            assert data is not None
            (tree / dest).write_bytes(data.read())


def _check_build_tools() -> None:
    from harness.build.setup import missing_packages

    missing = missing_packages(APT_PACKAGES)
    if missing:
        raise BuildError("building the gdb needs: " + " ".join(missing) +
                         ". Run `invoke setup --gdb` (as root it installs them).")
