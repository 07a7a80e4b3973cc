// dpip ping: echo requests sent by a worker of the dataplane, through its own routes and neighbours, the way
// the layers above send (not the kernel's ping through the kni device). Shows what the dataplane reaches.

#include <time.h>

#include <nlohmann/json.hpp>

#include "inet_common.hpp"

namespace fulcrum::dpip {
namespace {

using namespace inet;

bool number(const std::string& text, unsigned long lo, unsigned long hi, unsigned long& out) {
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos) return false;
  out = std::stoul(text);
  return out >= lo && out <= hi;
}

void sleep_ms(unsigned ms) {
  const timespec ts{static_cast<time_t>(ms / 1000), static_cast<long>(ms % 1000) * 1'000'000L};
  nanosleep(&ts, nullptr);
}

uint64_t now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1'000'000;
}

}  // namespace

int run_ping(Context& ctx, Args args) {
  unsigned long count = 3;
  unsigned long size = 56;
  unsigned long timeout_ms = 1000;
  unsigned long interval_ms = 200;
  std::string target;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& w = args[i];
    std::string v;
    unsigned long* field = nullptr;
    unsigned long lo = 1;
    unsigned long hi = 0;
    if (w == "count" || w == "-c") {
      field = &count, hi = 1000;
    } else if (w == "size" || w == "-s") {
      field = &size, lo = 16, hi = 8192;
    } else if (w == "timeout" || w == "-W") {
      field = &timeout_ms, lo = 10, hi = 60000;
    } else if (w == "interval" || w == "-i") {
      field = &interval_ms, lo = 0, hi = 10000;
    } else if (w == "help") {
      std::printf("Usage: dpip [-4|-6] [-j] ping ADDRESS [ count N ] [ size BYTES ] [ timeout MS ] [ interval MS ]\n");
      return 0;
    } else if (target.empty()) {
      target = w;
      continue;
    } else {
      return fail("ping: unknown argument \"" + w + "\" (expected count, size, timeout or interval)");
    }
    if (!next_value(args, i, v, "ping")) return 1;
    if (!number(v, lo, hi, *field)) {
      return fail("ping: " + w + " \"" + v + "\" is out of range (" + std::to_string(lo) + " to " + std::to_string(hi) + ")");
    }
  }
  if (target.empty()) return fail("ping: missing ADDRESS");
  const auto a = parse_address(target, ctx.family);
  if (!a) return fail("ping: \"" + target + "\" is not an address");
  const std::string text = address_text(a->family, a->bytes);
  if (!ctx.json) std::printf("PING %s %lu data bytes, from the dataplane\n", text.c_str(), size);

  unsigned long received = 0;
  auto replies = nlohmann::json::array();
  for (unsigned long seq = 1; seq <= count; ++seq) {
    msg::PingSend req{};
    req.family = a->family;
    req.payload = static_cast<uint16_t>(size);
    req.seq = static_cast<uint16_t>(seq);
    std::memcpy(req.dst, a->bytes, sizeof req.dst);
    ctrl::CallReply reply;
    if (!request(ctx, ctrl::Kind::set, msg::kPingSend, &req, sizeof req, reply, "ping")) return 1;
    msg::PingToken token;
    if (reply.payload.size() != sizeof token) return fail("ping: malformed reply from fulcrumd");
    std::memcpy(&token, reply.payload.data(), sizeof token);
    const uint64_t deadline = now_ms() + timeout_ms;
    msg::PingResult r{};
    while (now_ms() < deadline) {
      ctrl::CallReply rr;
      if (!request(ctx, ctrl::Kind::get, msg::kPingResult, &token, sizeof token, rr, "ping")) return 1;
      if (rr.payload.size() != sizeof r) return fail("ping: malformed reply from fulcrumd");
      std::memcpy(&r, rr.payload.data(), sizeof r);
      if (r.state == static_cast<uint8_t>(msg::PingState::replied)) break;
      sleep_ms(2);
    }
    if (r.state == static_cast<uint8_t>(msg::PingState::replied)) {
      ++received;
      const double ms = r.rtt_ns / 1e6;
      replies.push_back({{"seq", seq}, {"from", address_text(a->family, r.from)}, {"ttl", r.ttl}, {"bytes", r.bytes},
                         {"time_ms", ms}, {"lcore", r.lcore}});
      if (!ctx.json) {
        std::printf("%u bytes from %s: icmp_seq=%lu ttl=%u time=%.3f ms (lcore %u)\n", r.bytes,
                    address_text(a->family, r.from).c_str(), seq, r.ttl, ms, r.lcore);
      }
    } else if (!ctx.json) {
      std::printf("no answer from %s: icmp_seq=%lu within %lu ms\n", text.c_str(), seq, timeout_ms);
    }
    std::fflush(stdout);
    if (seq < count && interval_ms > 0) sleep_ms(static_cast<unsigned>(interval_ms));
  }
  if (ctx.json) {
    nlohmann::json j{{"dst", text}, {"transmitted", count}, {"received", received}, {"replies", replies}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("--- %s ping statistics ---\n%lu packets transmitted, %lu received, %lu%% packet loss\n", text.c_str(),
                count, received, (count - received) * 100 / count);
  }
  return received > 0 ? 0 : 1;
}

}  // namespace fulcrum::dpip
