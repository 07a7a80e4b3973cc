// The per-burst path: parse, look every flow up at once, make connections for new flows to a service,
// pass replies to their owner worker, and hand each packet to its forwarding method.

#include <rte_prefetch.h>

#include "../ipvs_log.hpp"
#include "ipvs_dataplane.hpp"

namespace fulcrum::ipvs {
namespace {

constexpr uint16_t kChunk = 32;

IpAddr addr_of(const uint8_t* bytes) {
  IpAddr a;
  std::memcpy(a.bytes.data(), bytes, 16);
  return a;
}

}  // namespace

bool IpvsDataplane::is_fnat_local(uint8_t family, const uint8_t* addr) {
  inet::LcoreInet& lc = *inet_.lcore();
  uint32_t v4;
  std::memcpy(&v4, addr, 4);
  const inet::AddrEntry* a = family == 4 ? lc.tables->find_addr4(v4) : lc.tables->find_addr6(addr);
  return a != nullptr && (a->flags & ctrl::inet_msg::addr_fnat_local) != 0;
}

bool IpvsDataplane::is_local(uint8_t family, const uint8_t* addr) {
  inet::LcoreInet& lc = *inet_.lcore();
  uint32_t v4;
  std::memcpy(&v4, addr, 4);
  return (family == 4 ? lc.tables->find_addr4(v4) : lc.tables->find_addr6(addr)) != nullptr;
}

bool IpvsDataplane::is_reused_port(const Conn& c, const PacketView& v) {
  if (c.proto != IPPROTO_TCP || (v.tcp_flags & (kTcpSyn | kTcpAck | kTcpRst | kTcpFin)) != kTcpSyn) return false;
  const auto st = static_cast<TcpState>(c.state);
  return st == TcpState::time_wait || st == TcpState::close;
}

void IpvsDataplane::process(LcoreIpvs& L, inet::Family f, rte_mbuf** pkts, uint16_t n, inet::Verdict* verdicts) {
  const uint8_t family = f == inet::Family::v4 ? 4 : 6;
  for (uint16_t base = 0; base < n; base += kChunk) {
    const uint16_t k = std::min<uint16_t>(kChunk, static_cast<uint16_t>(n - base));
    FlowKey keys[kChunk];
    const FlowKey* kp[kChunk];
    PacketView views[kChunk];
    uint16_t at[kChunk];
    rte_mbuf* out[kChunk];
    unsigned n_keys = 0;
    unsigned n_out = 0;
    for (uint16_t i = 0; i < k; ++i) {
      rte_mbuf* m = pkts[base + i];
      if (i + 3 < k) rte_prefetch0(rte_pktmbuf_mtod(pkts[base + i + 3], void*));
      PacketView& v = views[n_keys];
      switch (parse_packet(m, family, &v, &keys[n_keys])) {
        case ParseResult::flow:
          kp[n_keys] = &keys[n_keys];
          at[n_keys++] = i;
          break;
        case ParseResult::icmp:
          verdicts[base + i] = on_icmp(L, m, v, out, &n_out);
          break;
        case ParseResult::truncated: L.add(DpCtr::truncated); break;
        case ParseResult::other: break;
      }
    }
    Conn* conns[kChunk];
    ConnDir dirs[kChunk];
    L.conns->lookup_burst(kp, n_keys, conns, dirs);
    for (unsigned j = 0; j < n_keys; ++j) {
      const uint16_t i = at[j];
      rte_mbuf* m = pkts[base + i];
      Conn* c = conns[j];
      ConnDir dir = dirs[j];
      if (c != nullptr && dir == ConnDir::in && is_reused_port(*c, views[j])) {
        // As the kernel's conn_reuse_mode: the client has moved on to a new connection on the same port.
        L.add(DpCtr::conn_reused);
        for (unsigned later = j + 1; later < n_keys; ++later) {
          if (conns[later] == c) conns[later] = nullptr;
        }
        release(L, *c);
        c = nullptr;
      }
      if (c == nullptr) {
        c = on_miss(L, m, views[j], keys[j], &verdicts[base + i]);
        if (c == nullptr) continue;
        dir = ConnDir::in;
      }
      verdicts[base + i] = inet::Verdict::stolen;
      EgressRoute route;
      if (forward(L, *c, dir, m, views[j], &route)) {
        if (route.mtu != 0) {
          send_to_dest(f, route, m);  // DR, TUN: towards the real server, whatever the IP header says
        } else {
          out[n_out++] = m;
        }
      } else {
        rte_pktmbuf_free(m);
      }
    }
    if (n_out != 0) inet_.output(f, out, static_cast<uint16_t>(n_out));
  }
}

Conn* IpvsDataplane::on_miss(LcoreIpvs& L, rte_mbuf* m, PacketView& v, const FlowKey& k, inet::Verdict* verdict) {
  const inet::Family fam = k.family == 4 ? inet::Family::v4 : inet::Family::v6;
  // A reply to a local port that another worker owns: its connection is there.
  if (L.workers > 1 && is_fnat_local(k.family, k.daddr)) {
    const unsigned owner = LocalPortPool::owner_of(rte_be_to_cpu_16(k.dport), L.workers);
    if (owner != L.worker) {
      *verdict = redirect(L, m, owner) ? inet::Verdict::stolen : inet::Verdict::drop;
      return nullptr;
    }
    return nullptr;  // ours, and no connection: a late reply, left to the stack
  }
  WorkerService* svc =
      L.services->find(k.proto, k.family == 4 ? Family::v4 : Family::v6, addr_of(k.daddr), k.dport);
  // NAT and persistence with several workers: the client's owner worker holds the connection (nat_steer.hpp).
  if (L.workers > 1 && steer(L, m, k, svc, verdict)) return nullptr;
  // No service: an outbound flow from behind the balancer, if an SNAT rule takes it (snat.cpp).
  if (svc == nullptr) return snat_miss(L, v, k, verdict);
  // As the kernel's IPVS: only a SYN opens a TCP connection. Anything else goes on to the kernel's stack
  // there, which has no socket for it and answers RST; so does this one.
  if (k.proto == IPPROTO_TCP && (v.tcp_flags & (kTcpSyn | kTcpAck | kTcpRst)) != kTcpSyn) {
    L.add(DpCtr::not_syn);
    send_reset(L, v);
    *verdict = inet::Verdict::drop;
    return nullptr;
  }
  SchedInput in;
  std::memcpy(in.saddr.bytes.data(), k.saddr, 16);
  std::memcpy(in.daddr.bytes.data(), k.daddr, 16);
  in.sport = k.sport;
  in.dport = k.dport;
  in.family = k.family == 4 ? Family::v4 : Family::v6;
  in.protocol = k.proto;
  in.now_s = L.wheel->now() / std::max<uint32_t>(1, ticks(1));
  const DestIndex di = (svc->flags & kSvcPersistent) && L.persist ? L.persist->pick(*svc, in, L.ctr) : svc->pick(in);
  if (di == kNoDest) {
    // The kernel answers ICMP port unreachable, for TCP as for UDP: it has no socket to send a RST from.
    L.add(DpCtr::no_dest);
    FLOG_RL(L.log, g_log, WARNING, "%s: no real server available", to_string(svc->key).c_str());
    inet_.family(fam)->send_error(*inet_.lcore(), m, fam == inet::Family::v4 ? 3 : 1, fam == inet::Family::v4 ? 3 : 4, 0);
    *verdict = inet::Verdict::drop;
    return nullptr;
  }
  Conn* c = create(L, *svc, di, k, m);
  if (c == nullptr) *verdict = inet::Verdict::drop;
  return c;
}

bool IpvsDataplane::redirect(LcoreIpvs& L, rte_mbuf* m, unsigned owner) {
  if (rte_ring_mp_enqueue(rings_[owner], m) != 0) {
    L.add(DpCtr::redirect_ring_full);
    return false;
  }
  L.add(DpCtr::redirect_out);
  return true;
}

bool IpvsDataplane::forward(LcoreIpvs& L, Conn& c, ConnDir dir, rte_mbuf* m, PacketView& v, EgressRoute* route) {
  WorkerService* svc = L.services->at(c.service);
  if (svc != nullptr && svc->uid != c.svc_uid) svc = nullptr;
  Dest* dest = nullptr;
  WorkerDestExtra* extra = nullptr;
  if (svc != nullptr) {
    if (c.dest >= svc->dests.size() || svc->extra[c.dest].uid != c.dest_uid) {
      // The service changed since this connection last passed: find its dest again, once.
      c.dest = kNoDest;
      for (size_t i = 0; i < svc->dests.size(); ++i) {
        if (svc->extra[i].uid == c.dest_uid) c.dest = static_cast<uint32_t>(i);
      }
    }
    if (c.dest != kNoDest) {
      dest = &svc->dests[c.dest];
      extra = &svc->extra[c.dest];
    }
  }
  const uint32_t bytes = m->pkt_len;
  if (dir == ConnDir::in) {
    if (svc != nullptr) svc->stats.add_in(bytes);
    if (extra != nullptr) extra->stats.add_in(bytes);
  } else {
    if (svc != nullptr) svc->stats.add_out(bytes);
    if (extra != nullptr) extra->stats.add_out(bytes);
  }
  const ForwardOps* ops = forward_ops(static_cast<ForwardMethod>(c.forward));
  const uint8_t state_before = c.state;
  if (c.proto == IPPROTO_TCP) {
    const TcpDirection tdir = dir == ConnDir::out ? TcpDirection::output
                              : ops->input_only   ? TcpDirection::input_only
                                                  : TcpDirection::input;
    const TcpState next = tcp_next_state(static_cast<TcpState>(c.state), tdir, v.tcp_flags);
    if (next != static_cast<TcpState>(c.state)) {
      const bool was = (c.flags & kConnActive) != 0;
      const bool now = next == TcpState::established;
      if (dest != nullptr && (c.flags & kConnBound) && was != now) {
        if (now) {
          --dest->inactconns;
          ++dest->activeconns;
        } else {
          --dest->activeconns;
          ++dest->inactconns;
        }
        update_overload_after_unbind(*dest);
      }
      c.flags = static_cast<uint8_t>(now ? (c.flags | kConnActive) : (c.flags & ~kConnActive));
      c.state = static_cast<uint8_t>(next);
    }
  }
  // A packet only stamps the connection; the timer moves when the state (and so the timeout) changes, and
  // on_expire re-arms for whatever is left since the last stamp. Re-arming on every packet would relink the
  // timer between slots of the wheel, writing into other connections' cache lines each time.
  c.touched = L.wheel->now();
  if (c.state != state_before || !c.timer.armed()) L.wheel->arm(c.timer, L.expire_kind, ticks(timeout_s(c)));
  ForwardContext ctx{svc};
  if (dir == ConnDir::out) return ops->out(L, c, ctx, m, v);
  if (ops->in_egress == Egress::to_dest) {
    EgressRoute local;
    EgressRoute* r = route != nullptr ? route : &local;
    if (!route_to_dest(L, c, *ops, m, v, r)) return false;
    ctx.route = r;
  }
  return ops->in(L, c, ctx, m, v);
}

}  // namespace fulcrum::ipvs
