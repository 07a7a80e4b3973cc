#pragma once
// The connection layer's settings that the control path reads and changes at run time: the timeouts that
// `ipvsadm --set tcp tcpfin udp` sets (IP_VS_SO_SET_TIMEOUT), and the table sizes that IP_VS_SO_GET_INFO
// reports. The master writes them; workers read them when they arm a connection's timer, so the fields are
// relaxed atomics and a change applies to the next packet of every connection.

#include <atomic>
#include <cstdint>

#include "fulcrum/ipvs/service.hpp"

namespace fulcrum::ipvs {

// Seconds. 0 in a set request means "leave it", as in the kernel.
struct ConnTimeouts {
  uint32_t tcp_s = 15 * 60;    // ESTABLISHED
  uint32_t tcp_fin_s = 2 * 60;  // FIN_WAIT, as the kernel's --set (the other states: [ipvs] only)
  uint32_t udp_s = 5 * 60;
  bool operator==(const ConnTimeouts&) const = default;
};

// Upper bounds of one timeout: the kernel takes any int; a day's worth of seconds times 24 keeps the timer
// wheel's delay in range at any tick length.
inline constexpr uint32_t kMaxTimeoutS = 24u * 24 * 3600;

class ConnSettings {
 public:
  ConnSettings(const ConnTimeouts& t, uint32_t table_size_per_worker, unsigned workers)
      : table_size_(table_size_per_worker * workers) {
    store(t);
  }
  ConnSettings(const ConnSettings&) = delete;
  ConnSettings& operator=(const ConnSettings&) = delete;

  ConnTimeouts timeouts() const {
    return ConnTimeouts{tcp_s_.load(std::memory_order_relaxed), tcp_fin_s_.load(std::memory_order_relaxed),
                        udp_s_.load(std::memory_order_relaxed)};
  }
  // The kernel's rules: a zero field keeps its value; EINVAL (naming the field) for one above kMaxTimeoutS.
  Status set_timeouts(const ConnTimeouts& t);
  // Connections the balancer can hold, all workers together: GET_INFO's "size".
  uint32_t table_size() const { return table_size_; }

  // Packet path (any worker).
  uint32_t tcp_s() const { return tcp_s_.load(std::memory_order_relaxed); }
  uint32_t tcp_fin_s() const { return tcp_fin_s_.load(std::memory_order_relaxed); }
  uint32_t udp_s() const { return udp_s_.load(std::memory_order_relaxed); }

 private:
  void store(const ConnTimeouts& t) {
    tcp_s_.store(t.tcp_s, std::memory_order_relaxed);
    tcp_fin_s_.store(t.tcp_fin_s, std::memory_order_relaxed);
    udp_s_.store(t.udp_s, std::memory_order_relaxed);
  }
  std::atomic<uint32_t> tcp_s_{0};
  std::atomic<uint32_t> tcp_fin_s_{0};
  std::atomic<uint32_t> udp_s_{0};
  uint32_t table_size_;
};

}  // namespace fulcrum::ipvs
