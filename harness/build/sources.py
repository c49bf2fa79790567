"""Fetch, verify, unpack and patch the pinned sources (MicroPython, lwIP, QEMU).

Origins:
- ``debian`` (default): the Debian source package through a private apt configuration
  (apt.py), downloaded into the cache, the orig tarball checked against its pin.
- ``git``: the upstream git URL and tag of the pin, for users with internet.
- ``local``: a tree named by the pin's ``local_env`` variable (a developer's own checkout); it is
  copied (rsync, so rebuilds stay incremental) and our patches are applied to the copy.

The prepared tree is build/src/<tree>: pristine unpack + our overlay files (QEMU) + our series.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from harness import progress
from harness.build import apt, patches
from harness.build.apt import run_tool as _run
from harness.build.pins import Pin, load_pins, upstream_version
from harness.errors import ChecksumError, SourceError
from harness.paths import REPO_ROOT, cache_dir, src_dir

ORIGINS = ("debian", "git", "local")
STAMP = ".esp8266-qemu-source"
OVERLAY_STATE = ".esp8266-qemu-overlay"


@dataclass
class Fetched:
    """What the fetch step produced for one pin."""

    pin: Pin
    origin: str
    debian_version: str = ""
    orig: Path | None = None
    dsc: Path | None = None
    tree: Path | None = None  # git checkout or local tree


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify_checksum(path: Path, expected: str) -> None:
    """Raise ChecksumError (and move the file aside) when `path` does not match."""
    actual = sha256_of(path)
    if actual == expected:
        return
    bad = path.with_name(path.name + ".corrupt")
    path.replace(bad)
    raise ChecksumError(
        f"{path.name} does not match its pinned sha256\n"
        f"  expected {expected}\n  got      {actual}\n"
        f"The download is damaged or not the pinned file; it was moved to {bad}. "
        "Run `invoke sources` again to download it anew; if it fails again, the mirror serves a "
        "different file: check the pin in sources.toml (docs/sources.md)."
    )


# --- Debian origin --------------------------------------------------------------------------

class DebianFetcher:
    """A pin's Debian source package, through ``apt.AptDownloader`` (private apt config)."""

    def __init__(self, cache: Path) -> None:
        self.cache = cache
        self.apt = apt.AptDownloader(cache)
        self.downloads = self.apt.downloads

    def available_versions(self, package: str) -> list[str]:
        return self.apt.source_versions(package)

    def choose_version(self, pin: Pin) -> str:
        versions = self.available_versions(pin.debian_package)
        if pin.debian_version in versions:
            return pin.debian_version
        candidates = [
            v for v in versions if upstream_version(v).startswith(pin.version_line)
        ]
        if not candidates:
            raise SourceError(
                f"Debian no longer offers {pin.debian_package} {pin.debian_version} nor any "
                f"{pin.version_line}* upload in {pin.debian_suite} (has: "
                f"{', '.join(versions) or 'none'}). Bump the pin (docs/sources.md), or use "
                "`invoke sources --origin git` / a local tree."
            )
        best = max(candidates, key=_DebVersionKey)
        progress.notice(
            f"{pin.debian_package} {pin.debian_version} is gone from the mirror; using {best} "
            f"(same version line {pin.version_line}). Its orig tarball is checked by apt's signed "
            "index instead of our pin: update sources.toml (docs/sources.md)."
        )
        return best

    def fetch(self, pin: Pin) -> Fetched:
        self.downloads.mkdir(parents=True, exist_ok=True)
        orig = self.downloads / pin.orig_tarball
        dsc = self.downloads / _dsc_name(pin.debian_package, pin.debian_version)
        # A pin unpacked from its orig tarball needs nothing else of the source package.
        orig_only = pin.unpack == "orig"
        if (orig.is_file() and (dsc.is_file() or orig_only)
                and sha256_of(orig) == pin.sha256):
            progress.say(f"    {pin.name}: {orig.name} cached and verified")
            return Fetched(pin, "debian", pin.debian_version, orig, dsc)
        self.apt.update([pin.debian_suite])
        version = self.choose_version(pin)
        try:
            self.apt.download_source(pin.debian_package, version)
        except SourceError as exc:
            # Some mirrors list a source package whose Debian files (.dsc, .debian.tar) are
            # gone while its orig tarball is there (db1-compat here). An "orig" pin is whole
            # with the verified orig tarball alone; anything else is still an error.
            if not (orig_only and version == pin.debian_version and orig.is_file()
                    and sha256_of(orig) == pin.sha256):
                raise
            progress.notice(f"{pin.debian_package} {version}: apt could not download all of "
                            f"the source package ({str(exc).splitlines()[0]}); its orig "
                            f"tarball {orig.name} is here and matches the pin, which is all "
                            "this source needs (unpack = \"orig\")")
        dsc = self.downloads / _dsc_name(pin.debian_package, version)
        if version == pin.debian_version:
            if not orig.is_file():
                raise SourceError(f"apt did not download {orig.name} into {self.downloads}")
            verify_checksum(orig, pin.sha256)
        else:
            origs = sorted(self.downloads.glob(f"{pin.debian_package}_{_noepoch_upstream(version)}"
                                               ".orig.tar.*"))
            if not origs:
                raise SourceError(f"apt did not download the orig tarball of {version}")
            orig = origs[0]
        size = progress.human_size(orig.stat().st_size)
        progress.say(f"    {orig.name}: {size}, sha256 ok")
        return Fetched(pin, "debian", version, orig, dsc)


def _dsc_name(package: str, version: str) -> str:
    return f"{package}_{version.split(':', 1)[-1]}.dsc"


def _noepoch_upstream(version: str) -> str:
    v = version.split(":", 1)[-1]
    return v.rsplit("-", 1)[0] if "-" in v else v


class _DebVersionKey:
    """Order Debian versions with `dpkg --compare-versions` (the one true comparison)."""

    def __init__(self, version: str) -> None:
        self.version = version

    def __lt__(self, other: _DebVersionKey) -> bool:
        return subprocess.run(
            ["dpkg", "--compare-versions", self.version, "lt", other.version]
        ).returncode == 0


# --- git and local origins ------------------------------------------------------------------

def fetch_git(pin: Pin, cache: Path) -> Fetched:
    """A shallow clone of ``pin.git_tag`` (a tag or a branch, e.g. ``--ref master``), kept in
    the cache; a branch is brought up to date on each call, a tag is fetched once."""
    ref = pin.git_tag
    dest = cache / "git" / f"{pin.name}-{ref.replace('/', '_')}"
    if not (dest / ".git").is_dir():
        dest.parent.mkdir(parents=True, exist_ok=True)
        with progress.step(f"git clone {pin.git_url} {ref}"):
            _run(["git", "clone", "--depth", "1", "--branch", ref, pin.git_url, str(dest)],
                 what=f"git clone of {ref} (origin git needs internet, or a reachable git_url)")
    elif not _git(dest, "tag", "--list", ref):
        with progress.step(f"git fetch {pin.git_url} {ref}"):
            _run(["git", "-C", str(dest), "fetch", "--depth", "1", "origin", ref],
                 what=f"git fetch of {ref}")
            _run(["git", "-C", str(dest), "checkout", "-q", "--detach", "FETCH_HEAD"],
                 what=f"git checkout of {ref}")
    return Fetched(pin, "git", tree=dest)


def _git(tree: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(tree), *args], capture_output=True, text=True,
                          check=False).stdout.strip()


def with_ref(pin: Pin, ref: str | None) -> Pin:
    """``pin`` with its git tag replaced by ``ref`` (``--ref``) for a MicroPython pin."""
    if not ref or "micropython" not in (pin.name, pin.variant_of):
        return pin
    return dataclasses.replace(pin, git_tag=ref)


def fetch_local(pin: Pin) -> Fetched:
    value = os.environ.get(pin.local_env)
    if not value:
        raise SourceError(f"origin 'local' for {pin.name} needs {pin.local_env}=/path/to/tree")
    path = Path(value).expanduser().resolve()
    if not path.is_dir():
        raise SourceError(f"{pin.local_env}={value} is not a directory")
    return Fetched(pin, "local", tree=path)


def origin_for(pin: Pin, origin: str | None) -> str:
    """Explicit origin, else 'local' when the pin's env var is set, else 'debian'."""
    if origin:
        if origin not in ORIGINS:
            raise SourceError(f"unknown origin '{origin}'; use one of {', '.join(ORIGINS)}")
        return origin
    return "local" if os.environ.get(pin.local_env) else "debian"


def fetch(pin: Pin, origin: str | None = None, cache: Path | None = None,
          debian: DebianFetcher | None = None) -> Fetched:
    cache = cache or cache_dir()
    chosen = origin_for(pin, origin)
    if chosen == "git":
        return fetch_git(pin, cache)
    if chosen == "local":
        return fetch_local(pin)
    return (debian or DebianFetcher(cache)).fetch(pin)


# --- unpack and patch -----------------------------------------------------------------------

def _identity(fetched: Fetched) -> str:
    if fetched.origin == "debian":
        return f"debian {fetched.debian_version} {fetched.pin.unpack}"
    if fetched.origin == "git" and fetched.tree is not None:  # a branch moves: its commit
        return f"git {fetched.tree} {_git(fetched.tree, 'rev-parse', 'HEAD')}"
    return f"{fetched.origin} {fetched.tree}"


def unpack(fetched: Fetched, dest: Path) -> None:
    """Create the pristine tree at `dest` (replacing what was there)."""
    pin = fetched.pin
    if dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if fetched.origin == "debian" and pin.unpack == "dpkg-source":
        assert fetched.dsc is not None
        # dpkg-source leaves a link to the orig tarball beside the tree: unpack in a scratch dir.
        scratch = dest.with_name(dest.name + ".unpacking")
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir()
        with progress.step(f"dpkg-source -x {fetched.dsc.name} (Debian's patches applied)"):
            _run(["dpkg-source", "--no-check", "-x", str(fetched.dsc), str(scratch / "tree")],
                 what="dpkg-source")
        (scratch / "tree").rename(dest)
        shutil.rmtree(scratch)
    elif fetched.origin == "debian":
        assert fetched.orig is not None
        _extract_tarball(fetched.orig, dest)
    else:
        assert fetched.tree is not None
        _sync_tree(fetched.tree, dest)
    (dest / STAMP).write_text(_identity(fetched) + "\n")


def _extract_tarball(tarball: Path, dest: Path) -> None:
    tmp = dest.with_name(dest.name + ".unpacking")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    with tarfile.open(tarball) as tar:
        members = tar.getmembers()
        counter = progress.Counter(f"unpack {tarball.name}", len(members))
        for i, member in enumerate(members, 1):
            tar.extract(member, tmp, filter="data")  # "data": no owners, no escapes
            if i % 500 == 0 or i == len(members):
                counter.update(i)
        counter.finish()
    tops = list(tmp.iterdir())
    if len(tops) != 1 or not tops[0].is_dir():
        raise SourceError(f"{tarball.name} does not hold exactly one top directory")
    tops[0].rename(dest)
    tmp.rmdir()


def _sync_tree(src: Path, dest: Path) -> None:
    """Copy a git/local tree; rsync keeps unchanged files' mtimes so rebuilds stay incremental."""
    dest.mkdir(parents=True, exist_ok=True)
    if shutil.which("rsync"):
        # Nanosecond mtimes: a same-size edit within the same second is still copied.
        _run(["rsync", "-a", "--delete", "--modify-window=-1", "--exclude=.git",
              "--exclude=build*/", f"{src}/", f"{dest}/"], what="rsync")
    else:
        shutil.copytree(src, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".git"))


def apply_overlay(overlay: Path, tree: Path) -> list[str]:
    """Copy our new files (e.g. qemu/hw/...) into the tree, only those that changed, so that
    ninja rebuilds only what we touched. Files we overlaid before and removed since are
    removed from the tree. Patches and Markdown files are not overlaid."""
    changed: list[str] = []
    current: list[str] = []
    for path in sorted(overlay.rglob("*")):
        rel = path.relative_to(overlay)
        if path.is_dir() or rel.parts[0] == "patches" or path.suffix == ".md":
            continue
        current.append(str(rel))
        target = tree / rel
        if target.is_file() and target.read_bytes() == path.read_bytes():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        # a fresh mtime (not copy2's): a file edited while ninja was building is then
        # newer than the objects built from its previous copy, so the next build sees it
        shutil.copy(path, target)
        changed.append(str(rel))
    state = tree / OVERLAY_STATE
    previous = state.read_text().split() if state.is_file() else []
    for rel in set(previous) - set(current):
        (tree / rel).unlink(missing_ok=True)
        changed.append(f"{rel} (removed)")
    state.write_text("\n".join(current) + "\n")
    return changed


def tree_version(pin: Pin, tree: Path) -> str:
    """The version a tree holds: MicroPython says it in py/mpconfig.h (a local or git tree may
    be any version); other sources are taken to be the pinned version."""
    mpconfig = tree / "py" / "mpconfig.h"
    if mpconfig.is_file():
        text = mpconfig.read_text(errors="replace")
        parts = [re.search(rf"^#define MICROPY_VERSION_{n}\s+\(?(\d+)", text, re.M)
                 for n in ("MAJOR", "MINOR", "MICRO")]
        if all(parts):
            return ".".join(m.group(1) for m in parts if m)
    version_file = tree / "VERSION"  # QEMU says it in VERSION
    if (pin.variant_of or pin.name) == "qemu" and version_file.is_file():
        return version_file.read_text().strip()
    return pin.version


def tree_dir_name(fetched: Fetched) -> str:
    """build/src/<name>: the pin's tree name, or for a local/git MicroPython or QEMU tree the
    version it holds (so a 1.26 checkout is not built in micropython-1.25.0)."""
    pin = fetched.pin
    if fetched.tree is not None and ((fetched.tree / "py" / "mpconfig.h").is_file()
                                     or (fetched.tree / "VERSION").is_file()):
        return f"{(pin.variant_of or pin.name)}-{tree_version(pin, fetched.tree)}"
    return pin.tree


def prepare_tree(fetched: Fetched, build_src: Path | None = None, fresh: bool = False,
                 repo: Path = REPO_ROOT) -> Path:
    """Pristine tree + overlay + patch series, doing only what changed since the last call."""
    pin = fetched.pin
    dest = (build_src or src_dir()) / tree_dir_name(fetched)
    stamp = dest / STAMP
    same_source = stamp.is_file() and stamp.read_text().strip() == _identity(fetched)
    if (fresh or not same_source or patches.needs_fresh_tree(
            dest, patches.read_series(pin.patch_dir(repo), tree_version(pin, dest)))):
        unpack(fetched, dest)
    elif fetched.origin == "local":
        _sync_tree(fetched.tree, dest)  # pick up the developer's edits  # type: ignore[arg-type]
    overlay = pin.overlay_dir(repo)
    if overlay is not None and overlay.is_dir():
        changed = apply_overlay(overlay, dest)
        if changed:
            progress.say(f"    overlay {overlay.name}/: {len(changed)} file(s) updated")
    applied = patches.apply_series(dest, pin.patch_dir(repo), tree_version(pin, dest))
    if applied:
        progress.say(f"    {pin.name}: applied {', '.join(applied)}")
    return dest


def default_names() -> list[str]:
    """The sources prepared when none are named: every pin but the other versions."""
    return [name for name, pin in load_pins().items() if not pin.variant_of]


def prepare(names: list[str] | None = None, origin: str | None = None, fresh: bool = False,
            cache: Path | None = None, build_src: Path | None = None,
            ref: str | None = None) -> dict[str, Path]:
    """Fetch and prepare the named sources (all by default); returns name -> tree.
    ``ref``: with origin git, the MicroPython tag or branch instead of the pin's tag."""
    if ref and origin != "git":
        raise SourceError(f"--ref {ref} names a git tag or branch: use it with --origin git "
                          "(for a local tree, set ESP8266_QEMU_MICROPYTHON_DIR instead)")
    pins = load_pins()
    names = names or default_names()
    unknown = [n for n in names if n not in pins]
    if unknown:
        raise SourceError(f"unknown source(s) {', '.join(unknown)}; known: {', '.join(pins)}")
    cache = cache or cache_dir()
    debian = DebianFetcher(cache)
    trees = {}
    for name in names:
        with progress.step(f"source {name}"):
            fetched = fetch(with_ref(pins[name], ref), origin, cache, debian)
            trees[name] = prepare_tree(fetched, build_src, fresh)
    return trees
