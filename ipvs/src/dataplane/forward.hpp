#pragma once
// A forwarding method as a module of the connection core: the core finds (or makes) a packet's connection,
// keeps its state, timers and counters, and hands the packet to its method's module, which rewrites it for
// its way out. Each method registers itself in a table by its ForwardMethod value (fullnat.cpp, masq.cpp,
// droute.cpp, tunnel.cpp).

#include <array>
#include <cstdint>

#include <rte_mbuf.h>

#include "conn/conn.hpp"
#include "fulcrum/ipvs/service.hpp"
#include "packet_view.hpp"

namespace fulcrum::ipvs {

struct LcoreIpvs;
class WorkerService;

// Where a packet of the in-direction goes once its module has rewritten it.
enum class Egress : uint8_t {
  ip,       // routed by its own IP destination (Inet::output): FullNAT, NAT
  to_dest,  // routed towards the real server's address, whatever the IP header says (DR keeps the VIP as
            // destination, TUN's outer header names the real server): the core resolves that route first
};

// The route towards a connection's real server, as the core resolved it for an Egress::to_dest module.
struct EgressRoute {
  uint16_t ifindex = 0;
  uint16_t mtu = 0;                   // 0: not resolved
  std::array<uint8_t, 16> nexthop{};  // the real server itself on its segment, or the route's gateway
  bool has_src = false;
  std::array<uint8_t, 16> src{};  // our address on that device (TUN's outer source)
};

// What a module may need to know about the connection's service beyond the connection itself.
struct ForwardContext {
  const WorkerService* service = nullptr;  // null once the service is gone
  const EgressRoute* route = nullptr;      // Egress::to_dest modules, in-direction: never null there
};

struct ForwardOps {
  const char* name = "";
  // A local address and port must be taken for a new connection (FullNAT, SNAT).
  bool needs_laddr = false;
  // Rewrite a packet of each direction for its way out (out: Inet::output; in: per in_egress). False: drop it
  // (counted by the module).
  bool (*in)(LcoreIpvs& L, Conn& c, const ForwardContext& ctx, rte_mbuf* m, PacketView& v) = nullptr;
  bool (*out)(LcoreIpvs& L, Conn& c, const ForwardContext& ctx, rte_mbuf* m, PacketView& v) = nullptr;
  Egress in_egress = Egress::ip;
  // Bytes the in-direction adds in front of the packet (TUN's outer header), by family: the core checks the
  // egress MTU with them before calling `in`, and answers "too big" to the client on the module's behalf.
  uint8_t in_overhead4 = 0;
  uint8_t in_overhead6 = 0;
  // ICMP errors about the connection are translated by icmp_relay.cpp (the methods that rewrite the tuple);
  // for the others, an error about a reply goes on to the real server unchanged (icmp_to_dest).
  bool relay_icmp = true;
  // The replies bypass the balancer (DR, TUN): the TCP state follows the client's segments alone, with the
  // kernel's INPUT-ONLY table (its IP_VS_CONN_F_NOOUTPUT for every method but masquerading).
  bool input_only = false;
  // Egress::to_dest: the real server itself is the next hop even where its route names a gateway (DR: the
  // IP header names the VIP, so only the real server's own MAC gets the packet there; the kernel's
  // IP_VS_RT_MODE_KNOWN_NH). Otherwise the route's gateway is (TUN's outer header names the real server).
  bool dest_is_nexthop = false;
};

constexpr unsigned kForwardMethods = 8;  // ForwardMethod values
// The module of a method, or null when none is built in.
const ForwardOps* forward_ops(ForwardMethod m);

}  // namespace fulcrum::ipvs
