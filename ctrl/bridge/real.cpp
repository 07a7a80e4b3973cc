#include "real.hpp"

#include <dlfcn.h>

#include <atomic>
#include <cerrno>

namespace fulcrum::bridge::real {
namespace {

int no_socket(int, int, int) { return errno = ENOSYS, -1; }
int no_getsockopt(int, int, int, void*, socklen_t*) { return errno = ENOSYS, -1; }
int no_setsockopt(int, int, int, const void*, socklen_t) { return errno = ENOSYS, -1; }
ssize_t no_sendmsg(int, const msghdr*, int) { return errno = ENOSYS, -1; }
ssize_t no_sendto(int, const void*, size_t, int, const sockaddr*, socklen_t) { return errno = ENOSYS, -1; }
ssize_t no_send(int, const void*, size_t, int) { return errno = ENOSYS, -1; }
int no_exec(const char*, char* const[], char* const[]) { return errno = ENOSYS, -1; }

// A racing first call in two threads looks the symbol up twice and stores the same pointer: harmless, so
// relaxed atomics are enough (and need no libstdc++ at run time: std::atomic of a pointer is inline).
template <class Fn>
Fn lookup(std::atomic<Fn>& cache, const char* name, Fn fallback) {
  Fn fn = cache.load(std::memory_order_relaxed);
  if (fn == nullptr) {
    void* sym = ::dlsym(RTLD_NEXT, name);
    fn = sym != nullptr ? reinterpret_cast<Fn>(sym) : fallback;
    cache.store(fn, std::memory_order_relaxed);
  }
  return fn;
}

std::atomic<SocketFn> g_socket;
std::atomic<GetsockoptFn> g_getsockopt;
std::atomic<SetsockoptFn> g_setsockopt;
std::atomic<SendmsgFn> g_sendmsg;
std::atomic<SendtoFn> g_sendto;
std::atomic<SendFn> g_send;
std::atomic<ExecveFn> g_execve;
std::atomic<ExecvpeFn> g_execvpe;

}  // namespace

SocketFn socket() { return lookup(g_socket, "socket", &no_socket); }
GetsockoptFn getsockopt() { return lookup(g_getsockopt, "getsockopt", &no_getsockopt); }
SetsockoptFn setsockopt() { return lookup(g_setsockopt, "setsockopt", &no_setsockopt); }
SendmsgFn sendmsg() { return lookup(g_sendmsg, "sendmsg", &no_sendmsg); }
SendtoFn sendto() { return lookup(g_sendto, "sendto", &no_sendto); }
SendFn send() { return lookup(g_send, "send", &no_send); }
ExecveFn execve() { return lookup(g_execve, "execve", &no_exec); }
ExecvpeFn execvpe() { return lookup(g_execvpe, "execvpe", &no_exec); }

}  // namespace fulcrum::bridge::real
