"""Malformed packets from a client namespace (scapy): each lands in its own drop counter, exactly once, and
the daemon keeps answering. Frames are as short as the fault needs (a veth carries them unpadded), so a read
past the frame would show up as a wrong verdict, or under the asan build as a crash."""
import os
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from test_inet_lab import BAL0, BAL0_6, CLIENT, CLIENT6, CLIENT_MAC, InetLab, counter_delta, scapy, wait_for  # noqa: E402

PORT = "02:00:c6:12:10:01"
E = f"Ether(dst='{PORT}', src='{CLIENT_MAC}')"
IP4 = f"IP(src='{CLIENT}', dst='{BAL0}')"
IP6 = f"IPv6(src='{CLIENT6}', dst='{BAL0_6}')"
COUNT = 7

# (family, counter, scapy frame)
CASES = [
    (4, "in_bad_checksum", f"{E}/IP(src='{CLIENT}', dst='{BAL0}', chksum=0x1234)/ICMP()"),
    (4, "in_truncated", f"Ether(dst='{PORT}', src='{CLIENT_MAC}', type=0x0800)/Raw(b'\\x45\\x00\\x00\\x14' + b'\\x00' * 6)"),
    (4, "in_bad_header_length", f"{E}/IP(src='{CLIENT}', dst='{BAL0}', ihl=4)/ICMP()"),
    (4, "in_bad_header_length", f"{E}/IP(src='{CLIENT}', dst='{BAL0}', ihl=15)/ICMP()"),
    (4, "in_ttl_zero", f"{E}/IP(src='{CLIENT}', dst='{BAL0}', ttl=0)/ICMP()"),
    (4, "in_bad_length", f"{E}/IP(src='{CLIENT}', dst='{BAL0}', len=1000)/ICMP()"),
    (4, "in_bad_length", f"{E}/IP(src='{CLIENT}', dst='{BAL0}', len=12)/ICMP()"),
    (4, "in_bad_version", f"{E}/IP(src='{CLIENT}', dst='{BAL0}', version=5)/ICMP()"),
    (4, "in_martian_source", f"{E}/IP(src='127.0.0.1', dst='{BAL0}')/ICMP()"),
    (4, "in_martian_source", f"{E}/IP(src='224.1.2.3', dst='{BAL0}')/ICMP()"),
    (4, "icmp_bad_checksum", f"{E}/{IP4}/ICMP(chksum=0x1234)/Raw(b'x' * 8)"),
    (4, "icmp_truncated", f"{E}/IP(src='{CLIENT}', dst='{BAL0}', proto=1)/Raw(b'\\x08\\x00\\xf7')"),
    (4, "icmp_bad_code", f"{E}/{IP4}/ICMP(type=8, code=5)"),
    (4, "arp_bad", f"Ether(dst='ff:ff:ff:ff:ff:ff', src='{CLIENT_MAC}')/ARP(pdst='{BAL0}', psrc='{CLIENT}', plen=6)"),
    (4, "arp_bad", f"Ether(dst='ff:ff:ff:ff:ff:ff', src='{CLIENT_MAC}', type=0x0806)/Raw(b'\\x00\\x01\\x08\\x00\\x06')"),
    (6, "in_truncated", f"Ether(dst='{PORT}', src='{CLIENT_MAC}', type=0x86dd)/Raw(b'\\x60' + b'\\x00' * 20)"),
    (6, "in_bad_version", f"Ether(dst='{PORT}', src='{CLIENT_MAC}', type=0x86dd)/{IP4}/ICMP()/Raw(b'y' * 20)"),
    (6, "in_bad_length", f"{E}/IPv6(src='{CLIENT6}', dst='{BAL0_6}', plen=1000)/ICMPv6EchoRequest()"),
    (6, "in_hop_limit_zero", f"{E}/IPv6(src='{CLIENT6}', dst='{BAL0_6}', hlim=0)/ICMPv6EchoRequest()"),
    (6, "in_martian_source", f"{E}/IPv6(src='ff02::5', dst='{BAL0_6}')/ICMPv6EchoRequest()"),
    (6, "in_bad_ext_header", f"{E}/IPv6(src='{CLIENT6}', dst='{BAL0_6}', nh=0)/Raw(b'\\x3a\\x05' + b'\\x00' * 6)"),
    (6, "in_bad_ext_header", f"{E}/IPv6(src='{CLIENT6}', dst='{BAL0_6}', nh=60)/Raw(b'\\x00\\x00' + b'\\x00' * 14)"),
    (6, "icmp6_bad_checksum", f"{E}/{IP6}/ICMPv6EchoRequest(cksum=0x1234)"),
    (6, "icmp6_truncated", f"{E}/IPv6(src='{CLIENT6}', dst='{BAL0_6}', nh=58)/Raw(b'\\x80\\x00')"),
    (6, "icmp6_bad_code", f"{E}/{IP6}/ICMPv6EchoRequest(code=1)"),
    (6, "nd_bad", f"{E}/IPv6(src='{CLIENT6}', dst='{BAL0_6}', hlim=64)/ICMPv6ND_NS(tgt='{BAL0_6}')"),
    (6, "nd_bad", f"{E}/IPv6(src='{CLIENT6}', dst='{BAL0_6}', hlim=255)/ICMPv6ND_NS(tgt='{BAL0_6}')"
                  f"/Raw(b'\\x01\\x00' + b'\\x00' * 6)"),
]

# Every counter a malformed packet may land in: exactly one of them moves per case.
DROPS = {
    4: ["in_truncated", "in_bad_version", "in_bad_header_length", "in_bad_checksum", "in_bad_length", "in_ttl_zero",
        "in_martian_source", "icmp_truncated", "icmp_bad_checksum", "icmp_bad_code", "arp_bad"],
    6: ["in_truncated", "in_bad_version", "in_bad_length", "in_hop_limit_zero", "in_martian_source",
        "in_bad_ext_header", "icmp6_truncated", "icmp6_bad_checksum", "icmp6_bad_code", "nd_bad"],
}


@pytest.fixture(scope="module")
def lab():
    lab = InetLab("M", with_router=False)
    try:
        yield lab
    finally:
        lab.close()


@pytest.mark.parametrize("family, counter, frame", CASES, ids=[f"{c[1]}-{i}" for i, c in enumerate(CASES)])
def test_each_malformation_lands_in_its_own_counter(lab, family, counter, frame):
    before = lab.counters(family)
    scapy(lab.cli, f"sendp([{frame}] * {COUNT}, iface='{lab.c}', verbose=False)")
    wait_for(lambda: lab.counters(family)[counter] >= before[counter] + COUNT, f"{COUNT} more {counter}")
    time.sleep(0.3)  # anything counted twice, or elsewhere, shows by now
    after = lab.counters(family)
    d = counter_delta(after, before)
    assert d.get(counter) == COUNT, d
    others = {k: v for k, v in d.items() if k in DROPS[family] and k != counter}
    assert not others, f"{counter}: also counted {others}"
    assert d.get("in_delivers", 0) == 0 or counter.startswith(("icmp", "nd")), d
    assert lab.alive()


def test_the_daemon_still_answers(lab):
    assert lab.alive()
    lab.ping(lab.cli, BAL0, count=2)
    lab.ping(lab.cli, BAL0_6, count=2)
