"""The exception path as the IP layers use it: the kernel, on the kni, holds the same address as the
dataplane (the DPVS way to reach the balancer itself). What the dataplane consumes (ICMP echo, ARP for its
address) it answers; what it does not (TCP, for which no ipvs service exists yet) goes up the kni, and the
kernel's answers leave through the port.

Topology: [cli ns: veth C, 198.18.0.2/24] <-> [bal ns: veth B = dpdk0 (kni = true), 198.18.0.1/24 in the
dataplane and on the kni dpdk0.kni; a kernel TCP echo server on 198.18.0.1:7000]"""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from netns_lab import BASE_CONFIG, ECHO_SERVER, Dpip, Lab, ifname, ns_run, sh, tcp_echo, wait_for, wait_listening  # noqa: E402

PORT_MAC, CLIENT_MAC = "02:00:c6:12:20:01", "02:00:c6:12:20:02"
OURS, CLIENT = "198.18.0.1", "198.18.0.2"
KNI = "dpdk0.kni"
VETH_BAL, VETH_CLI = ifname("N", "b"), ifname("N", "c")

CONFIG = BASE_CONFIG.replace("memory_mb = 256", "memory_mb = 512") + f"""
[[port]]
name = "dpdk0"
vdev = "net_af_packet0,iface={VETH_BAL},qdisc_bypass=1,qpairs=2"
mac = "{PORT_MAC}"
kni = true
[inet]
addresses = ["{OURS}/24 dev dpdk0"]
"""


@pytest.fixture(scope="module")
def kl():
    lab = Lab("inetkni")
    try:
        bal, cli = lab.ns("bal"), lab.ns("cli")
        lab.veth(VETH_BAL, bal, VETH_CLI, cli)
        lab.kernel_peer(cli, VETH_CLI)
        sh("ip", "-n", cli, "link", "set", VETH_CLI, "address", CLIENT_MAC)
        sh("ip", "-n", cli, "addr", "add", f"{CLIENT}/24", "dev", VETH_CLI)
        lab.seal_dpdk_side(bal, VETH_BAL)
        daemon = lab.daemon(bal, CONFIG, "fulcrum-inet-kni")
        daemon.start()
        wait_for(lambda: sh("ip", "-n", bal, "link", "show", KNI, check=False).returncode == 0, f"{KNI} in {bal}")
        sh("ip", "-n", bal, "addr", "add", f"{OURS}/24", "dev", KNI)
        wait_listening(lab.spawn(bal, ECHO_SERVER, OURS, 7000, 600))
        dpip = Dpip(daemon.socket)
        wait_for(lambda: dpip.link("dpdk0")["operstate"] == "UP", "dpdk0's carrier")
        yield lab, bal, cli, dpip
    finally:
        lab.close()


def counters(dpip):
    import json
    return json.loads(dpip("-j", "-s", "ipv4").stdout)["stats"]


def kernel_icmp_in(bal):
    out = ns_run(bal, "nstat", "-az", "IcmpInEchos").stdout
    return int(out.split("IcmpInEchos")[1].split()[0]) if "IcmpInEchos" in out else 0


def test_echo_is_the_dataplanes_and_tcp_is_the_kernels(kl):
    lab, bal, cli, dpip = kl
    before = counters(dpip)
    kernel_before = kernel_icmp_in(bal)
    r = ns_run(cli, "ping", "-c", "3", "-i", "0.2", "-W", "1", OURS, check=False)
    assert r.returncode == 0, r.stdout
    after = counters(dpip)
    assert after["icmp_echo_replies"] - before["icmp_echo_replies"] == 3
    assert kernel_icmp_in(bal) == kernel_before  # the kernel never saw them
    # TCP to our address: no protocol handler in the dataplane, so the kernel's echo server answers.
    tcp_echo(cli, OURS, 7000, size=65536, connections=2)
    c = counters(dpip)
    assert c["in_no_protocol"] - after["in_no_protocol"] > 10, c
    assert c["in_to_kernel"] - after["in_to_kernel"] >= c["in_no_protocol"] - after["in_no_protocol"]
    # The ARP we answered went up too: the kernel knows the client on the kni.
    assert CLIENT in ns_run(bal, "ip", "neigh", "show", "dev", KNI).stdout


def test_the_kni_takes_no_dataplane_address(kl):
    lab, bal, cli, dpip = kl
    r = dpip("addr", "add", "198.18.9.1/24", "dev", KNI, check=False)
    assert r.returncode != 0
    assert f'device "{KNI}" carries no dataplane IP' in r.stderr, r.stderr
    r = dpip("route", "add", "198.18.10.0/24", "dev", KNI, check=False)
    assert r.returncode != 0 and KNI in r.stderr, r.stderr
    assert "198.18.9.1" not in dpip("addr", "show").stdout
