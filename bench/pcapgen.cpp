// The traffic generator: writes a pcap of realistic load-balancer traffic for the replay benchmark
// (net_pcap with infinite_rx=1) and for anyone who wants to look at it with tcpdump.
//
//   pcapgen --out FILE [--mode tcp|imix|syn|udp] [--flows N] [--vips K] [--packets P] [--seed S]
//
// tcp:  N concurrent TCP flows from many client addresses and ports to K VIPs (port 80). Each flow's SYN
//       comes first (a replay's first pass opens the connections), then P segments of 64-byte frames, each
//       from a flow drawn at random: a balancer with N flows sees its lookups spread over all of them.
// imix: as tcp, with segments of the simple IMIX: 64, 594 and 1518-byte frames, 7:4:1.
// syn:  P SYN-only new flows, each from its own client address and port.
// udp:  as tcp for UDP to port 53 with 64-byte frames, no opening packet.
// Frame sizes count the 4-byte FCS, as a NIC's line-rate figures do; the pcap holds the frames without it.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench_packet.hpp"
#include "bench_util.hpp"

using namespace fulcrum::bench;

namespace {

struct Options {
  std::string out;
  std::string mode = "tcp";
  uint64_t flows = 1024;
  uint32_t vips = 1;
  uint64_t packets = 65536;
  uint64_t seed = 1;
};

[[noreturn]] void usage() {
  std::fprintf(stderr, "usage: pcapgen --out FILE [--mode tcp|imix|syn|udp] [--flows N] [--vips K] "
                       "[--packets P] [--seed S]\n");
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) usage();
    const char* v = argv[++i];
    if (a == "--out") o.out = v;
    else if (a == "--mode") o.mode = v;
    else if (a == "--flows") o.flows = std::strtoull(v, nullptr, 10);
    else if (a == "--vips") o.vips = static_cast<uint32_t>(std::strtoul(v, nullptr, 10));
    else if (a == "--packets") o.packets = std::strtoull(v, nullptr, 10);
    else if (a == "--seed") o.seed = std::strtoull(v, nullptr, 10);
    else usage();
  }
  if (o.out.empty() || o.flows == 0 || o.vips == 0 || o.vips > 250) usage();
  if (o.mode != "tcp" && o.mode != "imix" && o.mode != "syn" && o.mode != "udp") usage();
  return o;
}

// A classic pcap file (microsecond timestamps, Ethernet link type).
class PcapWriter {
 public:
  explicit PcapWriter(const std::string& path) : f_(std::fopen(path.c_str(), "wb")) {
    if (f_ == nullptr) {
      std::perror(path.c_str());
      std::exit(1);
    }
    const uint32_t hdr[6] = {0xa1b2c3d4u, 0x00040002u, 0, 0, 65535, 1};  // version 2.4 as two uint16
    std::fwrite(hdr, sizeof hdr, 1, f_);
  }
  ~PcapWriter() { std::fclose(f_); }
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  // One IPv4 packet behind an Ethernet header towards the balancer's MAC.
  void write(const uint8_t* ip, size_t len) {
    static const uint8_t eth[14] = {0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x08, 0x00};
    const uint32_t rec[4] = {static_cast<uint32_t>(n_ / 1000000), static_cast<uint32_t>(n_ % 1000000),
                             static_cast<uint32_t>(len + 14), static_cast<uint32_t>(len + 14)};
    std::fwrite(rec, sizeof rec, 1, f_);
    std::fwrite(eth, sizeof eth, 1, f_);
    std::fwrite(ip, len, 1, f_);
    ++n_;
  }
  uint64_t count() const { return n_; }

 private:
  std::FILE* f_;
  uint64_t n_ = 0;
};

// IP payload bytes of a TCP or UDP frame of `frame` bytes (FCS included).
size_t payload_for(uint8_t proto, size_t frame) { return frame - 4 - 14 - ip_packet_len(proto, 0); }

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  PcapWriter w(o.out);
  SplitMix rng{o.seed};
  std::vector<uint8_t> buf(2048);
  auto vip_of = [&](uint64_t flow) { return 0xcb007100u + 10 + static_cast<uint32_t>(flow % o.vips); };  // 203.0.113.10+
  const bool udp = o.mode == "udp";
  const uint8_t proto = udp ? IPPROTO_UDP : IPPROTO_TCP;
  const uint16_t vport = udp ? 53 : 80;
  if (o.mode == "syn") {
    for (uint64_t i = 0; i < o.packets; ++i) {
      const Tuple4 t = client_flow(i, vip_of(i), vport);
      w.write(buf.data(), write_ip_packet(buf.data(), proto, t, kSyn, static_cast<uint32_t>(rng.next()), 0, 0));
    }
  } else {
    if (!udp) {
      for (uint64_t i = 0; i < o.flows; ++i) {
        const Tuple4 t = client_flow(i, vip_of(i), vport);
        w.write(buf.data(), write_ip_packet(buf.data(), proto, t, kSyn, 1000, 0, 0));
      }
    }
    static const size_t imix[12] = {64, 64, 64, 64, 64, 64, 64, 594, 594, 594, 594, 1518};
    for (uint64_t i = 0; i < o.packets; ++i) {
      const uint64_t flow = rng.next() % o.flows;
      const size_t frame = o.mode == "imix" ? imix[rng.next() % 12] : 64;
      const Tuple4 t = client_flow(flow, vip_of(flow), vport);
      w.write(buf.data(), write_ip_packet(buf.data(), proto, t, kAck | kPsh, 1001, 1, payload_for(proto, frame)));
    }
  }
  std::printf("%s: %llu packets (%s, %llu flows, %u VIPs)\n", o.out.c_str(),
              static_cast<unsigned long long>(w.count()), o.mode.c_str(), static_cast<unsigned long long>(o.flows),
              o.vips);
  return 0;
}
