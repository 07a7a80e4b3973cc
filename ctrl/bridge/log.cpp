#include "log.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>

namespace fulcrum::bridge {

void debug(const char* fmt, ...) {
  const char* on = std::getenv("FULCRUM_BRIDGE_DEBUG");
  if (on == nullptr || on[0] == '\0' || on[0] == '0') return;
  const int saved = errno;  // callers report errno right after
  char line[512];
  int n = std::snprintf(line, sizeof line, "fulcrum-bridge[%d]: ", static_cast<int>(::getpid()));
  va_list ap;
  va_start(ap, fmt);
  n += std::vsnprintf(line + n, sizeof line - static_cast<size_t>(n), fmt, ap);
  va_end(ap);
  if (n > static_cast<int>(sizeof line) - 2) n = static_cast<int>(sizeof line) - 2;
  line[n++] = '\n';
  // One write: lines of several processes (keepalived's children) do not interleave.
  ssize_t ignored = ::write(STDERR_FILENO, line, static_cast<size_t>(n));
  (void)ignored;
  errno = saved;
}

}  // namespace fulcrum::bridge
