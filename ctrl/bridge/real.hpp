#pragma once
// The libc functions the bridge wraps, found once with dlsym(RTLD_NEXT): the bridge's own calls and every
// call it passes on go to the real thing, never back into the bridge.

#include <sys/socket.h>
#include <sys/types.h>

namespace fulcrum::bridge::real {

using SocketFn = int (*)(int, int, int);
using GetsockoptFn = int (*)(int, int, int, void*, socklen_t*);
using SetsockoptFn = int (*)(int, int, int, const void*, socklen_t);
using SendmsgFn = ssize_t (*)(int, const msghdr*, int);
using SendtoFn = ssize_t (*)(int, const void*, size_t, int, const sockaddr*, socklen_t);
using SendFn = ssize_t (*)(int, const void*, size_t, int);
using ExecveFn = int (*)(const char*, char* const[], char* const[]);
using ExecvpeFn = int (*)(const char*, char* const[], char* const[]);

// Each is never null: a symbol libc lacks resolves to a stub that fails with ENOSYS.
SocketFn socket();
GetsockoptFn getsockopt();
SetsockoptFn setsockopt();
SendmsgFn sendmsg();
SendtoFn sendto();
SendFn send();
ExecveFn execve();
ExecvpeFn execvpe();

}  // namespace fulcrum::bridge::real
