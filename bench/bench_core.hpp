#pragma once
// One worker's connection core, in process and without the daemon, for the lifecycle benchmark: the
// dataplane test's way (test/unit/ipvs/dataplane_test_util.hpp) of constructing netif, inet and the
// dataplane without initialising them, plus a service with real servers, enough FullNAT local addresses for
// millions of flows, and a burst runner that is IpvsDataplane::process without Inet::output.
//
// Why without output: output is a route and neighbour lookup and a port's tx burst, which need the whole
// daemon; the replay benchmark (bench/run.sh) measures the daemon whole. What runs here is the balancer's
// own work: parse, connection lookup, scheduling and creation on a miss, state, timer and rewrite.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <rte_mbuf.h>

#include "conn/conn.hpp"
#include "dataplane/ipvs_dataplane.hpp"
#include "dataplane/lcore_ipvs.hpp"
#include "fulcrum/core/timer_wheel.hpp"
#include "fulcrum/inet/inet.hpp"
#include "fulcrum/ipvs/conn_settings.hpp"
#include "fulcrum/ipvs/local_port_pool.hpp"
#include "fulcrum/ipvs/service_manager.hpp"
#include "fulcrum/ipvs/worker_service.hpp"
#include "fulcrum/netif/netif.hpp"

namespace fulcrum::netif {
class Dataplane;
}

namespace fulcrum::bench {

// EAL without hugepages or PCI on the first CPU this process may use.
void start_eal(const char* name, unsigned mem_mb);

struct CoreConfig {
  uint32_t conn_max = 1 << 16;
  uint8_t proto = IPPROTO_TCP;
  uint32_t vip = 0xcb00710a;  // 203.0.113.10
  uint16_t vport = 80;
  unsigned dests = 8;                   // 10.0.1.1.. port 8080
  std::string scheduler = "rr";
  ipvs::ForwardMethod method = ipvs::ForwardMethod::fullnat;
  uint64_t flows = 1 << 16;             // sizes the local-address group: 64512 ports each
};

inline constexpr uint32_t kDestBase = 0x0a000101;  // 10.0.1.1
inline constexpr uint16_t kDestPort = 8080;
inline constexpr uint32_t kLaddrBase = 0x0a000a01;  // 10.0.10.1

class BenchCore {
 public:
  explicit BenchCore(const CoreConfig& cfg);
  ~BenchCore();
  BenchCore(const BenchCore&) = delete;
  BenchCore& operator=(const BenchCore&) = delete;

  // The path over `n` IPv4 packets (data at the IP header, l3_len set). ok[i]: the balancer forwarded pkts[i]
  // (rewritten in place); anything else it refused. The mbufs stay the caller's either way.
  unsigned run(rte_mbuf** pkts, uint16_t n, bool* ok);
  // Moves the worker's clock on by `seconds`, firing what expires (connection release).
  void advance(uint32_t seconds);

  ipvs::LcoreIpvs& lcore() { return L; }
  size_t table_bytes() const { return L.conns->memory_bytes(); }
  size_t laddr_bytes() const;

 private:
  CoreConfig cfg_;
  std::unique_ptr<netif::Dataplane> ndp_;
  std::unique_ptr<netif::Netif> nif_;
  std::unique_ptr<inet::Inet> inet_;
  ipvs::ServiceManager sm_{nullptr, 1};
  ipvs::ConnSettings settings_{ipvs::ConnTimeouts{}, 64, 1};
  std::unique_ptr<ipvs::IpvsDataplane> dp_;
  ipvs::LocalPortPool ports_{0, 1, 1024, 65535};
  std::vector<std::unique_ptr<ipvs::LocalPortPool::Entry>> entries_;
  std::unique_ptr<ipvs::WorkerService> svc_;
  ipvs::WorkerServices services_{16};
  ipvs::LcoreIpvs L;
  core::TimerWheel wheel_;  // after L: the connections' timers go with L's table
};

}  // namespace fulcrum::bench
