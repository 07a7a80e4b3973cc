// The kernel's estimator arithmetic (ip_vs_est.c): see rate_estimator.hpp.

#include "rate_estimator.hpp"

#include <algorithm>

namespace fulcrum::ipvs {
namespace {

// The EWMA step: est += (rate - est) / 4, in signed arithmetic so a falling rate moves the estimate down.
void smooth(int64_t& est, uint64_t delta, unsigned scale_shift) {
  const int64_t rate = static_cast<int64_t>(delta << scale_shift);
  est += (rate - est) >> 2;
}

bool went_back(const Stats& now, const Stats& last) {
  return now.conns < last.conns || now.inpkts < last.inpkts || now.outpkts < last.outpkts ||
         now.inbytes < last.inbytes || now.outbytes < last.outbytes;
}

// Rounding as ip_vs_read_estimator: to the nearest unit. A negative estimate can not happen (rates are
// never negative), but the cast must not turn a stray one into a huge number.
uint64_t unscale(int64_t est, unsigned shift) {
  if (est <= 0) return 0;
  return (static_cast<uint64_t>(est) + ((1ull << (shift - 1)) - 1)) >> shift;
}

}  // namespace

void RateEstimator::reset(const Stats& now) {
  last_ = now;
  cps_ = inpps_ = outpps_ = inbps_ = outbps_ = 0;
}

void RateEstimator::sample(const Stats& now) {
  if (went_back(now, last_)) {
    reset(now);
    return;
  }
  // Per second scaled by 2^10 over a 2 s interval: << 9. Bytes scaled by 2^5 over 2 s: << 4.
  smooth(cps_, now.conns - last_.conns, 9);
  smooth(inpps_, now.inpkts - last_.inpkts, 9);
  smooth(outpps_, now.outpkts - last_.outpkts, 9);
  smooth(inbps_, now.inbytes - last_.inbytes, 4);
  smooth(outbps_, now.outbytes - last_.outbytes, 4);
  last_ = now;
}

Rates RateEstimator::read() const {
  return Rates{unscale(cps_, 10), unscale(inpps_, 10), unscale(outpps_, 10), unscale(inbps_, 5),
               unscale(outbps_, 5)};
}

void RateTable::sample(uint32_t slot, const ServiceKey& key, const Stats& service,
                       const std::vector<DestInfo>& dests) {
  auto it = slots_.find(slot);
  if (it == slots_.end() || !(it->second.key == key)) {
    reset(slot, key, service, dests);
    return;
  }
  Entry& e = it->second;
  e.service.sample(service);
  std::map<DestId, RateEstimator> next;
  for (const DestInfo& d : dests) {
    auto old = e.dests.find(d.spec.id);
    if (old == e.dests.end()) {
      next[d.spec.id].reset(d.stats);
    } else {
      old->second.sample(d.stats);
      next[d.spec.id] = old->second;
    }
  }
  e.dests = std::move(next);
}

void RateTable::reset(uint32_t slot, const ServiceKey& key, const Stats& service,
                      const std::vector<DestInfo>& dests) {
  Entry& e = slots_[slot];
  e.key = key;
  e.service.reset(service);
  e.dests.clear();
  for (const DestInfo& d : dests) e.dests[d.spec.id].reset(d.stats);
}

void RateTable::keep_only(const std::vector<uint32_t>& live) {
  std::vector<uint32_t> sorted = live;
  std::sort(sorted.begin(), sorted.end());
  std::erase_if(slots_, [&](const auto& kv) { return !std::binary_search(sorted.begin(), sorted.end(), kv.first); });
}

const RateTable::Entry* RateTable::find(uint32_t slot, const ServiceKey& key) const {
  const auto it = slots_.find(slot);
  return it != slots_.end() && it->second.key == key ? &it->second : nullptr;
}

Rates RateTable::service(uint32_t slot, const ServiceKey& key) const {
  const Entry* e = find(slot, key);
  return e ? e->service.read() : Rates{};
}

Rates RateTable::dest(uint32_t slot, const ServiceKey& key, const DestId& id) const {
  const Entry* e = find(slot, key);
  if (e == nullptr) return {};
  const auto it = e->dests.find(id);
  return it != e->dests.end() ? it->second.read() : Rates{};
}

}  // namespace fulcrum::ipvs
