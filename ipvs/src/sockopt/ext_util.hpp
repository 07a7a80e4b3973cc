#pragma once
// Reading and writing the extension records of fulcrum/ctrl/proto/ipvs.hpp: their version, their service
// keys and addresses (both families), and the entries of list replies.

#include "fulcrum/ctrl/proto/ipvs.hpp"
#include "kernel_structs.hpp"
#include "reply.hpp"

namespace fulcrum::ipvs::sockopt {

namespace msg = ctrl::ipvs_msg;

// EPROTO (logged) unless `version` is msg::kVersion.
bool version_ok(uint32_t version, const ctrl::Request& in, ctrl::Response& out, int& rc);
// A family field: 4 or 6, else EINVAL naming `field`.
bool family_ok(uint8_t family, const char* field, ctrl::Response& out, int& rc, Family* f);
// The key's family (EINVAL) and protocol (EFAULT, as the kernel); the address's bytes past the family's
// length are ignored.
bool key_ok(const msg::ServiceKey& wire, ctrl::Response& out, int& rc, ServiceKey* key);
// sched_name_of (kernel_structs.hpp) reads ServiceReq.sched_name too: the same 16 bytes.
// A forwarding method value, EINVAL naming `field` and the value for anything but 0, 2, 3 and 5.
bool forward_ok(uint8_t value, const char* field, ctrl::Response& out, int& rc, ForwardMethod* m);

IpAddr addr_of(const uint8_t (&wire)[msg::kAddrSize], Family f);
void put_key(msg::ServiceKey& wire, const ServiceKey& key);
void put_stats(msg::StatsRates& wire, const Stats& s, const Rates& r);

// The page of a list that [offset, offset + max) selects (max 0: kMaxEntriesPerPage), with its ListHead.
struct Page {
  size_t first = 0;
  size_t count = 0;
};
Page page_of(size_t total, uint32_t offset, uint32_t max);
void put_head(std::vector<unsigned char>& out, size_t total, const Page& p);
// One msg::LaddrAddr record per address: a local-address group, a binding's or an SNAT rule's pool.
void put_laddrs(std::vector<unsigned char>& out, Family f, const std::vector<IpAddr>& addrs);

// Every extension request has one fixed size: the registry refuses any other before the handler runs.
template <class Req>
ctrl::HandlerSpec spec_of(ctrl::Kind kind, uint32_t id, const char* name, ctrl::Handler h) {
  return {kind, id, name, sizeof(Req), sizeof(Req), std::move(h)};
}

}  // namespace fulcrum::ipvs::sockopt
