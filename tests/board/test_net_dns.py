"""getaddrinfo through the test DNS (issue "Network", seed behaviour 9; tap mode only).

dnsmasq in the harness's namespace serves the names a test registers (``dns_names``) with TTL
0, so lwIP caches nothing: consecutive lookups of different names, more names than lwIP's
DNS table holds (``DNS_TABLE_SIZE`` 2), and a name whose address changed between two lookups
must each give their own, current answer. Unknown names raise ``OSError``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from net_helpers import bring_up

from harness.board import Board

Names = Callable[[str, str], None]

LOOKUP = (
    "import socket\n"
    "def _lookup(name):\n"
    "    try:\n"
    "        return socket.getaddrinfo(name, 80)[0][-1][0]\n"
    "    except OSError as e:\n"
    "        return 'OSError'\n"
)


@pytest.mark.needs_net
def test_consecutive_names_get_their_own_answers(net_board: Board, dns_names: Names) -> None:
    bring_up(net_board)
    names = {f"n{i}.test": f"10.0.2.{50 + i}" for i in range(4)}
    for name, ip in names.items():
        dns_names(name, ip)
    order = ["n0.test", "n1.test", "n2.test", "n3.test", "n1.test", "n0.test", "n3.test",
             "n2.test", "n2.test", "n0.test"]
    out = net_board.exec(LOOKUP + f"print(' '.join(_lookup(n) for n in {order!r}))\n",
                         timeout=30).split()
    assert out == [names[name] for name in order]


@pytest.mark.needs_net
def test_changed_address_is_not_stale(net_board: Board, dns_names: Names) -> None:
    bring_up(net_board)
    dns_names("moving.test", "10.0.2.60")
    net_board.exec(LOOKUP)
    first = net_board.eval("_lookup('moving.test')")
    dns_names("moving.test", "10.0.2.61")
    second = net_board.eval("_lookup('moving.test')")
    assert (first, second) == ("10.0.2.60", "10.0.2.61")


@pytest.mark.needs_net
def test_unknown_name_raises_oserror(net_board: Board, dns_names: Names) -> None:
    bring_up(net_board)
    dns_names("known.test", "10.0.2.70")
    out = net_board.exec(
        LOOKUP +
        "for name in ('unknown.test', 'known.test', 'also-unknown.test', 'known.test'):\n"
        "    print(_lookup(name))\n", timeout=40).split()
    # An unknown name between known ones: each answer is its own (no stale address).
    assert out == ["OSError", "10.0.2.70", "OSError", "10.0.2.70"]


@pytest.mark.needs_net
def test_host_name_and_literal_addresses(net_board: Board, dns_names: Names) -> None:
    bring_up(net_board)
    out = net_board.exec(LOOKUP + "print(_lookup('host.test'), _lookup('dns.test'), "
                         "_lookup('10.0.2.99'))\n", timeout=20).split()
    assert out == ["10.0.2.2", "10.0.2.3", "10.0.2.99"]
