"""SNAT (DPVS's --match SNAT) end to end, on the FullNAT lab (lib/fullnat_lab.py, namespaces "fl-<pid>-X-*"):
the client's namespace is the inside host (198.18.0.2, 2001:db8::2, default route via the balancer), rs1 is the
outside server (198.18.1.11, 2001:db8:1::11: rs_server.py, which reports the peer it sees, and echoes UDP). The
outside server has no route to the inside network at all: a reply reaches the inside host only if the flow left
from the SNAT pool (198.18.1.20/.21, 2001:db8:1::20, fnat-local addresses on the outside port).

Rules: 198.18.0.0/27 TCP to port 8080 from .20, UDP to 5353 from .21, and 2001:db8::/122 any protocol. The
extra client addresses (198.18.0.50, 2001:db8::50) are outside those networks: their flows are not SNATed.

Every load is bounded in count and time; everything started here is stopped by PID (the lab's close()).
"""
import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from fullnat_lab import (BAL0, BAL0_6, CLIENT, CLIENT6, CLIENTS4, CLIENTS6, RS4, RS6, RS_PORT, RS_UDP_PORT,  # noqa: E402
                         FullNatLab, parse_conns, parse_counters, sh)

POOL_TCP, POOL_UDP, POOL6 = "198.18.1.20", "198.18.1.21", "2001:db8:1::20"
OUTSIDE, OUTSIDE6 = RS4["rs1"], RS6["rs1"]
NOT_MATCHED, NOT_MATCHED6 = CLIENTS4[0], CLIENTS6[0]

SNAT_TOML = f"""
[[snat]]
source = "198.18.0.0/27"
proto = "tcp"
dport = {RS_PORT}
local_addresses = ["{POOL_TCP}"]

[[snat]]
source = "198.18.0.0/27"
proto = "udp"
dport = {RS_UDP_PORT}
dport_max = {RS_UDP_PORT}
local_addresses = ["{POOL_UDP}"]

[[snat]]
source = "2001:db8::/122"
local_addresses = ["{POOL6}"]
"""


class SnatLab(FullNatLab):
    """The FullNAT lab with the inside host's default route through the balancer."""

    def _build(self):
        super()._build()
        sh("ip", "-n", self.cli, "route", "add", "default", "via", BAL0)
        sh("ip", "-n", self.cli, "-6", "route", "add", "default", "via", BAL0_6)

    def snat_config(self, workers=1):
        return self.config([], workers=workers, laddrs=[POOL_TCP, POOL_UDP, POOL6], ipvs={"conn_max": 65536},
                           extra=SNAT_TOML)


@pytest.fixture(scope="module")
def lab():
    lab = SnatLab("X")
    try:
        lab.start_daemon(lab.snat_config(), "snat1")
        yield lab
    finally:
        lab.close()


def counters(lab):
    return parse_counters(lab.ipvsadm("--counters", "--per-worker").stdout)["total"]


def ok(results, what):
    errors = [r for r in results if "error" in r]
    assert not errors, f"{what}: {len(errors)} of {len(results)} failed, e.g. {errors[:3]}"
    return results


@pytest.mark.parametrize("family", [4, 6])
def test_the_inside_host_fetches_a_page_and_the_outside_sees_the_pool(lab, family):
    outside, pool, host = (OUTSIDE, POOL_TCP, CLIENT) if family == 4 else (OUTSIDE6, POOL6, CLIENT6)
    before = counters(lab)
    url = f"http://{outside}:{RS_PORT}/" if family == 4 else f"http://[{outside}]:{RS_PORT}/"
    r = lab.curl(url)
    assert r.returncode == 0, f"curl: {r.stderr}\n{lab.log_tail()}"
    rep = json.loads(r.stdout)
    assert rep["peer"][0] == pool, f"the outside server saw {rep['peer']}, not the pool address {pool}"
    # Many connections, each from a new local port of the pool, all answered.
    results = ok(lab.requests(outside, RS_PORT, 20, timeout=5.0), "SNAT requests")
    peers = {tuple(x["peer"]) for x in results}
    assert {p[0] for p in peers} == {pool}
    assert len(peers) == 20, "each connection takes its own local port"
    assert all(x["client"][0] == host for x in results)
    after = counters(lab)
    assert after["snat_created"] - before.get("snat_created", 0) >= 21


def test_the_connections_are_listed_with_the_pool_address(lab):
    p = lab.hold(OUTSIDE, RS_PORT, 1, hold=30.0)[0]
    try:
        text = lab.ipvsadm("-Lnc", "--fullnat-conn").stdout
        conns = [c for c in parse_conns(text) if c["source"].startswith(CLIENT + ":")]
        assert conns, text
        c = conns[0]
        # The destination kept: the outside server is both the "virtual" and the destination.
        assert c["virtual"] == c["destination"] == f"{OUTSIDE}:{RS_PORT}", c
        assert c["local"].startswith(POOL_TCP + ":"), c
    finally:
        lab.release(p)


def test_ipvsadm_lists_the_rules_in_match_order(lab):
    lines = lab.ipvsadm("--list-snat").stdout.splitlines()
    assert lines[0].split() == ["Source", "Prot", "DestPorts", "LocalAddresses"], lines
    assert [l.split() for l in lines[1:]] == [
        ["198.18.0.0/27", "TCP", str(RS_PORT), POOL_TCP],
        ["198.18.0.0/27", "UDP", str(RS_UDP_PORT), POOL_UDP],
        ["2001:db8::/122", "any", "any", POOL6],
    ], lines


def test_udp_leaves_from_its_rules_pool_and_the_echo_comes_back(lab):
    answers = lab.udp(OUTSIDE, RS_UDP_PORT, count=5, new_socket=True)
    assert all("error" not in a for a in answers), f"{answers}\n{lab.log_tail()}"
    assert all(a["server"] == "rs1" and a["echo_ok"] and a["from"][0] == OUTSIDE for a in answers)
    conns = [c for c in parse_conns(lab.ipvsadm("-Lnc", "--fullnat-conn").stdout) if c["pro"] == "UDP"]
    assert conns and all(c["local"].startswith(POOL_UDP + ":") for c in conns), conns


@pytest.mark.parametrize("family", [4, 6])
def test_a_source_outside_the_rules_is_not_snated(lab, family):
    outside, src = (OUTSIDE, NOT_MATCHED) if family == 4 else (OUTSIDE6, NOT_MATCHED6)
    before = counters(lab)
    # The outside server has no route back to the inside network: without SNAT nothing comes back.
    results = lab.requests(outside, RS_PORT, 2, sources=[src], timeout=2.0, max_errors=2)
    assert all("error" in r for r in results), results
    answers = lab.udp(outside, RS_UDP_PORT, count=2, source=src, timeout=1.0)
    assert all("error" in a for a in answers), answers
    assert counters(lab).get("snat_created", 0) == before.get("snat_created", 0)
    assert not [c for c in parse_conns(lab.ipvsadm("-Lnc").stdout) if c["source"].startswith(src)]


def test_a_port_outside_the_rule_is_not_snated(lab):
    before = counters(lab)
    # TCP to the UDP rule's port: neither rule takes it (the TCP rule is for port 8080 alone).
    probe = lab.connect_probe(OUTSIDE, RS_UDP_PORT, timeout=2.0)
    assert counters(lab).get("snat_created", 0) == before.get("snat_created", 0), probe


def test_two_workers_pass_the_replies_to_the_owner_of_the_local_port(lab):
    lab.use("snat2", lambda: lab.snat_config(workers=2))
    try:
        before = counters(lab)
        results = ok(lab.requests(OUTSIDE, RS_PORT, 40, threads=4, timeout=5.0), "SNAT with two workers")
        assert {x["peer"][0] for x in results} == {POOL_TCP}
        answers = lab.udp(OUTSIDE, RS_UDP_PORT, count=10, new_socket=True)
        assert all("error" not in a and a["echo_ok"] for a in answers), answers
        after = counters(lab)
        assert after["snat_created"] - before.get("snat_created", 0) >= 50
        # Replies that reached the other worker were passed to the port's owner.
        assert after.get("redirect_in", 0) > before.get("redirect_in", 0), after
    finally:
        lab.use("snat1", lab.snat_config)
