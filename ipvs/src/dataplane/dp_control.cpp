// The dataplane's control messages (ctrl/proto/ipvs_conn.hpp): connection listings, each page written by
// the worker that owns the table into the master's buffer during a synchronous call; the per-worker
// counters, read directly (their worker writes them as relaxed words); the local-address pools.

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

#include "fulcrum/ctrl/proto/ipvs_conn.hpp"
#include "fulcrum/ctrl/registry.hpp"
#include "ipvs_dataplane.hpp"

namespace fulcrum::ipvs {
namespace {

namespace msg = ctrl::ipvs_conn;
constexpr auto kCallTimeout = std::chrono::milliseconds(500);

template <class T>
void append(std::vector<unsigned char>& out, const T* items, size_t n) {
  const auto* p = reinterpret_cast<const unsigned char*>(items);
  out.insert(out.end(), p, p + n * sizeof(T));
}

int fail(ctrl::Response& out, int status, const std::string& text) {
  out.message(text);
  return status;
}

template <class T>
T read(const ctrl::Request& in) {
  T v{};
  std::memcpy(&v, in.payload.data(), sizeof v);
  return v;
}

}  // namespace

int IpvsDataplane::on_conn_dump(IpvsDataplane* self, const ConnDumpMsg& m, ConnDumpReply& reply) {
  LcoreIpvs* L = self->lcore();
  if (L == nullptr) return EINVAL;
  auto* out = static_cast<msg::ConnEntry*>(m.out);
  const ConnTable& t = *L->conns;
  uint32_t id = m.cursor;
  uint32_t n = 0;
  for (; id < t.capacity() && n < m.max; ++id) {
    if (!t.in_use(id)) continue;
    const Conn& c = *t.at(id);
    msg::ConnEntry& e = out[n++];
    std::memset(&e, 0, sizeof e);
    e.protocol = c.proto;
    e.family = c.family;
    e.state = c.state;
    e.forward = c.forward;
    e.flags = static_cast<uint16_t>(((c.flags & kConnActive) ? msg::conn_active : 0) |
                                    ((c.flags & kConnToaSent) ? msg::conn_toa_sent : 0));
    std::memcpy(e.caddr, c.caddr, 16);
    std::memcpy(e.vaddr, c.vaddr, 16);
    std::memcpy(e.laddr, c.laddr, 16);
    std::memcpy(e.daddr, c.daddr, 16);
    e.cport = c.cport;
    e.vport = c.vport;
    e.lport = c.lport;
    e.dport = c.dport;
    const uint32_t left = c.timer.armed() ? self->ticks_left(*L, c) : 0;
    e.expires_ms = static_cast<uint32_t>(uint64_t{left} * self->tick_us_ / 1000);
    e.worker = L->worker;
    const char* name = c.proto == IPPROTO_TCP ? tcp_state_name(static_cast<TcpState>(c.state)) : "UDP";
    std::strncpy(e.state_name, name, sizeof e.state_name - 1);
  }
  reply.count = n;
  // Past the last entry: done.
  uint32_t next = id;
  while (next < t.capacity() && !t.in_use(next)) ++next;
  reply.next_cursor = next < t.capacity() ? next : 0;
  reply.total = t.size();
  return 0;
}

struct DpControl {
  static int get_conns(IpvsDataplane& dp, const ctrl::Request& in, ctrl::Response& out) {
    const auto q = read<msg::ConnQuery>(in);
    if (q.version != msg::kVersion) {
      return fail(out, EPROTO, "connection query version " + std::to_string(q.version) + ": expected " +
                                   std::to_string(msg::kVersion));
    }
    if (q.worker >= dp.workers()) {
      return fail(out, EINVAL, "worker " + std::to_string(q.worker) + ": there are " +
                                   std::to_string(dp.workers()) + " workers");
    }
    if (q.max == 0 || q.max > msg::kMaxConnsPerPage) {
      return fail(out, EINVAL, "max " + std::to_string(q.max) + ": must be 1 to " +
                                   std::to_string(msg::kMaxConnsPerPage));
    }
    std::vector<msg::ConnEntry> entries(q.max);
    const unsigned lcore = dp.worker(q.worker).lcore;
    const core::CallResult r =
        dp.dump_msg_->call(lcore, IpvsDataplane::ConnDumpMsg{entries.data(), q.cursor, q.max}, kCallTimeout);
    if (!r.ok()) {
      // A worker that answers late still writes into `entries`: keep them alive for ever rather than free them
      // under its feet (a rare leak, logged by the bus).
      if (r.status == ETIMEDOUT) new std::vector<msg::ConnEntry>(std::move(entries));
      return fail(out, r.status, r.error);
    }
    IpvsDataplane::ConnDumpReply rep{};
    std::memcpy(&rep, r.replies[0].bytes.data(), sizeof rep);
    const msg::ConnListHead head{msg::kVersion, rep.count, rep.next_cursor, dp.workers(), q.worker, rep.total};
    append(out.payload, &head, 1);
    append(out.payload, entries.data(), rep.count);
    return 0;
  }

  static int get_counters(IpvsDataplane& dp, const ctrl::Request& in, ctrl::Response& out) {
    const auto q = read<msg::CountersQuery>(in);
    if (q.version != msg::kVersion) {
      return fail(out, EPROTO, "counters query version " + std::to_string(q.version) + ": expected " +
                                   std::to_string(msg::kVersion));
    }
    const msg::CountersHead head{msg::kVersion, kDpCounters, dp.workers(), 0};
    append(out.payload, &head, 1);
    std::vector<uint64_t> totals(kDpCounters, 0);
    for (unsigned w = 0; w < dp.workers(); ++w) {
      for (unsigned i = 0; i < kDpCounters; ++i) totals[i] += dp.worker(w).ctr.get(static_cast<DpCtr>(i));
    }
    append(out.payload, totals.data(), totals.size());
    if (q.per_worker == 0) return 0;
    for (unsigned w = 0; w < dp.workers(); ++w) {
      for (unsigned i = 0; i < kDpCounters; ++i) {
        const uint64_t v = dp.worker(w).ctr.get(static_cast<DpCtr>(i));
        append(out.payload, &v, 1);
      }
    }
    return 0;
  }

  static int get_counter_names(IpvsDataplane& dp, const ctrl::Request&, ctrl::Response& out) {
    const msg::CountersHead head{msg::kVersion, kDpCounters, dp.workers(), 0};
    append(out.payload, &head, 1);
    for (const char* name : kDpCounterNames) {
      char field[msg::kCounterNameSize] = {};
      std::strncpy(field, name, sizeof field - 1);
      append(out.payload, field, sizeof field);
    }
    return 0;
  }

  static int get_laddrs(IpvsDataplane& dp, const ctrl::Request&, ctrl::Response& out) {
    const std::vector<LaddrInfo> all = dp.services_.all_laddrs();
    std::vector<msg::LaddrEntry> entries;
    for (unsigned w = 0; w < dp.workers(); ++w) {
      const LocalPortPool& pool = *dp.worker(w).laddrs;
      for (const LaddrInfo& l : all) {
        msg::LaddrEntry e{};
        e.family = static_cast<uint8_t>(l.family);
        e.worker = w;
        std::memcpy(e.addr, l.addr.bytes.data(), 16);
        e.ports = static_cast<uint32_t>(pool.ports_per_address());
        // A size read while the worker pops and pushes: a snapshot, as every counter here is.
        e.free_ports = static_cast<uint32_t>(pool.free_ports(l.id));
        e.services = l.services;
        entries.push_back(e);
      }
    }
    const msg::LaddrListHead head{msg::kVersion, static_cast<uint32_t>(entries.size())};
    append(out.payload, &head, 1);
    append(out.payload, entries.data(), entries.size());
    return 0;
  }
};

void register_dataplane_handlers(ctrl::Registry& reg, IpvsDataplane& dp) {
  reg.add("ipvs", {ctrl::Kind::get, msg::kGetConns, "ipvs.conns", sizeof(msg::ConnQuery), sizeof(msg::ConnQuery),
                   [&dp](const ctrl::Request& in, ctrl::Response& out) { return DpControl::get_conns(dp, in, out); }});
  reg.add("ipvs", {ctrl::Kind::get, msg::kGetCounters, "ipvs.counters", sizeof(msg::CountersQuery),
                   sizeof(msg::CountersQuery),
                   [&dp](const ctrl::Request& in, ctrl::Response& out) { return DpControl::get_counters(dp, in, out); }});
  reg.add("ipvs", {ctrl::Kind::get, msg::kGetCounterNames, "ipvs.counter_names", 0, 0,
                   [&dp](const ctrl::Request& in, ctrl::Response& out) {
                     return DpControl::get_counter_names(dp, in, out);
                   }});
  reg.add("ipvs", {ctrl::Kind::get, msg::kGetLaddrs, "ipvs.laddrs", 0, 0,
                   [&dp](const ctrl::Request& in, ctrl::Response& out) { return DpControl::get_laddrs(dp, in, out); }});
}

}  // namespace fulcrum::ipvs
