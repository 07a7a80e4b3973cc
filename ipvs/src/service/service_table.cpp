// The master's services and real servers. The refusals and their errno values follow ip_vs_ctl.c, because
// the bridge hands them to ipvsadm and keepalived as they are.

#include "service_table.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "fulcrum/ipvs/local_port_pool.hpp"
#include "fulcrum/ipvs/scheduler_registry.hpp"

namespace fulcrum::ipvs {
namespace {

std::string svc_name(const ServiceKey& k) { return "service " + to_string(k); }

// Only the family's own bytes of an address mean anything; the rest are zeroed so that keys compare whole.
IpAddr normalised(const IpAddr& a, Family f) {
  IpAddr out;
  std::memcpy(out.bytes.data(), a.bytes.data(), addr_len(f));
  return out;
}

ServiceKey normalised(const ServiceKey& k) {
  ServiceKey out = k;
  out.addr = normalised(k.addr, k.family);
  return out;
}

bool contiguous(uint32_t mask) { return (~mask & (~mask + 1)) == 0; }

// What the kernel accepts as a real server's address: unicast (inet_addr_type / ipv6_addr_type), so not
// 0.0.0.0/8, multicast or the broadcast address; not ::, multicast or link-local.
bool unicast(const IpAddr& a, Family f) {
  const auto& b = a.bytes;
  if (f == Family::v4) {
    if (b[0] == 0 || (b[0] & 0xf0) == 0xe0) return false;
    return !(b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255);
  }
  bool zero = true;
  for (uint8_t x : b) zero = zero && x == 0;
  if (zero || b[0] == 0xff) return false;
  return !(b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
}

bool known_method(ForwardMethod m) {
  switch (m) {
    case ForwardMethod::masq:
    case ForwardMethod::tunnel:
    case ForwardMethod::droute:
    case ForwardMethod::fullnat: return true;
    case ForwardMethod::snat: return false;  // an SNAT rule's, never a real server's
  }
  return false;
}

std::vector<Dest> to_sched_dests(const std::vector<DestSpec>& specs) {
  std::vector<Dest> out(specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    out[i].id = specs[i].id;
    out[i].weight = static_cast<uint32_t>(specs[i].weight);
    out[i].u_threshold = specs[i].u_threshold;
    out[i].l_threshold = specs[i].l_threshold;
  }
  return out;
}

size_t index_of(const std::vector<DestSpec>& dests, const DestId& id) {
  for (size_t i = 0; i < dests.size(); ++i) {
    if (dests[i].id == id) return i;
  }
  return dests.size();
}

// twos draws random numbers: each worker's copy gets a stream of its own.
uint64_t worker_seed(uint64_t base, unsigned worker_index) {
  return base ^ (0x9e3779b97f4a7c15ULL * (uint64_t{worker_index} + 1));
}

}  // namespace

std::unique_ptr<Scheduler> make_service_scheduler(const ServiceSpec& spec, uint64_t seed) {
  if (spec.scheduler == "none") return nullptr;
  SchedConfig cfg = spec.sched;
  cfg.flags = spec.flags;
  cfg.seed = seed;
  return make_scheduler(spec.scheduler, cfg);
}

ServiceTable::ServiceTable(uint32_t max_services) : by_slot_(max_services) {}

MasterService* ServiceTable::find(const ServiceKey& key) const {
  const ServiceKey k = normalised(key);
  for (uint32_t slot : order_) {
    if (by_slot_[slot]->spec.key == k) return by_slot_[slot].get();
  }
  return nullptr;
}

const MasterService* ServiceTable::at(uint32_t slot) const {
  return slot < by_slot_.size() ? by_slot_[slot].get() : nullptr;
}

Status ServiceTable::lookup(const ServiceKey& key, uint32_t* slot) const {
  const MasterService* s = find(key);
  if (s == nullptr) return Status::fail(ESRCH, svc_name(key) + ": no such service");
  *slot = s->slot;
  return {};
}

Status ServiceTable::check_service(const ServiceSpec& spec) const {
  const ServiceKey& k = spec.key;
  if (k.family != Family::v4 && k.family != Family::v6) {
    return Status::fail(EAFNOSUPPORT, "service family " + std::to_string(static_cast<unsigned>(k.family)) +
                                          ": must be IPv4 (4) or IPv6 (6)");
  }
  if (k.protocol != kProtoTcp && k.protocol != kProtoUdp && k.protocol != kProtoSctp) {
    return Status::fail(EFAULT, "service protocol " + std::to_string(k.protocol) +
                                    ": must be TCP (6), UDP (17) or SCTP (132)");
  }
  const std::string who = svc_name(k);
  if (spec.scheduler.size() >= kSchedNameMax) {
    return Status::fail(EINVAL, who + ": scheduler name \"" + spec.scheduler + "\" is longer than " +
                                    std::to_string(kSchedNameMax - 1) + " characters");
  }
  if (spec.scheduler != "none" && !has_scheduler(spec.scheduler)) {
    std::string known = "none";
    for (std::string_view n : scheduler_names()) known += ", " + std::string(n);
    return Status::fail(ENOENT, who + ": scheduler \"" + spec.scheduler + "\" is unknown (known: " + known + ")");
  }
  if (spec.netmask) {
    const uint32_t m = *spec.netmask;
    if (k.family == Family::v6 && (m < 1 || m > 128)) {
      return Status::fail(EINVAL, who + ": netmask " + std::to_string(m) + ": an IPv6 prefix length is 1 to 128");
    }
    if (k.family == Family::v4 && !contiguous(m)) {
      char hex[16];
      std::snprintf(hex, sizeof hex, "0x%08x", m);
      return Status::fail(EINVAL, who + ": netmask " + hex + " is not contiguous");
    }
  }
  return {};
}

Status ServiceTable::add_service(const ServiceSpec& spec, uint32_t* slot) {
  if (Status st = check_service(spec); !st.ok()) return st;
  if (find(spec.key) != nullptr) return Status::fail(EEXIST, svc_name(spec.key) + ": exists already");
  uint32_t free_slot = 0;
  while (free_slot < by_slot_.size() && by_slot_[free_slot]) ++free_slot;
  if (free_slot == by_slot_.size()) {
    return Status::fail(ENOSPC, svc_name(spec.key) + ": no room: at most " + std::to_string(by_slot_.size()) +
                                    " services");
  }
  auto svc = std::make_unique<MasterService>();
  svc->spec = spec;
  svc->spec.key = normalised(spec.key);
  svc->spec.flags &= ~kSvcHashed;
  if (!svc->spec.netmask) svc->spec.netmask = default_netmask(spec.key.family);
  try {
    svc->sched = make_service_scheduler(svc->spec, svc->spec.sched.seed);
    if (svc->sched) svc->sched->rebuild(svc->sched_dests);
  } catch (const std::invalid_argument& e) {
    return Status::fail(EINVAL, svc_name(spec.key) + ": " + e.what());
  }
  svc->slot = free_slot;
  svc->uid = next_uid_++;
  by_slot_[free_slot] = std::move(svc);
  order_.push_back(free_slot);
  *slot = free_slot;
  return {};
}

Status ServiceTable::edit_service(const ServiceSpec& spec, uint32_t* slot) {
  if (Status st = check_service(spec); !st.ok()) return st;
  MasterService* svc = find(spec.key);
  if (svc == nullptr) return Status::fail(ESRCH, svc_name(spec.key) + ": no such service");
  ServiceSpec next = spec;
  next.key = svc->spec.key;
  next.flags &= ~kSvcHashed;
  if (!next.netmask) next.netmask = default_netmask(next.key.family);
  // A new scheduler every time: settings and flags are baked into it, and an edit is rare.
  std::unique_ptr<Scheduler> sched;
  try {
    sched = make_service_scheduler(next, next.sched.seed);
    if (sched) sched->rebuild(svc->sched_dests);
  } catch (const std::invalid_argument& e) {
    return Status::fail(EINVAL, svc_name(spec.key) + ": " + e.what());
  }
  svc->spec = std::move(next);
  svc->sched = std::move(sched);
  svc->prev_index.resize(svc->dests.size());
  for (size_t i = 0; i < svc->prev_index.size(); ++i) svc->prev_index[i] = static_cast<DestIndex>(i);
  *slot = svc->slot;
  return {};
}

Status ServiceTable::del_service(const ServiceKey& key, uint32_t* slot) {
  MasterService* svc = find(key);
  if (svc == nullptr) return Status::fail(ESRCH, svc_name(key) + ": no such service");
  *slot = svc->slot;
  for (uint16_t id : svc->laddr_ids) --laddrs_[id].services;
  std::erase(order_, svc->slot);
  by_slot_[*slot].reset();
  return {};
}

Status ServiceTable::check_dest(const MasterService& svc, const DestSpec& d) const {
  const std::string who = svc_name(svc.spec.key) + ": real server " + to_string(d.id);
  if (d.id.family != svc.spec.key.family) {
    return Status::fail(EINVAL, who + ": its family differs from the service's (mixed families are not supported)");
  }
  if (!unicast(d.id.addr, d.id.family)) return Status::fail(EINVAL, who + ": the address is not unicast");
  if (d.weight < 0 || static_cast<uint32_t>(d.weight) > kMaxWeight) {
    return Status::fail(ERANGE, who + ": weight " + std::to_string(d.weight) + " is out of range (0 to " +
                                    std::to_string(kMaxWeight) + ")");
  }
  if (d.l_threshold > d.u_threshold) {
    return Status::fail(ERANGE, who + ": lower threshold " + std::to_string(d.l_threshold) +
                                    " is above the upper threshold " + std::to_string(d.u_threshold));
  }
  if (!known_method(d.forward)) {
    return Status::fail(EINVAL, who + ": forwarding method " + std::to_string(static_cast<unsigned>(d.forward)) +
                                    " is not one of masq (0), tunnel (2), droute (3), fullnat (5)");
  }
  return {};
}

Status ServiceTable::commit_dests(MasterService& svc, std::vector<DestSpec> dests, std::vector<DestIndex> prev) {
  std::vector<uint32_t> uids(dests.size());
  for (size_t i = 0; i < uids.size(); ++i) {
    uids[i] = prev[i] < svc.dest_uids.size() ? svc.dest_uids[prev[i]] : next_uid_;
  }
  std::vector<Dest> candidate = to_sched_dests(dests);
  if (svc.sched) {
    try {
      svc.sched->rebuild(candidate);  // on a refusal it stays bound to the array it had
    } catch (const std::invalid_argument& e) {
      return Status::fail(EINVAL, svc_name(svc.spec.key) + ": scheduler " + svc.spec.scheduler +
                                      " refuses the real servers: " + e.what());
    }
  }
  for (uint32_t& u : uids) {
    if (u == next_uid_) u = next_uid_++;
  }
  svc.dests = std::move(dests);
  svc.dest_uids = std::move(uids);
  svc.sched_dests = std::move(candidate);
  if (svc.sched) svc.sched->bind(svc.sched_dests);  // a moved vector keeps its buffer; bind says so explicitly
  svc.prev_index = std::move(prev);
  return {};
}

Status ServiceTable::add_dest(const ServiceKey& key, const DestSpec& dest, uint32_t* slot) {
  MasterService* svc = find(key);
  if (svc == nullptr) return Status::fail(ESRCH, svc_name(key) + ": no such service");
  DestSpec d = dest;
  d.id.addr = normalised(dest.id.addr, dest.id.family);
  if (Status st = check_dest(*svc, d); !st.ok()) return st;
  if (index_of(svc->dests, d.id) != svc->dests.size()) {
    return Status::fail(EEXIST, svc_name(key) + ": real server " + to_string(d.id) + " exists already");
  }
  std::vector<DestSpec> next = svc->dests;
  next.push_back(d);
  std::vector<DestIndex> prev(next.size());
  for (size_t i = 0; i < prev.size(); ++i) prev[i] = i + 1 < prev.size() ? static_cast<DestIndex>(i) : kNoDest;
  if (Status st = commit_dests(*svc, std::move(next), std::move(prev)); !st.ok()) return st;
  *slot = svc->slot;
  return {};
}

Status ServiceTable::edit_dest(const ServiceKey& key, const DestSpec& dest, uint32_t* slot) {
  MasterService* svc = find(key);
  if (svc == nullptr) return Status::fail(ESRCH, svc_name(key) + ": no such service");
  DestSpec d = dest;
  d.id.addr = normalised(dest.id.addr, dest.id.family);
  // The kernel checks the values before it looks the dest up.
  if (Status st = check_dest(*svc, d); !st.ok()) return st;
  const size_t at = index_of(svc->dests, d.id);
  if (at == svc->dests.size()) {
    return Status::fail(ENOENT, svc_name(key) + ": real server " + to_string(d.id) + ": no such real server");
  }
  std::vector<DestSpec> next = svc->dests;
  next[at] = d;
  std::vector<DestIndex> prev(next.size());
  for (size_t i = 0; i < prev.size(); ++i) prev[i] = static_cast<DestIndex>(i);
  if (Status st = commit_dests(*svc, std::move(next), std::move(prev)); !st.ok()) return st;
  *slot = svc->slot;
  return {};
}

Status ServiceTable::del_dest(const ServiceKey& key, const DestId& dest, uint32_t* slot) {
  MasterService* svc = find(key);
  if (svc == nullptr) return Status::fail(ESRCH, svc_name(key) + ": no such service");
  DestId id = dest;
  id.addr = normalised(dest.addr, dest.family);
  const size_t at = index_of(svc->dests, id);
  if (at == svc->dests.size()) {
    return Status::fail(ENOENT, svc_name(key) + ": real server " + to_string(id) + ": no such real server");
  }
  std::vector<DestSpec> next = svc->dests;
  next.erase(next.begin() + static_cast<std::ptrdiff_t>(at));
  std::vector<DestIndex> prev(next.size());
  for (size_t i = 0; i < prev.size(); ++i) prev[i] = static_cast<DestIndex>(i < at ? i : i + 1);
  if (Status st = commit_dests(*svc, std::move(next), std::move(prev)); !st.ok()) return st;
  *slot = svc->slot;
  return {};
}

Status ServiceTable::add_laddr(const ServiceKey& key, const IpAddr& addr, uint32_t* slot, uint16_t* id,
                                bool* fresh) {
  MasterService* svc = find(key);
  if (svc == nullptr) return Status::fail(ESRCH, svc_name(key) + ": no such service");
  const Family f = svc->spec.key.family;
  const IpAddr a = normalised(addr, f);
  const std::string who = svc_name(key) + ": local address " + to_string(f, a);
  if (!unicast(a, f)) return Status::fail(EINVAL, who + ": not a unicast address");
  uint16_t found = static_cast<uint16_t>(laddrs_.size());
  for (size_t i = 0; i < laddrs_.size(); ++i) {
    if (laddrs_[i].family == f && laddrs_[i].addr == a) found = static_cast<uint16_t>(i);
  }
  for (uint16_t held : svc->laddr_ids) {
    if (held == found) return Status::fail(EEXIST, who + ": already in the service's group");
  }
  if (svc->laddr_ids.size() >= kMaxLaddrsPerService) {
    return Status::fail(ENOSPC, who + ": a group holds at most " + std::to_string(kMaxLaddrsPerService) +
                                    " addresses");
  }
  if (Status st = intern_laddr(f, a, who, id, fresh); !st.ok()) return st;
  svc->laddr_ids.push_back(*id);
  *slot = svc->slot;
  return {};
}

Status ServiceTable::intern_laddr(Family f, const IpAddr& addr, const std::string& who, uint16_t* id, bool* fresh) {
  const IpAddr a = normalised(addr, f);
  if (!unicast(a, f)) return Status::fail(EINVAL, who + ": not a unicast address");
  uint16_t found = static_cast<uint16_t>(laddrs_.size());
  for (size_t i = 0; i < laddrs_.size(); ++i) {
    if (laddrs_[i].family == f && laddrs_[i].addr == a) found = static_cast<uint16_t>(i);
  }
  *fresh = found == laddrs_.size();
  if (*fresh) {
    if (laddrs_.size() >= kMaxLaddrs) {
      return Status::fail(ENOSPC, who + ": at most " + std::to_string(kMaxLaddrs) + " local addresses in all");
    }
    laddrs_.push_back(Laddr{f, a, 0});
  }
  ++laddrs_[found].services;
  *id = found;
  return {};
}

Status ServiceTable::del_laddr(const ServiceKey& key, const IpAddr& addr, uint32_t* slot) {
  MasterService* svc = find(key);
  if (svc == nullptr) return Status::fail(ESRCH, svc_name(key) + ": no such service");
  const Family f = svc->spec.key.family;
  const IpAddr a = normalised(addr, f);
  for (size_t i = 0; i < svc->laddr_ids.size(); ++i) {
    Laddr& l = laddrs_[svc->laddr_ids[i]];
    if (l.family == f && l.addr == a) {
      --l.services;
      svc->laddr_ids.erase(svc->laddr_ids.begin() + static_cast<std::ptrdiff_t>(i));
      *slot = svc->slot;
      return {};
    }
  }
  return Status::fail(ENOENT, svc_name(key) + ": local address " + to_string(f, a) +
                                  ": not in the service's group");
}

std::unique_ptr<WorkerService> ServiceTable::build_worker_copy(uint32_t slot, unsigned worker_index) const {
  const MasterService* svc = at(slot);
  if (svc == nullptr) return nullptr;
  auto c = std::make_unique<WorkerService>(svc->dests.size());
  c->key = svc->spec.key;
  c->slot = slot;
  c->uid = svc->uid;
  c->toa = svc->spec.toa;
  c->laddr_ids = svc->laddr_ids;
  c->flags = svc->spec.flags;
  c->timeout_s = svc->spec.timeout_s;
  c->netmask = *svc->spec.netmask;
  c->forward = svc->spec.forward;
  c->scheduler_name = svc->spec.scheduler;
  for (size_t i = 0; i < svc->dests.size(); ++i) {
    c->dests[i] = svc->sched_dests[i];
    c->extra[i].forward = svc->dests[i].forward;
    c->extra[i].uid = svc->dest_uids[i];
    if (i < svc->prev_index.size()) c->prev_index[i] = svc->prev_index[i];
  }
  if (svc->sched) {
    if (svc->spec.scheduler == "twos") {
      c->scheduler = make_service_scheduler(svc->spec, worker_seed(svc->spec.sched.seed, worker_index));
      c->scheduler->rebuild(c->dests);
    } else {
      // The prototype's derived tables (mh's, conhash's ring) are copied, not recomputed.
      c->scheduler = svc->sched->clone();
      if (!c->scheduler->bind(c->dests)) throw std::logic_error("ipvs: a scheduler clone refused its copy");
    }
  }
  return c;
}

}  // namespace fulcrum::ipvs
