// The command/option rules (see rules.hpp) and the names the messages use.

#include "rules.hpp"

#include <array>

namespace fulcrum::ipvsadm {
namespace {

constexpr std::array<const char*, opt_count> kOptionNames = {"numeric",
                                                             "connection",
                                                             "service-address",
                                                             "scheduler",
                                                             "persistent",
                                                             "netmask",
                                                             "real-server",
                                                             "forwarding-method",
                                                             "weight",
                                                             "u-threshold",
                                                             "l-threshold",
                                                             "mcast-interface",
                                                             "timeout",
                                                             "daemon",
                                                             "stats",
                                                             "rate",
                                                             "thresholds",
                                                             "persistent-conn",
                                                             "nosort",
                                                             "syncid",
                                                             "exact",
                                                             "ops",
                                                             "pe",
                                                             "sched-flags",
                                                             "mcast-group",
                                                             "mcast-port",
                                                             "mcast-ttl",
                                                             "sync-maxlen",
                                                             "tun-info",
                                                             "tun-type",
                                                             "tun-port",
                                                             "tun-nocsum",
                                                             "tun-csum",
                                                             "tun-remcsum",
                                                             "laddr",
                                                             "fullnat",
                                                             "fullnat-conn",
                                                             "per-worker",
                                                             "no-toa"};

struct Rule {
  uint64_t required;   // must be given
  uint64_t optional;   // may be given
  uint64_t exclusive;  // at most one of these; anything in no mask is illegal
};

constexpr uint64_t bits(std::initializer_list<Opt> opts) {
  uint64_t m = 0;
  for (Opt o : opts) m |= bit(o);
  return m;
}

Rule rule_for(Cmd cmd) {
  switch (cmd) {
    case Cmd::add:
    case Cmd::edit:
      return {
          bits({opt_service}),
          bits({opt_scheduler, opt_persistent, opt_netmask, opt_ops, opt_pe, opt_sched_flags, opt_fullnat, opt_no_toa}),
          0};
    case Cmd::del:
      return {bits({opt_service}), 0, 0};
    case Cmd::list:
      return {0,
              bits({opt_numeric, opt_stats, opt_rate, opt_thresholds, opt_persistentconn, opt_nosort, opt_syncid,
                    opt_exact, opt_tun_info, opt_fullnat_conn}),
              bits({opt_connection, opt_service, opt_timeout, opt_daemon})};
    case Cmd::adddest:
    case Cmd::editdest:
      return {bits({opt_service, opt_server}),
              bits({opt_forward, opt_weight, opt_uthreshold, opt_lthreshold, opt_tun_type, opt_tun_port, opt_tun_nocsum,
                    opt_tun_csum, opt_tun_remcsum}),
              0};
    case Cmd::deldest:
      return {bits({opt_service, opt_server}), 0, 0};
    case Cmd::startdaemon:
      return {0,
              bits({opt_mcast_interface, opt_syncid, opt_mcast_group, opt_mcast_port, opt_mcast_ttl, opt_sync_maxlen}),
              0};
    case Cmd::stopdaemon:
      return {0, bits({opt_syncid}), 0};
    case Cmd::save:
      return {0, bits({opt_numeric}), 0};
    case Cmd::zero:
      return {0, bits({opt_service}), 0};
    case Cmd::add_laddr:
    case Cmd::del_laddr:
      return {bits({opt_service, opt_laddr}), 0, 0};
    case Cmd::get_laddr:
      return {0, bits({opt_service, opt_numeric, opt_per_worker}), 0};
    case Cmd::counters:
      return {0, bits({opt_per_worker}), 0};
    case Cmd::list_bindings:
    case Cmd::list_snat:
      return {0, bits({opt_numeric}), 0};
    case Cmd::flush:
    case Cmd::timeout:
    case Cmd::restore:
    case Cmd::none:
      return {0, 0, 0};
  }
  return {0, 0, 0};
}

}  // namespace

const char* option_name(Opt o) {
  return o >= 0 && o < opt_count ? kOptionNames[static_cast<size_t>(o)] : "?";
}

const char* command_name(Cmd c) {
  switch (c) {
    case Cmd::add:
      return "add-service";
    case Cmd::edit:
      return "edit-service";
    case Cmd::del:
      return "delete-service";
    case Cmd::flush:
      return "flush";
    case Cmd::list:
      return "list";
    case Cmd::adddest:
      return "add-server";
    case Cmd::deldest:
      return "delete-server";
    case Cmd::editdest:
      return "edit-server";
    case Cmd::timeout:
      return "set";
    case Cmd::startdaemon:
      return "start-daemon";
    case Cmd::stopdaemon:
      return "stop-daemon";
    case Cmd::restore:
      return "restore";
    case Cmd::save:
      return "save";
    case Cmd::zero:
      return "zero";
    case Cmd::add_laddr:
      return "add-laddr";
    case Cmd::del_laddr:
      return "del-laddr";
    case Cmd::get_laddr:
      return "get-laddr";
    case Cmd::counters:
      return "counters";
    case Cmd::list_bindings:
      return "list-bindings";
    case Cmd::list_snat:
      return "list-snat";
    case Cmd::none:
      return "none";
  }
  return "none";
}

std::optional<std::string> check_rules(Cmd cmd, uint64_t options) {
  const Rule r = rule_for(cmd);
  const char* cname = command_name(cmd);
  int first_exclusive = -1;
  for (int j = 0; j < opt_count; ++j) {
    const uint64_t b = bit(static_cast<Opt>(j));
    const char* oname = kOptionNames[static_cast<size_t>(j)];
    if (!(options & b)) {
      if (r.required & b) {
        return std::string("You need to supply the '") + oname + "' option for the '" + cname + "' command";
      }
      continue;
    }
    if (!((r.required | r.optional | r.exclusive) & b)) {
      return std::string("Illegal '") + oname + "' option with the '" + cname + "' command";
    }
    if (r.exclusive & b) {
      if (first_exclusive < 0) {
        first_exclusive = j;
        continue;
      }
      return std::string("The option '") + oname + "' conflicts with the '" +
             kOptionNames[static_cast<size_t>(first_exclusive)] + "' option in the '" + cname + "' command";
    }
  }
  return std::nullopt;
}

}  // namespace fulcrum::ipvsadm
