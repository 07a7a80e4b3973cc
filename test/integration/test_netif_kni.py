"""The kni exception path: a kernel TAP per port that gets what the dataplane does not consume, and whose
frames leave through the port.

Topology: [client ns: veth C, 198.18.2.2/24, kernel]
          <-> [balancer ns: veth B = af_packet port dpdk0 of fulcrumd (kni = true);
               the kni TAP dpdk0.kni, 198.18.2.1/24, kernel TCP and UDP servers bound to it]

The kernel in the balancer's namespace also sees every frame on veth B (af_packet does not steal them);
Lab.seal_dpdk_side keeps it from answering those itself, and test_kni_down_cuts_the_kernel_off proves that
nothing reaches the kernel except up the kni.
"""
import json
import os
import sys
import threading
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from netns_lab import (BASE_CONFIG, ECHO_SERVER, NOBODY_ETHERTYPE, UDP_COUNTER, Dpip, Lab, delta,  # noqa: E402
                       finish, ifname, ns_run, send_frames, send_tagged, sh, tcp_echo, wait_for, wait_listening)

PORT_MAC = "02:00:c6:12:02:01"
CLIENT_MAC = "02:00:c6:12:02:02"
OTHER_MAC = "02:00:c6:12:02:99"
KNI_IP, CLIENT_IP = "198.18.2.1", "198.18.2.2"
KNI = "dpdk0.kni"
ECHO_PORT, UDP_PORT = 7000, 5555
VETH_BAL, VETH_CLI = ifname("K", "b"), ifname("K", "c")

CONFIG = BASE_CONFIG + f"""
[[port]]
name = "dpdk0"
vdev = "net_af_packet0,iface={VETH_BAL},qdisc_bypass=1,qpairs=2"
mac = "{PORT_MAC}"
kni = true
[[kni_rule]]
dev = "dpdk0"
dst = "{KNI_IP}/32"
[[kni_rule]]
dev = "dpdk0"
dst = "{KNI_IP}/32"
proto = "udp"
port = {UDP_PORT}
"""


class KniLab:
    def __init__(self, lab, bal, cli, daemon):
        self.lab, self.bal, self.cli, self.daemon = lab, bal, cli, daemon
        self.dpip = Dpip(daemon.socket)


@pytest.fixture(scope="module")
def kl():
    lab = Lab("kni")
    try:
        bal, cli = lab.ns("bal"), lab.ns("cli")
        lab.veth(VETH_BAL, bal, VETH_CLI, cli)
        lab.kernel_peer(cli, VETH_CLI)
        sh("ip", "-n", cli, "link", "set", VETH_CLI, "address", CLIENT_MAC)
        sh("ip", "-n", cli, "addr", "add", f"{CLIENT_IP}/24", "dev", VETH_CLI)
        lab.seal_dpdk_side(bal, VETH_BAL)
        daemon = lab.daemon(bal, CONFIG)
        daemon.start()
        # The kni exists once fulcrumd answers; the kernel gets its address now.
        wait_for(lambda: sh("ip", "-n", bal, "link", "show", KNI, check=False).returncode == 0, f"{KNI} in {bal}")
        sh("ip", "-n", bal, "addr", "add", f"{KNI_IP}/24", "dev", KNI)
        server = lab.spawn(bal, ECHO_SERVER, KNI_IP, ECHO_PORT, 600)
        wait_listening(server)
        k = KniLab(lab, bal, cli, daemon)
        wait_for(lambda: k.dpip.link("dpdk0")["operstate"] == "UP", "dpdk0's carrier")
        yield k
    finally:
        lab.close()


def send_udp(k, port, count):
    """`count` datagrams from the client's kernel to the kni's address, paced so no socket buffer overflows."""
    sender = (
        "import socket, time\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        f"for i in range({count}):\n"
        f"    s.sendto(b'u' * 100, ('{KNI_IP}', {port}))\n"
        "    time.sleep(0.002)\n")
    ns_run(k.cli, sys.executable, "-c", sender, timeout=30)


def kernel_link(k, dev=KNI):
    return json.loads(sh("ip", "-n", k.bal, "-j", "-d", "link", "show", dev).stdout)[0]


def test_kni_is_a_tap_with_the_ports_mac_and_mtu(kl):
    kernel = kernel_link(kl)
    assert kernel["address"] == PORT_MAC
    assert kernel["mtu"] == 1500
    assert "UP" in kernel["flags"], kernel["flags"]
    assert kernel.get("linkinfo", {}).get("info_kind") == "tun", kernel.get("linkinfo")  # a TAP
    links = kl.dpip.links()
    # ifindexes: ports, then knis
    assert links["dpdk0"]["ifindex"] == 1 and links[KNI]["ifindex"] == 2, {n: l["ifindex"] for n, l in links.items()}
    kni = links[KNI]
    assert kni["link"] == "dpdk0"
    assert kni["linkinfo"]["info_kind"] == "kni"
    assert kni["address"] == PORT_MAC and kni["mtu"] == 1500
    text = kl.dpip("link", "show", KNI).stdout
    assert text.startswith(f"2: {KNI}@dpdk0:"), text


def test_client_reaches_a_kernel_tcp_server_through_the_kni(kl):
    before = kl.dpip.links()
    result = tcp_echo(kl.cli, KNI_IP, ECHO_PORT, size=256 * 1024, connections=3)
    print(f"3 x 256 KiB echoed through the kni in {result['seconds']:.2f} s")
    after = kl.dpip.links()
    port = delta(after["dpdk0"]["stats64"], before["dpdk0"]["stats64"])
    kni = delta(after[KNI]["stats64"], before[KNI]["stats64"])
    # 768 KiB each way in frames of at most 1500 bytes: well over 500 frames each way
    assert kni["tx_packets"] >= 500, kni   # up to the kernel
    assert kni["rx_packets"] >= 500, kni   # from the kernel, out of the port
    assert port["rx_packets"] >= kni["tx_packets"], (port, kni)
    assert port["tx_packets"] >= kni["rx_packets"], (port, kni)
    assert kni["tx_bytes"] >= 768 * 1024 and kni["rx_bytes"] >= 768 * 1024, kni
    assert port["drop_kni_none"] == 0 and kni["drop_down"] == 0 and kni["drop_tx_full"] == 0, (port, kni)


def test_kni_down_cuts_the_kernel_off(kl):
    """The control: with the kni down nothing reaches the kernel server, so the other tests' traffic did go
    up the kni (and not into the kernel straight from the veth)."""
    tcp_echo(kl.cli, KNI_IP, ECHO_PORT, size=1024)  # the ARP entries are fresh now
    before = kl.dpip.stats(KNI)
    kl.dpip("link", "set", "dev", KNI, "down")
    try:
        info = kl.dpip.link(KNI)
        assert "UP" not in info["flags"] and info["operstate"] == "DOWN", info
        result = tcp_echo(kl.cli, KNI_IP, ECHO_PORT, size=1024, timeout=2.0, check=False)
        assert result["done"] == 0, f"a TCP connection reached the kernel while its kni was down: {result}"
        # one-way traffic needs no answer: not a single datagram may reach the kernel's socket
        server = kl.lab.spawn(kl.bal, UDP_COUNTER, KNI_IP, UDP_PORT + 1, 3.0, 3.0)
        wait_listening(server)
        send_udp(kl, UDP_PORT + 1, 20)
        assert finish(server, timeout=20)["received"] == 0, "datagrams reached the kernel while its kni was down"
        d = delta(kl.dpip.stats(KNI), before)
        assert d["drop_down"] >= 21, d  # the SYNs and datagrams were dropped on the way up, as down
        assert d["tx_packets"] == 0, d
    finally:
        kl.dpip("link", "set", "dev", KNI, "up")
    wait_for(lambda: "UP" in kl.dpip.link(KNI)["flags"], f"{KNI} up again")
    tcp_echo(kl.cli, KNI_IP, ECHO_PORT, size=4096, timeout=5.0)


def test_dataplane_keeps_handling_its_own_traffic_during_kernel_tcp(kl):
    before = kl.dpip.links()
    results = {}
    t = threading.Thread(target=lambda: results.update(
        tcp_echo(kl.cli, KNI_IP, ECHO_PORT, size=512 * 1024, connections=2, check=False)))
    t.start()
    try:
        send_frames(kl.cli, VETH_CLI, OTHER_MAC, CLIENT_MAC, 200)                 # not ours: other_host
        send_tagged(kl.cli, VETH_CLI, PORT_MAC, CLIENT_MAC, 300, 100)             # no VLAN 300: vlan_unknown
        send_frames(kl.cli, VETH_CLI, PORT_MAC, CLIENT_MAC, 50, NOBODY_ETHERTYPE)  # no layer: up to the kernel
    finally:
        t.join(timeout=120)
    assert results.get("done") == 2 and results.get("error") is None, results

    def dropped():
        d = delta(kl.dpip.stats("dpdk0"), before["dpdk0"]["stats64"])
        return d if d["drop_other_host"] >= 200 and d["drop_vlan_unknown"] >= 100 else None
    wait_for(dropped, "the dataplane's drops")
    time.sleep(0.3)
    after = kl.dpip.links()
    port = delta(after["dpdk0"]["stats64"], before["dpdk0"]["stats64"])
    kni = delta(after[KNI]["stats64"], before[KNI]["stats64"])
    assert port["drop_other_host"] == 200, port
    assert port["drop_vlan_unknown"] == 100, port
    # what the dataplane dropped never went up: the kni got at most the rest
    assert kni["tx_packets"] + 300 <= port["rx_packets"], (port, kni)
    assert kni["tx_packets"] >= 50 + 2 * 512 * 1024 // 1500, kni
    # with a kni, frames of no layer's ethertype go up instead of being dropped
    assert port["drop_unknown_ethertype"] == 0, port


def test_kni_rule_flow_reaches_the_kernel(kl):
    """UDP to the kni's address and port 5555 matches a [[kni_rule]]: every datagram reaches the kernel's
    socket, exactly once (a lab that let the kernel see the veth's copy too would count each twice), and is
    counted on the kni's TX (up)."""
    count = 200
    server = kl.lab.spawn(kl.bal, UDP_COUNTER, KNI_IP, UDP_PORT, 30, 2.0)
    wait_listening(server)
    before = kl.dpip.stats(KNI)
    send_udp(kl, UDP_PORT, count)
    result = finish(server, timeout=40)
    assert result["received"] == count, result
    d = delta(kl.dpip.stats(KNI), before)
    assert d["tx_packets"] >= count, d


def test_port_mtu_change_reaches_the_kni(kl):
    try:
        kl.dpip("link", "set", "dev", "dpdk0", "mtu", "1400")
        assert kl.dpip.link("dpdk0")["mtu"] == 1400
        wait_for(lambda: kernel_link(kl)["mtu"] == 1400, "the kernel's kni MTU to follow to 1400")
        assert kl.dpip.link(KNI)["mtu"] == 1400
        # the kernel now sends segments that fit 1400 and TCP still works
        tcp_echo(kl.cli, KNI_IP, ECHO_PORT, size=64 * 1024)
    finally:
        kl.dpip("link", "set", "dev", "dpdk0", "mtu", "1500")
    wait_for(lambda: kernel_link(kl)["mtu"] == 1500, "the kernel's kni MTU back to 1500")
    assert kl.dpip.link(KNI)["mtu"] == 1500


def test_kni_takes_no_mtu_or_promisc_of_its_own(kl):
    r = kl.dpip("link", "set", "dev", KNI, "mtu", "1400", check=False)
    assert r.returncode == 1 and KNI in r.stderr and "mtu" in r.stderr, r.stderr
    r = kl.dpip("link", "set", "dev", KNI, "promisc", "on", check=False)
    assert r.returncode == 1 and KNI in r.stderr, r.stderr
    assert kernel_link(kl)["mtu"] == 1500
