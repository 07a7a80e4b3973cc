// SNAT (DPVS's --match SNAT): an inside host's flow host:hport -> outside:port, which no service takes but an
// SNAT rule does, leaves as pool-address:local-port -> outside:port, and the outside host's reply to
// pool-address:local-port comes back as outside:port -> host:hport. It is FullNAT with the destination kept:
// the connection's VIP and real server are both the outside host, so the connection indexes the reply tuple
// outside -> pool-address:local-port, and a reply that reaches another worker goes to the port's owner as a
// FullNAT reply does. There is no TOA (the outside host is no real server of ours) and no service or real
// server to count the connection on.

#include <cstring>

#include "../ipvs_log.hpp"
#include "ipvs_dataplane.hpp"

namespace fulcrum::ipvs {
namespace {

// The worker's service slots never reach this: a connection naming it finds no service (WorkerServices::at).
constexpr uint32_t kNoServiceSlot = UINT32_MAX;

bool snat_in(LcoreIpvs& L, Conn& c, const ForwardContext& ctx, rte_mbuf* m, PacketView& v) {
  (void)L, (void)ctx, (void)m;
  rewrite_tuple(v, c.laddr, c.lport, c.daddr, c.dport);
  return true;
}

bool snat_out(LcoreIpvs& L, Conn& c, const ForwardContext& ctx, rte_mbuf* m, PacketView& v) {
  (void)L, (void)ctx, (void)m;
  rewrite_tuple(v, c.vaddr, c.vport, c.caddr, c.cport);
  return true;
}

// Which of the pool's addresses a flow tries first: a hash of the inside host's address and port, so that a
// rule's flows spread over its pool without state shared between workers, and one host's flows are not all
// on one address.
size_t first_laddr(const FlowKey& k, size_t n) {
  uint32_t h = k.sport;
  for (unsigned i = 0; i < 16; i += 4) {
    uint32_t w;
    std::memcpy(&w, k.saddr + i, 4);
    h = (h ^ w) * 0x9e3779b1u;
  }
  return (h >> 16) % n;
}

bool is_group(uint8_t family, const uint8_t* a) {
  if (family == 6) return a[0] == 0xff;
  return (a[0] & 0xf0) == 0xe0 || (a[0] == 0xff && a[1] == 0xff && a[2] == 0xff && a[3] == 0xff);
}

}  // namespace

extern const ForwardOps kSnatOps = {.name = "snat", .needs_laddr = true, .in = &snat_in, .out = &snat_out};

Conn* IpvsDataplane::snat_miss(LcoreIpvs& L, const PacketView& v, const FlowKey& k, inet::Verdict* verdict) {
  if (L.snat == nullptr || L.snat->size() == 0) return nullptr;
  const SnatMatch* rule = L.snat->match(k.family, k.saddr, k.proto, k.dport);
  if (rule == nullptr) return nullptr;
  // To the balancer itself (its own services' addresses, its management address), or to a group (multicast,
  // the limited broadcast): the stack's, not SNAT's, since no single outside host answers the pool address.
  if (is_group(k.family, k.daddr) || is_local(k.family, k.daddr)) return nullptr;
  // As for a service: only a SYN opens a TCP connection. Anything else would leave with the inside host's
  // own address, which the outside must never see: dropped, and the host's stack retries or gives up.
  if (k.proto == IPPROTO_TCP && (v.tcp_flags & (kTcpSyn | kTcpAck | kTcpRst)) != kTcpSyn) {
    L.add(DpCtr::snat_not_syn);
    *verdict = inet::Verdict::drop;
    return nullptr;
  }
  Conn* c = snat_create(L, *rule, k);
  if (c == nullptr) *verdict = inet::Verdict::drop;
  return c;
}

Conn* IpvsDataplane::snat_create(LcoreIpvs& L, const SnatMatch& rule, const FlowKey& k) {
  uint16_t laddr_id = 0;
  uint16_t lport = 0;
  size_t at = 0;
  const LocalAddress* laddr = take_local_port(*L.laddrs, rule.laddr_ids, rule.n_laddrs,
                                              first_laddr(k, rule.n_laddrs), &laddr_id, &lport, &at);
  if (laddr == nullptr) {
    L.add(DpCtr::snat_exhausted);
    FLOG_RL(L.log, g_log, WARNING, "snat rule %u: every local port of its pool is in use on worker %u", rule.index,
            L.worker);
    return nullptr;
  }
  Conn* c = alloc_conn(L);
  if (c == nullptr) {
    L.laddrs->release(laddr_id, lport);
    return nullptr;
  }
  std::memcpy(c->caddr, k.saddr, 16);
  std::memcpy(c->vaddr, k.daddr, 16);
  std::memcpy(c->daddr, k.daddr, 16);
  std::memcpy(c->laddr, laddr->addr, 16);
  c->cport = k.sport;
  c->vport = k.dport;
  c->dport = k.dport;
  c->lport = rte_cpu_to_be_16(lport);
  c->family = k.family;
  c->proto = k.proto;
  c->state = static_cast<uint8_t>(TcpState::none);
  c->flags = 0;  // counted on no real server
  c->service = kNoServiceSlot;
  c->dest = kNoDest;
  c->svc_uid = 0;
  c->dest_uid = 0;
  c->laddr_id = laddr_id;
  c->forward = static_cast<uint8_t>(ForwardMethod::snat);
  if (!L.conns->insert(c)) {
    L.laddrs->release(laddr_id, lport);
    L.conns->free(c);
    L.add(DpCtr::conn_insert_failed);
    return nullptr;
  }
  L.add(DpCtr::conn_created);
  L.add(DpCtr::snat_created);
  return c;
}

}  // namespace fulcrum::ipvs
