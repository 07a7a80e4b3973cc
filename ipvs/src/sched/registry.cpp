// The table of schedulers by name.

#include "fulcrum/ipvs/scheduler_registry.hpp"

#include <array>
#include <stdexcept>
#include <string>

#include "factories.hpp"

namespace fulcrum::ipvs {
namespace {

struct Entry {
  std::string_view name;
  std::unique_ptr<Scheduler> (*make)(const SchedConfig&);
};

// The kernel's names, in the order ipvsadm's man page lists them, then conhash.
constexpr std::array kTable = {
    Entry{"rr", &sched::make_rr},     Entry{"wrr", &sched::make_wrr},    Entry{"lc", &sched::make_lc},
    Entry{"wlc", &sched::make_wlc},   Entry{"lblc", &sched::make_lblc},  Entry{"lblcr", &sched::make_lblcr},
    Entry{"dh", &sched::make_dh},     Entry{"sh", &sched::make_sh},      Entry{"sed", &sched::make_sed},
    Entry{"nq", &sched::make_nq},     Entry{"fo", &sched::make_fo},      Entry{"ovf", &sched::make_ovf},
    Entry{"mh", &sched::make_mh},     Entry{"twos", &sched::make_twos},  Entry{"conhash", &sched::make_conhash},
};

constexpr std::array<std::string_view, kTable.size()> names() {
  std::array<std::string_view, kTable.size()> out{};
  for (size_t i = 0; i < kTable.size(); ++i) out[i] = kTable[i].name;
  return out;
}
constexpr auto kNames = names();

const Entry* find(std::string_view name) noexcept {
  for (const Entry& e : kTable)
    if (e.name == name) return &e;
  return nullptr;
}

}  // namespace

std::span<const std::string_view> scheduler_names() noexcept { return kNames; }

bool has_scheduler(std::string_view name) noexcept { return find(name) != nullptr; }

std::unique_ptr<Scheduler> make_scheduler(std::string_view name, const SchedConfig& config) {
  if (const Entry* e = find(name)) return e->make(config);
  std::string known;
  for (std::string_view n : kNames) {
    if (!known.empty()) known += ", ";
    known += n;
  }
  throw std::invalid_argument("unknown scheduler '" + std::string(name) + "'; known: " + known);
}

}  // namespace fulcrum::ipvs
