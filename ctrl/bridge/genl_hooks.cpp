// sendmsg/sendto/send: where libnl's request for the "IPVS" family leaves the process (genl_hide.hpp).
// Every other message passes untouched; the costly checks (the socket's family and protocol) run only for a
// buffer that already looks like a genl controller request.

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <cstring>

#include "export.hpp"
#include "genl_hide.hpp"
#include "log.hpp"
#include "real.hpp"

namespace fulcrum::bridge {
namespace {

constexpr size_t kMaxLookup = 4096;  // a family lookup is a few dozen bytes

bool looks_like_ctrl_request(const void* buf, size_t len) {
  if (buf == nullptr || len < NLMSG_HDRLEN + GENL_HDRLEN || len > kMaxLookup) return false;
  uint16_t type = 0;
  std::memcpy(&type, static_cast<const unsigned char*>(buf) + offsetof(nlmsghdr, nlmsg_type), sizeof type);
  return type == GENL_ID_CTRL;
}

bool is_genl_socket(int fd) {
  int v = 0;
  socklen_t l = sizeof v;
  if (real::getsockopt()(fd, SOL_SOCKET, SO_DOMAIN, &v, &l) != 0 || v != AF_NETLINK) return false;
  l = sizeof v;
  return real::getsockopt()(fd, SOL_SOCKET, SO_PROTOCOL, &v, &l) == 0 && v == NETLINK_GENERIC;
}

// The request to send instead, or nothing to change.
bool hidden(int fd, const void* buf, size_t len, unsigned char (&out)[kHiddenLookupSize]) {
  if (!looks_like_ctrl_request(buf, len) || !rewrite_ipvs_lookup(buf, len, out) || !is_genl_socket(fd)) return false;
  debug("genl lookup of the IPVS family on fd %d hidden: the tools use the sockopt path", fd);
  return true;
}

}  // namespace
}  // namespace fulcrum::bridge

using namespace fulcrum;

FULCRUM_BRIDGE_EXPORT ssize_t sendmsg(int fd, const msghdr* msg, int flags) {
  if (msg != nullptr && msg->msg_iovlen >= 1 && msg->msg_iov != nullptr) {
    // libnl sends a request as one iovec; gather a few small ones, leave anything else alone.
    unsigned char flat[bridge::kMaxLookup];
    size_t total = 0;
    bool fits = msg->msg_iovlen <= 8;
    for (size_t i = 0; fits && i < msg->msg_iovlen; ++i) {
      const iovec& v = msg->msg_iov[i];
      fits = total + v.iov_len <= sizeof flat && (v.iov_base != nullptr || v.iov_len == 0);
      if (fits && v.iov_len > 0) std::memcpy(flat + total, v.iov_base, v.iov_len);
      total += fits ? v.iov_len : 0;
    }
    unsigned char out[bridge::kHiddenLookupSize];
    if (fits && bridge::hidden(fd, flat, total, out)) {
      iovec iov{out, sizeof out};
      msghdr m = *msg;
      m.msg_iov = &iov;
      m.msg_iovlen = 1;
      const ssize_t n = bridge::real::sendmsg()(fd, &m, flags);
      return n < 0 ? n : static_cast<ssize_t>(total);  // the caller sent `total` bytes, as far as it knows
    }
  }
  return bridge::real::sendmsg()(fd, msg, flags);
}

FULCRUM_BRIDGE_EXPORT ssize_t sendto(int fd, const void* buf, size_t len, int flags, const sockaddr* to,
                                     socklen_t tolen) {
  unsigned char out[bridge::kHiddenLookupSize];
  if (bridge::hidden(fd, buf, len, out)) {
    const ssize_t n = bridge::real::sendto()(fd, out, sizeof out, flags, to, tolen);
    return n < 0 ? n : static_cast<ssize_t>(len);
  }
  return bridge::real::sendto()(fd, buf, len, flags, to, tolen);
}

FULCRUM_BRIDGE_EXPORT ssize_t send(int fd, const void* buf, size_t len, int flags) {
  unsigned char out[bridge::kHiddenLookupSize];
  if (bridge::hidden(fd, buf, len, out)) {
    const ssize_t n = bridge::real::send()(fd, out, sizeof out, flags);
    return n < 0 ? n : static_cast<ssize_t>(len);
  }
  return bridge::real::send()(fd, buf, len, flags);
}
