"""The --netem profiles: names, netem's words, and clear errors (harness/network/impair.py)."""

from __future__ import annotations

import pytest

from harness.errors import NetworkError
from harness.network.impair import PROFILES, parse
from harness.network.service import NetworkService


def test_named_profiles_match_the_issue() -> None:
    lossy = parse("lossy")
    assert (lossy.loss, lossy.delay_ms, lossy.jitter_ms, lossy.duplicate, lossy.reorder) == \
        (5, 20, 10, 1, 2)
    slow = parse("slow")
    assert (slow.rate_kbit, slow.delay_ms, slow.loss) == (1000, 100, 0)
    assert set(PROFILES) >= {"lossy", "slow"}


def test_free_form_takes_netems_words() -> None:
    p = parse("loss 10% delay 50ms 5ms duplicate 2% reorder 5% rate 512kbit")
    assert (p.loss, p.delay_ms, p.jitter_ms, p.duplicate, p.reorder, p.rate_kbit) == \
        (10, 50, 5, 2, 5, 512)
    assert parse("delay 1s").delay_ms == 1000


@pytest.mark.parametrize("spec", ["", "loss", "loss 150%", "delay fast", "rate 3 parsecs",
                                  "jitter 5ms", "lossy2"])
def test_bad_profiles_say_what_to_write(spec: str) -> None:
    with pytest.raises(NetworkError, match="lossy, slow|netem's words"):
        parse(spec)


def test_netem_needs_tap_mode() -> None:
    with pytest.raises(NetworkError, match="needs tap mode"):
        NetworkService("user", netem="lossy")
