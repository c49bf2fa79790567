"""Everything the harness downloads from Debian goes through ``AptDownloader`` (this module).

Two kinds of download, one class, one cache folder (``<cache>/downloads``):

* source packages (``download_source``: MicroPython, lwIP, QEMU): through a *private* apt
  configuration. We never edit the system's apt configuration. Instead we read which Debian
  mirror the machine already uses (from /etc/apt/sources.list and
  /etc/apt/sources.list.d/*.list|*.sources, both the one-line and the deb822 format), and write
  a sources list with one `deb-src` line for the suite that holds our pinned versions, plus the
  apt options that make apt use only that list and keep its state in our cache;
* binary packages (``download_deb``: gcc-12-source for the lx106 libgcc helpers): from the
  system's own package lists (``apt-get download``; apt's signed index vouches for the .deb).
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from harness import progress
from harness.errors import SourceError

MIRROR_ENV = "ESP8266_QEMU_DEBIAN_MIRROR"


@dataclass(frozen=True)
class AptEntry:
    types: tuple[str, ...]
    uri: str
    suites: tuple[str, ...]
    components: tuple[str, ...]


def parse_one_line(text: str) -> list[AptEntry]:
    """Parse the classic `deb [opts] URI suite comp...` format."""
    entries = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        kind = words[0]
        if kind not in ("deb", "deb-src"):
            continue
        rest = words[1:]
        if rest and rest[0].startswith("["):
            while rest and not rest[0].endswith("]"):
                rest = rest[1:]
            rest = rest[1:]
        if len(rest) < 2:
            continue
        entries.append(AptEntry((kind,), rest[0], (rest[1],), tuple(rest[2:])))
    return entries


def parse_deb822(text: str) -> list[AptEntry]:
    """Parse the deb822 `.sources` format (stanzas of `Key: value`, blank-line separated)."""
    entries = []
    for stanza in _stanzas(text):
        if stanza.get("enabled", "yes").lower() == "no":
            continue
        types = tuple(stanza.get("types", "").split())
        uris = stanza.get("uris", "").split()
        suites = tuple(stanza.get("suites", "").split())
        comps = tuple(stanza.get("components", "").split())
        for uri in uris:
            entries.append(AptEntry(types, uri, suites, comps))
    return entries


def _stanzas(text: str) -> list[dict[str, str]]:
    stanzas: list[dict[str, str]] = []
    current: dict[str, str] = {}
    key = ""
    for raw in text.splitlines() + [""]:
        if raw.startswith("#"):
            continue
        if not raw.strip():
            if current:
                stanzas.append(current)
            current, key = {}, ""
            continue
        if raw[0] in " \t" and key:
            current[key] += " " + raw.strip()
            continue
        if ":" in raw:
            key, value = raw.split(":", 1)
            key = key.strip().lower()
            current[key] = value.strip()
    return stanzas


def system_entries(root: Path = Path("/")) -> list[AptEntry]:
    """All apt entries configured on this machine (both formats)."""
    etc = root / "etc/apt"
    entries: list[AptEntry] = []
    main = etc / "sources.list"
    if main.is_file():
        entries += parse_one_line(main.read_text(errors="replace"))
    parts = etc / "sources.list.d"
    if parts.is_dir():
        for f in sorted(parts.iterdir()):
            if f.suffix == ".list":
                entries += parse_one_line(f.read_text(errors="replace"))
            elif f.suffix == ".sources":
                entries += parse_deb822(f.read_text(errors="replace"))
    return entries


def debian_mirror(entries: list[AptEntry]) -> str:
    """The machine's Debian archive mirror: a `deb` entry with the `main` component whose suites
    are release suites (not -security, not -updates/-backports only)."""
    for entry in entries:
        if "deb" not in entry.types and "deb-src" not in entry.types:
            continue
        if "main" not in entry.components:
            continue
        if "security" in entry.uri or any("security" in s for s in entry.suites):
            continue
        if not any(_is_release_suite(s) for s in entry.suites):
            continue
        if "debian" not in entry.uri:
            continue
        return entry.uri.rstrip("/")
    raise SourceError(
        "no Debian mirror found in this machine's apt sources (/etc/apt/sources.list, "
        "/etc/apt/sources.list.d/). Set "
        f"{MIRROR_ENV}=<Debian mirror URI> to use one, or fetch from upstream git with "
        "`invoke sources --origin git`, or point at local trees (see docs/sources.md)."
    )


def _is_release_suite(suite: str) -> bool:
    return not any(suite.endswith(s) for s in ("-updates", "-backports", "-proposed-updates"))


def mirror_uri(root: Path = Path("/")) -> str:
    override = os.environ.get(MIRROR_ENV)
    if override:
        return override.rstrip("/")
    return debian_mirror(system_entries(root))


def private_sources_list(mirror: str, suites: list[str]) -> str:
    """The one sources list our private apt uses: deb-src lines only."""
    lines = ["# Written by the esp8266-qemu harness; used only through our private apt options."]
    for suite in sorted(set(suites)):
        lines.append(f"deb-src {mirror} {suite} main")
    return "\n".join(lines) + "\n"


def apt_options(apt_dir: Path) -> list[str]:
    """apt options that confine apt to our list and our state and cache directories."""
    options = [
        "-o", f"Dir::Etc::SourceList={apt_dir / 'sources.list'}",
        "-o", "Dir::Etc::SourceParts=/dev/null",
        "-o", f"Dir::State::Lists={apt_dir / 'lists'}",
        "-o", f"Dir::Cache={apt_dir / 'cache'}",
    ]
    if os.geteuid() == 0:
        # Our cache is not readable by apt's _apt sandbox user; download as root, quietly.
        options += ["-o", "APT::Sandbox::User=root"]
    return options


def write_private_config(apt_dir: Path, mirror: str, suites: list[str]) -> bool:
    """Write the config; returns True when it changed (the lists then need an update)."""
    (apt_dir / "lists" / "partial").mkdir(parents=True, exist_ok=True)
    (apt_dir / "cache" / "archives" / "partial").mkdir(parents=True, exist_ok=True)
    path = apt_dir / "sources.list"
    text = private_sources_list(mirror, suites)
    if path.is_file() and path.read_text() == text:
        return False
    path.write_text(text)
    return True


def run_tool(cmd: list[str], cwd: Path | None = None, what: str = "") -> str:
    """Run a tool (apt-get, git, dpkg-source, rsync): its stdout, or a SourceError with
    the tail of its output."""
    try:
        result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    except FileNotFoundError:
        raise SourceError(f"`{cmd[0]}` is not installed: run `invoke setup`") from None
    if result.returncode != 0:
        tail = (result.stdout + result.stderr).strip()[-1500:]
        raise SourceError(f"{what or cmd[0]} failed ({' '.join(cmd[:3])} ...):\n{tail}")
    return result.stdout


class AptDownloader:
    """apt-get with our private configuration under <cache>/apt; downloads into
    <cache>/downloads. The one apt downloader of the harness."""

    LISTS_MAX_AGE = 6 * 3600  # seconds before the private lists are refreshed

    def __init__(self, cache: Path) -> None:
        self.cache = cache
        self.apt_dir = cache / "apt"
        self.downloads = cache / "downloads"
        self._suites: set[str] = set()  # suites whose lists are up to date in this run

    def _private(self, tool: str, *args: str, cwd: Path | None = None) -> str:
        return run_tool([tool, *apt_options(self.apt_dir), *args], cwd=cwd, what=tool)

    def update(self, suites: list[str]) -> None:
        """Write the private deb-src list; refresh it when new or stale. Pins may come from
        different suites (MicroPython 1.26 from sid, lwIP from trixie): the list holds every
        suite asked for so far in this run."""
        wanted = self._suites | set(suites)
        if wanted == self._suites:
            return
        ordered = sorted(wanted)
        mirror = mirror_uri()
        changed = write_private_config(self.apt_dir, mirror, ordered)
        lists = list((self.apt_dir / "lists").glob("*Sources*"))
        fresh = lists and time.time() - min(p.stat().st_mtime for p in lists) < self.LISTS_MAX_AGE
        if changed or not fresh:
            title = f"apt-get update (private list: deb-src {mirror} {' '.join(ordered)})"
            with progress.step(title):
                self._private("apt-get", "update", "-q")
        self._suites = wanted

    def source_versions(self, package: str) -> list[str]:
        """Versions of source ``package`` the private lists offer (call ``update`` first)."""
        out = self._private("apt-cache", "showsrc", package)
        return [line.split(":", 1)[1].strip() for line in out.splitlines()
                if line.startswith("Version:")]

    def download_source(self, package: str, version: str) -> None:
        """``apt-get source --download-only package=version`` into ``downloads``."""
        self.downloads.mkdir(parents=True, exist_ok=True)
        with progress.step(f"download {package} {version}"):
            self._private("apt-get", "source", "--download-only", "-q",
                          f"{package}={version}", cwd=self.downloads)

    def download_deb(self, package: str, why: str = "") -> Path:
        """The newest cached ``package_*_all.deb``, else ``apt-get download`` it from the system's
        lists into ``downloads`` (as root, refreshing those lists once when they do not know the
        package, e.g. in a fresh container)."""
        self.downloads.mkdir(parents=True, exist_ok=True)
        pattern = f"{package}_*.deb"
        debs = sorted(self.downloads.glob(pattern))
        if debs:
            return debs[-1]
        with progress.step(f"download {package}" + (f" ({why})" if why else "")):
            cmd = ["apt-get", "download", package]
            try:
                run_tool(cmd, cwd=self.downloads)
            except SourceError as first:
                if os.geteuid() != 0:
                    raise SourceError(f"{first}\nRun `sudo apt-get update` and try again (the "
                                      "package is in Debian 12's main).") from None
                run_tool(["apt-get", "update", "-q"], what="apt-get update")
                run_tool(cmd, cwd=self.downloads)
        debs = sorted(self.downloads.glob(pattern))
        if not debs:
            raise SourceError(f"apt-get download left no {pattern} in {self.downloads}")
        return debs[-1]
