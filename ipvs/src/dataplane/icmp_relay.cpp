// ICMP errors about a connection: a real server's (or a router's on its side) "fragmentation needed",
// "port unreachable" and the like quote the packet we sent it, from our local address; the client must get
// the same error about the packet it sent to the VIP, and the other way round. Both the quoted packet and
// the outer header are translated, as the kernel's IPVS does for its NAT.

#include <netinet/in.h>

#include <rte_icmp.h>

#include "ipvs_dataplane.hpp"

namespace fulcrum::ipvs {
namespace {

bool is_error_v4(uint8_t type) { return type == 3 || type == 4 || type == 11 || type == 12; }
bool is_error_v6(uint8_t type) { return type >= 1 && type <= 4; }

struct Quoted {
  uint8_t* ip = nullptr;
  uint16_t ip_len = 0;
  uint8_t* l4 = nullptr;
  uint8_t proto = 0;
};

void set_addrs(uint8_t family, uint8_t* ip, const uint8_t* src, const uint8_t* dst) {
  if (family == 4) {
    auto* h = reinterpret_cast<rte_ipv4_hdr*>(ip);
    std::memcpy(&h->src_addr, src, 4);
    std::memcpy(&h->dst_addr, dst, 4);
  } else {
    auto* h = reinterpret_cast<rte_ipv6_hdr*>(ip);
    std::memcpy(h->src_addr, src, 16);
    std::memcpy(h->dst_addr, dst, 16);
  }
}

}  // namespace

inet::Verdict IpvsDataplane::on_icmp(LcoreIpvs& L, rte_mbuf* m, PacketView& v, rte_mbuf** out, unsigned* n_out) {
  const bool v4 = v.family == 4;
  const unsigned icmp_hdr = 8;
  if (m->data_len < v.l3_len + icmp_hdr) return inet::Verdict::accept;
  const uint8_t type = v.l4[0];
  if (!(v4 ? is_error_v4(type) : is_error_v6(type))) return inet::Verdict::accept;
  Quoted q;
  q.ip = v.l4 + icmp_hdr;
  const uint32_t room = m->data_len - v.l3_len - icmp_hdr;
  if (v4) {
    if (room < sizeof(rte_ipv4_hdr)) return inet::Verdict::accept;
    const auto* ih = reinterpret_cast<const rte_ipv4_hdr*>(q.ip);
    q.ip_len = static_cast<uint16_t>((ih->version_ihl & 0x0f) * 4);
    q.proto = ih->next_proto_id;
  } else {
    if (room < sizeof(rte_ipv6_hdr)) return inet::Verdict::accept;
    q.ip_len = sizeof(rte_ipv6_hdr);
    q.proto = reinterpret_cast<const rte_ipv6_hdr*>(q.ip)->proto;
  }
  if ((q.proto != IPPROTO_TCP && q.proto != IPPROTO_UDP) || room < q.ip_len + 8u) return inet::Verdict::accept;
  q.l4 = q.ip + q.ip_len;
  const auto* qports = reinterpret_cast<const uint16_t*>(q.l4);
  // The quoted packet went out from us; its connection's key is that packet's tuple reversed.
  FlowKey k;
  if (v4) {
    const auto* ih = reinterpret_cast<const rte_ipv4_hdr*>(q.ip);
    k = make_flow_key4(ih->dst_addr, ih->src_addr, qports[1], qports[0], q.proto);
  } else {
    const auto* ih = reinterpret_cast<const rte_ipv6_hdr*>(q.ip);
    k = make_flow_key6(ih->dst_addr, ih->src_addr, qports[1], qports[0], q.proto);
  }
  ConnDir dir;
  Conn* c = L.conns->lookup(k, &dir);
  if (c == nullptr) {
    // About a packet from one of our local ports that another worker owns: that worker has the connection.
    if (L.workers > 1 && is_fnat_local(v.family, q.ip + (v4 ? 12 : 8))) {
      const unsigned owner = LocalPortPool::owner_of(rte_be_to_cpu_16(qports[0]), L.workers);
      if (owner != L.worker) {
        return redirect(L, m, owner) ? inet::Verdict::stolen : inet::Verdict::drop;
      }
    }
    // About another worker's NAT connection: its client's owner holds it (nat_steer.hpp). The quote is
    // client -> real server (an error from the real server's side) or VIP -> client (from the client's).
    if (L.workers > 1) {
      // As the flow keys hold them: 16 bytes, an IPv4 address zero-padded.
      uint8_t q_src[16] = {};
      uint8_t q_dst[16] = {};
      std::memcpy(q_src, q.ip + (v4 ? 12 : 8), v4 ? 4 : 16);
      std::memcpy(q_dst, q.ip + (v4 ? 16 : 24), v4 ? 4 : 16);
      IpAddr vip;
      std::memcpy(vip.bytes.data(), q_src, 16);
      const WorkerService* svc = L.services->find(q.proto, v4 ? Family::v4 : Family::v6, vip, qports[0]);
      unsigned owner = L.worker;
      if (L.nat_dests.contains(*L.services, v.family, q_dst, qports[1])) {
        owner = client_owner(v.family, q_src, L.workers);
      } else if (svc != nullptr && service_steers(*svc)) {
        owner = client_owner(v.family, q_dst, L.workers);
      }
      if (owner != L.worker) return redirect(L, m, owner) ? inet::Verdict::stolen : inet::Verdict::drop;
    }
    L.add(DpCtr::icmp_unmatched);
    return inet::Verdict::accept;
  }
  // DR and TUN rewrite nothing, so there is nothing to translate: an error about the real server's reply
  // (from the VIP) goes on to the real server as it is, as the kernel's IPVS does, so that it learns the path
  // MTU towards the client.
  const ForwardOps* ops = forward_ops(static_cast<ForwardMethod>(c->forward));
  if (ops != nullptr && !ops->relay_icmp) return icmp_to_dest(L, *c, *ops, dir, m, v);
  // dir out: the error is about a packet we sent the real server, so it goes to the client about the packet
  // the client sent; dir in: the other way round.
  const bool to_client = dir == ConnDir::out;
  const uint8_t *o_src, *o_dst, *q_src, *q_dst;
  uint16_t q_sport, q_dport;
  if (to_client) {
    o_src = c->vaddr, o_dst = c->caddr;
    q_src = c->caddr, q_sport = c->cport, q_dst = c->vaddr, q_dport = c->vport;
  } else {
    o_src = c->laddr, o_dst = c->daddr;
    q_src = c->daddr, q_sport = c->dport, q_dst = c->laddr, q_dport = c->lport;
  }
  // The quoted L4 checksum, where the quote holds it, follows its addresses and ports.
  const size_t alen = v4 ? 4 : 16;
  const unsigned ck_off = q.proto == IPPROTO_TCP ? 16 : 6;
  const uint8_t* old_src = v4 ? reinterpret_cast<uint8_t*>(&reinterpret_cast<rte_ipv4_hdr*>(q.ip)->src_addr)
                              : reinterpret_cast<rte_ipv6_hdr*>(q.ip)->src_addr;
  const uint8_t* old_dst = v4 ? reinterpret_cast<uint8_t*>(&reinterpret_cast<rte_ipv4_hdr*>(q.ip)->dst_addr)
                              : reinterpret_cast<rte_ipv6_hdr*>(q.ip)->dst_addr;
  if (room >= q.ip_len + ck_off + 2u) {
    uint16_t* ck = reinterpret_cast<uint16_t*>(q.l4 + ck_off);
    if (!(q.proto == IPPROTO_UDP && *ck == 0)) {
      CsumDelta d;
      d.replace(old_src, q_src, alen);
      d.replace(old_dst, q_dst, alen);
      d.replace16(qports[0], q_sport);
      d.replace16(qports[1], q_dport);
      const uint16_t sum = d.apply(*ck);
      *ck = sum == 0 && q.proto == IPPROTO_UDP ? 0xffff : sum;
    }
  }
  set_addrs(v.family, q.ip, q_src, q_dst);
  auto* qp = reinterpret_cast<uint16_t*>(q.l4);
  qp[0] = q_sport;
  qp[1] = q_dport;
  if (v4) {
    auto* ih = reinterpret_cast<rte_ipv4_hdr*>(q.ip);
    ih->hdr_checksum = 0;
    ih->hdr_checksum = rte_ipv4_cksum(ih);
  }
  set_addrs(v.family, v.l3, o_src, o_dst);
  auto* icmp = reinterpret_cast<rte_icmp_hdr*>(v.l4);
  icmp->icmp_cksum = 0;
  if (v4) {
    uint16_t sum = 0;
    const uint16_t total = rte_be_to_cpu_16(reinterpret_cast<rte_ipv4_hdr*>(v.l3)->total_length);
    rte_raw_cksum_mbuf(m, v.l3_len, static_cast<uint32_t>(total - v.l3_len), &sum);
    icmp->icmp_cksum = static_cast<uint16_t>(~sum);
  } else {
    icmp->icmp_cksum = l4_checksum_full(m, v, false);
  }
  L.add(DpCtr::icmp_relayed);
  out[(*n_out)++] = m;
  return inet::Verdict::stolen;
}

}  // namespace fulcrum::ipvs
