"""Bonds of two af_packet ports through net_bonding: active-backup failover when the active member's peer
goes down, round-robin spreading TX over both members, RX counted on the bond.

Topology: [balancer ns: veths B0, B1 = af_packet ports dpdk0, dpdk1 = members of bond0 (kni = true);
           the kni TAP bond0.kni, 198.18.1.1/24, a kernel TCP echo server bound to it]
          <-> [peer ns: veths P0, P1 enslaved to the kernel bridge br0, 198.18.1.2/24]

fulcrumd has no IP layer of its own here: the traffic is the kernel's, up the kni and out through the bond,
so every TCP exchange crosses the bond both ways. Each mode has its own daemon and namespaces (class scope).
"""
import json
import os
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from netns_lab import (BASE_CONFIG, ECHO_SERVER, PINGER, Dpip, Lab, delta, finish, ifname,  # noqa: E402
                       send_frames, send_tagged, sh, tcp_echo, wait_for, wait_listening)

BOND_MAC = "02:00:c6:12:01:01"
PEER_MAC = "02:00:c6:12:01:02"
OTHER_MAC = "02:00:c6:12:01:99"
KNI_IP, PEER_IP = "198.18.1.1", "198.18.1.2"
KNI = "bond0.kni"
ECHO_PORT = 7000


def config(mode, b0, b1):
    return BASE_CONFIG + f"""
[[port]]
name = "dpdk0"
vdev = "net_af_packet0,iface={b0},qdisc_bypass=1,qpairs=2"
[[port]]
name = "dpdk1"
vdev = "net_af_packet1,iface={b1},qdisc_bypass=1,qpairs=2"
[[bond]]
name = "bond0"
mode = {mode}
members = ["dpdk0", "dpdk1"]
mac = "{BOND_MAC}"
kni = true
[[kni_rule]]
dev = "bond0"
dst = "{KNI_IP}/32"
"""


class BondLab:
    def __init__(self, mode, tag):
        self.mode = mode
        self.lab = Lab(f"bond{mode}")
        self.b = [ifname(tag, "b0"), ifname(tag, "b1")]
        self.p = [ifname(tag, "p0"), ifname(tag, "p1")]

    def start(self):
        lab = self.lab
        self.bal, self.peer = lab.ns("bal"), lab.ns("peer")
        for b, p in zip(self.b, self.p):
            lab.veth(b, self.bal, p, self.peer)
        sh("ip", "-n", self.peer, "link", "add", "br0", "address", PEER_MAC, "type", "bridge", "stp_state", "0")
        for p in self.p:
            sh("ip", "-n", self.peer, "link", "set", p, "master", "br0")
        sh("ip", "-n", self.peer, "link", "set", "br0", "up")
        sh("ip", "-n", self.peer, "addr", "add", f"{PEER_IP}/24", "dev", "br0")
        for dev in ["br0", *self.p]:
            lab.kernel_peer(self.peer, dev)
        lab.seal_dpdk_side(self.bal, *self.b)
        self.daemon = lab.daemon(self.bal, config(self.mode, *self.b))
        self.daemon.start()
        self.dpip = Dpip(self.daemon.socket)
        wait_for(lambda: sh("ip", "-n", self.bal, "link", "show", KNI, check=False).returncode == 0, KNI)
        sh("ip", "-n", self.bal, "addr", "add", f"{KNI_IP}/24", "dev", KNI)
        server = lab.spawn(self.bal, ECHO_SERVER, KNI_IP, ECHO_PORT, 600)
        wait_listening(server)
        wait_for(lambda: self.dpip.link("bond0")["operstate"] == "UP", "bond0's carrier")
        # the bridge, ARP and the bond settle: one exchange before any test counts anything
        tcp_echo(self.peer, KNI_IP, ECHO_PORT, size=1024, timeout=5.0)
        return self

    def echo(self, **kw):
        return tcp_echo(self.peer, KNI_IP, ECHO_PORT, **kw)

    def active(self):
        return self.dpip.link("bond0")["linkinfo"]["info_data"].get("active_slave")

    def snapshot(self):
        return {n: l["stats64"] for n, l in self.dpip.links().items()}

    def wire(self):
        """What the peer's kernel counted on P0 and P1: rx = what dpdk0 / dpdk1 put on the wire."""
        out = []
        for p in self.p:
            s = json.loads(sh("ip", "-n", self.peer, "-s", "-j", "link", "show", "dev", p).stdout)[0]["stats64"]
            out.append({"rx": s["rx"]["packets"], "tx": s["tx"]["packets"]})
        return out

    def wire_delta(self, before):
        return [{k: a[k] - b[k] for k in a} for a, b in zip(self.wire(), before)]

    def deltas(self, before):
        after = self.snapshot()
        return {n: delta(after[n], before[n]) for n in before}


def make(mode, tag):
    bl = BondLab(mode, tag)
    try:
        yield bl.start()
    finally:
        if hasattr(bl, "daemon") and bl.daemon.proc is not None and bl.daemon.proc.poll() is not None:
            print(bl.daemon.output())  # it died under us: its log says why
        bl.lab.close()


@pytest.fixture(scope="class")
def ab():
    yield from make(1, "A")


@pytest.fixture(scope="class")
def rr():
    yield from make(0, "R")


class TestActiveBackup:
    def test_bond_members_and_kni_show_like_iproute2(self, ab):
        links = ab.dpip.links()
        assert {n: l["ifindex"] for n, l in links.items()} == {"dpdk0": 1, "dpdk1": 2, "bond0": 3, KNI: 4}
        bond = links["bond0"]
        assert bond["address"] == BOND_MAC and bond["operstate"] == "UP", bond
        assert bond["linkinfo"]["info_kind"] == "bond", bond["linkinfo"]
        data = bond["linkinfo"]["info_data"]
        assert data["mode"] == "active-backup" and data["primary"] == "dpdk0" and data["active_slave"] == "dpdk0", data
        for m in ("dpdk0", "dpdk1"):
            assert links[m]["master"] == "bond0", links[m]
            assert links[m]["linkinfo"]["info_slave_kind"] == "bond", links[m]
        kni = links[KNI]
        assert kni["link"] == "bond0" and kni["linkinfo"]["info_kind"] == "kni" and kni["address"] == BOND_MAC, kni
        text = ab.dpip("link", "show").stdout
        assert "master bond0" in text.split("\n2: ")[0], text  # dpdk0's record
        assert "active-backup" in text, text
        # the kernel's TAP carries the bond's MAC
        assert f"link/ether {BOND_MAC}" in sh("ip", "-n", ab.bal, "link", "show", KNI).stdout

    def test_member_settings_belong_to_the_bond(self, ab):
        r = ab.dpip("link", "set", "dev", "dpdk1", "mtu", "1400", check=False)
        assert r.returncode == 1 and "dpdk1" in r.stderr and "bond0" in r.stderr, r.stderr
        r = ab.dpip("link", "set", "dev", "dpdk1", "down", check=False)
        assert r.returncode == 1 and "bond0" in r.stderr, r.stderr
        assert ab.dpip.link("dpdk1")["mtu"] == 1500

    def test_frames_into_the_active_member_are_counted_on_the_bond(self, ab):
        before = ab.snapshot()
        send_frames(ab.peer, ab.p[0], OTHER_MAC, PEER_MAC, 100)  # not the bond's MAC: other_host
        send_frames(ab.peer, ab.p[0], BOND_MAC, PEER_MAC, 60)    # no layer: up the kni
        wait_for(lambda: ab.deltas(before)["bond0"]["drop_other_host"] >= 100, "100 other_host drops on bond0")
        wait_for(lambda: ab.deltas(before)[KNI]["tx_packets"] >= 60, "60 frames up bond0's kni")
        time.sleep(0.3)
        d = ab.deltas(before)
        assert d["bond0"]["drop_other_host"] == 100, d["bond0"]
        assert d["bond0"]["rx_packets"] >= 160, d["bond0"]

    def test_kernel_tcp_leaves_through_the_active_member_only(self, ab):
        before, wire = ab.snapshot(), ab.wire()
        ab.echo(size=128 * 1024, connections=2)
        d, w = ab.deltas(before), ab.wire_delta(wire)
        frames = 2 * 128 * 1024 // 1500
        assert d[KNI]["rx_packets"] >= frames, d[KNI]          # the kernel's frames...
        assert d["bond0"]["tx_packets"] >= frames, d["bond0"]  # ...out through the bond...
        assert w[0]["rx"] >= frames, w                         # ...on the wire of its active member
        assert w[1]["rx"] == 0, w                              # (the backup sends nothing)
        assert d["bond0"]["rx_packets"] >= frames and d[KNI]["tx_packets"] >= frames, d

    def test_member_counters_are_the_pmds(self, ab):
        """A member carries no traffic of fulcrumd's own: its stats64 are its PMD's packets."""
        before, wire = ab.snapshot(), ab.wire()
        ab.echo(size=128 * 1024)
        send_frames(ab.peer, ab.p[0], OTHER_MAC, PEER_MAC, 50)
        wait_for(lambda: ab.deltas(before)["bond0"]["drop_other_host"] >= 50, "50 other_host drops on bond0")
        time.sleep(0.3)
        d, w = ab.deltas(before), ab.wire_delta(wire)
        print(f"dpdk0 {d['dpdk0']}, wire {w}")
        assert d["dpdk0"]["tx_packets"] >= w[0]["rx"] - 2 and d["dpdk0"]["tx_packets"] > 50, (d["dpdk0"], w)
        assert d["dpdk0"]["rx_packets"] >= 50 + 128 * 1024 // 1500, (d["dpdk0"], w)
        assert d["dpdk1"]["tx_packets"] == 0, d["dpdk1"]

    def test_vlan_rides_on_the_bond_not_on_a_member(self, ab):
        r = ab.dpip("vlan", "add", "dpdk0.5", "link", "dpdk0", "id", "5", check=False)
        assert r.returncode == 1 and '"dpdk0"' in r.stderr and "bond member" in r.stderr, r.stderr
        ab.dpip("vlan", "add", "bond0.300", "link", "bond0", "id", "300")
        try:
            info = ab.dpip.link("bond0.300")
            assert info["link"] == "bond0" and info["ifindex"] == 5 and info["address"] == BOND_MAC, info
            before = ab.dpip.stats("bond0.300")
            send_tagged(ab.peer, ab.p[0], BOND_MAC, PEER_MAC, 300, 40)
            wait_for(lambda: delta(ab.dpip.stats("bond0.300"), before)["rx_packets"] >= 40, "40 frames on bond0.300")
            time.sleep(0.3)
            d = delta(ab.dpip.stats("bond0.300"), before)
            assert d["rx_packets"] == 40 and d["drop_unknown_ethertype"] == 40, d
        finally:
            ab.dpip("vlan", "del", "bond0.300", check=False)

    def test_traffic_keeps_passing_when_the_active_members_peer_goes_down(self, ab):
        assert ab.active() == "dpdk0"
        pinger = ab.lab.spawn(ab.peer, PINGER, KNI_IP, ECHO_PORT, 10.0, 0.05, 9.0)
        wait_listening(pinger)  # "connected"
        time.sleep(1.0)  # the connection runs on dpdk0 for a while
        t_down = time.monotonic()
        sh("ip", "-n", ab.peer, "link", "set", ab.p[0], "down")
        try:
            wait_for(lambda: ab.active() == "dpdk1", "bond0 to fail over to dpdk1", timeout=10.0)
            failover_s = time.monotonic() - t_down
            print(f"failover seen by dpip {failover_s:.2f} s after the peer veth went down")
            result = finish(pinger, timeout=30)
            assert result["error"] is None, result["error"]
            answered = result["answered"]
            after_down = [t for t in answered if t > t_down]
            assert len(after_down) >= 20, f"{len(after_down)} exchanges after the failover: {result}"
            gaps = [b - a for a, b in zip(answered, answered[1:])]
            print(f"{len(answered)} exchanges, longest gap {max(gaps):.2f} s")
            assert max(gaps) < 6.0, f"the connection stalled for {max(gaps):.1f} s"
            # new connections too, and their frames leave on dpdk1
            wire = ab.wire()
            ab.echo(size=64 * 1024)
            assert ab.wire_delta(wire)[1]["rx"] >= 40, ab.wire_delta(wire)
            assert "LOWER_UP" not in ab.dpip.link("dpdk0")["flags"], "dpdk0 shows a carrier its veth lost"
        finally:
            sh("ip", "-n", ab.peer, "link", "set", ab.p[0], "up")
        # the primary comes back
        wait_for(lambda: ab.active() == "dpdk0", "bond0 to return to its primary dpdk0", timeout=10.0)
        wire = ab.wire()
        ab.echo(size=64 * 1024)
        assert ab.wire_delta(wire)[0]["rx"] >= 40, ab.wire_delta(wire)


class TestRoundRobin:
    def test_mode_shows_round_robin(self, rr):
        data = rr.dpip.link("bond0")["linkinfo"]["info_data"]
        assert data["mode"] == "round-robin", data

    def test_round_robin_spreads_tx_over_both_members(self, rr):
        before, wire = rr.snapshot(), rr.wire()
        rr.echo(size=256 * 1024, connections=2)
        time.sleep(0.3)
        d, w = rr.deltas(before), rr.wire_delta(wire)
        total = d["bond0"]["tx_packets"]
        print(f"bond0 sent {total}: on the wire of dpdk0 {w[0]['rx']}, of dpdk1 {w[1]['rx']}")
        assert total >= 2 * 256 * 1024 // 1500, d["bond0"]
        assert w[0]["rx"] >= total // 4 and w[1]["rx"] >= total // 4, (total, w)
        assert abs(w[0]["rx"] + w[1]["rx"] - total) <= 5, (total, w)

    def test_round_robin_member_counters_show_the_spread(self, rr):
        before, wire = rr.snapshot(), rr.wire()
        rr.echo(size=256 * 1024)
        time.sleep(0.3)
        d, w = rr.deltas(before), rr.wire_delta(wire)
        print(f"dpdk0 {d['dpdk0']['tx_packets']}, dpdk1 {d['dpdk1']['tx_packets']}, wire {w}")
        for i in (0, 1):
            assert abs(d[f"dpdk{i}"]["tx_packets"] - w[i]["rx"]) <= 5, (i, d[f"dpdk{i}"], w)
            assert d[f"dpdk{i}"]["tx_packets"] >= 256 * 1024 // 1500 // 4, (i, d[f"dpdk{i}"])

    def test_round_robin_receives_on_both_members(self, rr):
        before = rr.snapshot()
        send_frames(rr.peer, rr.p[0], OTHER_MAC, PEER_MAC, 50)
        send_frames(rr.peer, rr.p[1], OTHER_MAC, PEER_MAC, 70)
        wait_for(lambda: rr.deltas(before)["bond0"]["drop_other_host"] >= 120, "120 other_host drops on bond0")
        time.sleep(0.3)
        d = rr.deltas(before)
        assert d["bond0"]["drop_other_host"] == 120, d["bond0"]
