#pragma once
// A forwarding method as a module of the connection core: the core finds (or makes) a packet's connection,
// keeps its state, timers and counters, and hands the packet to its method's module, which rewrites it for
// its way out. Each method registers itself in a table by its ForwardMethod value (fullnat.cpp; NAT, DR, TUN
// and SNAT come the same way).

#include <cstdint>

#include <rte_mbuf.h>

#include "conn/conn.hpp"
#include "fulcrum/ipvs/service.hpp"
#include "packet_view.hpp"

namespace fulcrum::ipvs {

struct LcoreIpvs;
class WorkerService;

// What a module may need to know about the connection's service beyond the connection itself.
struct ForwardContext {
  const WorkerService* service = nullptr;  // null once the service is gone
};

struct ForwardOps {
  const char* name = "";
  // A local address and port must be taken for a new connection (FullNAT, SNAT).
  bool needs_laddr = false;
  // Rewrite a packet of each direction for sending with Inet::output. False: drop it (counted by the module).
  bool (*in)(LcoreIpvs& L, Conn& c, const ForwardContext& ctx, rte_mbuf* m, PacketView& v) = nullptr;
  bool (*out)(LcoreIpvs& L, Conn& c, const ForwardContext& ctx, rte_mbuf* m, PacketView& v) = nullptr;
};

constexpr unsigned kForwardMethods = 8;  // ForwardMethod values
// The module of a method, or null when none is built in.
const ForwardOps* forward_ops(ForwardMethod m);

}  // namespace fulcrum::ipvs
