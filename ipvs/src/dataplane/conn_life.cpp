// A connection's life on its worker: made for the first packet of a flow (a local port taken, the dest's
// counters bound, the timer armed), re-armed by each packet, and released when its timer fires.

#include <cstddef>

#include "../ipvs_log.hpp"
#include "ipvs_dataplane.hpp"

namespace fulcrum::ipvs {

Conn* IpvsDataplane::alloc_conn(LcoreIpvs& L) {
  Conn* c = L.conns->alloc();
  if (c == nullptr) {
    L.add(DpCtr::conn_table_full);
    FLOG_RL(L.log, g_log, WARNING, "worker %u: connection table full (%u connections); new flows are dropped",
            L.worker, L.conns->capacity());
  }
  return c;
}

Conn* IpvsDataplane::create(LcoreIpvs& L, WorkerService& svc, DestIndex di, const FlowKey& k, rte_mbuf* m) {
  (void)m;
  const ForwardMethod method = svc.extra[di].forward;
  const ForwardOps* ops = forward_ops(method);
  if (ops == nullptr) {
    L.add(DpCtr::unsupported_forward);
    FLOG_RL(L.log, g_log, WARNING, "%s: real server %s: forwarding method %s is not built in",
            to_string(svc.key).c_str(), to_string(svc.dests[di].id).c_str(), to_string(method));
    return nullptr;
  }
  uint16_t laddr_id = 0;
  uint16_t lport = 0;
  const LocalAddress* laddr = nullptr;
  if (ops->needs_laddr) {
    const size_t n = svc.laddr_ids.size();
    if (n == 0) {
      L.add(DpCtr::no_laddr);
      FLOG_RL(L.log, g_log, WARNING, "%s: FullNAT needs local addresses and the service has none",
              to_string(svc.key).c_str());
      return nullptr;
    }
    size_t at = 0;
    laddr = take_local_port(*L.laddrs, svc.laddr_ids.data(), n, svc.laddr_next, &laddr_id, &lport, &at);
    if (laddr != nullptr) svc.laddr_next = static_cast<uint32_t>((at + 1) % n);
    if (laddr == nullptr) {
      L.add(DpCtr::laddr_exhausted);
      FLOG_RL(L.log, g_log, WARNING, "%s: every local port of the local-address group is in use on worker %u",
              to_string(svc.key).c_str(), L.worker);
      return nullptr;
    }
  }
  Conn* c = alloc_conn(L);
  if (c == nullptr) {
    if (ops->needs_laddr) L.laddrs->release(laddr_id, lport);
    return nullptr;
  }
  std::memcpy(c->caddr, k.saddr, 16);
  std::memcpy(c->vaddr, k.daddr, 16);
  c->cport = k.sport;
  c->vport = k.dport;
  const Dest& d = svc.dests[di];
  std::memcpy(c->daddr, d.id.addr.bytes.data(), 16);
  c->dport = d.id.port;
  if (laddr != nullptr) {
    std::memcpy(c->laddr, laddr->addr, 16);
    c->lport = rte_cpu_to_be_16(lport);
  } else {
    // NAT, DR, TUN: the real server answers the client itself.
    std::memcpy(c->laddr, k.saddr, 16);
    c->lport = k.sport;
  }
  c->family = k.family;
  c->proto = k.proto;
  c->state = static_cast<uint8_t>(TcpState::none);
  c->flags = kConnBound;
  c->service = svc.slot;
  c->dest = di;
  c->svc_uid = svc.uid;
  c->dest_uid = svc.extra[di].uid;
  c->laddr_id = laddr_id;
  c->forward = static_cast<uint8_t>(method);
  if (!L.conns->insert(c)) {
    if (ops->needs_laddr) L.laddrs->release(laddr_id, lport);
    L.conns->free(c);
    L.add(DpCtr::conn_insert_failed);
    return nullptr;
  }
  // As the kernel: a new connection counts as inactive until TCP reaches ESTABLISHED.
  Dest& dm = svc.dests[di];
  ++dm.inactconns;
  update_overload_after_bind(dm);
  svc.stats.add_conn();
  svc.extra[di].stats.add_conn();
  L.add(DpCtr::conn_created);
  return c;
}

const LocalAddress* IpvsDataplane::take_local_port(LocalPortPool& pool, const uint16_t* ids, size_t n, size_t start,
                                                   uint16_t* id, uint16_t* port, size_t* taken_at) {
  for (size_t tried = 0; tried < n; ++tried) {
    const size_t at = (start + tried) % n;
    // The address is looked up with the port so that a torn-down id cannot hand out a dangling pointer.
    const LocalAddress* a = pool.address(ids[at]);
    if (a != nullptr && pool.acquire(ids[at], port)) {
      *id = ids[at];
      *taken_at = at;
      return a;
    }
  }
  return nullptr;
}

uint32_t IpvsDataplane::timeout_s(const Conn& c) const {
  if (c.proto != IPPROTO_TCP) return settings_.udp_s();
  switch (static_cast<TcpState>(c.state)) {
    case TcpState::established: return settings_.tcp_s();
    case TcpState::fin_wait: return settings_.tcp_fin_s();
    default: return tcp_timeouts_.of(static_cast<TcpState>(c.state));
  }
}

uint32_t IpvsDataplane::ticks_left(const LcoreIpvs& L, const Conn& c) const {
  const uint32_t idle = L.wheel->now() - c.touched;  // wraps as the wheel's ticks do
  const uint32_t timeout = ticks(timeout_s(c));
  return idle < timeout ? timeout - idle : 0;
}

void IpvsDataplane::release(LcoreIpvs& L, Conn& c) {
  if (c.flags & kConnBound) {
    WorkerService* svc = L.services->at(c.service);
    if (svc != nullptr && svc->uid == c.svc_uid) {
      for (size_t i = 0; i < svc->dests.size(); ++i) {
        const size_t at = (c.dest + i) % svc->dests.size();  // the hint first
        if (svc->extra[at].uid != c.dest_uid) continue;
        Dest& d = svc->dests[at];
        if (c.flags & kConnActive) {
          --d.activeconns;
        } else {
          --d.inactconns;
        }
        update_overload_after_unbind(d);
        break;
      }
      if ((svc->flags & kSvcPersistent) && L.persist) {
        L.persist->keep(*svc, c.family == 4 ? Family::v4 : Family::v6, c.caddr, c.dest_uid,
                        L.wheel->now() / std::max<uint32_t>(1, ticks(1)));
      }
    }
  }
  if (forward_ops(static_cast<ForwardMethod>(c.forward))->needs_laddr) {
    L.laddrs->release(c.laddr_id, rte_be_to_cpu_16(c.lport));
  }
  L.wheel->cancel(c.timer);
  L.conns->free(&c);
}

void IpvsDataplane::on_expire(core::Timer* t, void* ctx) {
  auto* L = static_cast<LcoreIpvs*>(ctx);
  auto* c = reinterpret_cast<Conn*>(reinterpret_cast<char*>(t) - offsetof(Conn, timer));
  const uint32_t left = L->dp->ticks_left(*L, *c);
  if (left != 0) {
    L->wheel->arm(c->timer, L->expire_kind, left);  // packets came since it was armed
    return;
  }
  L->add(DpCtr::conn_expired);
  L->dp->release(*L, *c);
}

}  // namespace fulcrum::ipvs
