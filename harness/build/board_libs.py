"""Python modules put on a board's filesystem for MicroPython's own tests: ``unittest``.

Some tests of the pinned tree (``extmod/machine1.py``, ``extmod/marshal_micropython.py`` ...)
``import unittest``; run-tests.py stops the whole run when a board lacks it. The module comes
from PyPI as sources.toml's ``[tools.unittest]`` pins it (package, sdist file name, sha256): the
file is found on PyPI's simple index (PEP 503, what pip reads), downloaded into the cache,
checked, and its ``unittest.py`` extracted to ``build/board-libs/``. pip itself cannot fetch
these sdists (they carry no setup.py: they were made for MicroPython's own ``upip``).

On the board it goes as ``.mpy``, compiled by the tree's own mpy-cross (as ``mip install``
puts micropython-lib's modules): compiling 12 KiB of source on the board needs more heap than a
test that imports it leaves (1.26's ``extmod/tls_threads.py`` ran out of memory doing so).
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import tarfile
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from harness import paths
from harness.errors import ChecksumError, SourceError

SIMPLE_INDEX = "https://pypi.org/simple/"


@dataclass(frozen=True)
class PypiPin:
    package: str
    version: str
    sdist: str
    sha256: str
    member: str  # the file inside the sdist


def load_unittest_pin(path: Path = paths.REPO_ROOT / "sources.toml") -> PypiPin:
    """``[tools.unittest]`` of sources.toml; an error names the key to fix."""
    try:
        entry = tomllib.loads(path.read_text())["tools"]["unittest"]
        return PypiPin(entry["pypi_package"], str(entry["version"]), entry["sdist"],
                       entry["sha256"].lower(), entry["member"])
    except (OSError, tomllib.TOMLDecodeError, TypeError) as exc:
        raise SourceError(f"{path}: no valid [tools.unittest] table ({exc})") from None
    except KeyError as exc:
        raise SourceError(f"{path}: [tools.unittest] lacks {exc.args[0]}") from None


def find_sdist_url(index_html: str, pin: PypiPin) -> str:
    """The download URL of ``pin.sdist`` on a PEP 503 project page; its sha256 fragment, when
    the index gives one, must be the pinned one."""
    for href, name in re.findall(r'<a[^>]*href="([^"]+)"[^>]*>([^<]+)</a>', index_html):
        if name.strip() != pin.sdist:
            continue
        url, _, fragment = href.partition("#")
        if fragment.startswith("sha256=") and fragment[7:].lower() != pin.sha256:
            raise ChecksumError(f"PyPI lists {pin.sdist} with sha256 {fragment[7:]}, pinned "
                                f"{pin.sha256}: the pin in sources.toml [tools.unittest] is "
                                "wrong or the file was replaced")
        return url
    raise SourceError(f"PyPI's index of {pin.package} has no {pin.sdist}; bump "
                      "[tools.unittest] in sources.toml to a file it lists")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _get(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (https only)
            return bytes(response.read())
    except (urllib.error.URLError, OSError) as exc:
        raise SourceError(f"could not download {url}: {exc}; the board's unittest module "
                          "comes from PyPI (sources.toml [tools.unittest])") from None


def fetch_sdist(pin: PypiPin, cache: Path | None = None) -> Path:
    """The pinned sdist in the download cache (downloaded and checked once)."""
    target = (cache or paths.cache_dir()) / "pypi" / pin.sdist
    if target.is_file() and _sha256(target.read_bytes()) == pin.sha256:
        return target
    page = _get(SIMPLE_INDEX + pin.package + "/").decode("utf-8", "replace")
    data = _get(find_sdist_url(page, pin))
    if _sha256(data) != pin.sha256:
        raise ChecksumError(f"{pin.sdist} from PyPI has sha256 {_sha256(data)}, pinned "
                            f"{pin.sha256} (sources.toml [tools.unittest])")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(target)
    return target


# Ours, appended to the pinned module: setUpClass/tearDownClass (it has neither).
CLASS_FIXTURES = Path(__file__).parent / "board_side" / "unittest_class_fixtures.py"


def unittest_module(cache: Path | None = None, build: Path | None = None,
                    pin: PypiPin | None = None) -> Path:
    """``build/board-libs/unittest.py``: the module of the pinned sdist (fetched if needed)
    with our setUpClass/tearDownClass support appended (``CLASS_FIXTURES``)."""
    pin = pin or load_unittest_pin()
    out = (build or paths.build_dir()) / "board-libs" / "unittest.py"
    stamp = out.with_name("unittest.sha256")
    extension = CLASS_FIXTURES.read_bytes()
    identity = f"{pin.sha256} {hashlib.sha256(extension).hexdigest()}"
    if out.is_file() and stamp.is_file() and stamp.read_text().strip() == identity:
        return out
    sdist = fetch_sdist(pin, cache)
    try:
        with tarfile.open(sdist) as tar:
            member = tar.extractfile(pin.member)
            if member is None:
                raise KeyError(pin.member)
            text = member.read()
    except (KeyError, tarfile.TarError) as exc:
        raise SourceError(f"{sdist} holds no {pin.member} ({exc}); fix [tools.unittest] "
                          "member in sources.toml") from None
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(text.rstrip(b"\n") + b"\n\n\n" + extension)
    stamp.write_text(identity + "\n")
    return out


def compile_mpy(source: Path, mpy_cross: Path, out: Path) -> Path:
    """``source`` compiled to ``out`` (.mpy) by ``mpy_cross`` (the firmware's tree's, so the
    .mpy version matches the firmware); redone when the source or the compiler is newer."""
    if not mpy_cross.is_file():
        raise SourceError(f"no mpy-cross at {mpy_cross}; `invoke build` builds it with the "
                          "firmware")
    if out.is_file() and out.stat().st_mtime >= max(source.stat().st_mtime,
                                                   mpy_cross.stat().st_mtime):
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    result = subprocess.run([str(mpy_cross), "-o", str(out), str(source)], capture_output=True,
                            text=True, check=False)
    if result.returncode != 0:
        raise SourceError(f"mpy-cross could not compile {source}: {result.stderr.strip()}")
    return out
