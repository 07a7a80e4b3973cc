"""The netns lab of the ipv4/ipv6 tests (no tests here: test_inet*.py import it).

    [cli ns: veth C, 198.18.0.2/24 2001:db8::2/64]
        <-> dpdk0 [bal ns: fulcrumd, 198.18.0.1/24 2001:db8::1/64 on dpdk0 | 198.18.1.1/24 2001:db8:1::1/64 on dpdk1] dpdk1
        <-> [rtr ns: 198.18.1.254/24 2001:db8:1::fe/64 | 198.18.2.254/24 2001:db8:2::fe/64, forwarding]
        <-> [host ns: 198.18.2.2/24 2001:db8:2::2/64, default via the router]

fulcrumd owns both veths of the balancer's namespace through af_packet. The kernel there has no address on
them, does not forward, and has IPv6 off, so it answers nothing those veths carry; the other namespaces have
IPv6 on (ping6 needs it) with DAD off, so addresses work at once.
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from netns_lab import DPIP, PYTHON, Lab, ifname, ns_run, sh, wait_for  # noqa: E402,F401

PORT0_MAC, PORT1_MAC = "02:00:c6:12:10:01", "02:00:c6:12:11:01"
CLIENT_MAC, ROUTER_MAC = "02:00:c6:12:10:02", "02:00:c6:12:11:fe"
BAL0, BAL1 = "198.18.0.1", "198.18.1.1"
BAL0_6, BAL1_6 = "2001:db8::1", "2001:db8:1::1"
CLIENT, CLIENT6 = "198.18.0.2", "2001:db8::2"
ROUTER, ROUTER6 = "198.18.1.254", "2001:db8:1::fe"
HOST, HOST6 = "198.18.2.2", "2001:db8:2::2"

CONFIG = """
[eal]
memory = "no-huge"
memory_mb = 512
file_prefix = "@PREFIX@"
[lcores]
master = 0
@WORKERS@
[polling]
mode = "idle-sleep"
idle_sleep_us = 100
[ctrl]
socket = "@SOCKET@"
[netif]
mbufs = 16383
link_poll_ms = 100
[[port]]
name = "dpdk0"
vdev = "net_af_packet0,iface=@B0@,qdisc_bypass=1,qpairs=@QPAIRS@"
mac = "02:00:c6:12:10:01"
[[port]]
name = "dpdk1"
vdev = "net_af_packet1,iface=@B1@,qdisc_bypass=1,qpairs=@QPAIRS@"
mac = "02:00:c6:12:11:01"
@NETIF@
[inet]
addresses = ["198.18.0.1/24 dev dpdk0", "2001:db8::1/64 dev dpdk0", "198.18.1.1/24 dev dpdk1",
             "2001:db8:1::1/64 dev dpdk1"]
neigh_retrans_ms = 300
@INET@
"""

ONE_WORKER = "workers = [1]"
# Two workers on this two-CPU machine: lcore 2 shares CPU 1 with lcore 1 (doc/configuration.md).
TWO_WORKERS = 'workers = [1, 2]\ncpu_map = { "2" = 1 }'


def enable_ipv6(ns):
    ns_run(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=0", "net.ipv6.conf.default.disable_ipv6=0",
           "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0")


def addr(ns, dev, *addrs):
    for a in addrs:
        extra = ["nodad"] if ":" in a else []
        sh("ip", "-n", ns, "addr", "add", a, "dev", dev, *extra)


class InetLab:
    """The four namespaces and a started fulcrumd; close() undoes everything."""

    def __init__(self, tag, workers=ONE_WORKER, qpairs=2, inet_extra="", with_router=True, netif_extra=""):
        self.lab = Lab(tag)
        try:
            self._build(tag, workers, qpairs, inet_extra, with_router, netif_extra)
        except BaseException:
            self.lab.close()
            raise

    def _build(self, tag, workers, qpairs, inet_extra, with_router, netif_extra):
        lab = self.lab
        self.bal, self.cli = lab.ns("bal"), lab.ns("cli")
        self.b0, self.c = ifname(tag, "b0"), ifname(tag, "c")
        self.b1, self.r1 = ifname(tag, "b1"), ifname(tag, "r1")
        enable_ipv6(self.cli)
        lab.veth(self.b0, self.bal, self.c, self.cli)
        lab.kernel_peer(self.cli, self.c)
        sh("ip", "-n", self.cli, "link", "set", self.c, "address", CLIENT_MAC)
        addr(self.cli, self.c, f"{CLIENT}/24", f"{CLIENT6}/64")
        sh("ip", "-n", self.cli, "route", "add", "198.18.0.0/15", "via", BAL0)
        sh("ip", "-n", self.cli, "-6", "route", "add", "2001:db8::/32", "via", BAL0_6)
        if with_router:
            self.rtr, self.host = lab.ns("rtr", forwarding=True), lab.ns("host")
            self.r2, self.h = ifname(tag, "r2"), ifname(tag, "h")
            for ns in (self.rtr, self.host):
                enable_ipv6(ns)
            ns_run(self.rtr, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1")
            lab.veth(self.b1, self.bal, self.r1, self.rtr)
            lab.kernel_peer(self.rtr, self.r1)
            sh("ip", "-n", self.rtr, "link", "set", self.r1, "address", ROUTER_MAC)
            addr(self.rtr, self.r1, f"{ROUTER}/24", f"{ROUTER6}/64")
            lab.veth(self.r2, self.rtr, self.h, self.host)
            addr(self.rtr, self.r2, "198.18.2.254/24", "2001:db8:2::fe/64")
            addr(self.host, self.h, f"{HOST}/24", f"{HOST6}/64")
            sh("ip", "-n", self.host, "route", "add", "default", "via", "198.18.2.254")
            sh("ip", "-n", self.host, "-6", "route", "add", "default", "via", "2001:db8:2::fe")
            # The way back to the client's network is through the balancer (forwarding tests).
            sh("ip", "-n", self.rtr, "route", "add", "198.18.0.0/24", "via", BAL1)
            sh("ip", "-n", self.rtr, "-6", "route", "add", "2001:db8::/64", "via", BAL1_6)
        else:
            self.r1 = ifname(tag, "r1")
            self.stub = lab.ns("stub")
            lab.veth(self.b1, self.bal, self.r1, self.stub)
        text = (CONFIG.replace("@WORKERS@", workers).replace("@QPAIRS@", str(qpairs)).replace("@B0@", self.b0)
                .replace("@B1@", self.b1).replace("@INET@", inet_extra).replace("@NETIF@", netif_extra))
        self.daemon = lab.daemon(self.bal, text, f"fulcrum-inet-{tag}")
        self.daemon.start()
        self.env = dict(os.environ, FULCRUM_CTRL_SOCKET=self.daemon.socket)
        wait_for(lambda: all(l["operstate"] == "UP" for l in self.dpip_json("link", "show")), "both ports up")

    def close(self):
        self.lab.close()

    # ---- dpip ----
    def dpip(self, *args, check=True):
        r = subprocess.run([DPIP, *map(str, args)], capture_output=True, text=True, env=self.env, timeout=30)
        if check:
            assert r.returncode == 0, f"dpip {' '.join(map(str, args))} exited {r.returncode}: {r.stderr}"
        return r

    def dpip_json(self, *args):
        return json.loads(self.dpip("-j", *args).stdout)

    def stats(self, family=4, per_lcore=False):
        flags = ["-s", "-s"] if per_lcore else ["-s"]
        return self.dpip_json(*flags, f"ipv{family}")

    def counters(self, family=4):
        return self.stats(family)["stats"]

    # ---- traffic ----
    def ping(self, ns, dst, count=3, size=56, check=True, timeout=20, source=None):
        args = ["ping", "-c", count, "-i", "0.2", "-W", "1", "-s", size]
        if source:
            args += ["-I", source]
        r = ns_run(ns, *args, dst, check=False, timeout=timeout)
        if check:
            assert r.returncode == 0, f"ping {dst} from {ns}: {r.stdout}{r.stderr}"
        return r

    def alive(self):
        return self.daemon.proc.poll() is None


def scapy(ns, script, timeout=60):
    """Runs a scapy script in `ns`; `script` may use everything scapy.all exports."""
    r = subprocess.run(["ip", "netns", "exec", ns, PYTHON, "-c", "from scapy.all import *\n" + script],
                       capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, r.stderr
    return r.stdout


def counter_delta(after, before):
    return {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}


def wait_counters(lab, family, predicate, what, timeout=10.0):
    return wait_for(lambda: (lambda c: c if predicate(c) else None)(lab.counters(family)), what, timeout)


__all__ = ["InetLab", "scapy", "counter_delta", "wait_counters", "wait_for", "sh", "ns_run", "time"]
