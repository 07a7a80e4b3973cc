"""Fragments addressed to us: reassembled (rte_ip_frag), or dropped with a counter when inet.reassembly is
off. A pcap port replays crafted fragments and records what fulcrumd sends back, so IPv4 fragments reach the
layer as they were sent (af_packet's fanout would reassemble IPv4 in the kernel first).

in.pcap: an IPv4 echo request of 3000 bytes in 3 fragments, out of order; an IPv6 one in 3 fragments; an
IPv4 packet in 10 fragments (more than rte_ip_frag's 8); a whole small echo request."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from daemon import Daemon  # noqa: E402
from netns_lab import FULCRUMD, wait_for  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from test_inet_lab import DPIP  # noqa: E402

# A pcap port keeps the MAC the PMD gives it: the frames go to broadcast, which every port takes.
PORT_MAC, CLIENT_MAC = "ff:ff:ff:ff:ff:ff", "02:00:c6:12:15:02"
OURS, PEER = "198.18.5.1", "198.18.5.2"
OURS6, PEER6 = "2001:db8:5::1", "2001:db8:5::2"
V4_FRAGS, V6_FRAGS, TOO_MANY = 3, 3, 10

CONFIG = f"""
[eal]
memory = "no-huge"
memory_mb = 512
file_prefix = "@PREFIX@"
[lcores]
master = 0
workers = [1]
[ctrl]
socket = "@SOCKET@"
[netif]
mbufs = 16383
[[port]]
name = "dpdk0"
vdev = "net_pcap0,rx_pcap=@IN@,tx_pcap=@OUT@,tx_pcap=@OUT_MASTER@"
[inet]
addresses = ["{OURS}/24 dev dpdk0", "{OURS6}/64 dev dpdk0"]
neighbours = ["{PEER} lladdr {CLIENT_MAC} dev dpdk0", "{PEER6} lladdr {CLIENT_MAC} dev dpdk0"]
reassembly = @REASM@
"""


def write_input(path):
    from scapy.all import ICMP, IP, Ether, ICMPv6EchoRequest, IPv6, IPv6ExtHdrFragment, Raw, fragment, fragment6, wrpcap
    e = Ether(dst=PORT_MAC, src=CLIENT_MAC)
    v4 = fragment(IP(src=PEER, dst=OURS, id=77) / ICMP(id=0x1234, seq=1) / Raw(b"a" * 3000), fragsize=1480)
    assert len(v4) == V4_FRAGS
    v6 = fragment6(IPv6(src=PEER6, dst=OURS6) / IPv6ExtHdrFragment(id=78) / ICMPv6EchoRequest(id=0x5678, seq=1,
                                                                                               data=b"b" * 3000), 1280)
    assert len(v6) == V6_FRAGS
    many = fragment(IP(src=PEER, dst=OURS, id=79) / ICMP(id=0x9abc, seq=1) / Raw(b"c" * 9000), fragsize=904)
    assert len(many) == TOO_MANY
    frames = [e / v4[2], e / v4[0], e / v4[1]]  # out of order
    frames += [e / f for f in v6]
    frames += [e / f for f in many]
    frames += [e / IP(src=PEER, dst=OURS) / ICMP(id=0x4321, seq=1) / Raw(b"d" * 32)]
    wrpcap(path, frames, linktype=1)


def run_daemon(tmp_path, reassembly):
    pcap_in, pcap_out = tmp_path / "in.pcap", tmp_path / "out.pcap"
    write_input(str(pcap_in))
    # TX queue 0 is the worker's (the replies), queue 1 the master's (announcements).
    text = (CONFIG.replace("@IN@", str(pcap_in)).replace("@OUT@", str(pcap_out))
            .replace("@OUT_MASTER@", str(tmp_path / "out-master.pcap"))
            .replace("@REASM@", "true" if reassembly else "false"))
    return Daemon(FULCRUMD, text, "fulcrum-inet-frag"), pcap_out


def counters(d, family):
    import json
    import subprocess
    env = dict(os.environ, FULCRUM_CTRL_SOCKET=d.socket)
    r = subprocess.run([DPIP, "-j", "-s", f"ipv{family}"], capture_output=True, text=True, env=env, timeout=20)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["stats"]


def test_fragments_are_reassembled_and_the_answers_fragmented(tmp_path):
    d, pcap_out = run_daemon(tmp_path, True)
    with d:
        c4 = wait_for(lambda: (lambda c: c if c["icmp_echo_replies"] >= 2 else None)(counters(d, 4)),
                      "the IPv4 echo replies")
        c6 = wait_for(lambda: (lambda c: c if c["icmp6_echo_replies"] >= 1 else None)(counters(d, 6)),
                      "the IPv6 echo reply")
        assert c4["frag_in"] == V4_FRAGS + TOO_MANY, c4
        assert c4["frag_reassembled"] == 1, c4
        # More fragments than rte_ip_frag holds (8): those it had are given up and counted; the last one starts
        # a new entry that times out later.
        assert TOO_MANY - 2 <= c4["frag_failed"] <= TOO_MANY, c4
        assert c4["out_fragmented"] == 1 and c4["out_fragments"] == 3, c4
        assert c6["frag_in"] == V6_FRAGS and c6["frag_reassembled"] == 1, c6
        assert c6["out_fragmented"] == 1, c6
        assert d.stop() == 0  # the pcap port writes out.pcap as it closes
    from scapy.all import ICMP, IP, ICMPv6EchoReply, IPv6, defragment, defragment6, rdpcap
    out = rdpcap(str(pcap_out))
    v4 = [p for p in out if IP in p and p[IP].src == OURS]
    whole = [p for p in defragment(v4) if ICMP in p and p[ICMP].type == 0 and p[ICMP].id == 0x1234]
    assert len(whole) == 1, out.summary()
    assert bytes(whole[0][ICMP].payload) == b"a" * 3000
    v6 = IPv6(bytes(defragment6([p[IPv6] for p in out if IPv6 in p and p[IPv6].src == OURS6 and p[IPv6].nh == 44])))
    assert ICMPv6EchoReply in v6 and v6[ICMPv6EchoReply].id == 0x5678, out.summary()
    assert bytes(v6[ICMPv6EchoReply].data) == b"b" * 3000


def test_with_reassembly_off_fragments_are_dropped_and_counted(tmp_path):
    d, _ = run_daemon(tmp_path, False)
    with d:
        c4 = wait_for(lambda: (lambda c: c if c["icmp_echo_replies"] >= 1 else None)(counters(d, 4)),
                      "the whole packet's echo reply")
        wait_for(lambda: counters(d, 6)["frag_dropped"] >= V6_FRAGS, "the IPv6 fragments dropped")
        c4 = counters(d, 4)
        assert c4["frag_dropped"] == V4_FRAGS + TOO_MANY and c4["frag_reassembled"] == 0, c4
        assert c4["icmp_echo_replies"] == 1, c4  # the whole one only
        assert counters(d, 6)["frag_dropped"] == V6_FRAGS
        assert "reassembly off" in __import__("subprocess").run(
            [DPIP, "ipv4"], capture_output=True, text=True, env=dict(os.environ, FULCRUM_CTRL_SOCKET=d.socket)).stdout
