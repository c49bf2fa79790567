"""The pinned third-party sources, read from `sources.toml` at the top of the repository."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

from harness.errors import SourceError
from harness.paths import REPO_ROOT

PIN_FILE = REPO_ROOT / "sources.toml"
UNPACK_METHODS = ("orig", "dpkg-source")


@dataclass(frozen=True)
class Pin:
    """One pinned source: where it comes from and how it becomes a build tree."""

    name: str
    version: str
    version_line: str
    debian_package: str
    debian_version: str
    debian_suite: str
    orig_tarball: str
    sha256: str
    unpack: str
    tree: str
    patches: str
    git_url: str
    git_tag: str
    local_env: str
    overlay: str = ""
    # Another version of the source named here (e.g. "micropython"): prepared only on request
    # (its own name), never by default.
    variant_of: str = ""

    @property
    def upstream_of_debian(self) -> str:
        """Upstream part of the Debian version: '1:10.0.13+ds-0+deb13u1' -> '10.0.13'."""
        return upstream_version(self.debian_version)

    def patch_dir(self, repo: Path = REPO_ROOT) -> Path:
        return repo / self.patches

    def overlay_dir(self, repo: Path = REPO_ROOT) -> Path | None:
        return repo / self.overlay if self.overlay else None


def upstream_version(debian_version: str) -> str:
    """Strip epoch, Debian revision and repack suffix (+ds, +dfsg1) from a Debian version."""
    v = debian_version.split(":", 1)[-1]
    if "-" in v:
        v = v.rsplit("-", 1)[0]
    return v.split("+", 1)[0]


_OPTIONAL = ("overlay", "variant_of")
_REQUIRED = [f.name for f in fields(Pin) if f.name != "name" and f.name not in _OPTIONAL]


def parse_pins(text: str, origin: str = "sources.toml") -> dict[str, Pin]:
    """Parse the pin file; every error names the entry and the key to fix."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SourceError(f"{origin} is not valid TOML: {exc}") from None
    pins: dict[str, Pin] = {}
    for name, entry in data.items():
        if name == "tools":  # tools built from Debian sources have their own builders
            continue
        if not isinstance(entry, dict):
            raise SourceError(f"{origin}: '{name}' must be a table ([{name}])")
        missing = [k for k in _REQUIRED if k not in entry]
        if missing:
            raise SourceError(f"{origin}: [{name}] lacks {', '.join(missing)}")
        unknown = set(entry) - set(_REQUIRED) - set(_OPTIONAL)
        if unknown:
            raise SourceError(f"{origin}: [{name}] has unknown keys {', '.join(sorted(unknown))}")
        values = {k: str(entry[k]) for k in entry}
        sha = values["sha256"].lower()
        if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
            raise SourceError(f"{origin}: [{name}] sha256 must be 64 hex digits")
        if values["unpack"] not in UNPACK_METHODS:
            raise SourceError(
                f"{origin}: [{name}] unpack must be one of {', '.join(UNPACK_METHODS)}"
            )
        if not upstream_version(values["debian_version"]).startswith(values["version_line"]):
            raise SourceError(
                f"{origin}: [{name}] debian_version {values['debian_version']} is not in "
                f"version_line {values['version_line']}"
            )
        pins[name] = Pin(name=name, **{**values, "sha256": sha})
    for pin in pins.values():
        if pin.variant_of and pin.variant_of not in pins:
            raise SourceError(f"{origin}: [{pin.name}] variant_of names '{pin.variant_of}', "
                              f"which is not an entry; known: {', '.join(pins)}")
    return pins


def load_pins(path: Path = PIN_FILE) -> dict[str, Pin]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise SourceError(f"cannot read the pin file {path}: {exc}") from None
    return parse_pins(text, origin=str(path))


def select_version(name: str, version: str | None, pins: dict[str, Pin]) -> str:
    """The entry for source `name` at `version` (a prefix of the upstream version, e.g. "1.26"):
    `name` itself or one of its variants; `name` when no version is asked for."""
    if not version:
        return name
    candidates = [p for p in pins.values() if name in (p.name, p.variant_of)]
    for pin in candidates:
        if pin.version == version or pin.version.startswith(version.rstrip(".") + "."):
            return pin.name
    have = ", ".join(sorted(p.version for p in candidates)) or "none"
    raise SourceError(f"no pinned {name} {version} in sources.toml (pinned: {have}); use one of "
                      "those, or point the pin's local_env variable at a tree of that version")


def get_pin(name: str, path: Path = PIN_FILE) -> Pin:
    pins = load_pins(path)
    if name not in pins:
        raise SourceError(f"no source named '{name}' in {path}; known: {', '.join(pins)}")
    return pins[name]
