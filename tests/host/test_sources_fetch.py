"""Fetching a pinned Debian source through our private apt configuration.

`apt-get` and `apt-cache` are replaced on PATH by a small scripted peer that serves files from a
folder, the way a mirror would; everything on our side (version choice, checksum, unpack,
patching) is the real code.
"""

import hashlib
import io
import os
import stat
import tarfile
from pathlib import Path

import pytest

from harness.build import sources
from harness.build.apt import AptDownloader
from harness.build.pins import parse_pins
from harness.errors import ChecksumError, SourceError

FAKE_APT = r"""#!/usr/bin/env python3
import os, shutil, sys
args = [a for a in sys.argv[1:]]
while "-o" in args:
    i = args.index("-o"); del args[i:i + 2]
args = [a for a in args if a not in ("-q",)]
tool = os.path.basename(sys.argv[0])
mirror = os.environ["FAKE_MIRROR"]
log = open(os.path.join(mirror, "calls.log"), "a")
log.write(tool + " " + " ".join(args) + "\n")
if tool == "apt-cache" and args[0] == "showsrc":
    for v in os.listdir(mirror):
        if v.startswith("version-"):
            print("Package: demo\nVersion: " + v[len("version-"):].replace("_", ":") + "\n")
elif tool == "apt-get" and args[0] == "update":
    pass
elif tool == "apt-get" and args[0] == "download":
    debs = [f for f in os.listdir(mirror) if f.startswith(args[1] + "_")]
    if not debs:
        print("E: Unable to locate package " + args[1], file=sys.stderr); sys.exit(100)
    shutil.copy(os.path.join(mirror, debs[0]), debs[0])
elif tool == "apt-get" and args[0] == "source":
    pkg, ver = args[-1].split("=")
    folder = os.path.join(mirror, "version-" + ver.replace(":", "_"))
    if not os.path.isdir(folder):
        print("E: no such version", file=sys.stderr); sys.exit(100)
    for f in os.listdir(folder):
        if f != "MISSING":
            shutil.copy(os.path.join(folder, f), f)
    if os.path.exists(os.path.join(folder, "MISSING")):  # a file listed but gone (a 404)
        print("E: Failed to fetch http://mirror.invalid/demo.debian.tar.xz  404  Not Found",
              file=sys.stderr)
        sys.exit(100)
"""


def _tarball(files: dict[str, bytes], top: str = "demo-1.2.3") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:xz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


ORIG = _tarball({"hello.c": b"int main(void) { return 0; }\n", "README": b"demo\n"})


def _pin_text(sha: str, debian_version: str = "1.2.3+ds-1") -> str:
    return f"""
[demo]
version = "1.2.3"
version_line = "1.2.3"
debian_package = "demo"
debian_version = "{debian_version}"
debian_suite = "trixie"
orig_tarball = "demo_1.2.3+ds.orig.tar.xz"
sha256 = "{sha}"
unpack = "orig"
tree = "demo-1.2.3"
patches = "demo-patches"
git_url = "https://example.invalid/demo.git"
git_tag = "v1.2.3"
local_env = "DEMO_DIR"
"""


@pytest.fixture
def mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("apt-get", "apt-cache"):
        script = bin_dir / tool
        script.write_text(FAKE_APT)
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
    served = tmp_path / "mirror"
    served.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_MIRROR", str(served))
    monkeypatch.setenv("ESP8266_QEMU_DEBIAN_MIRROR", "http://mirror.invalid/debian")
    return served


def _serve(mirror: Path, version: str, orig: bytes) -> None:
    folder = mirror / ("version-" + version.replace(":", "_"))
    folder.mkdir()
    (folder / "demo_1.2.3+ds.orig.tar.xz").write_bytes(orig)
    (folder / f"demo_{version.split(':')[-1]}.dsc").write_text("Format: 3.0 (quilt)\n")


def test_good_download_is_verified_unpacked_and_cached(mirror: Path, tmp_path: Path):
    _serve(mirror, "1.2.3+ds-1", ORIG)
    pin = parse_pins(_pin_text(hashlib.sha256(ORIG).hexdigest()))["demo"]
    fetched = sources.DebianFetcher(tmp_path / "cache").fetch(pin)
    assert fetched.orig is not None and fetched.orig.read_bytes() == ORIG
    tree = sources.prepare_tree(fetched, tmp_path / "src", repo=tmp_path)
    assert (tree / "hello.c").read_text().startswith("int main")
    # Second fetch: served from the cache, apt is not asked again.
    calls = (mirror / "calls.log").read_text()
    sources.DebianFetcher(tmp_path / "cache").fetch(pin)
    assert (mirror / "calls.log").read_text() == calls


def test_corrupted_download_is_rejected_with_a_clear_message(mirror: Path, tmp_path: Path):
    corrupted = bytearray(ORIG)
    corrupted[len(corrupted) // 2] ^= 0xFF
    _serve(mirror, "1.2.3+ds-1", bytes(corrupted))
    pin = parse_pins(_pin_text(hashlib.sha256(ORIG).hexdigest()))["demo"]
    with pytest.raises(ChecksumError) as err:
        sources.DebianFetcher(tmp_path / "cache").fetch(pin)
    message = str(err.value)
    assert "does not match its pinned sha256" in message
    assert hashlib.sha256(ORIG).hexdigest() in message
    assert hashlib.sha256(corrupted).hexdigest() in message
    assert "invoke sources" in message
    kept = tmp_path / "cache/downloads/demo_1.2.3+ds.orig.tar.xz"
    assert not kept.exists() and kept.with_name(kept.name + ".corrupt").exists()


def test_newer_point_release_is_used_with_a_notice(mirror: Path, tmp_path: Path, capsys):
    _serve(mirror, "1.2.3+ds-3", ORIG)
    pin = parse_pins(_pin_text(hashlib.sha256(ORIG).hexdigest()))["demo"]
    fetched = sources.DebianFetcher(tmp_path / "cache").fetch(pin)
    assert fetched.debian_version == "1.2.3+ds-3"
    assert "is gone from the mirror; using 1.2.3+ds-3" in capsys.readouterr().out


def test_no_release_of_the_version_line_is_an_error(mirror: Path, tmp_path: Path):
    (mirror / "version-1.3.0-1").mkdir()
    pin = parse_pins(_pin_text("ab" * 32))["demo"]
    with pytest.raises(SourceError, match="Bump the pin"):
        sources.DebianFetcher(tmp_path / "cache").fetch(pin)


def test_local_origin_copies_the_tree_and_follows_edits(tmp_path: Path, monkeypatch):
    local = tmp_path / "checkout"
    local.mkdir()
    (local / "main.c").write_text("v1\n")
    monkeypatch.setenv("DEMO_DIR", str(local))
    pin = parse_pins(_pin_text("ab" * 32))["demo"]
    fetched = sources.fetch(pin, cache=tmp_path / "cache")
    assert fetched.origin == "local"
    tree = sources.prepare_tree(fetched, tmp_path / "src", repo=tmp_path)
    assert (tree / "main.c").read_text() == "v1\n"
    (local / "main.c").write_text("v2\n")
    sources.prepare_tree(fetched, tmp_path / "src", repo=tmp_path)
    assert (tree / "main.c").read_text() == "v2\n"
    assert (local / "main.c").read_text() == "v2\n"  # the developer's tree is never patched


def test_local_micropython_tree_is_named_and_patched_by_the_version_it_holds(
        tmp_path: Path, monkeypatch):
    local = tmp_path / "checkout"
    (local / "py").mkdir(parents=True)
    (local / "py/mpconfig.h").write_text(
        "#define MICROPY_VERSION_MAJOR 1\n#define MICROPY_VERSION_MINOR 26\n"
        "#define MICROPY_VERSION_MICRO 1\n")
    (local / "main.c").write_text("old\n")
    patch_dir = tmp_path / "demo-patches"
    patch_dir.mkdir()
    (patch_dir / "new.patch").write_text(
        "--- a/main.c\n+++ b/main.c\n@@ -1 +1 @@\n-old\n+new\n")
    (patch_dir / "other.patch").write_text(
        "--- a/main.c\n+++ b/main.c\n@@ -1 +1 @@\n-old\n+other\n")
    (patch_dir / "series").write_text("other.patch <1.26\nnew.patch >=1.26\n")
    monkeypatch.setenv("DEMO_DIR", str(local))
    pin = parse_pins(_pin_text("ab" * 32))["demo"]
    tree = sources.prepare_tree(sources.fetch(pin, cache=tmp_path / "cache"), tmp_path / "src",
                                repo=tmp_path)
    assert tree.name == "demo-1.26.1"  # not the pin's demo-1.2.3
    assert (tree / "main.c").read_text() == "new\n"


def test_overlay_copies_changed_files_and_removes_dropped_ones(tmp_path: Path):
    overlay, tree = tmp_path / "overlay", tmp_path / "tree"
    (overlay / "hw/xtensa").mkdir(parents=True)
    (overlay / "patches").mkdir()
    (overlay / "patches/series").write_text("")
    (overlay / "README.md").write_text("docs stay out")
    (overlay / "hw/xtensa/a.c").write_text("a\n")
    (overlay / "hw/xtensa/b.c").write_text("b\n")
    tree.mkdir()
    assert sorted(sources.apply_overlay(overlay, tree)) == ["hw/xtensa/a.c", "hw/xtensa/b.c"]
    assert not (tree / "README.md").exists() and not (tree / "patches").exists()
    assert sources.apply_overlay(overlay, tree) == []  # unchanged: nothing copied (mtimes kept)
    (overlay / "hw/xtensa/b.c").unlink()
    assert sources.apply_overlay(overlay, tree) == ["hw/xtensa/b.c (removed)"]
    assert not (tree / "hw/xtensa/b.c").exists()


def test_binary_package_download_is_cached(mirror: Path, tmp_path: Path) -> None:
    """The same downloader fetches a binary .deb (gcc-12-source) from the system's lists."""
    (mirror / "tool_1.0_all.deb").write_bytes(b"!<arch>\n")
    apt = AptDownloader(tmp_path / "cache")
    deb = apt.download_deb("tool")
    assert deb == tmp_path / "cache" / "downloads" / "tool_1.0_all.deb"
    assert apt.download_deb("tool") == deb
    assert (mirror / "calls.log").read_text().count("download tool") == 1
    with pytest.raises(SourceError, match="locate package missing"):
        apt.download_deb("missing")  # (as root: once more after `apt-get update`)


def test_the_mbedtls_pin_gone_from_the_mirror_is_the_same_clear_error(mirror: Path,
                                                                      tmp_path: Path):
    # The repository's own mbedTLS pin, on a mirror that only has an older line (2.28):
    # the message names the package, the pinned version, what the mirror has and what to do.
    from harness.build.pins import load_pins

    (mirror / "version-2.28.3-1").mkdir()
    pin = load_pins()["mbedtls"]
    with pytest.raises(SourceError, match=r"Debian no longer offers mbedtls 3\.6\.6-0\.1~deb13u1 "
                       r"nor any 3\.6\.\* upload in trixie \(has: 2\.28\.3-1\)\. Bump the pin"):
        sources.DebianFetcher(tmp_path / "cache").fetch(pin)


@pytest.mark.parametrize("unpack", ["orig", "dpkg-source"])
def test_a_source_package_missing_its_debian_files(mirror: Path, tmp_path: Path, capsys,
                                                   unpack: str):
    # The mirror lists the upload and serves its orig tarball, but its .debian.tar is gone (as
    # db1-compat's on Debian's mirror here). An "orig" pin needs nothing else: it goes on with
    # a notice; a "dpkg-source" pin cannot unpack without the Debian files: apt's error stands.
    _serve(mirror, "1.2.3+ds-1", ORIG)
    (mirror / "version-1.2.3+ds-1" / "MISSING").write_text("")
    text = _pin_text(hashlib.sha256(ORIG).hexdigest()).replace('unpack = "orig"',
                                                                 f'unpack = "{unpack}"')
    pin = parse_pins(text)["demo"]
    fetcher = sources.DebianFetcher(tmp_path / "cache")
    if unpack == "dpkg-source":
        with pytest.raises(SourceError, match="404"):
            fetcher.fetch(pin)
        return
    fetched = fetcher.fetch(pin)
    assert fetched.orig is not None and fetched.orig.read_bytes() == ORIG
    out = capsys.readouterr().out
    assert "apt could not download all of the source package" in out
    assert "matches the pin" in out
    # Next time the verified orig tarball is enough: no apt at all.
    calls = (mirror / "calls.log").read_text()
    assert sources.DebianFetcher(tmp_path / "cache").fetch(pin).orig == fetched.orig
    assert (mirror / "calls.log").read_text() == calls


def _git(repo: Path, *args: str) -> str:
    import subprocess

    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t",
                           *args], check=True, capture_output=True, text=True).stdout.strip()


def test_git_origin_takes_a_tag_or_a_branch_and_follows_the_branch(tmp_path: Path):
    upstream = tmp_path / "upstream"
    upstream.mkdir()
    _git(upstream, "init", "-q", "-b", "main")
    (upstream / "main.c").write_text("release\n")
    _git(upstream, "add", "main.c")
    _git(upstream, "commit", "-q", "-m", "release")
    _git(upstream, "tag", "v1.2.3")
    text = _pin_text("ab" * 32).replace("[demo]", "[micropython]").replace(
        "https://example.invalid/demo.git", str(upstream))
    pin = parse_pins(text)["micropython"]
    cache, src = tmp_path / "cache", tmp_path / "src"

    tagged = sources.prepare_tree(sources.fetch(pin, "git", cache), src, repo=tmp_path)
    assert (tagged / "main.c").read_text() == "release\n"

    (upstream / "main.c").write_text("master 1\n")
    _git(upstream, "commit", "-q", "-am", "work")
    branch = sources.with_ref(pin, "main")
    assert branch.git_tag == "main" and pin.git_tag == "v1.2.3"
    tree = sources.prepare_tree(sources.fetch(branch, "git", cache), src, repo=tmp_path)
    assert (tree / "main.c").read_text() == "master 1\n"
    (upstream / "main.c").write_text("master 2\n")  # the branch moved on: fetched again
    _git(upstream, "commit", "-q", "-am", "more work")
    tree = sources.prepare_tree(sources.fetch(branch, "git", cache), src, repo=tmp_path)
    assert (tree / "main.c").read_text() == "master 2\n"


def test_ref_without_the_git_origin_is_refused():
    with pytest.raises(SourceError, match="--ref master names a git tag or branch: use it with "
                                          "--origin git"):
        sources.prepare(["micropython"], origin=None, ref="master")
