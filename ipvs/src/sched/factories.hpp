#pragma once
// One factory per scheduler, each defined in the scheduler's own file; registry.cpp lists them. An explicit
// table rather than self-registering statics: nothing depends on static initialisation order, and a linker
// cannot drop a scheduler whose object file nobody else references.

#include <memory>

#include "fulcrum/ipvs/scheduler.hpp"

namespace fulcrum::ipvs::sched {

std::unique_ptr<Scheduler> make_rr(const SchedConfig& config);
std::unique_ptr<Scheduler> make_wrr(const SchedConfig& config);
std::unique_ptr<Scheduler> make_lc(const SchedConfig& config);
std::unique_ptr<Scheduler> make_wlc(const SchedConfig& config);
std::unique_ptr<Scheduler> make_sed(const SchedConfig& config);
std::unique_ptr<Scheduler> make_nq(const SchedConfig& config);
std::unique_ptr<Scheduler> make_fo(const SchedConfig& config);
std::unique_ptr<Scheduler> make_ovf(const SchedConfig& config);
std::unique_ptr<Scheduler> make_twos(const SchedConfig& config);
std::unique_ptr<Scheduler> make_sh(const SchedConfig& config);
std::unique_ptr<Scheduler> make_dh(const SchedConfig& config);
std::unique_ptr<Scheduler> make_mh(const SchedConfig& config);
std::unique_ptr<Scheduler> make_conhash(const SchedConfig& config);
std::unique_ptr<Scheduler> make_lblc(const SchedConfig& config);
std::unique_ptr<Scheduler> make_lblcr(const SchedConfig& config);

}  // namespace fulcrum::ipvs::sched
