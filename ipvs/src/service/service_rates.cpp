// ServiceManager's rates: the kernel's estimator (rate_estimator.hpp) fed with the counters summed over the
// workers, on the master. Sampling reads the workers' counters as list_dests does: relaxed snapshots.

#include "fulcrum/ipvs/service_manager.hpp"
#include "rate_estimator.hpp"
#include "service_table.hpp"

namespace fulcrum::ipvs {

void ServiceManager::estimate_rates() {
  if (!rates_) rates_ = std::make_unique<RateTable>();
  std::vector<DestInfo> dests;
  for (uint32_t slot : table_->order()) {
    const MasterService* m = table_->at(slot);
    if (!list_dests(m->spec.key, &dests).ok()) continue;
    rates_->sample(slot, m->spec.key, sum_service(slot), dests);
  }
  rates_->keep_only(table_->order());
}

void ServiceManager::reset_rates(uint32_t slot) {
  const MasterService* m = table_->at(slot);
  if (!rates_ || m == nullptr) return;
  std::vector<DestInfo> dests;
  if (!list_dests(m->spec.key, &dests).ok()) return;
  rates_->reset(slot, m->spec.key, sum_service(slot), dests);
}

Rates ServiceManager::service_rates(const ServiceKey& key) const {
  uint32_t slot = 0;
  if (!rates_ || !table_->lookup(key, &slot).ok()) return {};
  return rates_->service(slot, table_->at(slot)->spec.key);
}

Status ServiceManager::dest_rates(const ServiceKey& key, const std::vector<DestInfo>& dests,
                                  std::vector<Rates>* out) const {
  uint32_t slot = 0;
  if (Status st = table_->lookup(key, &slot); !st.ok()) return st;
  out->assign(dests.size(), Rates{});
  if (!rates_) return {};
  const ServiceKey& k = table_->at(slot)->spec.key;
  for (size_t i = 0; i < dests.size(); ++i) (*out)[i] = rates_->dest(slot, k, dests[i].spec.id);
  return {};
}

}  // namespace fulcrum::ipvs
