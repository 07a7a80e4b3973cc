// getsockopt/setsockopt for the kernel's IPVS options, answered by fulcrumd.
//
// Keyed on (IPPROTO_IP, optname 1152-1167) on an AF_INET socket, as the kernel's netfilter sockopt table
// is: no table of fds to keep in step with close, dup and fork. Everything else goes to the kernel.

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "channel.hpp"
#include "export.hpp"
#include "fulcrum/ctrl/protocol.hpp"
#include "log.hpp"
#include "real.hpp"

namespace fulcrum::bridge {
namespace {

constexpr int kGetVersion = 1152;  // IP_VS_SO_GET_VERSION: the one GET whose reply length goes to *optlen

bool ipvs_option(int fd, int level, int optname) {
  if (level != IPPROTO_IP || optname < static_cast<int>(ctrl::ids::kIpvsSockoptFirst) ||
      optname > static_cast<int>(ctrl::ids::kIpvsSockoptLast)) {
    return false;
  }
  // A bad fd, or one that is not AF_INET, gets the kernel's own answer.
  int domain = 0;
  socklen_t len = sizeof domain;
  return real::getsockopt()(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 && domain == AF_INET;
}

int fail(int err) {
  errno = err;
  return -1;
}

}  // namespace
}  // namespace fulcrum::bridge

using namespace fulcrum;

FULCRUM_BRIDGE_EXPORT int getsockopt(int fd, int level, int optname, void* optval, socklen_t* optlen) {
  if (!bridge::ipvs_option(fd, level, optname)) return bridge::real::getsockopt()(fd, level, optname, optval, optlen);
  if (optlen == nullptr) return bridge::fail(EFAULT);
  const socklen_t len = *optlen;
  if (static_cast<int>(len) < 0) return bridge::fail(EINVAL);
  if (len > ctrl::kMaxPayload) return bridge::fail(EINVAL);
  if (len > 0 && optval == nullptr) return bridge::fail(EFAULT);
  bridge::Reply r;
  const int err = bridge::call(static_cast<uint16_t>(ctrl::Kind::get), static_cast<uint32_t>(optname), optval,
                               len, len, &r);
  if (err != 0) {
    bridge::debug("getsockopt %d len %u: %s", optname, len, std::strerror(err));
    return bridge::fail(err);
  }
  if (r.status != 0) {
    bridge::debug("getsockopt %d len %u: daemon: %s%s%.*s", optname, len, std::strerror(r.status),
                  r.len > 0 ? ": " : "", static_cast<int>(r.len), reinterpret_cast<const char*>(r.data));
    std::free(r.data);
    return bridge::fail(r.status);
  }
  // What the kernel writes into the caller's buffer, from its start; the rest stays the caller's.
  if (r.len > 0) std::memcpy(optval, r.data, r.len);
  if (optname == bridge::kGetVersion) *optlen = r.len;
  std::free(r.data);
  return 0;
}

FULCRUM_BRIDGE_EXPORT int setsockopt(int fd, int level, int optname, const void* optval, socklen_t optlen) {
  if (!bridge::ipvs_option(fd, level, optname)) return bridge::real::setsockopt()(fd, level, optname, optval, optlen);
  if (optlen > ctrl::kMaxPayload) return bridge::fail(EINVAL);
  if (optlen > 0 && optval == nullptr) return bridge::fail(EFAULT);
  bridge::Reply r;
  const int err = bridge::call(static_cast<uint16_t>(ctrl::Kind::set), static_cast<uint32_t>(optname), optval,
                               optlen, ctrl::kMaxPayload, &r);
  if (err != 0) {
    bridge::debug("setsockopt %d len %u: %s", optname, optlen, std::strerror(err));
    return bridge::fail(err);
  }
  const int status = r.status;
  if (status != 0) {
    bridge::debug("setsockopt %d len %u: daemon: %s%s%.*s", optname, optlen, std::strerror(status),
                  r.len > 0 ? ": " : "", static_cast<int>(r.len), reinterpret_cast<const char*>(r.data));
  }
  std::free(r.data);
  return status != 0 ? bridge::fail(status) : 0;
}
