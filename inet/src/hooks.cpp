#include "fulcrum/inet/hooks.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace fulcrum::inet {

void HookChain::add(int priority, const char* name, HookFn fn, void* ctx) {
  if (fn == nullptr) throw std::logic_error(std::string("inet: hook ") + name + " has no function");
  if (count_ == hooks_.size()) {
    throw std::logic_error(std::string("inet: hook ") + name + ": at most " + std::to_string(kMaxHooksPerPoint) +
                           " hooks per point");
  }
  hooks_[count_++] = Hook{priority, name, fn, ctx};
  // Stable, so that hooks of equal priority run in the order they registered.
  std::stable_sort(hooks_.begin(), hooks_.begin() + count_,
                   [](const Hook& a, const Hook& b) { return a.priority < b.priority; });
}

HookChain::Result HookChain::run(HookPoint point, Family family, rte_mbuf** pkts, uint16_t n, uint32_t* aux,
                                 Ifindex* ifx) const {
  Result r;
  r.kept = n;
  Verdict verdicts[UINT8_MAX + 1];
  for (unsigned h = 0; h < count_ && r.kept > 0; ++h) {
    // A burst is at most a few dozen packets; longer ones go through in chunks of what the array holds.
    for (uint16_t start = 0; start < r.kept;) {
      const uint16_t len = static_cast<uint16_t>(std::min<unsigned>(r.kept - start, sizeof verdicts));
      std::fill(verdicts, verdicts + len, Verdict::accept);
      HookBurst burst{point, family, pkts + start, len, verdicts, ifx != nullptr ? ifx + start : nullptr};
      hooks_[h].fn(hooks_[h].ctx, burst);
      // Compact the chunk in place: what stays moves towards `start`.
      uint16_t out = start;
      for (uint16_t i = 0; i < len; ++i) {
        const uint16_t src = static_cast<uint16_t>(start + i);
        switch (verdicts[i]) {
          case Verdict::accept:
            pkts[out] = pkts[src];
            if (aux != nullptr) aux[out] = aux[src];
            if (ifx != nullptr) ifx[out] = ifx[src];
            ++out;
            break;
          case Verdict::drop:
            rte_pktmbuf_free(pkts[src]);
            ++r.dropped;
            break;
          case Verdict::stolen:
            ++r.stolen;
            break;
        }
      }
      const uint16_t removed = static_cast<uint16_t>(len - (out - start));
      // Close the gap left before the packets not yet seen.
      for (uint16_t i = static_cast<uint16_t>(start + len); i < r.kept; ++i) {
        const uint16_t dst = static_cast<uint16_t>(i - removed);
        pkts[dst] = pkts[i];
        if (aux != nullptr) aux[dst] = aux[i];
        if (ifx != nullptr) ifx[dst] = ifx[i];
      }
      r.kept = static_cast<uint16_t>(r.kept - removed);
      start = out;
    }
  }
  return r;
}

}  // namespace fulcrum::inet
