"""Addresses on a VLAN sub-interface: ARP and ICMP echo answered on the VLAN, tagged, and the neighbour
learnt on the VLAN's device. The client's kernel has no 8021q module here, so scapy speaks the tagged frames."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from test_inet_lab import CLIENT_MAC, InetLab, scapy  # noqa: E402

PORT_MAC = "02:00:c6:12:10:01"
VLAN_ADDR, PEER = "198.18.100.1", "198.18.100.2"


@pytest.fixture(scope="module")
def lab():
    lab = InetLab("V", with_router=False, netif_extra='[[vlan]]\nparent = "dpdk0"\nid = 100\n')
    try:
        lab.dpip("addr", "add", f"{VLAN_ADDR}/24", "dev", "dpdk0.100")
        yield lab
    finally:
        lab.close()


def test_arp_and_echo_on_the_vlan(lab):
    out = scapy(lab.cli, f"""
arp = srp1(Ether(dst='ff:ff:ff:ff:ff:ff', src='{CLIENT_MAC}')/Dot1Q(vlan=100)/
           ARP(op=1, hwsrc='{CLIENT_MAC}', psrc='{PEER}', pdst='{VLAN_ADDR}'), iface='{lab.c}', timeout=3, verbose=False)
print('ARP', arp[Dot1Q].vlan if arp and Dot1Q in arp else None, arp[ARP].hwsrc if arp else None)
echo = srp1(Ether(dst='{PORT_MAC}', src='{CLIENT_MAC}')/Dot1Q(vlan=100)/IP(src='{PEER}', dst='{VLAN_ADDR}')/
            ICMP(id=7, seq=1)/Raw(b'v' * 20), iface='{lab.c}', timeout=3, verbose=False)
print('ECHO', echo[Dot1Q].vlan if echo and Dot1Q in echo else None, echo[ICMP].type if echo else None)
""")
    assert f"ARP 100 {PORT_MAC}" in out, out
    assert "ECHO 100 0" in out, out
    neigh = {n["dst"]: n for n in lab.dpip_json("neigh", "show", "dev", "dpdk0.100")}
    assert neigh[PEER]["lladdr"] == CLIENT_MAC, neigh
    assert "inet 198.18.100.1/24 brd 198.18.100.255 scope global dpdk0.100" in lab.dpip("addr", "show", "dpdk0.100").stdout
    assert "198.18.100.0/24 dev dpdk0.100 proto kernel scope link src 198.18.100.1" in lab.dpip("route").stdout
