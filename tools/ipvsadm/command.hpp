#pragma once
// One ipvsadm command line, parsed: the command, the options given, and their values. The option bits and
// the command/option rules follow stock ipvsadm 1.31 (its option names appear in its messages), with
// Fulcrum's extensions after them.

#include <cstdint>
#include <string>

#include "model.hpp"

namespace fulcrum::ipvsadm {

enum class Cmd : int {
  none = 0,
  add,          // -A
  edit,         // -E
  del,          // -D
  flush,        // -C
  list,         // -L, -l
  adddest,      // -a
  deldest,      // -d
  editdest,     // -e
  timeout,      // --set
  startdaemon,  // --start-daemon
  stopdaemon,   // --stop-daemon
  restore,      // -R
  save,         // -S
  zero,         // -Z
  // Fulcrum's
  add_laddr,  // -P
  del_laddr,  // -Q
  get_laddr,  // -G
  counters,   // --counters
  list_bindings,  // --list-bindings
  list_snat,      // --list-snat
};

// Option bits, in stock ipvsadm's order: when several rules are broken, the first in this order is reported.
enum Opt : int {
  opt_numeric,
  opt_connection,
  opt_service,
  opt_scheduler,
  opt_persistent,
  opt_netmask,
  opt_server,
  opt_forward,
  opt_weight,
  opt_uthreshold,
  opt_lthreshold,
  opt_mcast_interface,
  opt_timeout,
  opt_daemon,
  opt_stats,
  opt_rate,
  opt_thresholds,
  opt_persistentconn,
  opt_nosort,
  opt_syncid,
  opt_exact,
  opt_ops,
  opt_pe,
  opt_sched_flags,
  opt_mcast_group,
  opt_mcast_port,
  opt_mcast_ttl,
  opt_sync_maxlen,
  opt_tun_info,
  opt_tun_type,
  opt_tun_port,
  opt_tun_nocsum,
  opt_tun_csum,
  opt_tun_remcsum,
  // Fulcrum's
  opt_laddr,
  opt_fullnat,  // the service's FullNAT binding (-A/-E); for -a/-e, -b is a forwarding method (opt_forward)
  opt_fullnat_conn,
  opt_per_worker,
  opt_no_toa,  // FullNAT without TOA (-A/-E)
  opt_count
};

constexpr uint64_t bit(Opt o) {
  return uint64_t{1} << o;
}

const char* option_name(Opt o);
const char* command_name(Cmd c);

// The default persistence timeout of -p without a value, and the longest timeout ipvsadm takes.
constexpr uint32_t kDefaultPersistence = 360;
constexpr int kMaxTimeout = 86400 * 31;

struct Command {
  Cmd cmd = Cmd::none;
  uint64_t options = 0;  // bit(Opt)
  unsigned format = 0;   // listing.hpp's Format

  // The virtual service (-t/-u/--sctp-service/-f) and -A/-E's settings.
  uint16_t protocol = kProtoTcp;
  Addr addr;
  uint16_t port = 0;
  uint32_t fwmark = 0;
  std::string sched;
  uint32_t flags = 0;
  uint32_t timeout = 0;
  uint32_t netmask = 0xffffffff;  // IPv4 host order, or an IPv6 prefix length
  std::string sched_flags;        // -b/--sched-flags as given
  std::string pe;

  // The real server (-r) and -a/-e's settings. Direct routing is stock ipvsadm's default.
  Addr daddr;
  uint16_t dport = 0;
  uint32_t forward = fwd_droute;
  int32_t weight = 1;
  uint32_t u_threshold = 0;
  uint32_t l_threshold = 0;
  std::string tun_type;

  // --set
  int tcp_timeout = 0, tcp_fin_timeout = 0, udp_timeout = 0;

  // --start-daemon / --stop-daemon
  uint32_t daemon_state = 0;  // 1 master, 2 backup
  std::string mcast_ifn;
  uint32_t syncid = 0;

  // -P/-Q: the local address (-z)
  Addr laddr;

  bool has(Opt o) const { return (options & bit(o)) != 0; }
};

}  // namespace fulcrum::ipvsadm
