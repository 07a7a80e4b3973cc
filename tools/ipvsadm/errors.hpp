#pragma once
// What an error status from fulcrumd means, in stock ipvsadm's words (libipvs's ipvs_strerror): the same
// errno reads differently per operation ("Service not defined" when adding a real server, "No such service"
// when deleting a service), and errnos it has no words for fall back to strerror.

#include <string>

namespace fulcrum::ipvsadm {

enum class Op {
  init,
  add_service,
  edit_service,
  del_service,
  zero,
  add_dest,
  edit_dest,
  del_dest,
  flush,
  set_timeout,
  get_timeout,
  start_daemon,
  stop_daemon,
  get_daemon,
  get_services,
  get_service,
  get_dests,
  // Fulcrum's
  add_laddr,
  del_laddr,
  get_laddrs,
  get_conns,
  get_counters,
  get_bindings,
  get_snat,
};

// Stock's text for `err` in `op`, or Fulcrum's for its own operations.
std::string ipvs_strerror(Op op, int err);

// True where stock ipvsadm has words of its own for `err` in `op` (the daemon's detail is then left out, so
// that the message stays stock's).
bool has_stock_words(Op op, int err);

}  // namespace fulcrum::ipvsadm
