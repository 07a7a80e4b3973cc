#pragma once
// Creating the control socket's file safely: its directory, a stale file from a dead daemon, a live one.

#include <sys/types.h>

#include <string>

#include "unique_fd.hpp"

namespace fulcrum::ctrl {

struct ListenSocket {
  UniqueFd fd;  // non-blocking, listening
  // Identity of the file we bound, so that shutdown never unlinks a successor daemon's socket.
  dev_t dev = 0;
  ino_t ino = 0;
};

// Creates missing parent directories (0755), removes a stale socket, refuses a live one, and binds
// and listens with mode 0600. Throws std::runtime_error naming the path and the cause.
ListenSocket listen_unix(const std::string& path);

// Unlinks `path` only if it is still the file that listen_unix created.
void unlink_if_same(const std::string& path, const ListenSocket& socket);

}  // namespace fulcrum::ctrl
