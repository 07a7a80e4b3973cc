"""ipv4/ipv6 end to end: addresses, ARP and ND, ICMP and ICMPv6 echo, routes two hops away, forwarding,
fragments, and dpip's addr / route / neigh / ipv4 / ipv6 / ping, on the lab of test_inet_lab.py."""
import json
import os
import subprocess
import sys
import threading
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from test_inet_lab import (BAL0, BAL0_6, BAL1, CLIENT, CLIENT6, CLIENT_MAC, HOST, HOST6, ROUTER, ROUTER6,  # noqa: E402
                           InetLab, counter_delta, ns_run, scapy, sh, wait_counters, wait_for)


@pytest.fixture(scope="module")
def lab():
    lab = InetLab("I")
    try:
        yield lab
    finally:
        lab.close()


def neighbours(lab, family):
    return {n["dst"]: n for n in lab.dpip_json(f"-{family}", "neigh", "show")}


# ---- addresses, ARP/ND, echo ----

def test_ping_and_ping6_side_by_side(lab):
    results = {}

    def run(dst):
        results[dst] = lab.ping(lab.cli, dst, count=5, check=False)

    threads = [threading.Thread(target=run, args=(d,)) for d in (BAL0, BAL0_6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for dst, r in results.items():
        assert r.returncode == 0 and " 0% packet loss" in r.stdout, f"{dst}: {r.stdout}"
    c4, c6 = lab.counters(4), lab.counters(6)
    assert c4["icmp_echo_requests"] >= 5 and c4["icmp_echo_replies"] == c4["icmp_echo_requests"]
    assert c6["icmp6_echo_requests"] >= 5 and c6["icmp6_echo_replies"] == c6["icmp6_echo_requests"]
    assert c4["arp_replies"] >= 1 and c6["nd_adverts_sent"] >= 1


def test_neigh_show_lists_the_client_after_ping(lab):
    lab.ping(lab.cli, BAL0, count=1)
    lab.ping(lab.cli, BAL0_6, count=1)
    n4, n6 = neighbours(lab, 4), neighbours(lab, 6)
    assert n4[CLIENT]["lladdr"] == CLIENT_MAC and n4[CLIENT]["dev"] == "dpdk0", n4
    assert n4[CLIENT]["state"][0] in ("REACHABLE", "STALE", "PROBE"), n4
    assert n6[CLIENT6]["lladdr"] == CLIENT_MAC, n6
    text = lab.dpip("neigh", "show").stdout
    assert f"{CLIENT} dev dpdk0 lladdr {CLIENT_MAC} " in text, text
    assert CLIENT6 in lab.dpip("-6", "neigh").stdout
    assert CLIENT6 not in lab.dpip("-4", "neigh").stdout


def test_deleting_an_address_stops_the_replies(lab):
    for a in ("198.18.0.5/24", "2001:db8::5/64"):
        lab.dpip("addr", "add", a, "dev", "dpdk0")
    lab.ping(lab.cli, "198.18.0.5", count=2)
    lab.ping(lab.cli, "2001:db8::5", count=2)
    lab.dpip("addr", "del", "198.18.0.5/24", "dev", "dpdk0")
    lab.dpip("-6", "addr", "del", "2001:db8::5/64", "dev", "dpdk0")
    before = lab.counters(4)["icmp_echo_requests"]
    r4 = lab.ping(lab.cli, "198.18.0.5", count=3, check=False)
    r6 = lab.ping(lab.cli, "2001:db8::5", count=3, check=False)
    assert r4.returncode != 0 and "100% packet loss" in r4.stdout, r4.stdout
    assert r6.returncode != 0 and "100% packet loss" in r6.stdout, r6.stdout
    assert lab.counters(4)["icmp_echo_requests"] == before
    # The other addresses are untouched, and the connected routes stay with them.
    lab.ping(lab.cli, BAL0, count=1)
    assert "198.18.0.0/24 dev dpdk0 proto kernel scope link src 198.18.0.1" in lab.dpip("route").stdout


def test_gratuitous_arp_and_unsolicited_na_on_add(lab):
    """An added address is announced: a gratuitous ARP and an unsolicited, overriding NA, seen on the wire."""
    sniff = subprocess.Popen(["ip", "netns", "exec", lab.cli, sys.executable, "-c",
                              "from scapy.all import *\n"
                              f"p = sniff(iface='{lab.c}', filter='arp or icmp6', timeout=4)\n"
                              "for x in p:\n"
                              "    if ARP in x: print('ARP', x[ARP].op, x[ARP].psrc, x[ARP].pdst, x[ARP].hwsrc)\n"
                              "    elif ICMPv6ND_NA in x: print('NA', x[IPv6].dst, x[ICMPv6ND_NA].tgt, x[ICMPv6ND_NA].O)\n"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    before4, before6 = lab.counters(4), lab.counters(6)
    try:
        time.sleep(1.5)  # scapy's start-up
        lab.dpip("addr", "add", "198.18.0.7/24", "dev", "dpdk0")
        lab.dpip("addr", "add", "2001:db8::7/64", "dev", "dpdk0")
        out, err = sniff.communicate(timeout=15)
    finally:
        if sniff.poll() is None:
            sniff.kill()
        lab.dpip("addr", "del", "198.18.0.7/24", "dev", "dpdk0", check=False)
        lab.dpip("addr", "del", "2001:db8::7/64", "dev", "dpdk0", check=False)
    assert "ARP 1 198.18.0.7 198.18.0.7 02:00:c6:12:10:01" in out, out + err
    assert "NA ff02::1 2001:db8::7 1" in out, out + err
    assert lab.counters(4)["arp_gratuitous_sent"] == before4["arp_gratuitous_sent"] + 1
    assert lab.counters(6)["nd_unsolicited_na_sent"] == before6["nd_unsolicited_na_sent"] + 1


# ---- dpip's look and errors ----

def test_dpip_addr_and_route_look_like_iproute2(lab):
    text = lab.dpip("addr", "show").stdout
    assert "1: dpdk0:\n    inet 198.18.0.1/24 brd 198.18.0.255 scope global dpdk0\n" in text, text
    assert "    inet6 2001:db8::1/64 scope global\n" in text, text
    assert lab.dpip("a").stdout == text  # "a" is addr, as in ip
    j = lab.dpip_json("-4", "addr", "show", "dev", "dpdk1")
    assert j == [{"ifindex": 2, "ifname": "dpdk1", "addr_info": [
        {"family": "inet", "local": BAL1, "prefixlen": 24, "broadcast": "198.18.1.255", "scope": "global",
         "label": "dpdk1", "flags": []}]}]
    routes = lab.dpip("r").stdout  # "r" is route
    assert "198.18.0.0/24 dev dpdk0 proto kernel scope link src 198.18.0.1\n" in routes, routes
    assert "2001:db8::/64 dev dpdk0 proto kernel scope link src 2001:db8::1" in lab.dpip("-6", "route").stdout
    lab.dpip("addr", "add", "198.18.0.100/32", "dev", "dpdk0", "vip")
    lab.dpip("addr", "add", "198.18.0.101/32", "dev", "dpdk0", "fnat-local")
    try:
        text = lab.dpip("addr", "show", "dpdk0").stdout
        assert "inet 198.18.0.100/32 scope global vip dpdk0" in text, text
        assert "inet 198.18.0.101/32 scope global fnat-local dpdk0" in text, text
        got = lab.dpip_json("route", "get", "198.18.0.100")
        assert got and all(g["type"] == "local" and g["vip"] for g in got), got
    finally:
        lab.dpip("addr", "del", "198.18.0.100/32", "dev", "dpdk0")
        lab.dpip("addr", "del", "198.18.0.101/32", "dev", "dpdk0")


@pytest.mark.parametrize("args, words", [
    (["addr", "add", "198.18.0.300/24", "dev", "dpdk0"], ['"198.18.0.300/24"', "not an address"]),
    (["addr", "add", "198.18.0.9/24", "dev", "dpdk9"], ['cannot find device "dpdk9"']),
    (["addr", "add", "198.18.0.9/24"], ['missing "dev DEVICE"']),
    (["addr", "add", "198.18.0.9/24", "dev", "dpdk0", "sideways"], ['"sideways"']),
    (["-6", "addr", "add", "198.18.0.9/24", "dev", "dpdk0"], ['"198.18.0.9/24"', "IPv6"]),
    (["addr", "add", "198.18.0.1/24", "dev", "dpdk1"], ["198.18.0.1", "already on dpdk0"]),
    (["addr", "del", "198.18.0.77/24", "dev", "dpdk0"], ["198.18.0.77/24 is not on dpdk0"]),
    (["addr", "add", "224.0.0.5/24", "dev", "dpdk0"], ["224.0.0.5"]),
    (["route", "add", "198.18.9.0/24", "via", "198.18.7.1"], ["gateway 198.18.7.1 is not on a connected network"]),
    (["route", "add", "198.18.9.1/24", "via", ROUTER], ["198.18.9.1/24 has host bits set", "198.18.9.0/24"]),
    (["route", "add", "198.18.9.0/24", "via", "2001:db8::9"], ["2001:db8::9", "not of one family"]),
    (["route", "add", "bogus", "via", ROUTER], ['"bogus"']),
    (["route", "add", "198.18.9.0/24"], ['"via GATEWAY" or "dev DEVICE"']),
    (["route", "del", "198.18.99.0/24"], ["no route 198.18.99.0/24"]),
    (["route", "del", "198.18.0.0/24"], ["connected route of dpdk0"]),
    (["neigh", "add", "198.18.0.9", "lladdr", "02:zz:00:00:00:01", "dev", "dpdk0"], ['"02:zz:00:00:00:01"']),
    (["neigh", "add", "198.18.0.9", "dev", "dpdk0"], ['missing "lladdr MAC"']),
    (["neigh", "del", "198.18.0.99", "dev", "dpdk0"], ["no neighbour 198.18.0.99"]),
    (["ipv4", "set", "forwarding", "maybe"], ['"maybe"']),
    (["ping", "198.18.0.2", "count", "0"], ['count "0"', "1 to 1000"]),
])
def test_dpip_errors_name_the_bad_word(lab, args, words):
    r = lab.dpip(*args, check=False)
    assert r.returncode != 0, r.stdout
    for w in words:
        assert w in r.stderr, r.stderr


def test_static_neighbours_and_flush(lab):
    lab.dpip("neigh", "add", "198.18.0.9", "lladdr", "02:00:00:00:00:09", "dev", "dpdk0")
    lab.dpip("-6", "neigh", "add", "2001:db8::9", "lladdr", "02:00:00:00:00:09", "dev", "dpdk0")
    assert neighbours(lab, 4)["198.18.0.9"]["state"] == ["PERMANENT"]
    lab.dpip("neigh", "flush", "dev", "dpdk0")
    assert "198.18.0.9" in neighbours(lab, 4) and "2001:db8::9" in neighbours(lab, 6)  # permanent ones stay
    assert CLIENT not in neighbours(lab, 4)
    lab.dpip("neigh", "del", "198.18.0.9", "dev", "dpdk0")
    lab.dpip("neigh", "del", "2001:db8::9", "dev", "dpdk0")
    assert "198.18.0.9" not in neighbours(lab, 4)
    lab.ping(lab.cli, BAL0, count=1)  # relearnt


# ---- routes and the output path ----

def test_static_route_reaches_a_host_two_hops_away(lab):
    lab.dpip("route", "add", "198.18.2.0/24", "via", ROUTER)
    lab.dpip("-6", "route", "add", "2001:db8:2::/64", "via", ROUTER6)
    try:
        assert "198.18.2.0/24 via 198.18.1.254 dev dpdk1 proto static" in lab.dpip("route").stdout
        got = lab.dpip_json("route", "get", HOST)
        assert got and all(g["gateway"] == ROUTER and g["dev"] == "dpdk1" and g["prefsrc"] == BAL1 for g in got), got
        for dst, ttl in ((HOST, 63), (HOST6, 63)):
            r = lab.dpip_json("ping", dst, "count", "3")
            assert r["received"] == 3, r
            assert all(x["ttl"] == ttl and x["from"] == dst for x in r["replies"]), r
        # The router was resolved on the way (ARP / NS from the master, packets held meanwhile).
        assert neighbours(lab, 4)[ROUTER]["lladdr"] == "02:00:c6:12:11:fe"
        assert ROUTER6 in neighbours(lab, 6)
        text = lab.dpip("ping", HOST, "count", "1").stdout
        assert f"bytes from {HOST}: icmp_seq=1 ttl=63" in text, text
    finally:
        lab.dpip("route", "del", "198.18.2.0/24")
        lab.dpip("-6", "route", "del", "2001:db8:2::/64")
    r = lab.dpip("ping", HOST, "count", "1", "timeout", "300", check=False)
    assert r.returncode == 1 and "1 packets transmitted, 0 received" in r.stdout


def test_default_route_and_replace(lab):
    lab.dpip("route", "add", "default", "via", ROUTER)
    try:
        assert "default via 198.18.1.254 dev dpdk1 proto static" in lab.dpip("route").stdout
        assert lab.dpip_json("ping", HOST, "count", "1")["received"] == 1
        lab.dpip("route", "replace", "default", "dev", "dpdk0")  # on-link: the host is not there
        assert "default dev dpdk0 proto static" in lab.dpip("route").stdout
        r = lab.dpip("-j", "ping", HOST, "count", "1", "timeout", "1000", check=False)
        assert r.returncode == 1 and json.loads(r.stdout)["received"] == 0, r.stdout
    finally:
        lab.dpip("route", "del", "default")


def test_forwarding_is_off_by_default_and_switchable(lab):
    lab.dpip("route", "add", "198.18.2.0/24", "via", ROUTER)
    lab.dpip("-6", "route", "add", "2001:db8:2::/64", "via", ROUTER6)
    try:
        assert lab.dpip_json("ipv4")["forwarding"] is False
        before = lab.counters(4)
        assert lab.ping(lab.cli, HOST, count=2, check=False).returncode != 0
        assert lab.counters(4)["in_to_kernel"] >= before["in_to_kernel"] + 2  # not forwarded: the kernel's
        lab.dpip("ipv4", "set", "forwarding", "on")
        lab.dpip("ipv6", "set", "forwarding", "on")
        assert lab.dpip_json("ipv4")["forwarding"] is True
        r = lab.ping(lab.cli, HOST, count=3)
        assert "ttl=62" in r.stdout, r.stdout  # the balancer and the router each took one
        r = lab.ping(lab.cli, HOST6, count=3)
        assert "ttl=62" in r.stdout, r.stdout
        c = lab.counters(4)
        assert c["fwd_packets"] >= before["fwd_packets"] + 6
        # TTL 1: time exceeded, from the balancer's address on the client's side.
        r = ns_run(lab.cli, "ping", "-c", "1", "-W", "1", "-t", "1", HOST, check=False)
        assert f"From {BAL0} icmp_seq=1 Time to live exceeded" in r.stdout, r.stdout
        # No route: net unreachable.
        r = ns_run(lab.cli, "ping", "-c", "1", "-W", "1", "198.18.3.3", check=False)
        assert f"From {BAL0} icmp_seq=1 Destination Net Unreachable" in r.stdout, r.stdout
        c2 = lab.counters(4)
        assert c2["fwd_ttl_exceeded"] >= c["fwd_ttl_exceeded"] + 1 and c2["fwd_no_route"] >= c["fwd_no_route"] + 1
        assert c2["icmp_errors_sent"] >= c["icmp_errors_sent"] + 2
    finally:
        lab.dpip("ipv4", "set", "forwarding", "off")
        lab.dpip("ipv6", "set", "forwarding", "off")
        lab.dpip("route", "del", "198.18.2.0/24")
        lab.dpip("-6", "route", "del", "2001:db8:2::/64")


def test_ipv6_fragments_both_ways(lab):
    before = lab.counters(6)
    r = lab.ping(lab.cli, BAL0_6, count=2, size=4000)
    assert "4008 bytes from 2001:db8::1" in r.stdout, r.stdout
    d = counter_delta(lab.counters(6), before)
    assert d.get("frag_reassembled", 0) == 2 and d.get("frag_in", 0) >= 6, d
    assert d.get("out_fragmented", 0) == 2 and d.get("out_fragments", 0) >= 6, d
    # The dataplane's own big ping: fragmented out, the fragmented reply reassembled.
    r = lab.dpip_json("ping", CLIENT6, "count", "1", "size", "3000")
    assert r["received"] == 1 and r["replies"][0]["bytes"] == 3008, r


def test_ipv4_big_echo_from_the_dataplane_is_fragmented(lab):
    # af_packet's fanout reassembles IPv4 fragments in the kernel (PACKET_FANOUT_FLAG_DEFRAG) and truncates
    # what exceeds its frame: IPv4 reassembly is tested through a pcap port (test_inet_frag.py). Out, the
    # fragments leave and the client's kernel answers them.
    before = lab.counters(4)
    cap = subprocess.Popen(["ip", "netns", "exec", lab.cli, "tcpdump", "-nn", "-c", "3", "-i", lab.c,
                            "icmp and src host 198.18.0.1 and dst host 198.18.0.2"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.0)
        lab.dpip("ping", CLIENT, "count", "1", "size", "3000", "timeout", "300", check=False)
        out, _ = cap.communicate(timeout=10)
    finally:
        if cap.poll() is None:
            cap.kill()
    assert out.count("198.18.0.1 > 198.18.0.2") == 3, out
    d = counter_delta(lab.counters(4), before)
    assert d.get("out_fragmented") == 1 and d.get("out_fragments") == 3, d


# ---- the kernel's share ----

def test_what_is_not_ours_goes_to_the_kernel(lab):
    before = lab.counters(4)
    # TCP to our address: nobody here speaks TCP yet (no ipvs service).
    scapy(lab.cli, f"sendp(Ether(dst='02:00:c6:12:10:01')/IP(src='{CLIENT}', dst='{BAL0}')/TCP(dport=80, flags='S'),"
                   f" iface='{lab.c}', count=3, verbose=False)")
    # Traffic for an address that is not ours, forwarding off.
    scapy(lab.cli, f"sendp(Ether(dst='02:00:c6:12:10:01')/IP(src='{CLIENT}', dst='198.18.0.77')/UDP(dport=9),"
                   f" iface='{lab.c}', count=2, verbose=False)")
    c = wait_counters(lab, 4, lambda c: c["in_to_kernel"] >= before["in_to_kernel"] + 5, "5 packets to the kernel")
    assert c["in_no_protocol"] - before["in_no_protocol"] == 3
    assert c["in_to_kernel"] - before["in_to_kernel"] == 5
    # No kni configured here: netif counts them as kni_none.
    assert lab.dpip_json("-s", "link", "show", "dpdk0")[0]["stats64"]["drops"]["kni_none"] >= 5


def test_ipv4_and_ipv6_settings_and_counters_show(lab):
    text = lab.dpip("-s", "ipv4").stdout
    assert text.startswith("ipv4: forwarding off reassembly on ttl 64\n"), text
    assert "in_receives" in text and "table sync:" in text and "in_bad_ext_header" not in text
    text6 = lab.dpip("-s", "ipv6").stdout
    assert text6.startswith("ipv6: forwarding off reassembly on hop_limit 64\n"), text6
    assert "in_bad_checksum" not in text6 and "icmp6_echo_requests" in text6
    per_lcore = lab.stats(4, per_lcore=True)
    roles = sorted(l["role"] for l in per_lcore["lcores"])
    assert roles == ["master", "worker"], per_lcore["lcores"]
    sync = per_lcore["table_sync"]
    assert sync["waits"] >= 1 and sync["timeouts"] == 0 and sync["max_us"] > 0, sync


def client_reassembled(lab):
    out = ns_run(lab.cli, "nstat", "-az", "Ip6ReasmOKs").stdout
    return int(out.split("Ip6ReasmOKs")[1].split()[0])


def test_an_mtu_change_reaches_the_workers_and_the_output_path(lab):
    lab.dpip("link", "set", "dev", "dpdk0", "mtu", "1400")
    try:
        # Devices are polled from netif every second.
        wait_for(lambda: all(g["mtu"] == 1400 for g in lab.dpip_json("route", "get", CLIENT)), "mtu 1400 on every worker")
        # The dataplane's own ping of 1468 bytes leaves in two fragments, which the client's kernel puts back
        # together. (Its answer, as large, finds the veth's MTU of 1400 too: af_packet set it on the veth.)
        before = lab.counters(6)
        reasm = client_reassembled(lab)
        lab.dpip("ping", CLIENT6, "count", "1", "size", "1420", "timeout", "300", check=False)
        d = counter_delta(lab.counters(6), before)
        assert d.get("out_fragmented") == 1 and d.get("out_fragments") == 2, d
        wait_for(lambda: client_reassembled(lab) == reasm + 1, "the client to reassemble our fragments")
    finally:
        lab.dpip("link", "set", "dev", "dpdk0", "mtu", "1500")
    wait_for(lambda: all(g["mtu"] == 1500 for g in lab.dpip_json("route", "get", CLIENT)), "mtu 1500 again")
