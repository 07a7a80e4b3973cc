// Passing NAT and persistent flows to the worker that owns their client (nat_steer.hpp).

#include "ipvs_dataplane.hpp"

namespace fulcrum::ipvs {

bool IpvsDataplane::steer(LcoreIpvs& L, rte_mbuf* m, const FlowKey& k, const WorkerService* svc,
                          inet::Verdict* verdict) {
  unsigned owner;
  if (svc != nullptr) {
    if (!service_steers(*svc)) return false;
    owner = client_owner(k.family, k.saddr, L.workers);
  } else {
    // A reply from a NAT real server to its client; anything else is not ours to steer.
    if (!L.nat_dests.contains(*L.services, k.family, k.saddr, k.sport)) return false;
    owner = client_owner(k.family, k.daddr, L.workers);
  }
  if (owner == L.worker) return false;
  *verdict = redirect(L, m, owner) ? inet::Verdict::stolen : inet::Verdict::drop;
  return true;
}

}  // namespace fulcrum::ipvs
