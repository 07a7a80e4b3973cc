#include "peer_auth.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <string>

#include "unique_fd.hpp"

namespace fulcrum::ctrl {

std::optional<Peer> peer_credentials(int fd) {
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof(cred)) return std::nullopt;
  return Peer{cred.pid, cred.uid, cred.gid};
}

std::optional<uint64_t> parse_cap_eff(std::string_view proc_status) {
  constexpr std::string_view kKey = "CapEff:";
  size_t pos = 0;
  while (pos < proc_status.size()) {
    size_t eol = proc_status.find('\n', pos);
    if (eol == std::string_view::npos) eol = proc_status.size();
    std::string_view line = proc_status.substr(pos, eol - pos);
    pos = eol + 1;
    if (!line.starts_with(kKey)) continue;
    line.remove_prefix(kKey.size());
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) line.remove_suffix(1);
    uint64_t mask = 0;
    const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), mask, 16);
    if (ec != std::errc() || end != line.data() + line.size() || line.empty()) return std::nullopt;
    return mask;
  }
  return std::nullopt;
}

std::optional<unsigned> parse_euid(std::string_view proc_status) {
  constexpr std::string_view kKey = "Uid:";
  size_t pos = 0;
  while (pos < proc_status.size()) {
    size_t eol = proc_status.find('\n', pos);
    if (eol == std::string_view::npos) eol = proc_status.size();
    std::string_view line = proc_status.substr(pos, eol - pos);
    pos = eol + 1;
    if (!line.starts_with(kKey)) continue;
    line.remove_prefix(kKey.size());
    // "Uid:\treal\teffective\tsaved\tfs": the second number.
    unsigned ids[2] = {0, 0};
    for (unsigned& id : ids) {
      while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
      const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), id, 10);
      if (ec != std::errc() || end == line.data()) return std::nullopt;
      line.remove_prefix(static_cast<size_t>(end - line.data()));
    }
    return ids[1];
  }
  return std::nullopt;
}

bool grants_admin(const Peer& peer, std::optional<uint64_t> cap_eff, std::optional<unsigned> euid,
                  bool same_user_ns) {
  if (!cap_eff || !euid || *euid != peer.uid || !same_user_ns) return false;
  return ((*cap_eff >> kCapNetAdmin) & 1u) != 0;
}

namespace {

// Both stat()s name the namespace by (dev, inode), as /proc/<pid>/ns/* do.
bool in_our_user_ns(int pid) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
  struct stat theirs {}, ours {};
  if (::stat(path, &theirs) != 0 || ::stat("/proc/self/ns/user", &ours) != 0) return false;
  return theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino;
}

}  // namespace

bool may_administer(const Peer& peer) {
  if (peer.uid == 0) return true;
  // pid 0: the peer lives in a pid namespace we can not see, so its capabilities can not be checked.
  if (peer.pid <= 0) return false;
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/status", peer.pid);
  UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
  if (!fd) return false;
  std::string text;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n > 0) {
      text.append(buf, static_cast<size_t>(n));
      if (text.size() > (1u << 16)) return false;  // not a status file we understand
    } else if (n == 0) {
      break;
    } else if (errno != EINTR) {
      return false;
    }
  }
  return grants_admin(peer, parse_cap_eff(text), parse_euid(text), in_our_user_ns(peer.pid));
}

}  // namespace fulcrum::ctrl
