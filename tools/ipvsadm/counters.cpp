// The counters table (see counters.hpp): names left-aligned, numbers right-aligned and never scaled, so that
// scripts can read them with awk.

#include "counters.hpp"

#include <algorithm>
#include <cstdio>

namespace fulcrum::ipvsadm {

std::string format_counters(const Counters& c, bool per_worker) {
  size_t name_width = 7;  // "Counter"
  for (const auto& n : c.names) name_width = std::max(name_width, n.size());
  const int nw = static_cast<int>(name_width);
  constexpr int kNumWidth = 14;
  char buf[128];
  std::string out;
  std::snprintf(buf, sizeof buf, "%-*s %*s", nw, "Counter", kNumWidth, "Total");
  out += buf;
  if (per_worker) {
    for (size_t w = 0; w < c.per_worker.size(); ++w) {
      std::snprintf(buf, sizeof buf, " %*s", kNumWidth, ("Worker" + std::to_string(w)).c_str());
      out += buf;
    }
  }
  out += "\n";
  for (size_t i = 0; i < c.names.size(); ++i) {
    const uint64_t total = i < c.totals.size() ? c.totals[i] : 0;
    std::snprintf(buf, sizeof buf, "%-*s %*llu", nw, c.names[i].c_str(), kNumWidth,
                  static_cast<unsigned long long>(total));
    out += buf;
    if (per_worker) {
      for (const auto& row : c.per_worker) {
        std::snprintf(buf, sizeof buf, " %*llu", kNumWidth,
                      static_cast<unsigned long long>(i < row.size() ? row[i] : 0));
        out += buf;
      }
    }
    out += "\n";
  }
  return out;
}

}  // namespace fulcrum::ipvsadm
