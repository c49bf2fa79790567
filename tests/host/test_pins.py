"""Pin file parsing (sources.toml)."""

import pytest

from harness.build.pins import load_pins, parse_pins, select_version, upstream_version
from harness.errors import SourceError

GOOD = """
[demo]
version = "1.2.3"
version_line = "1.2."
debian_package = "demo"
debian_version = "1:1.2.3+ds-2"
debian_suite = "trixie"
orig_tarball = "demo_1.2.3+ds.orig.tar.xz"
sha256 = "%s"
unpack = "orig"
tree = "demo-1.2.3"
patches = "demo-patches"
git_url = "https://example.invalid/demo.git"
git_tag = "v1.2.3"
local_env = "DEMO_DIR"
""" % ("ab" * 32)


def test_parses_a_complete_entry():
    pin = parse_pins(GOOD)["demo"]
    assert pin.debian_version == "1:1.2.3+ds-2"
    assert pin.upstream_of_debian == "1.2.3"
    assert pin.overlay == ""


def test_the_repository_pin_file_holds_the_five_sources():
    pins = load_pins()
    assert {n for n, p in pins.items() if not p.variant_of} == {"micropython", "lwip", "qemu",
                                                                 "mbedtls", "berkeley-db"}
    assert pins["qemu"].upstream_of_debian == "10.0.13"
    assert pins["micropython"].upstream_of_debian == "1.26.1"
    assert pins["lwip"].unpack == "dpkg-source"
    assert (pins["mbedtls"].upstream_of_debian, pins["mbedtls"].unpack) == ("3.6.6", "orig")
    assert (pins["berkeley-db"].debian_package, pins["berkeley-db"].unpack) == ("db1-compat",
                                                                                "orig")


def test_micropython_versions_are_pinned_side_by_side():
    pins = load_pins()
    older = pins[select_version("micropython", "1.25", pins)]
    assert older.variant_of == "micropython"
    assert (older.upstream_of_debian, older.debian_suite) == ("1.25.0", "trixie")
    assert older.tree == "micropython-1.25.0"
    assert select_version("micropython", None, pins) == "micropython"
    assert select_version("micropython", "1.26.1", pins) == "micropython"
    with pytest.raises(SourceError, match=r"micropython 1\.9 .*pinned: 1\.25\.0, 1\.26\.1"):
        select_version("micropython", "1.9", pins)


def test_variant_of_an_unknown_source_is_refused():
    with pytest.raises(SourceError, match="variant_of names 'nothing'"):
        parse_pins(GOOD + 'variant_of = "nothing"\n')


@pytest.mark.parametrize(
    ("debian", "upstream"),
    [("1:10.0.13+ds-0+deb13u1", "10.0.13"), ("2.2.1+dfsg1-1+deb13u1", "2.2.1"),
     ("1.25.0+ds-1", "1.25.0"), ("3.0", "3.0")],
)
def test_upstream_version(debian, upstream):
    assert upstream_version(debian) == upstream


@pytest.mark.parametrize(
    ("edit", "complaint"),
    [
        (lambda t: t.replace('unpack = "orig"', 'unpack = "zip"'), "unpack must be one of"),
        (lambda t: t.replace("ab" * 32, "xyz"), "sha256 must be 64 hex digits"),
        (lambda t: t.replace('git_tag = "v1.2.3"\n', ""), "lacks git_tag"),
        (lambda t: t + 'colour = "red"\n', "unknown keys colour"),
        (lambda t: t.replace('version_line = "1.2."', 'version_line = "2."'),
         "is not in version_line"),
        (lambda t: t.replace("[demo]", "[demo"), "not valid TOML"),
    ],
)
def test_bad_entries_name_what_to_fix(edit, complaint):
    with pytest.raises(SourceError, match=complaint):
        parse_pins(edit(GOOD))
