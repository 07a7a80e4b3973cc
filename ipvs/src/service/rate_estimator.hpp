#pragma once
// The kernel's rate estimator (ip_vs_est.c), on the master over counters summed across the workers.
//
// Every 2 s each counter's increase becomes a fixed-point rate (per second scaled by 2^10 for connections and
// packets, by 2^5 for bytes: the shifts fold the division by the 2 s interval in), and the estimate moves a
// quarter of the way towards it (an EWMA with weight 1/4). Reading rounds back to whole units. The same
// arithmetic as the kernel, so that ipvsadm --rate shows what it would show on LVS for the same traffic.

#include <cstdint>
#include <map>
#include <vector>

#include "fulcrum/ipvs/rates.hpp"
#include "fulcrum/ipvs/service.hpp"

namespace fulcrum::ipvs {

class RateEstimator {
 public:
  // Starts over from `now`: the next sample measures from here, and every rate reads 0 (the kernel's
  // ip_vs_zero_estimator, at start and on ipvsadm -Z).
  void reset(const Stats& now);
  // One 2-second sample. A counter that went backwards was zeroed behind our back (a worker's counters are
  // reset on ipvsadm -Z, or a service came back in the same slot): start over rather than read a wrap.
  void sample(const Stats& now);
  Rates read() const;

 private:
  Stats last_;
  // Scaled estimates: cps/inpps/outpps by 2^10, inbps/outbps by 2^5, as the kernel keeps them.
  int64_t cps_ = 0;
  int64_t inpps_ = 0;
  int64_t outpps_ = 0;
  int64_t inbps_ = 0;
  int64_t outbps_ = 0;
};

// The estimators of every service (by slot) and of its real servers (by identity).
class RateTable {
 public:
  // One sample of the service in `slot`. `dests` are its real servers with their summed counters; a real
  // server seen for the first time starts from its counters, one that is gone is forgotten. A slot whose key
  // changed holds another service now: it starts over.
  void sample(uint32_t slot, const ServiceKey& key, const Stats& service, const std::vector<DestInfo>& dests);
  // ipvsadm -Z of one service: its rates and its real servers' read 0 and measure from their counters now.
  void reset(uint32_t slot, const ServiceKey& key, const Stats& service, const std::vector<DestInfo>& dests);
  // Drops every slot not in `live` (sorted or not): deleted services.
  void keep_only(const std::vector<uint32_t>& live);

  Rates service(uint32_t slot, const ServiceKey& key) const;
  Rates dest(uint32_t slot, const ServiceKey& key, const DestId& id) const;

 private:
  struct Entry {
    ServiceKey key;
    RateEstimator service;
    std::map<DestId, RateEstimator> dests;
  };
  const Entry* find(uint32_t slot, const ServiceKey& key) const;
  std::map<uint32_t, Entry> slots_;
};

}  // namespace fulcrum::ipvs
