// IP_VS_SO_SET_TIMEOUT and IP_VS_SO_GET_TIMEOUT: ipvsadm --set tcp tcpfin udp, --timeout. keepalived reads
// them at start, sets lvs_timeouts, and writes the saved ones back when it stops.

#include <cerrno>

#include "handlers.hpp"
#include "kernel_structs.hpp"

namespace fulcrum::ipvs::sockopt {
namespace {

int set_timeout(Ctx c, const ctrl::Request& in, ctrl::Response& out) {
  const auto t = read_at<ip_vs_timeout_user>(in);
  const struct {
    const char* name;
    int value;
  } fields[] = {{"tcp_timeout", t.tcp_timeout}, {"tcp_fin_timeout", t.tcp_fin_timeout}, {"udp_timeout", t.udp_timeout}};
  for (const auto& f : fields) {
    if (f.value < 0) return fail(out, EINVAL, std::string(f.name) + " " + std::to_string(f.value) + " is negative");
  }
  const Status st = c.settings.set_timeouts(ConnTimeouts{static_cast<uint32_t>(t.tcp_timeout),
                                                         static_cast<uint32_t>(t.tcp_fin_timeout),
                                                         static_cast<uint32_t>(t.udp_timeout)});
  return st.ok() ? 0 : fail(out, st);
}

// The reply is what the kernel writes into the caller's buffer, from its start: here the 12 bytes.
int get_timeout(Ctx c, ctrl::Response& out) {
  const ConnTimeouts now = c.settings.timeouts();
  ip_vs_timeout_user t{};
  t.tcp_timeout = static_cast<int>(now.tcp_s);
  t.tcp_fin_timeout = static_cast<int>(now.tcp_fin_s);
  t.udp_timeout = static_cast<int>(now.udp_s);
  append(out.payload, t);
  return 0;
}

}  // namespace

void register_timeouts(ctrl::Registry& r, Ctx c) {
  constexpr uint32_t n = sizeof(ip_vs_timeout_user);
  r.add(kOwner, {ctrl::Kind::set, IP_VS_SO_SET_TIMEOUT, "ipvs.SET_TIMEOUT", n, n,
                 [c](const ctrl::Request& in, ctrl::Response& out) { return set_timeout(c, in, out); }});
  r.add(kOwner, {ctrl::Kind::get, IP_VS_SO_GET_TIMEOUT, "ipvs.GET_TIMEOUT", n, ctrl::kMaxPayload,
                 [c](const ctrl::Request&, ctrl::Response& out) { return get_timeout(c, out); }});
}

}  // namespace fulcrum::ipvs::sockopt
