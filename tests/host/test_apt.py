"""The private apt configuration, generated from both Debian source-list formats."""

from pathlib import Path

import pytest

from harness.build import apt
from harness.errors import SourceError

ONE_LINE = """\
# comment
deb [signed-by=/usr/share/keyrings/d.gpg arch=amd64] http://mirror.example/debian bookworm main
deb http://security.debian.org/debian-security bookworm-security main
deb-src http://mirror.example/debian bookworm-updates main
"""

DEB822 = """\
Types: deb
URIs: http://security.example/debian-security
Suites: bookworm-security
Components: main

Types: deb deb-src
# a comment inside the stanza
URIs: http://ftp.example/debian
Suites: bookworm bookworm-updates
Components: main non-free-firmware
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""

DISABLED = """\
Types: deb
URIs: http://disabled.example/debian
Suites: bookworm
Components: main
Enabled: no
"""


def test_one_line_format_gives_the_release_mirror():
    entries = apt.parse_one_line(ONE_LINE)
    assert [e.uri for e in entries][0] == "http://mirror.example/debian"
    assert apt.debian_mirror(entries) == "http://mirror.example/debian"


def test_deb822_format_skips_security_and_takes_the_archive():
    entries = apt.parse_deb822(DEB822)
    assert entries[1].suites == ("bookworm", "bookworm-updates")
    assert apt.debian_mirror(entries) == "http://ftp.example/debian"


def test_disabled_stanzas_are_ignored():
    assert apt.parse_deb822(DISABLED) == []


def test_system_entries_reads_both_formats(tmp_path: Path):
    etc = tmp_path / "etc/apt"
    (etc / "sources.list.d").mkdir(parents=True)
    (etc / "sources.list").write_text("")
    (etc / "sources.list.d/debian.sources").write_text(DEB822)
    (etc / "sources.list.d/extra.list").write_text(ONE_LINE)
    (etc / "sources.list.d/ignored.txt").write_text(ONE_LINE)
    entries = apt.system_entries(tmp_path)
    assert len(entries) == 2 + 3
    assert apt.debian_mirror(entries) == "http://ftp.example/debian"


def test_no_debian_mirror_says_what_to_do():
    entries = apt.parse_one_line("deb http://ppa.example/ubuntu noble main\n")
    with pytest.raises(SourceError, match="ESP8266_QEMU_DEBIAN_MIRROR"):
        apt.debian_mirror(entries)


def test_private_config_has_only_deb_src_and_private_dirs(tmp_path: Path):
    assert apt.write_private_config(tmp_path, "http://m.example/debian", ["trixie"])
    text = (tmp_path / "sources.list").read_text()
    assert [ln for ln in text.splitlines() if not ln.startswith("#")] == [
        "deb-src http://m.example/debian trixie main"
    ]
    assert not apt.write_private_config(tmp_path, "http://m.example/debian", ["trixie"])
    opts = " ".join(apt.apt_options(tmp_path))
    assert f"Dir::Etc::SourceList={tmp_path}/sources.list" in opts
    assert "Dir::Etc::SourceParts=/dev/null" in opts
    assert f"Dir::State::Lists={tmp_path}/lists" in opts
    assert "/etc/apt" not in opts
