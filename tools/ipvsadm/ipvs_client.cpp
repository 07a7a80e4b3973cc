// Calls to fulcrumd (see ipvs_client.hpp). Every reply is checked against its declared count before a
// record is read: a daemon of another version gets an error, never a read past the payload.

#include "ipvs_client.hpp"

#include <cerrno>
#include <cstring>

#include "listing.hpp"

namespace fulcrum::ipvsadm {
namespace {

namespace conn = ctrl::ipvs_conn;

template <class T>
T read_at(const std::vector<unsigned char>& p, size_t offset) {
  T v;
  std::memcpy(&v, p.data() + offset, sizeof v);
  return v;
}

}  // namespace

int IpvsClient::call(ctrl::Kind kind, uint32_t id, const void* payload, uint32_t len, std::vector<unsigned char>& out) {
  detail_.clear();
  ctrl::CallReply r = client_.call(kind, id, payload, len);
  if (r.status != 0) {
    if (!r.payload.empty()) {
      detail_.assign(reinterpret_cast<const char*>(r.payload.data()), r.payload.size());
      while (!detail_.empty() && (detail_.back() == '\0' || detail_.back() == '\n')) detail_.pop_back();
    }
    return r.status;
  }
  out = std::move(r.payload);
  return 0;
}

int IpvsClient::malformed(const std::string& what) {
  detail_ = "malformed reply from fulcrumd: " + what;
  return EPROTO;
}

int IpvsClient::set(uint32_t id, const void* payload, uint32_t len) {
  std::vector<unsigned char> ignored;
  return call(ctrl::Kind::set, id, payload, len, ignored);
}

int IpvsClient::get_info(uint32_t& version, uint32_t& conn_table_size) {
  // The kernel's GET_INFO, so that the heading shows what stock ipvsadm shows for the same daemon.
  ip_vs_getinfo info{};
  std::vector<unsigned char> p;
  const int err = call(ctrl::Kind::get, IP_VS_SO_GET_INFO, &info, sizeof info, p);
  if (err == 0) {
    if (p.size() < sizeof info) return malformed("GET_INFO of " + std::to_string(p.size()) + " bytes");
    std::memcpy(&info, p.data(), sizeof info);
    version = info.version;
    conn_table_size = info.size;
    return 0;
  }
  if (err != EOPNOTSUPP) return err;
  // A daemon without the sockopt view still has the extension's.
  const msg::VersionQuery q{msg::kVersion};
  if (int e = call(ctrl::Kind::get, msg::kGetInfo, &q, sizeof q, p)) return e;
  if (p.size() != sizeof(msg::Info)) return malformed("info of " + std::to_string(p.size()) + " bytes");
  const auto ext = read_at<msg::Info>(p, 0);
  // The extension's version is its own message version; the heading shows the kernel's IPVS version.
  version = kIpvsVersionCode;
  conn_table_size = ext.conn_table_size;
  return 0;
}

int IpvsClient::get_services(std::vector<Service>& out) {
  out.clear();
  uint32_t offset = 0;
  for (;;) {
    msg::ListQuery q{};
    q.version = msg::kVersion;
    q.family = msg::family_any;
    q.offset = offset;
    std::vector<unsigned char> p;
    if (int err = call(ctrl::Kind::get, msg::kGetServices, &q, sizeof q, p)) return err;
    if (p.size() < sizeof(msg::ListHead)) return malformed("service list of " + std::to_string(p.size()) + " bytes");
    const auto head = read_at<msg::ListHead>(p, 0);
    if (head.version != msg::kVersion) return malformed("service list version " + std::to_string(head.version));
    if (p.size() != sizeof head + size_t{head.count} * sizeof(msg::ServiceEntry)) {
      return malformed("service list of " + std::to_string(p.size()) + " bytes for " + std::to_string(head.count));
    }
    for (uint32_t i = 0; i < head.count; ++i) {
      out.push_back(decode_service(read_at<msg::ServiceEntry>(p, sizeof head + i * sizeof(msg::ServiceEntry))));
    }
    offset += head.count;
    if (head.count == 0 || offset >= head.total) return 0;
  }
}

int IpvsClient::get_service(const msg::ServiceKey& key, Service& out) {
  msg::ServiceKeyQuery q{};
  q.version = msg::kVersion;
  q.key = key;
  std::vector<unsigned char> p;
  if (int err = call(ctrl::Kind::get, msg::kGetService, &q, sizeof q, p)) return err;
  if (p.size() != sizeof(msg::ListHead) + sizeof(msg::ServiceEntry)) {
    return malformed("service of " + std::to_string(p.size()) + " bytes");
  }
  const auto head = read_at<msg::ListHead>(p, 0);
  if (head.version != msg::kVersion || head.count != 1) return malformed("service reply with a bad head");
  out = decode_service(read_at<msg::ServiceEntry>(p, sizeof head));
  return 0;
}

int IpvsClient::get_dests(Service& svc) {
  svc.dests.clear();
  uint32_t offset = 0;
  for (;;) {
    msg::DestQuery q{};
    q.version = msg::kVersion;
    q.key = encode_key(svc);
    q.offset = offset;
    std::vector<unsigned char> p;
    if (int err = call(ctrl::Kind::get, msg::kGetDests, &q, sizeof q, p)) return err;
    if (p.size() < sizeof(msg::ListHead)) return malformed("dest list of " + std::to_string(p.size()) + " bytes");
    const auto head = read_at<msg::ListHead>(p, 0);
    if (head.version != msg::kVersion) return malformed("dest list version " + std::to_string(head.version));
    if (p.size() != sizeof head + size_t{head.count} * sizeof(msg::DestEntry)) {
      return malformed("dest list of " + std::to_string(p.size()) + " bytes for " + std::to_string(head.count));
    }
    for (uint32_t i = 0; i < head.count; ++i) {
      svc.dests.push_back(decode_dest(read_at<msg::DestEntry>(p, sizeof head + i * sizeof(msg::DestEntry))));
    }
    offset += head.count;
    if (head.count == 0 || offset >= head.total) return 0;
  }
}

int IpvsClient::get_timeout(ip_vs_timeout_user& out) {
  ip_vs_timeout_user t{};
  std::vector<unsigned char> p;
  if (int err = call(ctrl::Kind::get, IP_VS_SO_GET_TIMEOUT, &t, sizeof t, p)) return err;
  if (p.size() < sizeof t) return malformed("GET_TIMEOUT of " + std::to_string(p.size()) + " bytes");
  std::memcpy(&out, p.data(), sizeof out);
  return 0;
}

int IpvsClient::get_daemons(ip_vs_daemon_user (&out)[2]) {
  ip_vs_daemon_user d[2]{};
  std::vector<unsigned char> p;
  if (int err = call(ctrl::Kind::get, IP_VS_SO_GET_DAEMON, d, sizeof d, p)) return err;
  if (p.size() < sizeof d) return malformed("GET_DAEMON of " + std::to_string(p.size()) + " bytes");
  std::memcpy(out, p.data(), sizeof d);
  return 0;
}

int IpvsClient::get_laddrs(const msg::ServiceKey& key, std::vector<Addr>& out) {
  out.clear();
  msg::ServiceKeyQuery q{};
  q.version = msg::kVersion;
  q.key = key;
  std::vector<unsigned char> p;
  if (int err = call(ctrl::Kind::get, msg::kGetLaddrs, &q, sizeof q, p)) return err;
  if (p.size() < sizeof(msg::ListHead))
    return malformed("local address list of " + std::to_string(p.size()) + " bytes");
  const auto head = read_at<msg::ListHead>(p, 0);
  if (head.version != msg::kVersion || p.size() != sizeof head + size_t{head.count} * sizeof(msg::LaddrAddr)) {
    return malformed("local address list with a bad head");
  }
  for (uint32_t i = 0; i < head.count; ++i) {
    const auto a = read_at<msg::LaddrAddr>(p, sizeof head + i * sizeof(msg::LaddrAddr));
    out.push_back(decode_addr(a.family, a.addr));
  }
  return 0;
}

int IpvsClient::get_vip_bindings(std::vector<VipBinding>& out) {
  out.clear();
  const msg::VersionQuery q{msg::kVersion};
  std::vector<unsigned char> p;
  if (int err = call(ctrl::Kind::get, msg::kGetVipBindings, &q, sizeof q, p)) return err;
  if (p.size() < sizeof(msg::ListHead)) return malformed("binding list of " + std::to_string(p.size()) + " bytes");
  const auto head = read_at<msg::ListHead>(p, 0);
  if (head.version != msg::kVersion) return malformed("binding list with a bad head");
  // Each entry is followed by its local addresses: walk them, checking every length before reading.
  size_t at = sizeof head;
  for (uint32_t i = 0; i < head.count; ++i) {
    if (p.size() < at + sizeof(msg::VipBindingEntry)) return malformed("binding list cut short");
    const auto e = read_at<msg::VipBindingEntry>(p, at);
    at += sizeof e;
    if ((p.size() - at) / sizeof(msg::LaddrAddr) < e.num_laddrs) return malformed("binding list cut short");
    VipBinding b;
    b.vip = decode_addr(e.family, e.vip);
    b.forward = e.forward;
    b.toa_off = e.toa_off != 0;
    for (uint32_t j = 0; j < e.num_laddrs; ++j, at += sizeof(msg::LaddrAddr)) {
      const auto a = read_at<msg::LaddrAddr>(p, at);
      b.laddrs.push_back(decode_addr(a.family, a.addr));
    }
    out.push_back(std::move(b));
  }
  if (at != p.size()) return malformed("binding list with trailing bytes");
  return 0;
}

int IpvsClient::get_snat_rules(std::vector<SnatRule>& out) {
  out.clear();
  const msg::VersionQuery q{msg::kVersion};
  std::vector<unsigned char> p;
  if (int err = call(ctrl::Kind::get, msg::kGetSnatRules, &q, sizeof q, p)) return err;
  if (p.size() < sizeof(msg::ListHead)) return malformed("SNAT rule list of " + std::to_string(p.size()) + " bytes");
  const auto head = read_at<msg::ListHead>(p, 0);
  if (head.version != msg::kVersion) return malformed("SNAT rule list with a bad head");
  // Each entry is followed by its pool: walk them, checking every length before reading.
  size_t at = sizeof head;
  for (uint32_t i = 0; i < head.count; ++i) {
    if (p.size() < at + sizeof(msg::SnatRuleEntry)) return malformed("SNAT rule list cut short");
    const auto e = read_at<msg::SnatRuleEntry>(p, at);
    at += sizeof e;
    if ((p.size() - at) / sizeof(msg::LaddrAddr) < e.num_laddrs) return malformed("SNAT rule list cut short");
    SnatRule r;
    r.source = decode_addr(e.family, e.source);
    r.prefix = e.prefix;
    r.protocol = e.protocol;
    r.dport_min = e.dport_min;
    r.dport_max = e.dport_max;
    for (uint32_t j = 0; j < e.num_laddrs; ++j, at += sizeof(msg::LaddrAddr)) {
      const auto a = read_at<msg::LaddrAddr>(p, at);
      r.laddrs.push_back(decode_addr(a.family, a.addr));
    }
    out.push_back(std::move(r));
  }
  if (at != p.size()) return malformed("SNAT rule list with trailing bytes");
  return 0;
}

int IpvsClient::get_laddr_pool(std::vector<conn::LaddrEntry>& out) {
  out.clear();
  std::vector<unsigned char> p;
  if (int err = call(ctrl::Kind::get, conn::kGetLaddrs, nullptr, 0, p)) return err;
  if (p.size() < sizeof(conn::LaddrListHead))
    return malformed("local address pool of " + std::to_string(p.size()) + " bytes");
  const auto head = read_at<conn::LaddrListHead>(p, 0);
  if (head.version != conn::kVersion || p.size() != sizeof head + size_t{head.count} * sizeof(conn::LaddrEntry)) {
    return malformed("local address pool with a bad head");
  }
  for (uint32_t i = 0; i < head.count; ++i)
    out.push_back(read_at<conn::LaddrEntry>(p, sizeof head + i * sizeof(conn::LaddrEntry)));
  return 0;
}

int IpvsClient::get_conns(std::vector<conn::ConnEntry>& out) {
  out.clear();
  uint32_t workers = 1;
  for (uint32_t w = 0; w < workers; ++w) {
    uint32_t cursor = 0;
    do {
      const conn::ConnQuery q{conn::kVersion, w, cursor, conn::kMaxConnsPerPage};
      std::vector<unsigned char> p;
      if (int err = call(ctrl::Kind::get, conn::kGetConns, &q, sizeof q, p)) return err;
      if (p.size() < sizeof(conn::ConnListHead))
        return malformed("connection list of " + std::to_string(p.size()) + " bytes");
      const auto head = read_at<conn::ConnListHead>(p, 0);
      if (head.version != conn::kVersion || p.size() != sizeof head + size_t{head.count} * sizeof(conn::ConnEntry)) {
        return malformed("connection list with a bad head");
      }
      workers = head.workers;
      for (uint32_t i = 0; i < head.count; ++i)
        out.push_back(read_at<conn::ConnEntry>(p, sizeof head + i * sizeof(conn::ConnEntry)));
      // A cursor that does not move would loop for ever.
      if (head.next_cursor != 0 && head.next_cursor == cursor) return malformed("connection cursor does not move");
      cursor = head.next_cursor;
    } while (cursor != 0);
  }
  return 0;
}

int IpvsClient::get_counters(bool per_worker, Counters& out) {
  out = Counters{};
  std::vector<unsigned char> p;
  if (int err = call(ctrl::Kind::get, conn::kGetCounterNames, nullptr, 0, p)) return err;
  if (p.size() < sizeof(conn::CountersHead))
    return malformed("counter names of " + std::to_string(p.size()) + " bytes");
  auto head = read_at<conn::CountersHead>(p, 0);
  if (head.version != conn::kVersion || p.size() != sizeof head + size_t{head.counter_count} * conn::kCounterNameSize) {
    return malformed("counter names with a bad head");
  }
  for (uint32_t i = 0; i < head.counter_count; ++i) {
    const char* n = reinterpret_cast<const char*>(p.data() + sizeof head + i * conn::kCounterNameSize);
    out.names.emplace_back(n, strnlen(n, conn::kCounterNameSize));
  }
  const uint32_t count = head.counter_count;

  const conn::CountersQuery q{conn::kVersion, per_worker ? 1u : 0u};
  if (int err = call(ctrl::Kind::get, conn::kGetCounters, &q, sizeof q, p)) return err;
  if (p.size() < sizeof(conn::CountersHead)) return malformed("counters of " + std::to_string(p.size()) + " bytes");
  head = read_at<conn::CountersHead>(p, 0);
  const size_t rows = per_worker ? size_t{1} + head.workers : 1;
  if (head.version != conn::kVersion || head.counter_count != count ||
      p.size() != sizeof head + rows * count * sizeof(uint64_t)) {
    return malformed("counters with a bad head");
  }
  out.workers = head.workers;
  size_t at = sizeof head;
  for (uint32_t i = 0; i < count; ++i, at += sizeof(uint64_t)) out.totals.push_back(read_at<uint64_t>(p, at));
  if (per_worker) {
    for (uint32_t w = 0; w < head.workers; ++w) {
      std::vector<uint64_t> row;
      for (uint32_t i = 0; i < count; ++i, at += sizeof(uint64_t)) row.push_back(read_at<uint64_t>(p, at));
      out.per_worker.push_back(std::move(row));
    }
  }
  return 0;
}

}  // namespace fulcrum::ipvsadm
