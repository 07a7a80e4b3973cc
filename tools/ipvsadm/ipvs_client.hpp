#pragma once
// fulcrumd's IPVS messages over the control socket: lists fetched page by page and checked for size and
// version before use, and the daemon's reason kept next to each error status.

#include <cstdint>
#include <string>
#include <vector>

#include <linux/ip_vs.h>

#include "fulcrum/ctrl/client.hpp"
#include "fulcrum/ctrl/proto/ipvs_conn.hpp"
#include "model.hpp"
#include "wire.hpp"

namespace fulcrum::ipvsadm {

struct Counters {
  uint32_t workers = 0;
  std::vector<std::string> names;
  std::vector<uint64_t> totals;
  std::vector<std::vector<uint64_t>> per_worker;  // [worker][counter]; empty unless asked for
};

class IpvsClient {
 public:
  explicit IpvsClient(ctrl::Client& client) : client_(client) {}

  // Each returns 0 or an errno (the daemon's, or EPROTO for a reply that does not hold what it should);
  // detail() then says why when fulcrumd or the check said so.
  int get_info(uint32_t& version, uint32_t& conn_table_size);
  int get_services(std::vector<Service>& out);
  int get_service(const msg::ServiceKey& key, Service& out);
  int get_dests(Service& svc);
  int get_timeout(ip_vs_timeout_user& out);
  int get_daemons(ip_vs_daemon_user (&out)[2]);
  int get_laddrs(const msg::ServiceKey& key, std::vector<Addr>& out);
  int get_laddr_pool(std::vector<ctrl::ipvs_conn::LaddrEntry>& out);
  int get_conns(std::vector<ctrl::ipvs_conn::ConnEntry>& out);
  int get_counters(bool per_worker, Counters& out);
  int get_vip_bindings(std::vector<VipBinding>& out);
  int get_snat_rules(std::vector<SnatRule>& out);
  // A set request: an extension message or one of the kernel's sockopts.
  int set(uint32_t id, const void* payload, uint32_t len);

  const std::string& detail() const { return detail_; }

 private:
  int call(ctrl::Kind kind, uint32_t id, const void* payload, uint32_t len, std::vector<unsigned char>& out);
  int malformed(const std::string& what);

  ctrl::Client& client_;
  std::string detail_;
};

}  // namespace fulcrum::ipvsadm
