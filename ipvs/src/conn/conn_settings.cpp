#include "fulcrum/ipvs/conn_settings.hpp"

#include <cerrno>
#include <string>

namespace fulcrum::ipvs {

Status ConnSettings::set_timeouts(const ConnTimeouts& t) {
  const struct {
    const char* name;
    uint32_t value;
  } fields[] = {{"tcp", t.tcp_s}, {"tcpfin", t.tcp_fin_s}, {"udp", t.udp_s}};
  for (const auto& f : fields) {
    if (f.value > kMaxTimeoutS) {
      return Status::fail(EINVAL, std::string("timeout ") + f.name + " " + std::to_string(f.value) +
                                      " s is above the limit of " + std::to_string(kMaxTimeoutS) + " s");
    }
  }
  ConnTimeouts next = timeouts();
  if (t.tcp_s != 0) next.tcp_s = t.tcp_s;
  if (t.tcp_fin_s != 0) next.tcp_fin_s = t.tcp_fin_s;
  if (t.udp_s != 0) next.udp_s = t.udp_s;
  store(next);
  return {};
}

}  // namespace fulcrum::ipvs
