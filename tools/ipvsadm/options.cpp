// Reading the command line (see options.hpp). The messages are stock ipvsadm 1.31's wherever it has one, so
// that scripts and tests that match them keep working; Fulcrum's own checks name the option and the value.

#include "options.hpp"

#include <popt.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "address.hpp"
#include "listing.hpp"
#include "rules.hpp"

namespace fulcrum::ipvsadm {
namespace {

// Long-only options, outside the ASCII range so that short letters can be their own tags.
enum Tag : int {
  tag_set = 128,
  tag_start_daemon,
  tag_stop_daemon,
  tag_mcast_interface,
  tag_timeout,
  tag_daemon,
  tag_stats,
  tag_rate,
  tag_thresholds,
  tag_persistentconn,
  tag_sort,
  tag_nosort,
  tag_exact,
  tag_sctp,
  tag_syncid,
  tag_pe,
  tag_sched_flags,
  tag_mcast_group,
  tag_mcast_port,
  tag_mcast_ttl,
  tag_sync_maxlen,
  tag_tun_info,
  tag_tun_type,
  tag_tun_port,
  tag_tun_nocsum,
  tag_tun_csum,
  tag_tun_remcsum,
  tag_fullnat,
  tag_fullnat_conn,
  tag_counters,
  tag_per_worker,
  tag_no_toa,
  tag_list_bindings,
  tag_list_snat,
};

// Stock's string_to_number: the whole text, base 10, within [min, max].
std::optional<long> number(const char* s, long min, long max) {
  if (s == nullptr) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const long v = std::strtol(s, &end, 10);
  if (end == s || *end != '\0' || errno == ERANGE || v < min || v > max) return std::nullopt;
  return v;
}

std::string truncated(const char* s, size_t max) {
  std::string out = s == nullptr ? "" : s;
  if (out.size() > max) out.resize(max);
  return out;
}

class Parser {
 public:
  Parser(int argc, const char* const* argv, bool reading_stdin)
      : argc_(argc), argv_(argv), reading_stdin_(reading_stdin), program_(argc > 0 ? argv[0] : "ipvsadm") {}

  ParseResult run() {
    parse();
    return result_;
  }

 private:
  void parse() {
    char* optarg = nullptr;
    // The table's strings are popt's copies: each is freed once its option is handled.
    const poptOption table[] = {
        {"add-service", 'A', POPT_ARG_NONE, nullptr, 'A', nullptr, nullptr},
        {"edit-service", 'E', POPT_ARG_NONE, nullptr, 'E', nullptr, nullptr},
        {"delete-service", 'D', POPT_ARG_NONE, nullptr, 'D', nullptr, nullptr},
        {"clear", 'C', POPT_ARG_NONE, nullptr, 'C', nullptr, nullptr},
        {"list", 'L', POPT_ARG_NONE, nullptr, 'L', nullptr, nullptr},
        {nullptr, 'l', POPT_ARG_NONE, nullptr, 'l', nullptr, nullptr},
        {"zero", 'Z', POPT_ARG_NONE, nullptr, 'Z', nullptr, nullptr},
        {"add-server", 'a', POPT_ARG_NONE, nullptr, 'a', nullptr, nullptr},
        {"edit-server", 'e', POPT_ARG_NONE, nullptr, 'e', nullptr, nullptr},
        {"delete-server", 'd', POPT_ARG_NONE, nullptr, 'd', nullptr, nullptr},
        {"set", '\0', POPT_ARG_NONE, nullptr, tag_set, nullptr, nullptr},
        {"help", 'h', POPT_ARG_NONE, nullptr, 'h', nullptr, nullptr},
        {"version", 'v', POPT_ARG_NONE, nullptr, 'v', nullptr, nullptr},
        {"restore", 'R', POPT_ARG_NONE, nullptr, 'R', nullptr, nullptr},
        {"save", 'S', POPT_ARG_NONE, nullptr, 'S', nullptr, nullptr},
        {"start-daemon", '\0', POPT_ARG_STRING, &optarg, tag_start_daemon, nullptr, nullptr},
        {"stop-daemon", '\0', POPT_ARG_STRING, &optarg, tag_stop_daemon, nullptr, nullptr},
        {"add-laddr", 'P', POPT_ARG_NONE, nullptr, 'P', nullptr, nullptr},
        {"del-laddr", 'Q', POPT_ARG_NONE, nullptr, 'Q', nullptr, nullptr},
        {"get-laddr", 'G', POPT_ARG_NONE, nullptr, 'G', nullptr, nullptr},
        {"counters", '\0', POPT_ARG_NONE, nullptr, tag_counters, nullptr, nullptr},
        {"list-bindings", '\0', POPT_ARG_NONE, nullptr, tag_list_bindings, nullptr, nullptr},
        {"list-snat", '\0', POPT_ARG_NONE, nullptr, tag_list_snat, nullptr, nullptr},
        {"tcp-service", 't', POPT_ARG_STRING, &optarg, 't', nullptr, nullptr},
        {"udp-service", 'u', POPT_ARG_STRING, &optarg, 'u', nullptr, nullptr},
        {"sctp-service", '\0', POPT_ARG_STRING, &optarg, tag_sctp, nullptr, nullptr},
        {"fwmark-service", 'f', POPT_ARG_STRING, &optarg, 'f', nullptr, nullptr},
        {"scheduler", 's', POPT_ARG_STRING, &optarg, 's', nullptr, nullptr},
        {"persistent", 'p', POPT_ARG_STRING | POPT_ARGFLAG_OPTIONAL, &optarg, 'p', nullptr, nullptr},
        {"netmask", 'M', POPT_ARG_STRING, &optarg, 'M', nullptr, nullptr},
        {"real-server", 'r', POPT_ARG_STRING, &optarg, 'r', nullptr, nullptr},
        {"masquerading", 'm', POPT_ARG_NONE, nullptr, 'm', nullptr, nullptr},
        {"ipip", 'i', POPT_ARG_NONE, nullptr, 'i', nullptr, nullptr},
        {"gatewaying", 'g', POPT_ARG_NONE, nullptr, 'g', nullptr, nullptr},
        // -b: with -a/-e FullNAT (DPVS's letter); with -A/-E a value is stock's --sched-flags, none the binding.
        {nullptr, 'b', POPT_ARG_STRING | POPT_ARGFLAG_OPTIONAL, &optarg, 'b', nullptr, nullptr},
        {"fullnat", '\0', POPT_ARG_NONE, nullptr, tag_fullnat, nullptr, nullptr},
        {"sched-flags", '\0', POPT_ARG_STRING, &optarg, tag_sched_flags, nullptr, nullptr},
        {"weight", 'w', POPT_ARG_STRING, &optarg, 'w', nullptr, nullptr},
        {"u-threshold", 'x', POPT_ARG_STRING, &optarg, 'x', nullptr, nullptr},
        {"l-threshold", 'y', POPT_ARG_STRING, &optarg, 'y', nullptr, nullptr},
        {"numeric", 'n', POPT_ARG_NONE, nullptr, 'n', nullptr, nullptr},
        {"connection", 'c', POPT_ARG_NONE, nullptr, 'c', nullptr, nullptr},
        {"mcast-interface", '\0', POPT_ARG_STRING, &optarg, tag_mcast_interface, nullptr, nullptr},
        {"syncid", '\0', POPT_ARG_STRING, &optarg, tag_syncid, nullptr, nullptr},
        {"mcast-group", '\0', POPT_ARG_STRING, &optarg, tag_mcast_group, nullptr, nullptr},
        {"mcast-port", '\0', POPT_ARG_STRING, &optarg, tag_mcast_port, nullptr, nullptr},
        {"mcast-ttl", '\0', POPT_ARG_STRING, &optarg, tag_mcast_ttl, nullptr, nullptr},
        {"sync-maxlen", '\0', POPT_ARG_STRING, &optarg, tag_sync_maxlen, nullptr, nullptr},
        {"timeout", '\0', POPT_ARG_NONE, nullptr, tag_timeout, nullptr, nullptr},
        {"daemon", '\0', POPT_ARG_NONE, nullptr, tag_daemon, nullptr, nullptr},
        {"stats", '\0', POPT_ARG_NONE, nullptr, tag_stats, nullptr, nullptr},
        {"rate", '\0', POPT_ARG_NONE, nullptr, tag_rate, nullptr, nullptr},
        {"thresholds", '\0', POPT_ARG_NONE, nullptr, tag_thresholds, nullptr, nullptr},
        {"persistent-conn", '\0', POPT_ARG_NONE, nullptr, tag_persistentconn, nullptr, nullptr},
        {"nosort", '\0', POPT_ARG_NONE, nullptr, tag_nosort, nullptr, nullptr},
        {"sort", '\0', POPT_ARG_NONE, nullptr, tag_sort, nullptr, nullptr},
        {"exact", '\0', POPT_ARG_NONE, nullptr, tag_exact, nullptr, nullptr},
        {"ipv6", '6', POPT_ARG_NONE, nullptr, '6', nullptr, nullptr},
        {"ops", 'o', POPT_ARG_NONE, nullptr, 'o', nullptr, nullptr},
        {"pe", '\0', POPT_ARG_STRING, &optarg, tag_pe, nullptr, nullptr},
        {"tun-info", '\0', POPT_ARG_NONE, nullptr, tag_tun_info, nullptr, nullptr},
        {"tun-type", '\0', POPT_ARG_STRING, &optarg, tag_tun_type, nullptr, nullptr},
        {"tun-port", '\0', POPT_ARG_STRING, &optarg, tag_tun_port, nullptr, nullptr},
        {"tun-nocsum", '\0', POPT_ARG_NONE, nullptr, tag_tun_nocsum, nullptr, nullptr},
        {"tun-csum", '\0', POPT_ARG_NONE, nullptr, tag_tun_csum, nullptr, nullptr},
        {"tun-remcsum", '\0', POPT_ARG_NONE, nullptr, tag_tun_remcsum, nullptr, nullptr},
        {"laddr", 'z', POPT_ARG_STRING, &optarg, 'z', nullptr, nullptr},
        {"fullnat-conn", '\0', POPT_ARG_NONE, nullptr, tag_fullnat_conn, nullptr, nullptr},
        {"per-worker", '\0', POPT_ARG_NONE, nullptr, tag_per_worker, nullptr, nullptr},
        {"no-toa", '\0', POPT_ARG_NONE, nullptr, tag_no_toa, nullptr, nullptr},
        POPT_TABLEEND};

    poptContext pc = poptGetContext("ipvsadm", argc_, const_cast<const char**>(argv_), table, 0);
    bool ok = true;
    int c = poptGetNextOpt(pc);
    if (c < 0) {
      ok = tryhelp();
    } else {
      ok = first_option(c, optarg);
    }
    std::free(optarg);
    optarg = nullptr;
    if (ok && result_.kind == ParseResult::Kind::run) {
      while ((c = poptGetNextOpt(pc)) >= 0) {
        ok = next_option(c, optarg, pc);
        std::free(optarg);
        optarg = nullptr;
        if (!ok) break;
      }
      if (ok && c < -1) {
        ok = fail(255, std::string(poptBadOption(pc, POPT_BADOPTION_NOALIAS)) + ": " + poptStrerror(c));
      }
      if (ok) ok = positional_args(pc);
      if (ok) ok = checks();
    }
    std::free(optarg);
    poptFreeContext(pc);
  }

  bool fail(int code, const std::string& message) {
    result_.kind = ParseResult::Kind::fail;
    result_.exit_code = code;
    result_.message = message + "\n";
    return false;
  }

  bool tryhelp() {
    result_.kind = ParseResult::Kind::fail;
    result_.exit_code = 255;
    result_.message = tryhelp_text(program_);
    return false;
  }

  bool set_option(Opt o) {
    if (cmd_.has(o)) return fail(2, std::string("multiple '") + option_name(o) + "' options specified");
    cmd_.options |= bit(o);
    return true;
  }

  bool set_command(Cmd c) {
    cmd_.cmd = c;
    result_.kind = ParseResult::Kind::run;
    return true;
  }

  bool daemon_state(const char* arg, const char* error) {
    const std::string s = arg == nullptr ? "" : arg;
    if (s == "master") {
      cmd_.daemon_state = 1;
    } else if (s == "backup") {
      cmd_.daemon_state = 2;
    } else {
      return fail(2, error);
    }
    return true;
  }

  bool first_option(int c, const char* arg) {
    switch (c) {
      case 'A':
        return set_command(Cmd::add);
      case 'E':
        return set_command(Cmd::edit);
      case 'D':
        return set_command(Cmd::del);
      case 'a':
        return set_command(Cmd::adddest);
      case 'e':
        return set_command(Cmd::editdest);
      case 'd':
        return set_command(Cmd::deldest);
      case 'C':
        return set_command(Cmd::flush);
      case 'L':
      case 'l':
        return set_command(Cmd::list);
      case 'Z':
        return set_command(Cmd::zero);
      case tag_set:
        return set_command(Cmd::timeout);
      case 'R':
        return set_command(Cmd::restore);
      case 'S':
        return set_command(Cmd::save);
      case 'P':
        return set_command(Cmd::add_laddr);
      case 'Q':
        return set_command(Cmd::del_laddr);
      case 'G':
        return set_command(Cmd::get_laddr);
      case tag_counters:
        return set_command(Cmd::counters);
      case tag_list_bindings:
        return set_command(Cmd::list_bindings);
      case tag_list_snat:
        return set_command(Cmd::list_snat);
      case tag_start_daemon:
        set_command(Cmd::startdaemon);
        return daemon_state(arg, "illegal start-daemon parameter specified");
      case tag_stop_daemon:
        set_command(Cmd::stopdaemon);
        return daemon_state(arg, "illegal start_daemon specified");
      case 'h':
        result_.kind = ParseResult::Kind::help;
        return true;
      case 'v':
        result_.kind = ParseResult::Kind::version;
        return true;
      default:
        return tryhelp();
    }
  }

  bool service(uint16_t protocol, const char* arg) {
    if (!set_option(opt_service)) return false;
    cmd_.protocol = protocol;
    const int parsed = parse_service_address(arg == nullptr ? "" : arg, protocol, cmd_.addr, cmd_.port);
    if (!(parsed & parsed_addr)) return fail(2, "illegal virtual server address[:port] specified");
    if (cmd_.addr.family == 6) cmd_.netmask = 128;
    return true;
  }

  bool timeout_value(const char* arg, long min, uint32_t& out) {
    const auto v = number(arg, min, kMaxTimeout);
    if (!v) return fail(2, std::string("invalid timeout value `") + (arg ? arg : "") + "' specified");
    out = static_cast<uint32_t>(*v);
    return true;
  }

  bool fullnat_flag(const char* arg) {
    const bool dest_cmd = cmd_.cmd == Cmd::adddest || cmd_.cmd == Cmd::editdest;
    if (dest_cmd) {
      if (arg != nullptr) {
        return fail(2, std::string("-b/--fullnat takes no value with -a/-e, got `") + arg +
                           "' (scheduler flags go with -A/-E)");
      }
      if (!set_option(opt_forward)) return false;
      cmd_.forward = fwd_fullnat;
      return true;
    }
    if (arg != nullptr) {
      if (!set_option(opt_sched_flags)) return false;
      cmd_.sched_flags = arg;
      return true;
    }
    return set_option(opt_fullnat);
  }

  bool next_option(int c, const char* arg, poptContext pc) {
    switch (c) {
      case 't':
        return service(kProtoTcp, arg);
      case 'u':
        return service(kProtoUdp, arg);
      case tag_sctp:
        return service(kProtoSctp, arg);
      case 'f': {
        if (!set_option(opt_service)) return false;
        errno = 0;
        char* end = nullptr;
        const unsigned long long v = arg ? std::strtoull(arg, &end, 10) : 0;
        if (arg == nullptr || end == arg || *end != '\0' || errno == ERANGE || arg[0] == '-' || v == 0 ||
            v > UINT_MAX) {
          return fail(2, std::string("invalid fwmark value `") + (arg ? arg : "") + "' specified");
        }
        cmd_.fwmark = static_cast<uint32_t>(v);
        cmd_.addr = Addr{};
        cmd_.addr.family = 4;
        cmd_.protocol = kProtoTcp;
        return true;
      }
      case 's':
        if (!set_option(opt_scheduler)) return false;
        cmd_.sched = truncated(arg, 15);  // IP_VS_SCHEDNAME_MAXLEN with its NUL
        return true;
      case 'p':
        if (!set_option(opt_persistent)) return false;
        cmd_.flags |= svc_persistent;
        if (arg == nullptr) {
          cmd_.timeout = kDefaultPersistence;
          return true;
        }
        return timeout_value(arg, 1, cmd_.timeout);
      case 'M':
        if (!set_option(opt_netmask)) return false;
        if (cmd_.addr.family == 6) {
          const int len = arg ? std::atoi(arg) : 0;
          if (len < 1 || len > 128) return fail(2, "illegal ipv6 netmask specified");
          cmd_.netmask = static_cast<uint32_t>(len);
        } else {
          const auto mask = parse_ipv4_netmask(arg ? arg : "");
          if (!mask) return fail(2, "illegal virtual server persistent mask specified");
          cmd_.netmask = *mask;
        }
        return true;
      case 'r': {
        if (!set_option(opt_server)) return false;
        const int parsed = parse_service_address(arg ? arg : "", cmd_.protocol, cmd_.daddr, cmd_.dport);
        if (!(parsed & parsed_addr)) return fail(2, "illegal real server address[:port] specified");
        if (!(parsed & parsed_port)) cmd_.dport = cmd_.port;  // the service's port, as stock copies it
        return true;
      }
      case 'i':
      case 'g':
      case 'm':
        if (!set_option(opt_forward)) return false;
        cmd_.forward = c == 'i' ? fwd_tunnel : c == 'g' ? fwd_droute : fwd_masq;
        return true;
      case 'b':
        return fullnat_flag(arg);
      case tag_fullnat:
        return fullnat_flag(nullptr);
      case tag_sched_flags:
        if (!set_option(opt_sched_flags)) return false;
        cmd_.sched_flags = arg ? arg : "";
        return true;
      case 'w': {
        if (!set_option(opt_weight)) return false;
        const auto v = number(arg, 0, INT_MAX);
        if (!v) return fail(2, "illegal weight specified");
        cmd_.weight = static_cast<int32_t>(*v);
        return true;
      }
      case 'x':
      case 'y': {
        if (!set_option(c == 'x' ? opt_uthreshold : opt_lthreshold)) return false;
        const auto v = number(arg, 0, INT_MAX);
        if (!v) return fail(2, c == 'x' ? "illegal u_threshold specified" : "illegal l_threshold specified");
        (c == 'x' ? cmd_.u_threshold : cmd_.l_threshold) = static_cast<uint32_t>(*v);
        return true;
      }
      case 'c':
        return set_option(opt_connection);
      case 'n':
        cmd_.format |= fmt_numeric;
        return set_option(opt_numeric);
      case tag_mcast_interface:
        if (!set_option(opt_mcast_interface)) return false;
        cmd_.mcast_ifn = truncated(arg, 15);  // IP_VS_IFNAME_MAXLEN with its NUL
        return true;
      case tag_syncid: {
        if (!set_option(opt_syncid)) return false;
        const auto v = number(arg, 0, 255);
        if (!v) return fail(2, "illegal syncid specified");
        cmd_.syncid = static_cast<uint32_t>(*v);
        return true;
      }
      case tag_mcast_group: {
        if (!set_option(opt_mcast_group)) return false;
        const std::string s = arg ? arg : "";
        const auto a = parse_literal_address(s);
        const bool v6 = s.find(':') != std::string::npos;
        if (!a) return fail(2, std::string("invalid ") + (v6 ? "IPv6" : "IPv4") + " mcast-group `" + s + "'");
        unsupported_ = "--mcast-group " + s;
        return true;
      }
      case tag_mcast_port:
        if (!set_option(opt_mcast_port)) return false;
        if (!number(arg, 1, 65535)) return fail(2, "illegal mcast-port specified");
        unsupported_ = std::string("--mcast-port ") + arg;
        return true;
      case tag_mcast_ttl:
        if (!set_option(opt_mcast_ttl)) return false;
        if (!number(arg, 1, 255)) return fail(2, "illegal mcast-ttl specified");
        unsupported_ = std::string("--mcast-ttl ") + arg;
        return true;
      case tag_sync_maxlen:
        if (!set_option(opt_sync_maxlen)) return false;
        if (!number(arg, 1, 65535 - 20 - 8)) return fail(2, "illegal sync-maxlen specified");
        unsupported_ = std::string("--sync-maxlen ") + arg;
        return true;
      case tag_timeout:
        return set_option(opt_timeout);
      case tag_daemon:
        return set_option(opt_daemon);
      case tag_stats:
        cmd_.format |= fmt_stats;
        return set_option(opt_stats);
      case tag_rate:
        cmd_.format |= fmt_rate;
        return set_option(opt_rate);
      case tag_thresholds:
        cmd_.format |= fmt_thresholds;
        return set_option(opt_thresholds);
      case tag_persistentconn:
        cmd_.format |= fmt_persistentconn;
        return set_option(opt_persistentconn);
      case tag_nosort:
        cmd_.format |= fmt_nosort;
        return set_option(opt_nosort);
      case tag_sort:
        return true;  // sorting is the default; stock keeps --sort for old scripts
      case tag_exact:
        cmd_.format |= fmt_exact;
        return set_option(opt_exact);
      case tag_tun_info:
        cmd_.format |= fmt_tun_info;
        return set_option(opt_tun_info);
      case '6':
        if (cmd_.fwmark == 0) return fail(2, "-6 used before -f\n");
        cmd_.addr.family = 6;
        cmd_.netmask = 128;
        return true;
      case 'o':
        cmd_.flags |= svc_onepacket;
        return set_option(opt_ops);
      case tag_pe:
        if (!set_option(opt_pe)) return false;
        cmd_.pe = arg ? arg : "";
        return true;
      case tag_tun_type: {
        if (!set_option(opt_tun_type)) return false;
        const std::string t = arg ? arg : "";
        if (t != "ipip" && t != "gue" && t != "gre") return fail(2, "illegal tunnel type specified");
        cmd_.tun_type = t;
        return true;
      }
      case tag_tun_port:
        if (!set_option(opt_tun_port)) return false;
        if (!number(arg, 1, 65535)) return fail(2, "illegal tunnel port specified");
        return true;
      case tag_tun_nocsum:
        return set_option(opt_tun_nocsum);
      case tag_tun_csum:
        return set_option(opt_tun_csum);
      case tag_tun_remcsum:
        return set_option(opt_tun_remcsum);
      case 'z': {
        if (!set_option(opt_laddr)) return false;
        const auto a = parse_literal_address(arg ? arg : "");
        if (!a) return fail(2, std::string("-z/--laddr: illegal local address `") + (arg ? arg : "") + "' specified");
        cmd_.laddr = *a;
        return true;
      }
      case tag_fullnat_conn:
        return set_option(opt_fullnat_conn);
      case tag_per_worker:
        return set_option(opt_per_worker);
      case tag_no_toa:
        return set_option(opt_no_toa);
      default:
        // A second command, -h or -v after the command: stock names the option.
        return fail(2, std::string("invalid option `") + poptBadOption(pc, POPT_BADOPTION_NOALIAS) + "'");
    }
  }

  bool positional_args(poptContext pc) {
    if (cmd_.cmd == Cmd::timeout) {
      const char* a[3] = {poptGetArg(pc), nullptr, nullptr};
      if (a[0] != nullptr) a[1] = poptGetArg(pc);
      if (a[1] != nullptr) a[2] = poptGetArg(pc);
      if (a[2] == nullptr) return fail(2, "--set option requires 3 timeout values");
      uint32_t v[3];
      for (int i = 0; i < 3; ++i) {
        if (!timeout_value(a[i], 0, v[i])) return false;
      }
      cmd_.tcp_timeout = static_cast<int>(v[0]);
      cmd_.tcp_fin_timeout = static_cast<int>(v[1]);
      cmd_.udp_timeout = static_cast<int>(v[2]);
    }
    if (const char* extra = poptGetArg(pc)) return fail(2, std::string("unexpected argument ") + extra);
    return true;
  }

  bool sched_flags() {
    uint32_t flags = 0;
    std::string list = cmd_.sched_flags;
    size_t pos = 0;
    while (pos <= list.size()) {
      const size_t comma = list.find(',', pos);
      const std::string name = list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      pos = comma == std::string::npos ? list.size() + 1 : comma + 1;
      if (name.empty()) continue;
      if (name == "flag-1") {
        flags |= svc_sched1;
      } else if (name == "flag-2") {
        flags |= svc_sched2;
      } else if (name == "flag-3") {
        flags |= svc_sched3;
      } else if (name == "sh-fallback" || name == "sh-port" || name == "mh-fallback" || name == "mh-port") {
        if (cmd_.sched != name.substr(0, 2)) return fail(2, "incompatible scheduler flag `" + name + "'");
        flags |= name.ends_with("fallback") ? svc_sched1 : svc_sched2;
      } else {
        return fail(2, "invalid scheduler flag `" + name + "'");
      }
    }
    cmd_.flags |= flags;
    return true;
  }

  bool checks() {
    if (cmd_.cmd == Cmd::restore && reading_stdin_) return tryhelp();
    if (auto broken = check_rules(cmd_.cmd, cmd_.options)) return fail(2, *broken);

    if (cmd_.cmd == Cmd::add || cmd_.cmd == Cmd::edit) {
      if (cmd_.fwmark == 0 && cmd_.port == 0 && !(cmd_.flags & svc_persistent)) {
        return fail(2, "Zero port specified for non-persistent service");
      }
      if ((cmd_.flags & svc_onepacket) && cmd_.fwmark == 0 && cmd_.protocol != kProtoUdp) {
        return fail(2, "One-Packet Scheduling is only for UDP virtual services");
      }
      if (cmd_.sched.empty()) cmd_.sched = "wlc";
      if (cmd_.has(opt_sched_flags) && !sched_flags()) return false;
    }
    if (cmd_.cmd == Cmd::startdaemon && cmd_.mcast_ifn.empty()) cmd_.mcast_ifn = "eth0";
    if (cmd_.cmd == Cmd::adddest || cmd_.cmd == Cmd::editdest) {
      // Tunnelled and directly routed packets keep the virtual port.
      if (cmd_.fwmark == 0 && (cmd_.forward == fwd_tunnel || cmd_.forward == fwd_droute)) cmd_.dport = cmd_.port;
      const uint8_t svc_family = cmd_.addr.family == 0 ? 4 : cmd_.addr.family;
      if (cmd_.daddr.family != svc_family && cmd_.forward != fwd_tunnel) {
        return fail(2, "Different address family is allowed only for tunneling servers");
      }
      const uint64_t tun_opts =
          bit(opt_tun_type) | bit(opt_tun_port) | bit(opt_tun_nocsum) | bit(opt_tun_csum) | bit(opt_tun_remcsum);
      if ((cmd_.options & tun_opts) && cmd_.forward != fwd_tunnel) {
        return fail(2, "Tunnel options conflict with forward method");
      }
      if (cmd_.has(opt_tun_type) && cmd_.tun_type != "ipip") {
        return fail(2, "--tun-type " + cmd_.tun_type + ": fulcrumd tunnels with ipip only");
      }
      for (Opt o : {opt_tun_port, opt_tun_nocsum, opt_tun_csum, opt_tun_remcsum}) {
        if (cmd_.has(o))
          return fail(2, std::string("Illegal '") + option_name(o) + "' option with the 'ipip' tunnel type");
      }
    }
    if (cmd_.cmd == Cmd::list) {
      const bool other_listing = cmd_.options & (bit(opt_connection) | bit(opt_timeout) | bit(opt_daemon));
      const bool table_format = cmd_.options & (bit(opt_stats) | bit(opt_rate) | bit(opt_thresholds));
      const bool no_table = cmd_.options & (bit(opt_timeout) | bit(opt_daemon));
      if ((other_listing && table_format) || (no_table && cmd_.has(opt_persistentconn))) {
        return fail(2, "options conflicts in the list command");
      }
      if (cmd_.has(opt_fullnat_conn) && !cmd_.has(opt_connection)) {
        return fail(2, "--fullnat-conn: only with -c/--connection (ipvsadm -L -n -c --fullnat-conn)");
      }
    }
    // What fulcrumd cannot do, refused before anything is sent.
    if (cmd_.fwmark != 0) {
      return fail(2, "-f " + std::to_string(cmd_.fwmark) +
                         ": fwmark services are not supported by fulcrumd (use -t, -u or --sctp-service)");
    }
    if (cmd_.has(opt_pe)) return fail(2, "--pe " + cmd_.pe + ": persistence engines are not supported by fulcrumd");
    if (!unsupported_.empty()) {
      return fail(2, unsupported_ + ": fulcrumd's sync daemon takes only --mcast-interface and --syncid");
    }
    result_.command = cmd_;
    return true;
  }

  int argc_;
  const char* const* argv_;
  bool reading_stdin_;
  std::string program_;
  Command cmd_;
  std::string unsupported_;
  ParseResult result_;
};

}  // namespace

std::string tryhelp_text(const std::string& program) {
  return "Try `" + program + " -h' or '" + program + " --help' for more information.\n";
}

ParseResult parse_command_line(int argc, const char* const* argv, bool reading_stdin) {
  return Parser(argc, argv, reading_stdin).run();
}

}  // namespace fulcrum::ipvsadm
