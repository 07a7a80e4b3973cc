"""The forwarding methods beside FullNAT (issue 6) end to end, on the FullNAT lab (lib/fullnat_lab.py) with a few
additions that only this module's lab gets (ModesLab, namespaces "fl-<pid>-M-*"):

- NAT: the real servers route the client's network (198.18.0.0/24, 2001:db8::/64) through the balancer
  (198.18.1.1, 2001:db8:1::1), so their replies come back through it and are rewritten to come from the VIP.
- DR: every real server holds the VIPs on `lo` (arp_ignore=1, arp_announce=2), and a second client leg
  ("d", 198.18.1.2 / 2001:db8:1::2) sits on the real servers' bridge: the real servers route the client's
  extra address 198.18.0.50 (2001:db8::50) to it, so a DR reply reaches the client without the balancer.
- TUN: this kernel has no IPIP module, so the real server cannot decapsulate: scapy on its side checks what
  arrives (outer header, inner packet, checksums), and the client sees the "too big" answer.
- Persistence: FullNAT and NAT services with `persistence` (and `netmask`); one client's (network's)
  connections stay on one real server while other clients spread.
- Two workers: the same NAT, DR, ICMP and persistence checks with flows spread over both workers by the
  kernel's fanout hash, so that NAT replies and persistent clients must be passed to their owner worker.

Every load is bounded in count and time; everything started here is stopped by PID (the lab's close()).
"""
import json
import os
import sys
import textwrap

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from fullnat_lab import (BAL1, BAL1_6, CLIENT, CLIENT6, CLIENTS4, CLIENTS6, RS4, RS6, RS_NAMES, RS_PORT,  # noqa: E402
                         VIP, VIP6, FullNatLab, ifname, ns_run, parse_conns, parse_counters, parse_stats, service,
                         sh)

DR_CLIENT, DR_CLIENT6 = CLIENTS4[0], CLIENTS6[0]  # reached by the real servers through the client's leg
OTHERS4 = CLIENTS4[1:]                            # reached through the balancer, as CLIENT
LEG, LEG6 = "198.18.1.2", "2001:db8:1::2"         # the client's leg on the real servers' bridge
LAB_IPVS = {"conn_max": 65536}
# NAT shows the real servers the client's own ports: one the client reuses while a real server still holds it
# in TIME_WAIT (from another service on the same real server port) can cost SYN retransmissions (1 s, 3 s),
# as with the kernel's NAT. Room for them, so that the loads below judge the balancer, not that race.
NAT_TIMEOUT = 10.0


def svc(vip, port, forward, **kw):
    """A [[service]] of `forward` ("nat", "dr", "tun", "fullnat"); no local addresses but for FullNAT."""
    s = service(vip, port, **kw)
    s["forward"] = forward
    if forward != "fullnat":
        del s["local_addresses"]
    return s


# DR and TUN cannot change the port: the real servers' own port is the service's.
NAT_PORT, DR_PORT, TUN_PORT, UDP_NAT_PORT, UDP_CLOSED_PORT = 81, RS_PORT, 90, 55, 56
PERSIST_PORT, PERSIST24_PORT, PERSIST_NAT_PORT, PLAIN_PORT = 83, 85, 86, 84
SERVICES = [
    svc(VIP, NAT_PORT, "nat"),
    svc(VIP6, NAT_PORT, "nat"),
    svc(VIP, UDP_NAT_PORT, "nat", proto="udp"),
    svc(VIP, UDP_CLOSED_PORT, "nat", proto="udp", rs_port=5999, servers=["rs1"]),  # nothing listens there
    svc(VIP6, UDP_CLOSED_PORT, "nat", proto="udp", rs_port=5999, servers=["rs1"]),
    svc(VIP, DR_PORT, "dr"),
    svc(VIP6, DR_PORT, "dr"),
    svc(VIP, TUN_PORT, "tun", servers=["rs1"]),
    svc(VIP6, TUN_PORT, "tun", servers=["rs1"]),
    dict(svc(VIP, PERSIST_PORT, "fullnat"), persistence=300),
    dict(svc(VIP, PERSIST24_PORT, "fullnat"), persistence=300, netmask=24),
    dict(svc(VIP, PERSIST_NAT_PORT, "nat"), persistence=300),
    svc(VIP, PLAIN_PORT, "fullnat"),
]


class ModesLab(FullNatLab):
    """The FullNAT lab plus the real servers' routes and VIPs, and the client's leg on their bridge."""

    def _build(self):
        super()._build()
        # NAT: the client's network through the balancer (DR's client below is the exception).
        for n in RS_NAMES:
            ns = self.rs_ns[n]
            sh("ip", "-n", ns, "route", "add", "198.18.0.0/24", "via", BAL1)
            sh("ip", "-n", ns, "-6", "route", "add", "2001:db8::/64", "via", BAL1_6)
        # DR: the client's leg on the bridge, and the real servers' way back to DR_CLIENT through it.
        leg, sw_leg = ifname(self.tag, "d"), ifname(self.tag, "s9")
        self.lab.veth(leg, self.cli, sw_leg, self.sw)
        sh("ip", "-n", self.sw, "link", "set", sw_leg, "master", "br0")
        self._addr(self.cli, leg, f"{LEG}/24", f"{LEG6}/64")
        # The replies come in on the leg, while the route back to the VIP is the other device.
        ns_run(self.cli, "sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0", f"net.ipv4.conf.{leg}.rp_filter=0",
               f"net.ipv4.conf.{self.c}.rp_filter=0")
        self.leg = leg
        for n in RS_NAMES:
            ns = self.rs_ns[n]
            sh("ip", "-n", ns, "route", "add", f"{DR_CLIENT}/32", "via", LEG)
            sh("ip", "-n", ns, "-6", "route", "add", f"{DR_CLIENT6}/128", "via", LEG6)
            sh("ip", "-n", ns, "addr", "add", f"{VIP}/32", "dev", "lo")
            sh("ip", "-n", ns, "addr", "add", f"{VIP6}/128", "dev", "lo")
            ns_run(ns, "sysctl", "-qw", "net.ipv4.conf.all.arp_ignore=1", "net.ipv4.conf.all.arp_announce=2",
                   f"net.ipv4.conf.{self.rs_if}.arp_ignore=1", f"net.ipv4.conf.{self.rs_if}.arp_announce=2")


@pytest.fixture(scope="module")
def lab():
    lab = ModesLab("M")
    try:
        lab.start_daemon(lab.config(SERVICES, ipvs=LAB_IPVS), "modes")
        yield lab
    finally:
        lab.close()


def stats_of(lab, vip, port, proto="TCP"):
    for (p, a, po), v in parse_stats(lab.ipvsadm("-Ln", "--stats", "--exact").stdout).items():
        if p == proto and a.strip("[]") == vip and int(po) == port:
            return v
    raise AssertionError(f"no service {proto} {vip}:{port} in ipvsadm's stats")


def counters(lab):
    return parse_counters(lab.ipvsadm("--counters", "--per-worker").stdout)["total"]


def ok(results, what):
    errors = [r for r in results if "error" in r]
    assert not errors, f"{what}: {len(errors)} of {len(results)} failed, e.g. {errors[:3]}\n"
    return results


def url(vip, port):
    return f"http://[{vip}]:{port}/" if ":" in vip else f"http://{vip}:{port}/"


# ---- NAT ----

@pytest.mark.parametrize("family", [4, 6])
def test_nat_curl_reaches_the_real_server_with_the_clients_own_address(lab, family):
    vip, client = (VIP, CLIENT) if family == 4 else (VIP6, CLIENT6)
    before = stats_of(lab, vip, NAT_PORT)
    seen = set()
    for _ in range(6):
        r = lab.curl(url(vip, NAT_PORT))
        assert r.returncode == 0, f"curl: {r.stderr}\n{lab.log_tail()}"
        rep = json.loads(r.stdout)
        # Masquerading: the real server sees the client itself, on its own address.
        assert rep["peer"][0] == client
        assert rep["local"][0] == (RS4 if family == 4 else RS6)[rep["server"]]
        assert rep["local"][1] == RS_PORT
        seen.add(rep["server"])
    assert seen == set(RS_NAMES)  # rr over three
    after = stats_of(lab, vip, NAT_PORT)
    assert after["conns"] - before["conns"] == 6
    # Both directions passed the balancer.
    assert after["inpkts"] > before["inpkts"]
    assert after["outpkts"] > before["outpkts"]


def test_nat_udp_echo_comes_back_from_the_vip(lab):
    answers = lab.udp(VIP, UDP_NAT_PORT, count=6, new_socket=True)
    assert all("error" not in a for a in answers), answers
    assert all(a["echo_ok"] for a in answers)
    assert all(a["from"] == [VIP, UDP_NAT_PORT] for a in answers)
    assert {a["server"] for a in answers} == set(RS_NAMES)


def nat_port_unreachable(lab, sources):
    """UDP from each source to a NAT service whose real server has no socket on the port: the real server's
    "port unreachable" (real server -> client, about client -> real server) must reach the client from the
    VIP, about its datagram to the VIP, which a connected socket reports as ECONNREFUSED."""
    before = counters(lab)
    for src in sources:
        vip = VIP6 if ":" in src else VIP
        answers = lab.udp(vip, UDP_CLOSED_PORT, count=1, source=src, timeout=3.0)
        assert len(answers) == 1 and "ConnectionRefusedError" in answers[0].get("error", ""), (src, answers)
    assert counters(lab).get("icmp_relayed", 0) - before.get("icmp_relayed", 0) == len(sources)


def test_nat_icmp_error_from_the_real_server_reaches_the_client_from_the_vip(lab):
    nat_port_unreachable(lab, [CLIENT, CLIENT6] + OTHERS4[:2])


# ---- DR ----

@pytest.mark.parametrize("family", [4, 6])
def test_dr_curl_is_answered_directly_by_the_real_server(lab, family):
    vip, client = (VIP, DR_CLIENT) if family == 4 else (VIP6, DR_CLIENT6)
    before = stats_of(lab, vip, DR_PORT)
    seen = set()
    for _ in range(6):
        r = lab.curl(url(vip, DR_PORT), "--interface", client)
        assert r.returncode == 0, f"curl: {r.stderr}\n{lab.log_tail()}"
        rep = json.loads(r.stdout)
        # The real server got the client's packet unchanged: to the VIP (on its lo), from the client.
        assert rep["peer"][0] == client
        assert rep["local"] == [vip, DR_PORT]
        seen.add(rep["server"])
    assert seen == set(RS_NAMES)
    after = stats_of(lab, vip, DR_PORT)
    assert after["conns"] - before["conns"] == 6
    assert after["inpkts"] - before["inpkts"] >= 6 * 4  # SYN, ACK, request, FIN/ACKs at least
    # The replies went around the balancer, through the client's leg.
    assert after["outpkts"] == before["outpkts"]
    assert after["outbytes"] == before["outbytes"]


def test_held_nat_and_dr_connections_are_listed_established(lab):
    p, first = lab.hold(VIP, NAT_PORT, 1)
    p2, first2 = lab.hold(VIP, DR_PORT, 1, sources=[DR_CLIENT])
    try:
        assert not first["errors"] and not first2["errors"], (first, first2)
        conns = parse_conns(lab.ipvsadm("-Lnc").stdout)
        nat_src = "%s:%d" % tuple(first["reports"][0]["client"])
        dr_src = "%s:%d" % tuple(first2["reports"][0]["client"])
        nat = [c for c in conns if c["virtual"] == f"{VIP}:{NAT_PORT}" and c["source"] == nat_src]
        dr = [c for c in conns if c["virtual"] == f"{VIP}:{DR_PORT}" and c["source"] == dr_src]
        assert len(nat) == 1 and nat[0]["state"] == "ESTABLISHED", conns
        # DR sees only the client's segments: its SYN and ACK make it ESTABLISHED (input-only states).
        assert len(dr) == 1 and dr[0]["state"] == "ESTABLISHED", conns
        listing = lab.ipvsadm("-Ln").stdout
        assert "Masq" in listing and "Route" in listing and "Tunnel" in listing
    finally:
        lab.release(p)
        lab.release(p2)


# A router's "fragmentation needed" about a DR reply (VIP -> client) reaches the VIP, that is the balancer.
ICMP_ABOUT_REPLY = textwrap.dedent("""
    import json, sys
    from scapy.all import ICMP, IP, TCP, conf, send
    conf.verb = 0
    a = json.loads(sys.argv[1])
    quoted = IP(src=a["vip"], dst=a["client"]) / TCP(sport=a["vport"], dport=a["cport"], flags="A", seq=1)
    send(IP(src=a["router"], dst=a["vip"]) / ICMP(type=3, code=4, nexthopmtu=1400) / quoted, iface=a["iface"])
    print(json.dumps({"sent": True}))
""")


def test_dr_icmp_error_about_a_reply_goes_on_to_the_real_server(lab):
    from fullnat_lab import read_line
    p, first = lab.hold(VIP, DR_PORT, 1, sources=[DR_CLIENT])
    try:
        assert not first["errors"], first
        rep = first["reports"][0]
        rs, cport = rep["server"], rep["client"][1]
        sn = lab.sniff(lab.rs_ns[rs], lab.rs_if, "icmp")
        before = counters(lab)
        lab.run_script(lab.cli, ICMP_ABOUT_REPLY, json.dumps({"vip": VIP, "client": DR_CLIENT, "vport": DR_PORT,
                                                              "cport": cport, "router": CLIENT, "iface": lab.c}))
        recs = lab.stop_sniffer(sn)
        got = [r for r in recs if r.get("proto") == "icmp" and r.get("inner_dst") == DR_CLIENT]
        # As it was sent: to the VIP (which the real server holds), about VIP -> client.
        assert len(got) == 1, recs
        assert (got[0]["src"], got[0]["dst"], got[0]["type"], got[0]["code"]) == (CLIENT, VIP, 3, 4)
        assert counters(lab).get("icmp_relayed", 0) == before.get("icmp_relayed", 0) + 1
    finally:
        lab.release(p)


# ---- TUN ----

# Captures IPIP / IPv6-in-IPv6 on a real server's interface while the client sends one SYN to the VIP, and
# judges each capture: the outer header, the checksums (recomputed by scapy), and the inner packet.
TUN_CHECK = textwrap.dedent("""
    import json, select, sys, time
    from scapy.all import AsyncSniffer, IP, IPv6, TCP, raw
    iface, family = sys.argv[1], int(sys.argv[2])
    bpf = "ip proto 4" if family == 4 else "ip6 proto 41"
    sn = AsyncSniffer(iface=iface, filter=bpf, store=True, started_callback=lambda: print("listening", flush=True))
    sn.start()
    select.select([sys.stdin], [], [], 20)
    time.sleep(0.3)
    out = []
    for p in sn.stop() or []:
        o = p[IP] if family == 4 else p[IPv6]
        b = raw(o)
        rec = {"src": o.src, "dst": o.dst, "len": len(b)}
        if family == 4:
            fresh = IP(b)
            del fresh.chksum
            rec.update(proto=o.proto, ttl=o.ttl, df=bool(o.flags & 2), ip_csum_ok=IP(raw(fresh)).chksum == o.chksum)
            inner = IP(bytes(o.payload))
        else:
            rec.update(proto=o.nh, hlim=o.hlim, plen=o.plen)
            inner = IPv6(bytes(o.payload))
        if TCP in inner:
            t = inner[TCP]
            fresh = inner.__class__(raw(inner))
            del fresh[TCP].chksum
            if family == 4:
                del fresh.chksum
            again = inner.__class__(raw(fresh))
            rec.update(inner_src=inner.src, inner_dst=inner.dst, sport=t.sport, dport=t.dport, flags=str(t.flags),
                       tcp_csum_ok=again[TCP].chksum == t.chksum,
                       inner_ip_csum_ok=family == 6 or again.chksum == inner.chksum)
        out.append(rec)
    print(json.dumps(out))
""")

# One SYN from the client to the VIP (sport, optional payload size, DF), then listens for ICMP about it.
SEND_SYN = textwrap.dedent("""
    import json, sys
    from scapy.all import IP, IPv6, TCP, ICMP, ICMPv6PacketTooBig, Raw, sr1, conf
    conf.verb = 0
    a = json.loads(sys.argv[1])
    pad = Raw(b"x" * a["payload"]) if a["payload"] else Raw(b"")
    if a["family"] == 4:
        p = IP(src=a["src"], dst=a["dst"], flags="DF" if a["df"] else 0) / TCP(sport=a["sport"], dport=a["dport"],
                                                                          flags="S", seq=1000) / pad
    else:
        p = IPv6(src=a["src"], dst=a["dst"]) / TCP(sport=a["sport"], dport=a["dport"], flags="S", seq=1000) / pad
    ans = sr1(p, timeout=a["wait"], iface=a["iface"], filter="icmp or icmp6") if a["wait"] else None
    rec = {"len": len(p)}
    if ans is not None:
        if ICMP in ans:
            rec.update(src=ans.src, type=ans[ICMP].type, code=ans[ICMP].code, mtu=ans[ICMP].nexthopmtu)
        elif ICMPv6PacketTooBig in ans:
            rec.update(src=ans.src, type=2, code=ans[ICMPv6PacketTooBig].code, mtu=ans[ICMPv6PacketTooBig].mtu)
    if not a["wait"]:
        from scapy.all import send
        send(p, iface=a["iface"])
    print(json.dumps(rec))
""")


def send_syn(lab, family, sport, payload=0, df=True, wait=0):
    src, dst = (CLIENT, VIP) if family == 4 else (CLIENT6, VIP6)
    a = {"family": family, "src": src, "dst": dst, "sport": sport, "dport": TUN_PORT, "payload": payload,
         "df": df, "wait": wait, "iface": lab.c}
    return lab.run_script(lab.cli, SEND_SYN, json.dumps(a), timeout=wait + 30)


@pytest.mark.parametrize("family", [4, 6])
def test_tun_the_real_server_gets_the_clients_syn_inside_ip_in_ip(lab, family):
    from fullnat_lab import read_line
    p = lab.spawn(lab.rs_ns["rs1"], TUN_CHECK, lab.rs_if, family)
    read_line(p, 30, expect="listening")
    sport = 41000 + family
    before = counters(lab)
    send_syn(lab, family, sport)
    out, err = p.communicate(input="", timeout=40)
    recs = json.loads(out.strip().splitlines()[-1])
    mine = [r for r in recs if r.get("sport") == sport]
    assert len(mine) == 1, f"captured {recs} ({err[-500:]})\n{lab.log_tail()}"
    r = mine[0]
    if family == 4:
        assert (r["src"], r["dst"], r["proto"]) == (BAL1, RS4["rs1"], 4)
        assert r["ip_csum_ok"]
        assert r["df"]  # copied from the client's packet
        assert r["len"] == 20 + 40  # outer header + the client's SYN (IPv4 20 + TCP 20)
    else:
        assert (r["src"], r["dst"], r["proto"]) == (BAL1_6, RS6["rs1"], 41)
        assert r["plen"] == 40 + 20
    # The inner packet is the client's SYN to the VIP, untouched.
    src, vip = (CLIENT, VIP) if family == 4 else (CLIENT6, VIP6)
    assert (r["inner_src"], r["inner_dst"], r["dport"], r["flags"]) == (src, vip, TUN_PORT, "S")
    assert r["tcp_csum_ok"] and r["inner_ip_csum_ok"]
    assert counters(lab).get("tun_encapsulated", 0) > before.get("tun_encapsulated", 0)


@pytest.mark.parametrize("family", [4, 6])
def test_tun_a_packet_too_big_once_encapsulated_is_answered_with_the_mtu_that_fits(lab, family):
    before = counters(lab)
    # 1500 bytes with DF (IPv6: always unfragmentable on the way): the outer header would make it 1520 / 1540.
    payload = 1500 - (40 if family == 4 else 60)
    rec = send_syn(lab, family, 42000 + family, payload=payload, wait=5)
    assert rec["len"] == 1500
    vip = VIP if family == 4 else VIP6
    assert rec.get("src") == vip, f"no ICMP answer: {rec}\n{lab.log_tail()}"
    if family == 4:
        assert (rec["type"], rec["code"], rec["mtu"]) == (3, 4, 1480)
    else:
        assert (rec["type"], rec["mtu"]) == (2, 1460)
    assert counters(lab).get("dest_too_big", 0) > before.get("dest_too_big", 0)


# ---- persistence ----

def servers_of(results):
    return [r["server"] for r in results]


@pytest.mark.parametrize("port", [PERSIST_PORT, PERSIST_NAT_PORT])
def test_persistence_one_client_keeps_its_real_server_while_others_spread(lab, port):
    before = counters(lab)
    one = ok(lab.requests(VIP, port, 100, threads=4, timeout=NAT_TIMEOUT), "one client")
    assert len(set(servers_of(one))) == 1, servers_of(one)
    # Fifteen other clients: each sticks to its own, and together they use every real server.
    others = ok(lab.requests(VIP, port, 64, sources=OTHERS4, threads=4, timeout=NAT_TIMEOUT), "other clients")
    by_client = {}
    for r in others:
        by_client.setdefault(r["client"][0], set()).add(r["server"])
    assert len(by_client) == len(OTHERS4)
    assert all(len(s) == 1 for s in by_client.values()), by_client
    assert set().union(*by_client.values()) == set(RS_NAMES)
    after = counters(lab)
    assert after.get("persist_created", 0) - before.get("persist_created", 0) == 1 + len(OTHERS4)
    assert after.get("persist_hit", 0) - before.get("persist_hit", 0) == 100 + 64 - 1 - len(OTHERS4)


def test_persistence_netmask_makes_a_client_network_share_one_real_server(lab):
    res = ok(lab.requests(VIP, PERSIST24_PORT, 48, sources=[CLIENT] + CLIENTS4, threads=4), "a /24")
    assert len(set(servers_of(res))) == 1
    assert len({r["client"][0] for r in res}) == 1 + len(CLIENTS4)


def test_without_persistence_one_client_is_spread(lab):
    res = ok(lab.requests(VIP, PLAIN_PORT, 30, threads=3), "rr")
    assert set(servers_of(res)) == set(RS_NAMES)


# ---- two workers: NAT replies and persistent clients steered to the client's owner worker ----

def test_two_workers_nat_dr_and_persistence(lab):
    lab.start_daemon(lab.config(SERVICES, ipvs=LAB_IPVS, workers=2), "modes-two")
    try:
        before = counters(lab)
        for family in (4, 6):
            vip, client = (VIP, CLIENT) if family == 4 else (VIP6, CLIENT6)
            for _ in range(4):
                r = lab.curl(url(vip, NAT_PORT))
                assert r.returncode == 0, f"NAT curl: {r.stderr}\n{lab.log_tail()}"
                assert json.loads(r.stdout)["peer"][0] == client
            dr_client = DR_CLIENT if family == 4 else DR_CLIENT6
            r = lab.curl(url(vip, DR_PORT), "--interface", dr_client)
            assert r.returncode == 0, f"DR curl: {r.stderr}\n{lab.log_tail()}"
        # Many NAT connections from many clients: both workers' connections, all answered.
        res = ok(lab.requests(VIP, NAT_PORT, 64, sources=[CLIENT] + OTHERS4, threads=4, timeout=NAT_TIMEOUT),
                 "NAT, two workers")
        assert all(r["peer"][0] == r["client"][0] for r in res)
        # ICMP errors about NAT connections of either worker.
        nat_port_unreachable(lab, [CLIENT, CLIENT6] + OTHERS4[:8])
        one = ok(lab.requests(VIP, PERSIST_PORT, 60, threads=4), "persistent, two workers")
        assert len(set(servers_of(one))) == 1
        per = parse_counters(lab.ipvsadm("--counters", "--per-worker").stdout)["workers"]
        assert len(per) == 2
        # The ports spread flows over both workers, so some had to be passed to their owner.
        after = counters(lab)
        assert after.get("redirect_out", 0) > before.get("redirect_out", 0)
        assert after.get("redirect_ring_full", 0) == 0
    finally:
        lab.start_daemon(lab.config(SERVICES, ipvs=LAB_IPVS), "modes")
