"""A route or address change reaches every worker: two workers (lcores 1 and 2, sharing CPU 1), each with its
own copy of the tables. `dpip route get` asks each worker's copy; pings from many sources, spread over the
workers by the kernel's fanout hash, show both answer for an address added at run time and both stop when it
goes. The control reply comes only once every worker has the change, so no sleep sits between change and
check."""
import json
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from test_inet_lab import HOST, ROUTER, TWO_WORKERS, InetLab, ns_run, sh  # noqa: E402

SOURCES = [f"198.18.0.{i}" for i in range(100, 116)]
NEW = "198.18.0.50"


@pytest.fixture(scope="module")
def lab():
    # 4 queue pairs: two RX queues per worker, and af_packet's qpairs cover the 3 TX queues (2 workers, master).
    lab = InetLab("W", workers=TWO_WORKERS, qpairs=4)
    try:
        for s in SOURCES:
            sh("ip", "-n", lab.cli, "addr", "add", f"{s}/24", "dev", lab.c)
        yield lab
    finally:
        lab.close()


def per_worker(lab, name):
    return {l["lcore"]: l["stats"][name] for l in lab.stats(4, per_lcore=True)["lcores"] if l["role"] == "worker"}


def route_get(lab, addr):
    """Each worker's answer; dpip exits 1 when they say unreachable, as ip does."""
    return json.loads(lab.dpip("-j", "route", "get", addr, check=False).stdout)


def answered_from_each_source(lab, dst):
    ok = 0
    for s in SOURCES:
        r = ns_run(lab.cli, "ping", "-c", "1", "-W", "1", "-I", s, dst, check=False)
        ok += r.returncode == 0
    return ok


def test_route_change_is_in_every_workers_table(lab):
    got = route_get(lab, HOST)
    assert sorted(g["lcore"] for g in got) == [1, 2], got
    assert all(g["type"] == "unreachable" for g in got), got
    lab.dpip("route", "add", "198.18.2.0/24", "via", ROUTER)
    got = route_get(lab, HOST)
    assert sorted(g["lcore"] for g in got) == [1, 2], got
    assert all(g["type"] == "unicast" and g["gateway"] == ROUTER and g["dev"] == "dpdk1" for g in got), got
    lab.dpip("route", "replace", "198.18.2.0/24", "dev", "dpdk0")
    got = route_get(lab, HOST)
    assert all(g["dev"] == "dpdk0" and "gateway" not in g for g in got), got
    lab.dpip("route", "del", "198.18.2.0/24")
    got = route_get(lab, HOST)
    assert all(g["type"] == "unreachable" for g in got), got
    text = lab.dpip("route", "get", "198.18.0.1").stdout
    assert "local 198.18.0.1 dev dpdk0 lcore 1\n" in text and "local 198.18.0.1 dev dpdk0 lcore 2\n" in text, text


def test_address_change_is_answered_by_every_worker(lab):
    before = per_worker(lab, "icmp_echo_requests")
    assert sorted(before) == [1, 2]
    lab.dpip("addr", "add", f"{NEW}/24", "dev", "dpdk0")
    got = route_get(lab, NEW)
    assert sorted(g["lcore"] for g in got) == [1, 2] and all(g["type"] == "local" for g in got), got
    assert answered_from_each_source(lab, NEW) == len(SOURCES)
    after = per_worker(lab, "icmp_echo_requests")
    # The kernel's fanout hash spread the 16 flows over both workers' queues: both answered.
    assert all(after[w] > before[w] for w in (1, 2)), (before, after)
    lab.dpip("addr", "del", f"{NEW}/24", "dev", "dpdk0")
    got = route_get(lab, NEW)
    assert all(g["type"] != "local" for g in got), got
    stopped = per_worker(lab, "icmp_echo_requests")
    assert answered_from_each_source(lab, NEW) == 0
    assert per_worker(lab, "icmp_echo_requests") == stopped


def test_every_change_was_waited_for_and_none_timed_out(lab):
    sync = lab.stats(4)["table_sync"]
    assert sync["waits"] >= 5 and sync["timeouts"] == 0 and sync["backlogged"] == 0, sync
    print(f"\ntable sync with two workers: {sync}")


def test_dataplane_pings_leave_from_both_workers(lab):
    # The master hands dataplane pings to the workers in turn.
    before = per_worker(lab, "ping_sent")
    r = lab.dpip_json("ping", "198.18.0.2", "count", "4", "interval", "0")
    assert r["received"] == 4, r
    after = per_worker(lab, "ping_sent")
    assert all(after[w] - before[w] == 2 for w in (1, 2)), (before, after)
