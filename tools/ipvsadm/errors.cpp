// libipvs's error words, as ipvsadm 1.31 prints them (see errors.hpp), and Fulcrum's for its extensions.

#include "errors.hpp"

#include <cerrno>
#include <cstring>

namespace fulcrum::ipvsadm {
namespace {

const char* specific(Op op, int err) {
  switch (op) {
    case Op::add_service:
      if (err == EEXIST) return "Service already exists";
      if (err == ENOENT) return "Scheduler or persistence engine not found";
      break;
    case Op::edit_service:
      if (err == ESRCH) return "No such service";
      if (err == ENOENT) return "Scheduler or persistence engine not found";
      break;
    case Op::del_service:
    case Op::zero:
    case Op::get_services:
    case Op::get_service:
    case Op::get_dests:
      if (err == ESRCH) return "No such service";
      break;
    case Op::add_dest:
      if (err == ESRCH) return "Service not defined";
      if (err == EEXIST) return "Destination already exists";
      break;
    case Op::edit_dest:
    case Op::del_dest:
      if (err == ESRCH) return "Service not defined";
      if (err == ENOENT) return "No such destination";
      break;
    case Op::start_daemon:
      if (err == EEXIST) return "Daemon has already run";
      break;
    case Op::stop_daemon:
      if (err == ESRCH) return "No daemon is running";
      break;
    // Fulcrum's own operations, worded as stock words the others.
    case Op::add_laddr:
      if (err == ESRCH) return "Service not defined";
      if (err == EEXIST) return "Local address already exists";
      break;
    case Op::del_laddr:
      if (err == ESRCH) return "Service not defined";
      if (err == ENOENT) return "No such local address";
      break;
    case Op::get_laddrs:
      if (err == ESRCH) return "No such service";
      break;
    default:
      break;
  }
  return nullptr;
}

const char* common(int err) {
  switch (err) {
    case EPERM:
      return "Permission denied (you must be root)";
    case EINVAL:
      return "Invalid operation.  Possibly wrong module version, address not unicast, ...";
    case ENOPROTOOPT:
      return "Protocol not available";
    case ENOMEM:
      return "Memory allocation problem";
    case EOPNOTSUPP:
      return "Operation not supported with IPv6";
    case EAFNOSUPPORT:
      return "Operation not supported with specified address family";
    case EMSGSIZE:
      return "Module is wrong version";
    default:
      return nullptr;
  }
}

}  // namespace

bool has_stock_words(Op op, int err) {
  return specific(op, err) != nullptr || (common(err) && err != EINVAL);
}

std::string ipvs_strerror(Op op, int err) {
  if (const char* s = specific(op, err)) return s;
  if (const char* s = common(err)) return s;
  return std::strerror(err);
}

}  // namespace fulcrum::ipvsadm
