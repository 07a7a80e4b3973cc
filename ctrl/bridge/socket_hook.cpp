// socket(): both tools open socket(AF_INET, SOCK_RAW, IPPROTO_RAW) only to carry the IPVS sockopts. Without
// CAP_NET_RAW (an operator granted CAP_NET_ADMIN alone, which is what fulcrumd checks) that fails, so a UDP
// socket stands in: the sockopt hooks answer on any AF_INET socket, and nothing is ever sent on it.

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>

#include "export.hpp"
#include "log.hpp"
#include "real.hpp"

using namespace fulcrum;

FULCRUM_BRIDGE_EXPORT int socket(int domain, int type, int protocol) {
  const int fd = bridge::real::socket()(domain, type, protocol);
  constexpr int kTypeMask = 0xf;  // SOCK_TYPE_MASK: the flags SOCK_CLOEXEC and SOCK_NONBLOCK are above it
  if (fd >= 0 || (errno != EPERM && errno != EACCES) || domain != AF_INET || (type & kTypeMask) != SOCK_RAW ||
      protocol != IPPROTO_RAW) {
    return fd;
  }
  const int placeholder = bridge::real::socket()(AF_INET, SOCK_DGRAM | (type & ~kTypeMask), 0);
  bridge::debug("raw socket refused (no CAP_NET_RAW): a UDP socket (fd %d) carries the IPVS sockopts", placeholder);
  return placeholder;
}
