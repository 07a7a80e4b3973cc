"""FullNAT end to end (issue 5): a client, fulcrumd on two af_packet ports and three real servers behind a
bridge (lib/fullnat_lab.py), with rs_server.py on each real server reporting what it sees, TOA included.

The daemon runs one of a few configs ("main", "acct", "limits", "two"); the tests are ordered so that each
config starts once. The first tests need no balancer: they check the real-server program and its TOA parsing
against a hand-made SYN, so that what the later tests read from it can be trusted.

Observation: tools/ipvsadm: -Ln --stats --exact (per-service counters), -Lnc --fullnat-conn (connections),
-d (removing a real server), --counters --per-worker (the dataplane's counters).
"""
import collections
import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from fullnat_lab import (BAL1, BAL1_6, CLIENT, CLIENT6, CLIENTS4, CLIENTS6, FULCRUMD, IPVSADM, LADDR,  # noqa: E402
                         LADDR6, PORT1_MAC, RS4, RS6, RS_MAC, RS_NAMES, RS_PORT, STANDIN_TOA_GET, VIP, VIP6,
                         FullNatLab, expire_seconds, ns_run, parse_conns, parse_counters, parse_stats, service,
                         split_addr)
from rs_server import blob_sha256  # noqa: E402

# ---- the daemons ----

MAIN = [
    service(VIP, 80, "rr"),
    service(VIP, 81, "wrr", weights=[1, 2, 3]),
    service(VIP, 82, "sh"),
    service(VIP, 83, "mh"),
    service(VIP, 84, "conhash"),
    service(VIP, 85, "rr", toa=False),
    service(VIP, 86, "rr", weights=[0, 0, 0]),
    service(VIP, 87, "none"),
    service(VIP, 88, "mh"),
    service(VIP, 53, "rr", proto="udp"),
    service(VIP, 54, "rr", proto="udp", weights=[0, 0, 0]),
    service(VIP6, 80, "rr"),
    service(VIP6, 82, "sh"),
    service(VIP6, 85, "rr", toa=False),
    service(VIP6, 86, "rr", weights=[0, 0, 0]),
    service(VIP6, 53, "rr", proto="udp"),
]
# conn_max: the lab's memory (eal.memory_mb 512, no hugepages) rather than the default million per worker.
LAB_IPVS = {"conn_max": 65536}
ACCT_IPVS = {"conn_max": 65536, "timeout_tcp": 5, "timeout_tcp_fin": 2, "timeout_udp": 3, "timeout_tcp_time_wait": 3}
ACCT = [service(VIP, 80, "rr"), service(VIP, 90, "rr"), service(VIP, 91, "rr"), service(VIP, 53, "rr", proto="udp")]
# One worker owns both ports 1025 and 1026: 2 connections per local address.
LIMITS_IPVS = {"conn_max": 8, "laddr_port_min": 1025, "laddr_port_max": 1026, "timeout_tcp_fin": 2,
               "timeout_tcp_close": 3}
LIMIT_LADDRS = [f"198.18.1.{20 + i}" for i in range(6)]  # 12 ports: more than the table holds
LIMITS = [service(VIP, 80, "rr"), service(VIP, 81, "rr", laddrs=LIMIT_LADDRS)]
TWO = [service(VIP, 80, "rr"), service(VIP6, 80, "rr")]

CONFIGS = {
    "main": lambda lab: lab.config(MAIN, ipvs=LAB_IPVS),
    "main-mh-without-rs3": lambda lab: lab.config(
        [s if s["port"] != 88 or s["vip"] != VIP else service(VIP, 88, "mh", servers=["rs1", "rs2"]) for s in MAIN],
        ipvs=LAB_IPVS),
    "acct": lambda lab: lab.config(ACCT, ipvs=ACCT_IPVS),
    "limits": lambda lab: lab.config(LIMITS, ipvs=LIMITS_IPVS),
    "two": lambda lab: lab.config(TWO, ipvs=LAB_IPVS, workers=2),
}


@pytest.fixture(scope="module")
def lab():
    lab = FullNatLab("F")
    try:
        yield lab
    finally:
        lab.close()


def run(lab, key):
    lab.use(key, lambda: CONFIGS[key](lab))


def vip_of(family):
    return VIP if family == 4 else VIP6


def ok(results, what=""):
    """The reports of a run of requests; fails naming the errors."""
    errors = [r for r in results if "error" in r]
    assert not errors, f"{what}: {len(errors)} of {len(results)} failed, e.g. {errors[:3]}"
    return results


def split(results):
    return collections.Counter(r["server"] for r in results)


def counters(lab):
    """The dataplane's counters, summed and per worker."""
    return parse_counters(lab.ipvsadm("--counters", "--per-worker").stdout)


def counter_delta(after, before, name):
    return after["total"].get(name, 0) - before["total"].get(name, 0)


def stats(lab):
    return parse_stats(lab.ipvsadm("-Ln", "--stats", "--exact").stdout)


def conns(lab, proto=None, vport=None):
    """The connection table (ipvsadm -Lnc, with FullNAT's local address:port column)."""
    out = []
    for c in parse_conns(lab.ipvsadm("-Lnc", "--fullnat-conn").stdout):
        if proto and c["pro"] != proto:
            continue
        if vport and split_addr(c["virtual"])[1] != vport:
            continue
        out.append(c)
    return out


def wait_no_conns(lab, what, timeout, proto=None, vport=None):
    """Waits until the table holds no such connection; fails showing what it still holds."""
    deadline = time.monotonic() + timeout
    while conns(lab, proto, vport):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}: {conns(lab, proto, vport)}")
        time.sleep(0.2)


def serves(lab, port=80, count=3, rst=False):
    """The daemon is up and FullNAT still works."""
    assert lab.alive(), f"fulcrumd died:\n{lab.log_tail()}"
    ok(lab.requests(VIP, port, count, rst=rst), "requests afterwards")


# ---- without a balancer: the real servers and the TOA parsing ----

@pytest.fixture(scope="class")
def standin():
    lab = FullNatLab("S", balancer=False)
    try:
        yield lab
    finally:
        lab.close()


class TestRealServersAlone:
    """The stand-in (kernel addresses where the balancer's would be) talks to the real servers directly."""

    def test_each_real_server_answers_both_families_and_sees_no_toa(self, standin):
        for name in RS_NAMES:
            for addr, peer in ((RS4[name], BAL1), (RS6[name], BAL1_6)):
                (r,) = ok(standin.requests(addr, RS_PORT, 1, ns=standin.bal), addr)
                assert r["server"] == name and r["peer"][0] == peer and r["peer"][1] == r["client"][1], r
                assert r["syn_saved"] and r["toa"] is None and 254 not in r["syn_options"], r

    @pytest.mark.parametrize("family", [4, 6])
    def test_a_hand_made_syn_with_toa_is_read_by_the_real_server(self, standin, family):
        """scapy speaks for the local address and puts TOA (client address, port 43210) on the SYN and the
        ACK; rs_server must report exactly that client, and the capture on the real server must show it."""
        laddr, rs, client = (LADDR, RS4["rs3"], CLIENT) if family == 4 else (LADDR6, RS6["rs3"], CLIENT6)
        sn = standin.sniff_rs("rs3")
        res = standin.run_script(standin.bal, STANDIN_TOA_GET, standin.b1, PORT1_MAC, RS_MAC["rs3"], laddr, rs,
                                 RS_PORT, client, 43210)
        pkts = standin.stop_sniffer(sn)
        assert res["synack"], res
        body = json.loads(res["response"].split("\r\n\r\n", 1)[1])
        assert body["server"] == "rs3" and body["peer"][0] == laddr, body
        assert body["toa"] == {"addr": client, "port": 43210, "family": family}, body
        syn = [p for p in pkts if p["proto"] == "tcp" and p["flags"] == "S" and p["src"] == laddr]
        ack = [p for p in pkts if p["proto"] == "tcp" and p["flags"] == "A" and p["src"] == laddr]
        assert len(syn) == 1 and syn[0]["toa"] == body["toa"] and syn[0]["sport"] == body["peer"][1], pkts
        assert ack and ack[0]["toa"] == body["toa"], pkts

    def test_blob_and_udp_echo(self, standin):
        size = 3 * 1024 * 1024 + 17
        r = ns_run(standin.bal, "bash", "-o", "pipefail", "-c",
                   f"curl -sS --max-time 30 'http://{RS4['rs2']}:{RS_PORT}/blob?size={size}' | sha256sum",
                   timeout=60)
        assert r.stdout.split()[0] == blob_sha256(size)
        for addr in (RS4["rs1"], RS6["rs1"]):
            answers = standin.udp(addr, 5353, count=3, ns=standin.bal)
            assert all(a.get("server") == "rs1" and a["echo_ok"] for a in answers), answers


# ---- the configs ----

def test_the_lab_configs_pass_the_check(lab, tmp_path):
    """The contract's keys (local_addresses, toa, [ipvs]) are accepted; fulcrumd --check applies every rule."""
    for key, make in CONFIGS.items():
        f = tmp_path / f"{key}.conf"
        f.write_text(make(lab).replace("@PREFIX@", "fnat-check").replace("@SOCKET@", str(tmp_path / "s")))
        r = subprocess.run([FULCRUMD, "-c", str(f), "--check"], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, f"{key}: {r.stdout}{r.stderr}"


# ---- scheduling through FullNAT ----

def test_curl_reaches_every_real_server_through_both_vips(lab):
    run(lab, "main")
    for vip, laddr, client in ((VIP, LADDR, CLIENT), (VIP6, LADDR6, CLIENT6)):
        seen = set()
        for _ in range(6):
            r = lab.curl(f"http://[{vip}]/" if ":" in vip else f"http://{vip}/")
            assert r.returncode == 0, f"curl {vip}: {r.stderr}\n{lab.log_tail()}"
            rep = json.loads(r.stdout)
            assert rep["peer"][0] == laddr, rep  # the real server sees the local address ...
            assert rep["toa"] and rep["toa"]["addr"] == client, rep  # ... and the client in TOA
            seen.add(rep["server"])
        assert seen == set(RS_NAMES), f"{vip}: {seen}"


@pytest.mark.parametrize("family", [4, 6])
def test_rr_splits_300_requests_exactly_evenly(lab, family):
    run(lab, "main")
    got = split(ok(lab.requests(vip_of(family), 80, 300), "rr"))
    assert got == {"rs1": 100, "rs2": 100, "rs3": 100}, got


def test_wrr_1_2_3_splits_300_requests_50_100_150(lab):
    run(lab, "main")
    got = split(ok(lab.requests(VIP, 81, 300), "wrr"))
    assert got == {"rs1": 50, "rs2": 100, "rs3": 150}, got


def placement(lab, vip, port, clients, per_client):
    """{client address: set of real servers that answered it} over per_client connections each."""
    res = ok(lab.requests(vip, port, len(clients) * per_client, sources=clients), f"{vip}:{port}")
    out = collections.defaultdict(set)
    for r in res:
        out[r["client"][0]].add(r["server"])
    assert set(out) == set(clients)
    return out


@pytest.mark.parametrize("sched,port,family", [("sh", 82, 4), ("mh", 83, 4), ("conhash", 84, 4), ("sh", 82, 6)])
def test_hashing_schedulers_keep_each_client_on_one_server(lab, sched, port, family):
    run(lab, "main")
    clients = CLIENTS4 if family == 4 else CLIENTS6
    got = placement(lab, vip_of(family), port, clients, 8)
    moved = {c: s for c, s in got.items() if len(s) != 1}
    assert not moved, f"{sched}: clients answered by more than one server: {moved}"
    # 16 clients: the hash spreads them (a scheduler that sends everyone to one server would pass the above).
    assert len({next(iter(s)) for s in got.values()}) >= 2, got


def test_removing_a_real_server_from_mh_moves_only_its_clients(lab):
    run(lab, "main")
    clients = [CLIENT] + CLIENTS4
    before = {c: next(iter(s)) for c, s in placement(lab, VIP, 88, clients, 2).items()}
    on_rs3 = [c for c, s in before.items() if s == "rs3"]
    assert on_rs3, f"no client on rs3 to move: {before}"
    if os.path.exists(IPVSADM):
        lab.ipvsadm("-d", "-t", f"{VIP}:88", "-r", f"{RS4['rs3']}:{RS_PORT}")
    else:  # mh is deterministic: a daemon without rs3 builds the same table as one that lost it
        run(lab, "main-mh-without-rs3")
    after = placement(lab, VIP, 88, clients, 2)
    assert all(len(s) == 1 for s in after.values()), after
    after = {c: next(iter(s)) for c, s in after.items()}
    moved = {c: (before[c], after[c]) for c in clients if before[c] != "rs3" and after[c] != before[c]}
    assert not moved, f"clients of the remaining servers moved: {moved}"
    assert all(after[c] != "rs3" for c in on_rs3), after


# ---- data ----

def test_a_50_mb_download_through_the_vip_has_the_right_sha256(lab):
    run(lab, "main")
    size = 50 * 1024 * 1024
    r = ns_run(lab.cli, "bash", "-o", "pipefail", "-c",
               f"curl -sS --max-time 150 -w '%{{stderr}}%{{http_code}} %{{size_download}}' "
               f"'http://{VIP}/blob?size={size}' | sha256sum", check=False, timeout=200)
    assert r.returncode == 0, f"{r.stderr}\n{lab.log_tail()}"
    assert r.stderr.strip().endswith(f"200 {size}"), r.stderr
    assert r.stdout.split()[0] == blob_sha256(size)


@pytest.mark.parametrize("family", [4, 6])
def test_udp_through_the_vip_reaches_the_echo_and_comes_back(lab, family):
    run(lab, "main")
    vip = vip_of(family)
    # Source ports of our choosing: a random one could meet a flow still in the table (timeout_udp is 300 s),
    # which rightly goes to that flow's real server.
    base = 41000 if family == 4 else 42000
    one = lab.udp(vip, 53, count=10, sport=base)
    assert all("error" not in a and a["echo_ok"] for a in one), one
    assert len({a["server"] for a in one}) == 1, one  # one flow, one real server
    assert all(a["from"] == [vip, 53] for a in one), one  # the answer comes from the VIP
    many = lab.udp(vip, 53, count=30, new_socket=True, sport=base + 100)
    assert all("error" not in a and a["echo_ok"] for a in many), many
    got = collections.Counter(a["server"] for a in many)
    assert got == {"rs1": 10, "rs2": 10, "rs3": 10}, got  # 30 flows, rr


# ---- TOA on the wire ----

def toa_connections(pkts, laddr):
    """The packets the real server got from the local address, by local port, in order."""
    by = collections.defaultdict(list)
    for p in pkts:
        if p["proto"] == "tcp" and p["src"] == laddr:
            by[p["sport"]].append(p)
    return by


@pytest.mark.parametrize("family", [4, 6])
def test_real_servers_receive_toa_with_the_clients_address(lab, family):
    run(lab, "main")
    vip, laddr = (VIP, LADDR) if family == 4 else (VIP6, LADDR6)
    sniffers = {n: lab.sniff_rs(n) for n in RS_NAMES}
    before = counters(lab)
    try:
        res = ok(lab.requests(vip, 80, 6, sources=(CLIENTS4 if family == 4 else CLIENTS6)[:3]), "requests")
    finally:
        pkts = {n: lab.stop_sniffer(p) for n, p in sniffers.items()}
    after = counters(lab)
    assert counter_delta(after, before, "toa_added") == 2 * len(res), (before["total"], after["total"])
    for r in res:  # what the real server read from the SYN
        assert r["peer"][0] == laddr and r["toa"] == {"addr": r["client"][0], "port": r["client"][1],
                                                       "family": family}, r
    for r in res:  # and what crossed its wire
        flow = toa_connections(pkts[r["server"]], laddr)[r["peer"][1]]
        assert flow and flow[0]["flags"] == "S", (r, flow)
        assert flow[0]["toa"] == r["toa"], f"SYN: {flow[0]}"
        assert len(flow) > 1 and "S" not in flow[1]["flags"] and flow[1]["toa"] == r["toa"], f"first ACK: {flow[:2]}"
        later = [p for p in flow[2:] if 254 in p["options"]]
        assert not later, f"TOA on later packets: {later}"


@pytest.mark.parametrize("family", [4, 6])
def test_a_service_with_toa_off_sends_none(lab, family):
    run(lab, "main")
    vip, laddr = (VIP, LADDR) if family == 4 else (VIP6, LADDR6)
    sniffers = {n: lab.sniff_rs(n) for n in RS_NAMES}
    before = counters(lab)
    try:
        res = ok(lab.requests(vip, 85, 3), "requests")
    finally:
        pkts = {n: lab.stop_sniffer(p) for n, p in sniffers.items()}
    assert counter_delta(counters(lab), before, "toa_added") == 0
    assert split(res) == {"rs1": 1, "rs2": 1, "rs3": 1}, res
    for r in res:
        assert r["peer"][0] == laddr and r["toa"] is None and 254 not in r["syn_options"], r
        flow = toa_connections(pkts[r["server"]], laddr)[r["peer"][1]]
        assert flow and flow[0]["flags"] == "S", flow
        assert not [p for p in flow if 254 in p["options"]], flow


# ---- no live real server ----

def test_no_live_real_server_gets_icmp_port_unreachable(lab):
    run(lab, "main")
    before = counters(lab)
    sn = lab.sniff_client("icmp or icmp6")
    try:
        probes = {(VIP, 86): lab.connect_probe(VIP, 86), (VIP, 87): lab.connect_probe(VIP, 87),
                  (VIP6, 86): lab.connect_probe(VIP6, 86)}
        udp = lab.udp(VIP, 54, count=1, timeout=1.0)
    finally:
        icmp = lab.stop_sniffer(sn)
    for where, p in probes.items():
        assert p["result"] == "refused" and p["seconds"] < 2, (where, p)
    assert udp[0].get("error", "").startswith("ConnectionRefusedError"), udp
    errs = {(i["inner_dst"], i["inner_dport"], i["inner_proto"]): i for i in icmp}
    for (vip, port) in probes:
        e = errs.get((vip, port, 6))
        assert e and e["src"] == vip, f"no ICMP error for {vip}:{port}: {icmp}"
        assert (e["type"], e["code"]) == ((3, 3) if ":" not in vip else (1, 4)), e
    e = errs.get((VIP, 54, 17))
    assert e and (e["type"], e["code"]) == (3, 3), icmp
    after = counters(lab)
    assert counter_delta(after, before, "no_dest") >= 4, (before["total"], after["total"])
    serves(lab)


# ---- the connection table: entries, timeouts, counters ----

def test_established_connections_show_and_expire_after_timeout_tcp(lab):
    run(lab, "acct")  # timeout_tcp 5, timeout_tcp_fin 2, timeout_udp 3
    p, opened = lab.hold(VIP, 80, 2, hold=30)
    try:
        assert not opened["errors"] and len(opened["reports"]) == 2, opened
        clients = {tuple(r["client"]) for r in opened["reports"]}
        entries = conns(lab, "TCP", 80)
        assert {split_addr(c["source"]) for c in entries} == clients, entries
        peers = {tuple(r["client"]): (r["peer"][0], r["peer"][1], RS4[r["server"]]) for r in opened["reports"]}
        for c in entries:
            assert c["state"] == "ESTABLISHED" and split_addr(c["virtual"]) == (VIP, 80), c
            laddr, lport, rs = peers[split_addr(c["source"])]
            assert split_addr(c["local"]) == (laddr, lport) and split_addr(c["destination"]) == (rs, RS_PORT), c
            assert 0 <= expire_seconds(c["expire"]) <= 5, c
        t0 = time.monotonic()
        time.sleep(2)
        assert len(conns(lab, "TCP", 80)) == 2, "idle connections went before timeout_tcp"
        wait_no_conns(lab, "idle connections to expire", 10, "TCP", 80)
        assert time.monotonic() - t0 <= 5 + 3
    finally:
        lab.release(p)


def test_half_closed_connections_expire_after_timeout_tcp_fin(lab):
    """The real server closes ("Connection: close") and the client keeps its side open: FIN_WAIT, which lives
    timeout_tcp_fin (2 s here) however long the client waits."""
    run(lab, "acct")
    wait_no_conns(lab, "an empty table", 15, "TCP", 80)
    p, opened = lab.hold(VIP, 80, 3, hold=30, close_request=True)
    try:
        assert not opened["errors"] and len(opened["reports"]) == 3, opened
        entries = conns(lab, "TCP", 80)
        assert len(entries) == 3, entries
        for c in entries:
            assert c["state"] == "FIN_WAIT" and expire_seconds(c["expire"]) <= 2, c
        wait_no_conns(lab, "FIN_WAIT connections to expire", 2 + 3, "TCP", 80)
    finally:
        lab.release(p)


def test_time_wait_follows_timeout_tcp_time_wait(lab):
    """Both sides closed: TIME_WAIT, which lives timeout_tcp_time_wait (3 s here; timeout_tcp_fin, like the
    kernel's --set, reaches only FIN_WAIT)."""
    run(lab, "acct")
    wait_no_conns(lab, "an empty table", 15, "TCP", 80)
    ok(lab.requests(VIP, 80, 3), "requests")
    entries = conns(lab, "TCP", 80)
    assert len(entries) == 3, entries
    for c in entries:
        assert c["state"] == "TIME_WAIT" and expire_seconds(c["expire"]) <= 3, c
    wait_no_conns(lab, "TIME_WAIT connections to expire", 3 + 3, "TCP", 80)


def test_udp_entries_expire_after_timeout_udp(lab):
    run(lab, "acct")
    (a,) = lab.udp(VIP, 53, count=1)
    assert "error" not in a and a["echo_ok"], a
    entries = conns(lab, "UDP", 53)
    assert len(entries) == 1 and split_addr(entries[0]["source"]) == tuple(a["client"]), entries
    assert 0 <= expire_seconds(entries[0]["expire"]) <= 3, entries
    time.sleep(1)
    assert len(conns(lab, "UDP", 53)) == 1, "the UDP entry went before timeout_udp"
    wait_no_conns(lab, "the UDP entry to expire", 3 + 2, "UDP", 53)


def test_service_counters_match_the_traffic(lab):
    """20 connections to a service nothing else used: conns exactly, and packets and bytes as the client's
    wire carried them (inbytes may include the TOA the balancer added)."""
    run(lab, "acct")
    n = 20
    sn = lab.sniff_client("tcp port 90")
    try:
        res = ok(lab.requests(VIP, 90, n), "requests")
        time.sleep(0.5)  # the last ACKs
    finally:
        pkts = lab.stop_sniffer(sn)
    inbound = [p for p in pkts if p["dst"] == VIP]
    outbound = [p for p in pkts if p["src"] == VIP]
    s = stats(lab)[("TCP", VIP, 90)]
    assert s["conns"] == n, s
    assert s["inpkts"] == len(inbound), (s, len(inbound))
    assert s["outpkts"] == len(outbound), (s, len(outbound))
    in_bytes, out_bytes = sum(p["iplen"] for p in inbound), sum(p["iplen"] for p in outbound)
    assert in_bytes <= s["inbytes"] <= in_bytes + 2 * 8 * n, (s, in_bytes)
    assert s["outbytes"] == out_bytes, (s, out_bytes)
    per_rs = {RS4[name]: count for name, count in split(res).items()}
    assert {a: d["conns"] for (a, _), d in s["dests"].items()} == per_rs, s["dests"]
    for k in ("inpkts", "outpkts", "inbytes", "outbytes"):
        assert sum(d[k] for d in s["dests"].values()) == s[k], (k, s)


# `count` connections one after the other from one source address and port (the client's side is closed
# before the next, so the kernel lets it bind the port again), each with one "Connection: close" GET. Prints
# the list of servers that answered. argv: source sport host port count
SAME_TUPLE = textwrap.dedent("""
    import json, socket, sys, time
    src, sport, host, port, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    out = []
    for i in range(count):
        s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.settimeout(3)
        try:
            s.bind((src, sport))
            s.connect((host, port))
            s.sendall(f"GET / HTTP/1.1\\r\\nHost: {host}\\r\\nConnection: close\\r\\n\\r\\n".encode())
            data = b""
            while True:
                d = s.recv(4096)
                if not d:
                    break
                data += d
            out.append(json.loads(data.split(b"\\r\\n\\r\\n", 1)[1])["server"])
        except Exception as e:
            out.append(f"{type(e).__name__}: {e}")
        finally:
            s.close()
        time.sleep(0.3)  # the last ACK and FIN on their way: the balancer's entry is in TIME_WAIT
    print(json.dumps(out))
""")


def test_a_new_syn_on_a_time_wait_entry_is_a_new_connection(lab):
    """A client that opens a new connection from the same address and port while the balancer still holds the
    old one in TIME_WAIT gets a new connection, scheduled anew and counted, as with the kernel's default
    conn_reuse_mode (1): the old entry is expired, not reused."""
    run(lab, "acct")
    got = lab.run_script(lab.cli, SAME_TUPLE, CLIENT, 40000, VIP, 91, 3)
    assert all(g in RS_NAMES for g in got), got
    s = stats(lab)[("TCP", VIP, 91)]
    assert s["conns"] == 3, (s, got)
    assert sorted(got) == sorted(RS_NAMES), f"rr over three new connections: {got}"


# ---- limits: exhausted local ports, a full table ----
# Every connection here ends with an RST: CLOSE (timeout_tcp_close, 3 s here) follows, so the table empties
# between the tests.

def test_exhausted_local_ports_drop_cleanly_and_count(lab):
    run(lab, "limits")
    wait_no_conns(lab, "an empty table", 15)
    before = counters(lab)
    p, opened = lab.hold(VIP, 80, 2, hold=60, rst=True)
    try:
        assert not opened["errors"] and len(opened["reports"]) == 2, opened
        probe = lab.connect_probe(VIP, 80, timeout=2)
        assert probe["result"] == "timeout", probe  # dropped: neither an answer nor an RST
        mid = counters(lab)
        assert counter_delta(mid, before, "laddr_exhausted") >= 1, (before["total"], mid["total"])
        ok(lab.requests(VIP, 81, 1, rst=True), "another service with its own local addresses")
        assert lab.alive(), lab.log_tail()
    finally:
        assert lab.release(p)
    wait_no_conns(lab, "the ports to come back", 3 + 5, "TCP", 80)  # CLOSE after the RSTs
    serves(lab, 80, 1, rst=True)


def test_a_full_connection_table_drops_cleanly_and_counts(lab):
    run(lab, "limits")
    wait_no_conns(lab, "an empty table", 20)
    before = counters(lab)
    p, opened = lab.hold(VIP, 81, 8, hold=60, rst=True)
    try:
        assert not opened["errors"] and len(opened["reports"]) == 8, opened
        probe = lab.connect_probe(VIP, 81, timeout=2)
        assert probe["result"] == "timeout", probe
        mid = counters(lab)
        assert counter_delta(mid, before, "conn_table_full") >= 1, (before["total"], mid["total"])
        assert lab.alive(), lab.log_tail()
    finally:
        assert lab.release(p)
    wait_no_conns(lab, "the table to empty", 20)
    serves(lab, 81, 4, rst=True)


# ---- two workers ----

def test_two_workers_pass_replies_to_the_owner_and_nothing_fails(lab):
    run(lab, "two")
    before = counters(lab)
    assert len(before["workers"]) == 2, before
    res = lab.requests(VIP, 80, 400, sources=[CLIENT] + CLIENTS4, threads=8)
    res += lab.requests(VIP6, 80, 200, sources=[CLIENT6] + CLIENTS6, threads=8)
    ok(res, "two workers")
    assert set(split(res)) == set(RS_NAMES), split(res)
    after = counters(lab)
    out = [a.get("redirect_out", 0) - b.get("redirect_out", 0) for a, b in zip(after["workers"], before["workers"])]
    into = [a.get("redirect_in", 0) - b.get("redirect_in", 0) for a, b in zip(after["workers"], before["workers"])]
    assert sum(out) > 0, f"no reply was passed between workers: out {out} in {into}"
    assert sum(into) == sum(out), f"passed {out}, received {into}"
    assert counter_delta(after, before, "redirect_ring_full") == 0, after["total"]
    assert lab.alive()
