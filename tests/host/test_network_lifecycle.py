"""Tap network lifecycle: everything comes up, and nothing is left after any kind of end.

Real namespaces, bridge, TAP and dnsmasq (root only; skipped otherwise).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from netcheck import REPO_ROOT, dnsmasq_alive, namespace_exists, needs_tap

from harness.network import NetworkService
from harness.network.netns import NetNamespace, clean_stale
from harness.network.tap import BRIDGE, tap_name

pytestmark = needs_tap

# Owns a service without `with`: what tears it down is the harness's signal/atexit handling.
CHILD = textwrap.dedent("""
    import time
    from harness.network import NetworkService
    net = NetworkService("tap")
    net.start()
    net.qemu_args(0)
    net.add_peer()
    print(net.ns.name, net.peers[0].ns.name, net.dnsmasq.process.pid, net.run_dir, flush=True)
    time.sleep(60)
""")


def _links(ns: NetNamespace) -> str:
    return ns.ip("-o", "link", "show", what="listing links")


def test_everything_comes_up_and_is_gone_after_stop() -> None:
    net = NetworkService("tap").start()
    try:
        assert net.ns is not None and net.dnsmasq is not None and net.run_dir is not None
        name, pid, run_dir = net.ns.name, net.dnsmasq.process.pid, net.run_dir
        net.qemu_args(0)
        links = _links(net.ns)
        assert BRIDGE in links and tap_name(0) in links
        addrs = net.ns.ip("-o", "-4", "addr", "show", "dev", BRIDGE, what="addresses")
        assert "10.0.2.2/24" in addrs and "10.0.2.3/24" in addrs
        routes = net.ns.ip("route", "show", what="routes")
        assert "default" not in routes  # nothing can leave the namespace
        assert namespace_exists(name) and dnsmasq_alive(pid) and run_dir.is_dir()
    finally:
        net.stop()
    assert not namespace_exists(name)
    assert not dnsmasq_alive(pid)
    assert not run_dir.exists()
    print(f"tap network: setup {net.setup_seconds * 1000:.0f} ms, "
          f"teardown {net.teardown_seconds * 1000:.0f} ms")


def test_exception_in_the_with_block_tears_down() -> None:
    seen: dict[str, object] = {}
    with pytest.raises(RuntimeError, match="boom"), NetworkService("tap") as net:
        assert net.ns is not None and net.dnsmasq is not None
        seen.update(ns=net.ns.name, pid=net.dnsmasq.process.pid, peer=net.add_peer().ns.name)
        raise RuntimeError("boom")
    assert not namespace_exists(str(seen["ns"]))
    assert not namespace_exists(str(seen["peer"]))
    assert not dnsmasq_alive(int(seen["pid"]))  # type: ignore[arg-type]


def _spawn_child() -> tuple[subprocess.Popen[str], list[str]]:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, cwd=REPO_ROOT, env=env)
    assert child.stdout is not None
    line = child.stdout.readline()
    if not line:
        child.wait(10)
        pytest.fail(f"child did not start its network: {child.stderr.read()}")  # type: ignore
    return child, line.split()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP],
                         ids=["SIGINT", "SIGTERM", "SIGHUP"])
def test_signal_to_the_owner_tears_down(sig: signal.Signals) -> None:
    child, (ns, peer, pid, run_dir) = _spawn_child()
    assert namespace_exists(ns) and dnsmasq_alive(int(pid))
    child.send_signal(sig)
    child.communicate(timeout=30)
    assert child.returncode != 0
    assert not namespace_exists(ns)
    assert not namespace_exists(peer)
    assert not dnsmasq_alive(int(pid))
    assert not os.path.exists(run_dir)


def test_leftovers_of_a_killed_run_are_removed_by_the_next_start() -> None:
    child, (ns, peer, pid, run_dir) = _spawn_child()
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    child.communicate()
    deadline = time.monotonic() + 5  # dnsmasq has the parent-death signal: it goes too
    while dnsmasq_alive(int(pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not dnsmasq_alive(int(pid)), "dnsmasq outlived its SIGKILLed owner"
    # SIGKILL leaves the namespace (nothing can run on SIGKILL); another run's start on this
    # machine may sweep it at any moment from here on, so its presence is not asserted
    with NetworkService("tap") as net:
        # removed by this start, unless another run's start (an xdist worker beside this
        # one) swept them first: either way, gone once a start has run
        assert not namespace_exists(ns) and not namespace_exists(peer)
        assert not os.path.exists(run_dir)
        swept = set(net.removed_stale)
        assert {ns, peer, run_dir} <= swept or not swept & {ns, peer, run_dir}
    assert not namespace_exists(ns) and not namespace_exists(peer)
    assert not dnsmasq_alive(int(pid))
    assert not os.path.exists(run_dir)


def test_clean_stale_never_touches_a_live_owner() -> None:
    with NetworkService("tap") as net:
        assert net.ns is not None
        assert net.ns.name not in clean_stale()
        assert namespace_exists(net.ns.name)
