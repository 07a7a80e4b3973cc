// Running a command (see run.hpp). Listings print as they go, as stock ipvsadm does, so a failure half way
// leaves what was printed and exits 1.

#include "run.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "conn_list.hpp"
#include "binding_list.hpp"
#include "counters.hpp"
#include "snat_list.hpp"
#include "errors.hpp"
#include "laddr_list.hpp"
#include "listing.hpp"
#include "wire.hpp"

namespace fulcrum::ipvsadm {
namespace {

void out(const std::string& text) {
  std::fputs(text.c_str(), stdout);
}

// Stock's words for the error, then fulcrumd's own reason where stock's words are generic.
void report(Op op, int err, const std::string& detail) {
  std::fprintf(stderr, "%s\n", ipvs_strerror(op, err).c_str());
  if (!detail.empty() && !has_stock_words(op, err)) std::fprintf(stderr, "fulcrumd: %s\n", detail.c_str());
}

// A change: 0, or the error reported and stock's 255.
int change(Session& s, Op op, uint32_t id, const void* payload, uint32_t len) {
  if (int err = s.ipvs().set(id, payload, len)) {
    report(op, err, s.ipvs().detail());
    return 255;
  }
  return 0;
}

template <class T>
int change(Session& s, Op op, uint32_t id, const T& payload) {
  return change(s, op, id, &payload, static_cast<uint32_t>(sizeof payload));
}

int list_services(Session& s, unsigned format) {
  // Stock prints the version line before it asks for the services.
  if (!(format & fmt_rule)) out(format_version_line(s.version(), s.conn_table_size()));
  std::fflush(stdout);
  std::vector<Service> services;
  if (int err = s.ipvs().get_services(services)) {
    report(Op::get_services, err, s.ipvs().detail());
    return 1;
  }
  for (Service& svc : services) {
    if (int err = s.ipvs().get_dests(svc)) {
      report(Op::get_dests, err, s.ipvs().detail());
      return 1;
    }
    if ((format & fmt_rule) && svc.num_laddrs > 0) {
      if (int err = s.ipvs().get_laddrs(encode_key(svc), svc.laddrs)) {
        report(Op::get_laddrs, err, s.ipvs().detail());
        return 1;
      }
    }
  }
  out(format_services(std::move(services), format));
  return 0;
}

int list_one_service(Session& s, const Command& cmd) {
  Service svc;
  int err = s.ipvs().get_service(encode_key(cmd), svc);
  if (err == 0) err = s.ipvs().get_dests(svc);
  if (err != 0) {
    report(Op::get_service, err, s.ipvs().detail());
    return 1;
  }
  out(format_title(cmd.format));
  out(format_service(svc, cmd.format));
  return 0;
}

int list_conns(Session& s, const Command& cmd) {
  std::vector<ctrl::ipvs_conn::ConnEntry> conns;
  if (int err = s.ipvs().get_conns(conns)) {
    report(Op::get_conns, err, s.ipvs().detail());
    return 1;
  }
  const bool fullnat = cmd.has(opt_fullnat_conn);
  out(format_conn_title(cmd.format, fullnat));
  for (const auto& c : conns) out(format_conn(c, cmd.format, fullnat));
  return 0;
}

int list_timeout(Session& s) {
  ip_vs_timeout_user t{};
  if (int err = s.ipvs().get_timeout(t)) {
    report(Op::get_timeout, err, s.ipvs().detail());
    return 1;
  }
  out(format_timeout(t.tcp_timeout, t.tcp_fin_timeout, t.udp_timeout));
  return 0;
}

int list_daemon(Session& s) {
  ip_vs_daemon_user d[2]{};
  if (int err = s.ipvs().get_daemons(d)) {
    report(Op::get_daemon, err, s.ipvs().detail());
    return 1;
  }
  // The kernel's two slots: the master's, then the backup's.
  if (d[0].state & IP_VS_STATE_MASTER)
    out(format_daemon(1, std::string(d[0].mcast_ifn, strnlen(d[0].mcast_ifn, 16)), static_cast<uint32_t>(d[0].syncid)));
  if (d[1].state & IP_VS_STATE_BACKUP)
    out(format_daemon(2, std::string(d[1].mcast_ifn, strnlen(d[1].mcast_ifn, 16)), static_cast<uint32_t>(d[1].syncid)));
  return 0;
}

int list(Session& s, const Command& cmd) {
  if (cmd.has(opt_connection)) return list_conns(s, cmd);
  if (cmd.has(opt_service)) return list_one_service(s, cmd);
  if (cmd.has(opt_timeout)) return list_timeout(s);
  if (cmd.has(opt_daemon)) return list_daemon(s);
  return list_services(s, cmd.format);
}

int get_laddrs(Session& s, const Command& cmd) {
  std::vector<Service> services;
  int err = 0;
  if (cmd.has(opt_service)) {
    Service svc;
    err = s.ipvs().get_service(encode_key(cmd), svc);
    if (err == 0) services.push_back(svc);
  } else {
    err = s.ipvs().get_services(services);
    if (err == 0) sort_services(services);
  }
  if (err != 0) {
    report(Op::get_laddrs, err, s.ipvs().detail());
    return 1;
  }
  std::vector<ctrl::ipvs_conn::LaddrEntry> pool;
  if ((err = s.ipvs().get_laddr_pool(pool)) != 0) {
    report(Op::get_laddrs, err, s.ipvs().detail());
    return 1;
  }
  const bool per_worker = cmd.has(opt_per_worker);
  out(format_laddr_title(per_worker));
  for (const Service& svc : services) {
    std::vector<Addr> laddrs;
    if ((err = s.ipvs().get_laddrs(encode_key(svc), laddrs)) != 0) {
      std::fflush(stdout);
      report(Op::get_laddrs, err, s.ipvs().detail());
      return 1;
    }
    out(format_laddr_group(svc, laddrs, pool, per_worker, cmd.format | fmt_numeric));
  }
  return 0;
}

int counters(Session& s, const Command& cmd) {
  Counters c;
  if (int err = s.ipvs().get_counters(cmd.has(opt_per_worker), c)) {
    report(Op::get_counters, err, s.ipvs().detail());
    return 1;
  }
  out(format_counters(c, cmd.has(opt_per_worker)));
  return 0;
}

int list_bindings(Session& s) {
  std::vector<VipBinding> bindings;
  if (int err = s.ipvs().get_vip_bindings(bindings)) {
    report(Op::get_bindings, err, s.ipvs().detail());
    return 1;
  }
  out(format_bindings(bindings));
  return 0;
}

int list_snat(Session& s) {
  std::vector<SnatRule> rules;
  if (int err = s.ipvs().get_snat_rules(rules)) {
    report(Op::get_snat, err, s.ipvs().detail());
    return 1;
  }
  out(format_snat_rules(rules));
  return 0;
}

}  // namespace

bool Session::init() {
  if (state_ != 0) return state_ > 0;
  const std::string path = ctrl::Client::default_path();
  int err = client_.connect(path);
  std::string reason;
  if (err != 0) {
    // What the sockopt bridge answers when the daemon is down: no IPVS here.
    reason = "control socket " + path + ": " + std::strerror(err);
    err = (err == EACCES || err == EPERM) ? EPERM : ENOPROTOOPT;
  } else if ((err = ipvs_.get_info(version_, conn_table_size_)) != 0) {
    reason = ipvs_.detail();
  }
  if (err != 0) {
    std::fprintf(stderr, "Can't initialize ipvs: %s\n", ipvs_strerror(Op::init, err).c_str());
    std::fprintf(stderr, "Are you sure that fulcrumd is running?%s%s\n", reason.empty() ? "" : " ", reason.c_str());
    state_ = -1;
    return false;
  }
  state_ = 1;
  return true;
}

int execute(const Command& cmd, Session& s) {
  if (!s.init()) return 2;
  int rc = 0;
  switch (cmd.cmd) {
    case Cmd::list:
      rc = list(s, cmd);
      break;
    case Cmd::save:
      rc = list_services(s, cmd.format | fmt_rule);
      break;
    case Cmd::add:
      rc = change(s, Op::add_service, msg::kAddService, encode_service_req(cmd));
      break;
    case Cmd::edit:
      rc = change(s, Op::edit_service, msg::kEditService, encode_service_req(cmd));
      break;
    case Cmd::del: {
      msg::ServiceKeyQuery q{msg::kVersion, encode_key(cmd)};
      rc = change(s, Op::del_service, msg::kDelService, q);
      break;
    }
    case Cmd::adddest:
      rc = change(s, Op::add_dest, msg::kAddDest, encode_dest_req(cmd));
      break;
    case Cmd::editdest:
      rc = change(s, Op::edit_dest, msg::kEditDest, encode_dest_req(cmd));
      break;
    case Cmd::deldest:
      rc = change(s, Op::del_dest, msg::kDelDest, encode_dest_req(cmd));
      break;
    case Cmd::zero:
      rc = change(s, Op::zero, msg::kZero, encode_zero_req(cmd));
      break;
    // The kernel's sockopts: FLUSH empties the whole table (both families), as the kernel's does.
    case Cmd::flush:
      rc = change(s, Op::flush, IP_VS_SO_SET_FLUSH, nullptr, 0);
      break;
    case Cmd::timeout:
      rc = change(s, Op::set_timeout, IP_VS_SO_SET_TIMEOUT, encode_timeout(cmd));
      break;
    case Cmd::startdaemon:
      rc = change(s, Op::start_daemon, IP_VS_SO_SET_STARTDAEMON, encode_daemon(cmd));
      break;
    case Cmd::stopdaemon:
      rc = change(s, Op::stop_daemon, IP_VS_SO_SET_STOPDAEMON, encode_daemon(cmd));
      break;
    case Cmd::add_laddr:
      rc = change(s, Op::add_laddr, msg::kAddLaddr, encode_laddr_req(cmd));
      break;
    case Cmd::del_laddr:
      rc = change(s, Op::del_laddr, msg::kDelLaddr, encode_laddr_req(cmd));
      break;
    case Cmd::get_laddr:
      rc = get_laddrs(s, cmd);
      break;
    case Cmd::counters:
      rc = counters(s, cmd);
      break;
    case Cmd::list_bindings:
      rc = list_bindings(s);
      break;
    case Cmd::list_snat:
      rc = list_snat(s);
      break;
    case Cmd::restore:
    case Cmd::none:
      rc = 2;
      break;
  }
  std::fflush(stdout);
  return rc;
}

}  // namespace fulcrum::ipvsadm
