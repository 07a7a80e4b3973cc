#pragma once
// Everything one worker of the ipvs dataplane owns: its connection table, its view of the services and of
// its FullNAT local ports (both the ServiceManager's, per worker), its timer kind for connection expiry,
// the ring on which other workers pass it the replies of its connections, and its counters. Written by that
// worker only.

#include <memory>

#include <rte_ring.h>

#include "conn/conn_table.hpp"
#include "conn/tcp_state.hpp"
#include "dp_counters.hpp"
#include "fulcrum/core/log.hpp"
#include "fulcrum/core/timer_wheel.hpp"
#include "fulcrum/ipvs/local_port_pool.hpp"
#include "fulcrum/ipvs/snat_rule.hpp"
#include "fulcrum/ipvs/worker_service.hpp"
#include "nat_steer.hpp"
#include "persistence.hpp"

namespace fulcrum::ipvs {

class IpvsDataplane;

struct alignas(64) LcoreIpvs {
  IpvsDataplane* dp = nullptr;
  unsigned lcore = 0;
  unsigned worker = 0;
  unsigned workers = 1;
  std::unique_ptr<ConnTable> conns;
  WorkerServices* services = nullptr;
  LocalPortPool* laddrs = nullptr;
  const SnatRules* snat = nullptr;  // the ServiceManager's, shared: it never changes once the lcores run
  core::TimerWheel* wheel = nullptr;
  uint8_t expire_kind = 0;
  rte_ring* inbox = nullptr;  // multi-producer, this worker consumes
  std::unique_ptr<PersistTable> persist;  // persistent services' templates; null: schedule without them
  NatDestSet nat_dests;                   // with several workers: which replies are NAT replies to steer
  DpCounters ctr;
  core::LogRateLimit log{2, 5};

  void add(DpCtr c, uint64_t n = 1) { ctr.add(c, n); }
};

}  // namespace fulcrum::ipvs
