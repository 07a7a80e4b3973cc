"""netif end to end: a fulcrumd owning one end of a veth pair inside its own network namespace, frames sent
with scapy from a client namespace, counters and link changes read and made with dpip.

Topology: [client ns: veth C, kernel] <-> [balancer ns: veth B, af_packet port dpdk0 of fulcrumd]
plus dpdk1, a pcap port that replays crafted frames (runts: a veth can not carry a frame shorter than an
Ethernet header, the kernel refuses to send one).
"""
import json
import os
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from daemon import Daemon  # noqa: E402
from netns_lab import BASE_CONFIG, NOBODY_ETHERTYPE  # noqa: E402

FULCRUMD = os.environ.get("FULCRUMD", "fulcrumd")
DPIP = os.environ.get("DPIP") or os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(FULCRUMD))),
                                              "tools", "dpip", "dpip")
TAG = f"fl-{os.getpid()}"
NS_BAL, NS_CLI = f"{TAG}-bal", f"{TAG}-cli"
VETH_BAL, VETH_CLI = f"fl{os.getpid()}b"[-15:], f"fl{os.getpid()}c"[-15:]
PORT_MAC = "02:00:c6:12:00:01"
CLIENT_MAC = "02:00:c6:12:00:02"
OTHER_MAC = "02:00:c6:12:00:99"

RUNTS, GOOD_IN_PCAP = 5, 3

CONFIG = BASE_CONFIG + """
[[port]]
name = "dpdk0"
vdev = "net_af_packet0,iface=@VETH@,qdisc_bypass=1,qpairs=2"
mac = "02:00:c6:12:00:01"
[[port]]
name = "dpdk1"
vdev = "net_pcap0,rx_pcap=@PCAP@,rx_pcap=@PCAP@"
[[vlan]]
parent = "dpdk0"
id = 100
"""
VLAN_ID, UNKNOWN_VID = 100, 200


def sh(*args, check=True, timeout=20):
    return subprocess.run(list(args), capture_output=True, text=True, check=check, timeout=timeout)


def netns_daemon(netns, config_text):
    """A Daemon whose fulcrumd runs inside `netns`: a wrapper that execs `ip netns exec`, which execs fulcrumd,
    so the PID the Daemon holds (and kills) is fulcrumd's own."""
    d = Daemon(FULCRUMD, config_text, "fulcrum-netif")
    wrapper = os.path.join(d.dir, "fulcrumd-in-netns")
    with open(wrapper, "w") as f:
        f.write(f'#!/bin/sh\nexec ip netns exec {netns} {os.path.abspath(FULCRUMD)} "$@"\n')
    os.chmod(wrapper, 0o755)
    d.fulcrumd = wrapper
    return d


def write_pcap(path):
    from scapy.all import Ether, Raw, wrpcap
    frames = [Raw(b"\x02\x00\xc6\x12\x00\x01\x02\x00\xc6\x12")] * RUNTS  # 10 bytes: shorter than a header
    frames += [Ether(dst="ff:ff:ff:ff:ff:ff", src=CLIENT_MAC, type=NOBODY_ETHERTYPE) / Raw(b"g" * 46)] * GOOD_IN_PCAP
    wrpcap(path, frames, linktype=1)


def send_frames(dst, count, ethertype=NOBODY_ETHERTYPE, tolerate_errors=False):
    """Sends `count` frames from the client namespace in one scapy run."""
    script = (
        "from scapy.all import Ether, Raw, sendp\n"
        f"f = Ether(dst='{dst}', src='{CLIENT_MAC}', type={ethertype}) / Raw(b'p' * 46)\n"
        f"sendp([f] * {count}, iface='{VETH_CLI}', verbose=False)\n")
    r = subprocess.run(["ip", "netns", "exec", NS_CLI, sys.executable, "-c", script], capture_output=True, text=True,
                       timeout=60)
    if r.returncode != 0 and not tolerate_errors:
        raise RuntimeError(r.stderr)


def send_tagged(dst, vid, count, ethertype=NOBODY_ETHERTYPE):
    """Sends `count` 802.1Q frames from the client namespace (the kernel here has no 8021q module)."""
    script = (
        "from scapy.all import Dot1Q, Ether, Raw, sendp\n"
        f"f = Ether(dst='{dst}', src='{CLIENT_MAC}') / Dot1Q(vlan={vid}, type={ethertype}) / Raw(b'q' * 46)\n"
        f"sendp([f] * {count}, iface='{VETH_CLI}', verbose=False)\n")
    subprocess.run(["ip", "netns", "exec", NS_CLI, sys.executable, "-c", script], capture_output=True, text=True,
                   timeout=60, check=True)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    created = []
    daemon = None
    try:
        for ns in (NS_BAL, NS_CLI):
            sh("ip", "netns", "add", ns)
            created.append(ns)
            # No IPv6 (router solicitations, DAD) and no kernel IP: nothing but our frames crosses the veth.
            sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
               "net.ipv6.conf.default.disable_ipv6=1")
        sh("ip", "link", "add", VETH_BAL, "netns", NS_BAL, "type", "veth", "peer", "name", VETH_CLI, "netns", NS_CLI)
        for ns, dev in ((NS_BAL, VETH_BAL), (NS_CLI, VETH_CLI)):
            sh("ip", "-n", ns, "link", "set", dev, "up")
        sh("ip", "netns", "exec", NS_CLI, "ethtool", "-K", VETH_CLI, "tx", "off")
        pcap = str(tmp_path_factory.mktemp("pcap") / "crafted.pcap")
        write_pcap(pcap)
        text = CONFIG.replace("@VETH@", VETH_BAL).replace("@PCAP@", pcap)
        daemon = netns_daemon(NS_BAL, text)
        daemon.start()
        yield daemon
    finally:
        if daemon is not None:
            daemon.kill()  # only the PID this fixture started
        for ns in created:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=20)


def dpip(lab, *args, check=True):
    env = dict(os.environ, FULCRUM_CTRL_SOCKET=lab.socket)
    r = subprocess.run([DPIP, *args], capture_output=True, text=True, env=env, timeout=20)
    if check:
        assert r.returncode == 0, f"dpip {' '.join(args)}: {r.stderr}"
    return r


def link(lab, dev="dpdk0"):
    return json.loads(dpip(lab, "-s", "-s", "-j", "link", "show", dev).stdout)[0]


def wait_for(predicate, what, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def rx(lab):
    s = link(lab)["stats64"]
    return s["rx"]["packets"], s["drops"]


def test_link_show_lists_both_ports(lab):
    out = dpip(lab, "link", "show").stdout
    assert "1: dpdk0: <BROADCAST,MULTICAST,UP" in out
    assert f"link/ether {PORT_MAC}" in out
    assert "2: dpdk1:" in out
    # iproute2 abbreviations reach the same command
    assert dpip(lab, "l", "s", "dpdk0").stdout == dpip(lab, "link", "sh", "dev", "dpdk0").stdout
    info = link(lab)
    assert info["num_rx_queues"] == 2 and info["num_tx_queues"] == 2  # both af_packet qpairs; worker + master TX
    wait_for(lambda: link(lab)["operstate"] == "UP", "the link watch to see dpdk0's carrier")


def test_frames_to_our_mac_are_counted_per_queue_exactly(lab):
    before_pkts, before_drops = rx(lab)
    before_queues = sum(q["packets"] for q in link(lab)["stats64"]["queues"] if q["direction"] == "rx")
    send_frames(PORT_MAC, 100)
    wait_for(lambda: rx(lab)[0] - before_pkts >= 100, "100 frames on dpdk0")
    time.sleep(0.3)  # anything beyond the 100 would show up now
    after_pkts, after_drops = rx(lab)
    assert after_pkts - before_pkts == 100
    assert after_drops["unknown_ethertype"] - before_drops["unknown_ethertype"] == 100
    assert after_drops["other_host"] == before_drops["other_host"]
    queues = [q for q in link(lab)["stats64"]["queues"] if q["direction"] == "rx"]
    assert sorted(q["queue"] for q in queues) == [0, 1]
    assert sum(q["packets"] for q in queues) - before_queues == 100
    text = dpip(lab, "-s", "-s", "link", "show", "dpdk0").stdout
    assert "rx queue 0 (lcore 1)" in text and "rx queue 1 (lcore 1)" in text and "tx queue 1 (lcore 0)" in text


def test_other_host_frames_are_dropped_unless_promisc(lab):
    before_pkts, before = rx(lab)
    send_frames(OTHER_MAC, 50)
    wait_for(lambda: rx(lab)[1]["other_host"] - before["other_host"] >= 50, "50 other_host drops")
    dpip(lab, "link", "set", "dev", "dpdk0", "promisc", "on")
    assert "PROMISC" in dpip(lab, "link", "show", "dpdk0").stdout
    try:
        _, mid = rx(lab)
        send_frames(OTHER_MAC, 50)
        wait_for(lambda: rx(lab)[1]["unknown_ethertype"] - mid["unknown_ethertype"] >= 50, "50 accepted frames")
        _, after = rx(lab)
        assert after["other_host"] == mid["other_host"] == before["other_host"] + 50
        assert after["unknown_ethertype"] - mid["unknown_ethertype"] == 50
    finally:
        dpip(lab, "link", "set", "dev", "dpdk0", "promisc", "off")
    assert "PROMISC" not in dpip(lab, "link", "show", "dpdk0").stdout


def test_runt_frames_are_dropped(lab):
    # dpdk1 replays the pcap once at start: 5 frames of 10 bytes, 3 broadcast frames of an unhandled type.
    def done():
        s = link(lab, "dpdk1")["stats64"]
        return s if s["rx"]["packets"] >= RUNTS + GOOD_IN_PCAP else None
    s = wait_for(done, "dpdk1 to replay its pcap")
    assert s["rx"]["packets"] == RUNTS + GOOD_IN_PCAP
    assert s["drops"]["runt"] == RUNTS
    assert s["drops"]["unknown_ethertype"] == GOOD_IN_PCAP
    assert s["rx"]["dropped"] == RUNTS + GOOD_IN_PCAP


def test_admin_down_stops_rx_and_up_resumes_it(lab):
    dpip(lab, "link", "set", "dev", "dpdk0", "down")
    try:
        info = link(lab)
        assert info["operstate"] == "DOWN" and "UP" not in info["flags"]
        before, _ = rx(lab)
        send_frames(PORT_MAC, 100, tolerate_errors=True)  # the peer may refuse: its carrier went with ours
        time.sleep(1.0)
        assert rx(lab)[0] == before, "frames were received on a port set down"
    finally:
        dpip(lab, "link", "set", "dev", "dpdk0", "up")
    wait_for(lambda: link(lab)["operstate"] == "UP", "dpdk0 to come back up")
    before, _ = rx(lab)
    send_frames(PORT_MAC, 20)
    wait_for(lambda: rx(lab)[0] - before >= 20, "RX to resume after up")


def test_mtu_changes_and_bad_values_are_refused(lab):
    dpip(lab, "link", "set", "dev", "dpdk0", "mtu", "1400")
    assert link(lab)["mtu"] == 1400
    assert " mtu 1400 " in dpip(lab, "link", "show", "dpdk0").stdout
    dpip(lab, "link", "set", "dev", "dpdk0", "mtu", "1500")
    r = dpip(lab, "link", "set", "dev", "dpdk0", "mtu", "99999", check=False)
    assert r.returncode == 1
    assert "99999" in r.stderr and "allowed 68 to" in r.stderr, r.stderr
    assert link(lab)["mtu"] == 1500


def test_dpip_errors_name_the_problem(lab):
    r = dpip(lab, "link", "show", "dpdk9", check=False)
    assert r.returncode == 1 and r.stderr.strip() == 'dpip: cannot find device "dpdk9"'
    r = dpip(lab, "link", "set", "dev", "dpdk9", "up", check=False)
    assert r.returncode == 1 and r.stderr.strip() == 'dpip: cannot find device "dpdk9"'
    r = dpip(lab, "link", "set", "dev", "dpdk0", "sideways", check=False)
    assert r.returncode == 1 and '"sideways"' in r.stderr
    r = dpip(lab, "link", "set", "dev", "dpdk0", "promisc", "maybe", check=False)
    assert r.returncode == 1 and '"maybe"' in r.stderr


def vlan_stats(lab):
    return link(lab, "dpdk0.100")["stats64"]


def test_vlan_shows_like_iproute2(lab):
    out = dpip(lab, "link", "show").stdout
    assert "3: dpdk0.100@dpdk0: <BROADCAST,MULTICAST,UP" in out, out
    assert "vlan protocol 802.1Q id 100" in out
    assert dpip(lab, "link", "show", "dpdk0.100").stdout.startswith("3: dpdk0.100@dpdk0:")
    info = link(lab, "dpdk0.100")
    assert info["ifname"] == "dpdk0.100" and info["link"] == "dpdk0" and info["address"] == PORT_MAC
    assert info["linkinfo"] == {"info_kind": "vlan", "info_data": {"protocol": "802.1Q", "id": 100}}
    assert "RX:" in dpip(lab, "-s", "link", "show", "dpdk0.100").stdout


def test_tagged_frames_land_on_the_vlan(lab):
    before_vlan = vlan_stats(lab)
    before_port, before_port_drops = rx(lab)
    send_tagged(PORT_MAC, VLAN_ID, 40)
    wait_for(lambda: vlan_stats(lab)["rx"]["packets"] - before_vlan["rx"]["packets"] >= 40, "40 frames on dpdk0.100")
    time.sleep(0.3)
    after = vlan_stats(lab)
    assert after["rx"]["packets"] - before_vlan["rx"]["packets"] == 40
    # nothing handles the inner ethertype: dropped, and counted on the VLAN
    assert after["drops"]["unknown_ethertype"] - before_vlan["drops"]["unknown_ethertype"] == 40
    port_pkts, port_drops = rx(lab)
    assert port_pkts - before_port == 40  # the port saw them arrive
    assert port_drops["unknown_ethertype"] == before_port_drops["unknown_ethertype"]
    assert port_drops["vlan_unknown"] == before_port_drops["vlan_unknown"]


def test_untagged_frames_do_not_touch_the_vlan(lab):
    before_vlan = vlan_stats(lab)
    before_port, _ = rx(lab)
    send_frames(PORT_MAC, 30)
    wait_for(lambda: rx(lab)[0] - before_port >= 30, "30 untagged frames on dpdk0")
    time.sleep(0.3)
    after = vlan_stats(lab)
    assert after["rx"] == before_vlan["rx"] and after["drops"] == before_vlan["drops"]


def test_unknown_vid_is_counted_vlan_unknown(lab):
    before_vlan = vlan_stats(lab)
    _, before = rx(lab)
    send_tagged(PORT_MAC, UNKNOWN_VID, 25)
    wait_for(lambda: rx(lab)[1]["vlan_unknown"] - before["vlan_unknown"] >= 25, "25 vlan_unknown drops")
    time.sleep(0.3)
    assert rx(lab)[1]["vlan_unknown"] - before["vlan_unknown"] == 25
    assert vlan_stats(lab)["rx"] == before_vlan["rx"]


def run_config(tmp_path, text):
    path = tmp_path / "netif.conf"
    path.write_text(text.replace("@PREFIX@", f"{TAG}-bad").replace("@SOCKET@", str(tmp_path / "ctrl.sock")))
    return subprocess.run([FULCRUMD, "-c", str(path)], capture_output=True, text=True, timeout=60)


BASE = CONFIG.split("[[port]]")[0]


@pytest.mark.parametrize("vdev", ["net_nosuchdriver0,x=1", "net_af_packet7,iface=fl-no-such-if"])
def test_bad_vdev_stops_start_up_with_exit_1(tmp_path, vdev):
    r = run_config(tmp_path, BASE + f'[[port]]\nname = "dpdk0"\nvdev = "{vdev}"\n')
    assert r.returncode == 1, r.stderr
    line = [l for l in r.stderr.splitlines() if "start-up failed" in l]
    assert line and "port 'dpdk0'" in line[0] and vdev in line[0], r.stderr


@pytest.mark.parametrize("ports, words", [
    ('[[port]]\nname = "a"\nvdev = "net_null0"\n[[port]]\nname = "a"\nvdev = "net_null1"\n',
     ["'port[1].name' = \"a\"", "port[0]"]),
    ('[[port]]\nname = "a"\nvdev = "net_null0"\nmac = "02:00:zz:00:00:01"\n', ["'port[0].mac'", "six hex bytes"]),
    ('[[port]]\nname = "a"\nvdev = "net_null0"\nmtu = 20\n', ["'port[0].mtu' = 20", "68"]),
    ('[[port]]\nname = "a"\nvdev = ""\n', ["'port[0].vdev' = \"\"", "device name"]),
    ('[[port]]\nvdev = "net_null0"\n', ["'port[0].name'", "required"]),
    ('[[port]]\nname = "a"\nvdev = "net_null0"\n[[vlan]]\nparent = "a"\nid = 5000\n', ["'vlan[0].id' = 5000"]),
    ('[[port]]\nname = "a"\nvdev = "net_null0"\n[[vlan]]\nparent = "dpdk7"\nid = 10\n',
     ["'vlan[0].parent' = \"dpdk7\""]),
])
def test_bad_port_config_exits_2_naming_the_key(tmp_path, ports, words):
    r = run_config(tmp_path, BASE + ports)
    assert r.returncode == 2, r.stderr
    for w in words:
        assert w in r.stderr, r.stderr
