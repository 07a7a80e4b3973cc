// The connection table alone: bytes per connection, and lookups, inserts and frees with N connections in
// one worker's table. conn_table_bench [connections] (default 1M). Figures come from a Release tree.

#include <arpa/inet.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "bench_util.hpp"
#include "conn/conn_table.hpp"

using fulcrum::ipvs::Conn;
using fulcrum::ipvs::ConnDir;
using fulcrum::ipvs::ConnTable;
using fulcrum::ipvs::FlowKey;

namespace {

using fulcrum::bench::SplitMix;
using fulcrum::bench::seconds_since;

void fill(Conn* c, uint64_t r, uint32_t i) {
  c->family = 4;
  c->proto = IPPROTO_TCP;
  const uint32_t client = static_cast<uint32_t>(r);
  const uint32_t vip = htonl(0xc6130001u);
  const uint32_t rs = htonl(0xc6130100u + i % 64);
  const uint32_t lip = htonl(0xc6130200u + i / 60000);
  std::memcpy(c->caddr, &client, 4);
  std::memcpy(c->vaddr, &vip, 4);
  std::memcpy(c->daddr, &rs, 4);
  std::memcpy(c->laddr, &lip, 4);
  c->cport = static_cast<uint16_t>(r >> 32);
  c->vport = htons(80);
  c->dport = htons(8080);
  c->lport = htons(static_cast<uint16_t>(1024 + i % 60000));
}

}  // namespace

int main(int argc, char** argv) {
  const uint32_t n = argc > 1 ? static_cast<uint32_t>(std::strtoul(argv[1], nullptr, 10)) : 1u << 20;
  ConnTable table(n);
  std::printf("connections %u, buckets %u, bytes per connection (both directions, all of the table): %.1f\n", n,
              table.buckets(), static_cast<double>(table.memory_bytes()) / n);

  SplitMix rng{1};
  std::vector<Conn*> conns;
  conns.reserve(n);
  auto start = std::chrono::steady_clock::now();
  uint32_t refused = 0;
  for (uint32_t i = 0; i < n; ++i) {
    Conn* c = table.alloc();
    fill(c, rng.next(), i);
    if (!table.insert(c)) {
      ++refused;
      table.free(c);
      continue;
    }
    conns.push_back(c);
  }
  double s = seconds_since(start);
  std::printf("%-40s %8.1f ns/op (%u refused: both buckets full)\n", "alloc + insert (both keys)", s * 1e9 / n, refused);

  // Random lookups in bursts of 32, half each direction: what the packet path does.
  constexpr unsigned kBurst = 32;
  const uint32_t lookups = 8u << 20;
  std::vector<FlowKey> keys(kBurst);
  const FlowKey* ptrs[kBurst];
  Conn* found[kBurst];
  ConnDir dirs[kBurst];
  for (unsigned i = 0; i < kBurst; ++i) ptrs[i] = &keys[i];
  uint64_t hits = 0;
  start = std::chrono::steady_clock::now();
  for (uint32_t done = 0; done < lookups; done += kBurst) {
    for (unsigned i = 0; i < kBurst; ++i) {
      const Conn* c = conns[rng.next() % conns.size()];
      keys[i] = c->key(i & 1 ? ConnDir::out : ConnDir::in);
    }
    table.lookup_burst(ptrs, kBurst, found, dirs);
    for (unsigned i = 0; i < kBurst; ++i) hits += found[i] != nullptr;
  }
  s = seconds_since(start);
  std::printf("%-40s %8.1f ns/op (key making included; %llu of %u found)\n", "lookup, bursts of 32, random",
              s * 1e9 / lookups, static_cast<unsigned long long>(hits), lookups);

  start = std::chrono::steady_clock::now();
  const uint32_t churn = std::min<uint32_t>(n / 2, 1u << 20);
  for (uint32_t i = 0; i < churn; ++i) {
    const size_t at = rng.next() % conns.size();
    table.free(conns[at]);
    Conn* c = table.alloc();
    fill(c, rng.next(), i);
    if (table.insert(c)) {
      conns[at] = c;
    } else {
      table.free(c);
      conns[at] = conns.back();
      conns.pop_back();
    }
  }
  s = seconds_since(start);
  std::printf("%-40s %8.1f ns/op\n", "free + alloc + insert, random", s * 1e9 / churn);
  return hits == lookups ? 0 : 1;
}
