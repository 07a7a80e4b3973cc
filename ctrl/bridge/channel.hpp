#pragma once
// The process's one connection to fulcrumd's control socket, and one request/reply over it.
//
// The pitfalls the compat doc measured, and how this file meets them:
// - fork: the child inherits the fd; the parent and child would read each other's replies. Every use checks
//   the pid that opened the connection; a child drops its inherited copy and opens its own.
// - dup2/close/close_range by the program: the fd number may now be the program's. Every use checks the
//   (st_dev, st_ino) the connection had; when they differ the number is left alone and a new one is opened.
// - exec: the fd is close-on-exec, so no program inherits a connection it does not know about.
// - fd numbers: moved high (F_DUPFD_CLOEXEC), away from the low numbers programs dup2 onto.
// - SIGPIPE: written with MSG_NOSIGNAL; a dead daemon is EPIPE, not a killed keepalived.
// - a hung daemon: every wait has a deadline (FULCRUM_BRIDGE_TIMEOUT_MS, default 10000); EINTR retries.

#include <cstdint>

namespace fulcrum::bridge {

struct Reply {
  int status = 0;                 // the daemon's: 0 or a positive errno
  unsigned char* data = nullptr;  // malloc'd (free it), `len` bytes
  uint32_t len = 0;
};

// Sends one request (kind: ctrl::Kind get or set; id: the optname) and reads its reply, whose payload must
// not exceed max_reply bytes. Returns 0 with `out` filled, or a local errno: ENOPROTOOPT when the daemon
// can not be reached or went away (as a kernel without IPVS), EPERM when its socket refuses us, ETIMEDOUT,
// EPROTO for a reply that is not one, ENOMEM. Thread-safe; async-signal-unsafe.
int call(uint16_t kind, uint32_t id, const void* payload, uint32_t len, uint32_t max_reply, Reply* out);

}  // namespace fulcrum::bridge
