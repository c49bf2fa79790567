"""Replay bundles on the host: what a bundle must hold, and how a replay is compared."""

from __future__ import annotations

import pytest

from harness.emulator.replay import ReplayResult, load_meta
from harness.errors import SetupError


def test_a_directory_that_is_no_bundle_says_what_is_missing(tmp_path):
    (tmp_path / "run.rr").write_bytes(b"")
    with pytest.raises(SetupError, match="missing replay.json, flash-start.img, uart0.raw"):
        load_meta(tmp_path)


def test_first_difference_of_a_replay():
    assert ReplayResult(b"abc", b"abc").first_difference() is None
    assert ReplayResult(b"abX", b"abc").first_difference() == 2
    assert ReplayResult(b"ab", b"abc").first_difference() == 2
    assert not ReplayResult(b"abcd", b"abc").identical
