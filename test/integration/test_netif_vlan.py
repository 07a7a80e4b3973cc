"""VLANs added and removed at run time (`dpip vlan add|del|show`), a port and a VLAN set down, and the
config errors of bonds and kni rules (`fulcrumd --check`).

Topology: [client ns: veth C, kernel, scapy] <-> [balancer ns: veth B = af_packet port dpdk0 of fulcrumd]
dpdk0 has no kni, so frames of no layer's ethertype are dropped and counted (unknown_ethertype): every
frame the test sends ends in exactly one counter.
"""
import contextlib
import os
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from netns_lab import (BASE_CONFIG, FULCRUMD, PID, Dpip, Lab, delta, ifname, send_frames,  # noqa: E402
                       send_tagged, wait_for)

PORT_MAC = "02:00:c6:12:03:01"
CLIENT_MAC = "02:00:c6:12:03:02"
OTHER_MAC = "02:00:c6:12:03:99"
VLAN_MAC = "02:00:c6:12:03:42"
VETH_BAL, VETH_CLI = ifname("V", "b"), ifname("V", "c")
CONFIG_VID = 100  # dpdk0.100 comes from the config, ifindex 2

CONFIG = BASE_CONFIG + f"""
[[port]]
name = "dpdk0"
vdev = "net_af_packet0,iface={VETH_BAL},qdisc_bypass=1,qpairs=2"
mac = "{PORT_MAC}"
[[vlan]]
parent = "dpdk0"
id = {CONFIG_VID}
"""


class VlanLab:
    def __init__(self, lab, bal, cli, daemon):
        self.lab, self.bal, self.cli, self.daemon = lab, bal, cli, daemon
        self.dpip = Dpip(daemon.socket)

    def tagged(self, vid, count, dst=PORT_MAC):
        send_tagged(self.cli, VETH_CLI, dst, CLIENT_MAC, vid, count)

    def untagged(self, count, dst=PORT_MAC, check=True):
        return send_frames(self.cli, VETH_CLI, dst, CLIENT_MAC, count, check=check)

    def exists(self, dev):
        return self.dpip("link", "show", dev, check=False).returncode == 0


@pytest.fixture(scope="module")
def vl():
    lab = Lab("vlan")
    try:
        bal, cli = lab.ns("bal"), lab.ns("cli")
        lab.veth(VETH_BAL, bal, VETH_CLI, cli)
        lab.kernel_peer(cli, VETH_CLI)
        daemon = lab.daemon(bal, CONFIG)
        daemon.start()
        v = VlanLab(lab, bal, cli, daemon)
        wait_for(lambda: v.dpip.link("dpdk0")["operstate"] == "UP", "dpdk0's carrier")
        yield v
    finally:
        lab.close()


@contextlib.contextmanager
def vlan(v, name, vid, *extra, parent="dpdk0"):
    """A run-time VLAN for the length of a `with`; deleted after it even when the test fails."""
    v.dpip("vlan", "add", name, "link", parent, "id", vid, *extra)
    try:
        yield name
    finally:
        v.dpip("vlan", "del", name, check=False)


def counted(v, dev, key, at_least, before, what):
    """Polls until `key` of dev's counters has grown by `at_least` since `before`, then lets stragglers land
    and returns the final difference."""
    wait_for(lambda: delta(v.dpip.stats(dev), before)[key] >= at_least, what)
    time.sleep(0.3)  # anything beyond what was sent would show up now
    return delta(v.dpip.stats(dev), before)


def stays_unchanged(read, seconds, what):
    """Over `seconds`, `read()` must keep its first value: fails as soon as it moves."""
    first = read()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        now = read()
        assert now == first, f"{what}: {first} became {now}"
        time.sleep(0.1)
    return first


def test_vlan_added_at_run_time_takes_its_tagged_frames(vl):
    before_port = vl.dpip.stats("dpdk0")
    vl.tagged(200, 30)
    d = counted(vl, "dpdk0", "drop_vlan_unknown", 30, before_port, "30 vlan_unknown drops before the VLAN exists")
    assert d["drop_vlan_unknown"] == 30 and d["rx_packets"] == 30, d

    with vlan(vl, "dpdk0.200", 200):
        info = vl.dpip.link("dpdk0.200")
        assert info["ifindex"] == 3, info  # after dpdk0 (1) and the config's dpdk0.100 (2)
        assert info["link"] == "dpdk0" and info["address"] == PORT_MAC, info
        assert info["linkinfo"] == {"info_kind": "vlan", "info_data": {"protocol": "802.1Q", "id": 200}}, info
        assert "UP" in info["flags"], info
        text = vl.dpip("link", "show", "dpdk0.200").stdout
        assert text.startswith("3: dpdk0.200@dpdk0: <BROADCAST,MULTICAST,UP") and "vlan protocol 802.1Q id 200" in text

        before_port, before_vlan = vl.dpip.stats("dpdk0"), vl.dpip.stats("dpdk0.200")
        assert before_vlan["rx"]["packets"] == 0, before_vlan
        vl.tagged(200, 40)
        v = counted(vl, "dpdk0.200", "rx_packets", 40, before_vlan, "40 frames on dpdk0.200")
        p = delta(vl.dpip.stats("dpdk0"), before_port)
        assert v["rx_packets"] == 40 and v["drop_unknown_ethertype"] == 40, v  # no layer takes the inner type
        assert p["rx_packets"] == 40, p  # the port saw them arrive
        assert p["drop_vlan_unknown"] == 0 and p["drop_unknown_ethertype"] == 0, p

        # untagged frames and other VIDs leave it alone
        before_port, before_vlan = vl.dpip.stats("dpdk0"), vl.dpip.stats("dpdk0.200")
        vl.untagged(20)
        vl.tagged(201, 20)
        p = counted(vl, "dpdk0", "rx_packets", 40, before_port, "the untagged and VID 201 frames on dpdk0")
        assert p["rx_packets"] == 40 and p["drop_vlan_unknown"] == 20 and p["drop_unknown_ethertype"] == 20, p
        assert delta(vl.dpip.stats("dpdk0.200"), before_vlan)["rx_packets"] == 0


def test_vlan_deleted_at_run_time_gives_its_frames_back_to_vlan_unknown(vl):
    with vlan(vl, "dpdk0.210", 210):
        before = vl.dpip.stats("dpdk0.210")
        vl.tagged(210, 10)
        assert counted(vl, "dpdk0.210", "rx_packets", 10, before, "10 frames on dpdk0.210")["rx_packets"] == 10
    assert not vl.exists("dpdk0.210")
    r = vl.dpip("link", "show", "dpdk0.210", check=False)
    assert r.returncode == 1 and r.stderr.strip() == 'dpip: cannot find device "dpdk0.210"', r.stderr
    before_port = vl.dpip.stats("dpdk0")
    vl.tagged(210, 25)
    d = counted(vl, "dpdk0", "drop_vlan_unknown", 25, before_port, "25 vlan_unknown drops after vlan del")
    assert d["drop_vlan_unknown"] == 25 and d["rx_packets"] == 25, d

    # the name and VID can be used again; the new device counts from zero
    with vlan(vl, "dpdk0.210", 210):
        assert vl.dpip.stats("dpdk0.210")["rx"]["packets"] == 0
        before = vl.dpip.stats("dpdk0.210")
        vl.tagged(210, 5)
        assert counted(vl, "dpdk0.210", "rx_packets", 5, before, "5 frames on the new dpdk0.210")["rx_packets"] == 5


def test_vlan_with_its_own_address(vl):
    with vlan(vl, "v220", 220, "address", VLAN_MAC):
        info = vl.dpip.link("v220")
        assert info["address"] == VLAN_MAC and info["link"] == "dpdk0", info
        before = vl.dpip.stats("v220")
        vl.tagged(220, 15, dst=PORT_MAC)  # the port's MAC is not the VLAN's
        vl.tagged(220, 15, dst=VLAN_MAC)
        d = counted(vl, "v220", "rx_packets", 30, before, "30 frames on v220")
        assert d["rx_packets"] == 30 and d["drop_other_host"] == 15 and d["drop_unknown_ethertype"] == 15, d


def test_vlan_show_lists_only_vlans(vl):
    with vlan(vl, "dpdk0.230", 230):
        out = vl.dpip("vlan", "show").stdout
        assert "dpdk0.100@dpdk0:" in out and "dpdk0.230@dpdk0:" in out, out
        assert "dpdk0:" not in out.replace("@dpdk0:", ""), out
        one = vl.dpip("vlan", "show", "dpdk0.230").stdout
        assert "dpdk0.230@dpdk0:" in one and "dpdk0.100" not in one and "id 230" in one, one
        r = vl.dpip("vlan", "show", "dpdk0", check=False)
        assert r.returncode == 1 and '"dpdk0"' in r.stderr, r.stderr
    assert "dpdk0.230" not in vl.dpip("vlan", "show").stdout


@pytest.mark.parametrize("args, words", [
    (["vlan", "add", "x5", "link", "dpdk9", "id", "5"], ['cannot find device "dpdk9"']),
    (["vlan", "add", "x5", "link", "dpdk0", "id", "0"], ['"0"']),
    (["vlan", "add", "x5", "link", "dpdk0", "id", "4095"], ['"4095"']),
    (["vlan", "add", "x5", "link", "dpdk0", "id", "abc"], ['"abc"']),
    (["vlan", "add", "x5", "link", "dpdk0", "id", "-7"], ['"-7"']),
    (["vlan", "add", "x5", "link", "dpdk0", "id", "5", "address", "02:00:zz:00:00:01"], ['"02:00:zz:00:00:01"']),
    (["vlan", "add", "x5", "link", "dpdk0", "id", "5", "address", "01:00:5e:00:00:01"], ["01:00:5e:00:00:01"]),
    (["vlan", "add", "x5", "id", "5"], ['"link']),
    (["vlan", "add", "x5", "link", "dpdk0"], ['"id']),
    (["vlan", "add", "dpdk0.100", "link", "dpdk0", "id", "101"], ['"dpdk0.100"', "exists"]),  # name taken
    (["vlan", "add", "dpdk0", "link", "dpdk0", "id", "101"], ['"dpdk0"', "exists"]),  # a port's name
    (["vlan", "add", "other100", "link", "dpdk0", "id", "100"], ["dpdk0.100", "100"]),  # (parent, id) taken
    (["vlan", "add", "x5", "link", "dpdk0.100", "id", "5"], ['"dpdk0.100"']),  # no VLAN on a VLAN
    (["vlan", "add", "name-far-too-long", "link", "dpdk0", "id", "5"], ['"name-far-too-long"']),
    (["vlan", "del", "dpdk0"], ['"dpdk0"', "not a VLAN"]),
    (["vlan", "del", "nosuch0"], ['cannot find device "nosuch0"']),
    (["vlan", "frobnicate"], ['"frobnicate"']),
])
def test_vlan_errors_name_the_bad_word(vl, args, words):
    before = sorted(vl.dpip.links())
    r = vl.dpip(*args, check=False)
    print(f"dpip {' '.join(args)} -> {r.returncode}: {r.stderr.strip()}")
    assert r.returncode != 0, f"dpip {' '.join(args)} succeeded: {r.stdout}"
    assert r.stderr.startswith("dpip: "), r.stderr
    for w in words:
        assert w in r.stderr, f"{w!r} not in {r.stderr!r}"
    assert sorted(vl.dpip.links()) == before, "a failed command changed the device list"
    assert vl.exists("dpdk0") and vl.exists("dpdk0.100")


def test_vlan_set_down_drops_its_frames_as_down(vl):
    dev = f"dpdk0.{CONFIG_VID}"
    vl.dpip("link", "set", "dev", dev, "down")
    try:
        assert "UP" not in vl.dpip.link(dev)["flags"]
        before_vlan, before_port = vl.dpip.stats(dev), vl.dpip.stats("dpdk0")
        vl.tagged(CONFIG_VID, 20)
        d = counted(vl, dev, "drop_down", 20, before_vlan, "20 frames dropped as down on the VLAN")
        assert d["drop_down"] == 20 and d["drop_unknown_ethertype"] == 0, d
        p = delta(vl.dpip.stats("dpdk0"), before_port)
        assert p["rx_packets"] == 20 and p["drop_vlan_unknown"] == 0 and p["drop_down"] == 0, p
    finally:
        vl.dpip("link", "set", "dev", dev, "up")
    before = vl.dpip.stats(dev)
    vl.tagged(CONFIG_VID, 10)
    d = counted(vl, dev, "drop_unknown_ethertype", 10, before, "the VLAN to take frames again")
    assert d["drop_down"] == 0 and d["drop_unknown_ethertype"] == 10, d


def port_down_window(vl, send_while_down):
    """Sets dpdk0 down, runs `send_while_down`, checks that its RX counter does not move for a second, sets
    it up again and waits for the carrier. Returns dpdk0's counters from just before the sending."""
    vl.dpip("link", "set", "dev", "dpdk0", "down")
    try:
        info = vl.dpip.link("dpdk0")
        assert info["operstate"] == "DOWN" and "UP" not in info["flags"], info
        before = vl.dpip.stats("dpdk0")
        send_while_down()
        stays_unchanged(lambda: vl.dpip.stats("dpdk0")["rx"]["packets"], 1.0, "dpdk0's RX while down")
    finally:
        vl.dpip("link", "set", "dev", "dpdk0", "up")
    wait_for(lambda: vl.dpip.link("dpdk0")["operstate"] == "UP", "dpdk0 to come back up")
    return before


def test_port_set_down_stops_rx_and_up_resumes_it(vl):
    def send():
        vl.untagged(100, check=False)  # the client's kernel may refuse: the carrier may have gone with ours
        vl.tagged(CONFIG_VID, 20)
    before = port_down_window(vl, send)
    after_up = vl.dpip.stats("dpdk0")
    vl.untagged(30)
    d = counted(vl, "dpdk0", "rx_packets", 30, after_up, "RX to resume after up")
    assert d["rx_packets"] >= 30, d
    assert delta(vl.dpip.stats("dpdk0"), before)["rx_packets"] >= 30


def test_frames_that_arrive_while_down_are_never_received(vl):
    """As a Linux interface: what arrives while the port is down is lost, not delivered late after up."""
    before = port_down_window(vl, lambda: vl.untagged(100, check=False))
    vl.untagged(30)
    d = counted(vl, "dpdk0", "rx_packets", 30, before, "the 30 frames sent after up")
    assert d["rx_packets"] == 30, (f"{d['rx_packets']} frames received for the 30 sent after up: the "
                                   f"{d['rx_packets'] - 30} sent while dpdk0 was down came in late: {d}")


# ---- config errors of bonds and kni rules: `fulcrumd --check` exits 2 naming the key and its value ----

CHECK_BASE = f"""
[eal]
memory = "no-huge"
memory_mb = 256
file_prefix = "fl-{PID}-check"
[lcores]
master = 0
workers = [1]
[ctrl]
socket = "/tmp/fl-{PID}-check.sock"
"""
PORTS = "".join(f'[[port]]\nname = "dpdk{i}"\nvdev = "net_null{i}"\n' for i in range(4))


def check(tmp_path, text):
    path = tmp_path / "netif.conf"
    path.write_text(text)
    return subprocess.run([FULCRUMD, "--check", "-c", str(path)], capture_output=True, text=True, timeout=30)


def bond(members='"dpdk0", "dpdk1"', extra="", name="bond0"):
    return f'[[bond]]\nname = "{name}"\nmembers = [{members}]\n{extra}'


def test_check_accepts_a_bond_with_kni_and_rules(tmp_path):
    text = (CHECK_BASE + PORTS + bond(extra='mode = 2\nxmit_policy = "l23"\nkni = true\n') +
            '[[kni_rule]]\ndev = "bond0"\ndst = "198.18.0.1/32"\nproto = "tcp"\nport = 22\n'
            '[[kni_rule]]\ndev = "bond0"\ndst = "2001:db8::/32"\nproto = "icmpv6"\n'
            '[[vlan]]\nparent = "bond0"\nid = 7\n')
    r = check(tmp_path, text)
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("tables, words", [
    (bond(extra="mode = 3\n"), ["'bond[0].mode' = 3"]),
    (bond(extra="mode = 5\n"), ["'bond[0].mode' = 5"]),
    (bond(members='"dpdk0"'), ["'bond[0].members'", '"dpdk0"', "two"]),
    (bond(members='"dpdk0", "dpdk7"'), ["'bond[0].members[1]' = \"dpdk7\""]),
    (bond(members='"dpdk0", "dpdk0"'), ["'bond[0].members", '"dpdk0"']),
    (bond() + bond(members='"dpdk0", "dpdk2"', name="bond1"), ["'bond[1].members[0]' = \"dpdk0\""]),
    (bond(extra='mode = 2\nxmit_policy = "l5"\n'), ["'bond[0].xmit_policy' = \"l5\""]),
    (bond(extra='primary = "dpdk2"\n'), ["'bond[0].primary' = \"dpdk2\""]),
    (bond(name="dpdk0"), ["'bond[0].name' = \"dpdk0\""]),
    (bond() + '[[vlan]]\nparent = "dpdk0"\nid = 5\n', ["'vlan[0].parent' = \"dpdk0\""]),  # a member
    ('[[kni_rule]]\ndev = "dpdk7"\n', ["'kni_rule[0].dev' = \"dpdk7\""]),
    ('[[kni_rule]]\ndev = "dpdk0"\n', ["'kni_rule[0].dev' = \"dpdk0\"", "kni"]),  # dpdk0 has no kni
    (bond(extra="kni = true\n") + '[[kni_rule]]\ndev = "bond0"\ndst = "198.18.0.300/32"\n',
     ["'kni_rule[0].dst' = \"198.18.0.300/32\""]),
    (bond(extra="kni = true\n") + '[[kni_rule]]\ndev = "bond0"\ndst = "198.18.0.1/33"\n',
     ["'kni_rule[0].dst' = \"198.18.0.1/33\""]),
    (bond(extra="kni = true\n") + '[[kni_rule]]\ndev = "bond0"\ndst = "fulcrum"\n',
     ["'kni_rule[0].dst' = \"fulcrum\""]),
    (bond(extra="kni = true\n") + '[[kni_rule]]\ndev = "bond0"\nproto = "gre"\n',
     ["'kni_rule[0].proto' = \"gre\""]),
    (bond(extra="kni = true\n") + '[[kni_rule]]\ndev = "bond0"\nproto = "icmp"\nport = 80\n',
     ["'kni_rule[0].port' = 80"]),
])
def test_bad_bond_and_kni_rule_config_exits_2_naming_key_and_value(tmp_path, tables, words):
    r = check(tmp_path, CHECK_BASE + PORTS + tables)
    print(r.stderr.strip())
    assert r.returncode == 2, f"exit {r.returncode}: {r.stderr}"
    for w in words:
        assert w in r.stderr, f"{w!r} not in {r.stderr!r}"


def test_kni_on_a_bond_member_is_refused(tmp_path):
    ports = PORTS.replace('vdev = "net_null0"\n', 'vdev = "net_null0"\nkni = true\n')
    r = check(tmp_path, CHECK_BASE + ports + bond())
    assert r.returncode == 2, r.stderr
    assert "'bond[0].members[0]' = \"dpdk0\"" in r.stderr and "kni" in r.stderr, r.stderr
