#include "fulcrum/inet/hooks.hpp"

#include <catch2/catch.hpp>
#include <rte_mbuf.h>

#include <vector>

#include "test_eal.hpp"

using namespace fulcrum::inet;

namespace {

rte_mempool* pool() {
  fulcrum::test::ensure_eal();
  static rte_mempool* p = rte_pktmbuf_pool_create("hooks_test", 1023, 0, 0, 256, SOCKET_ID_ANY);
  REQUIRE(p != nullptr);
  return p;
}

// Marks each packet by its index in the first data byte.
std::vector<rte_mbuf*> burst(unsigned n) {
  std::vector<rte_mbuf*> v;
  for (unsigned i = 0; i < n; ++i) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool());
    REQUIRE(m != nullptr);
    auto* data = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, 1));
    REQUIRE(data != nullptr);
    *data = static_cast<uint8_t>(i);
    v.push_back(m);
  }
  return v;
}
uint8_t id(rte_mbuf* m) { return *rte_pktmbuf_mtod(m, uint8_t*); }

struct Seen {
  std::vector<std::vector<uint8_t>> calls;
  std::vector<rte_mbuf*> stolen;
};

// Drops packets whose id is divisible by 3, steals those ≡ 1 mod 5; records what it saw.
void picky(void* ctx, HookBurst& b) {
  auto* s = static_cast<Seen*>(ctx);
  std::vector<uint8_t> ids;
  for (uint16_t i = 0; i < b.n; ++i) {
    const uint8_t v = id(b.pkts[i]);
    ids.push_back(v);
    if (v % 3 == 0) {
      b.verdicts[i] = Verdict::drop;
    } else if (v % 5 == 1) {
      b.verdicts[i] = Verdict::stolen;
      s->stolen.push_back(b.pkts[i]);
    }
  }
  s->calls.push_back(ids);
}

void observer(void* ctx, HookBurst& b) {
  std::vector<uint8_t> ids;
  for (uint16_t i = 0; i < b.n; ++i) ids.push_back(id(b.pkts[i]));
  static_cast<Seen*>(ctx)->calls.push_back(ids);
}

}  // namespace

TEST_CASE("hooks run in priority order over what the earlier ones accepted, and compact the burst") {
  HookChain chain;
  Seen first, second;
  chain.add(10, "second", &observer, &second);
  chain.add(-5, "first", &picky, &first);
  CHECK(std::string(chain.name(0)) == "first");
  const unsigned avail_before = rte_mempool_avail_count(pool());
  auto pkts = burst(12);
  uint32_t aux[12];
  Ifindex ifx[12];
  for (unsigned i = 0; i < 12; ++i) {
    aux[i] = 100 + i;
    ifx[i] = static_cast<Ifindex>(i);
  }
  const auto r = chain.run(HookPoint::forward, Family::v4, pkts.data(), 12, aux, ifx);
  // dropped: 0 3 6 9; stolen: 1 11; kept: 2 4 5 7 8 10
  CHECK(r.dropped == 4);
  CHECK(r.stolen == 2);
  REQUIRE(r.kept == 6);
  const std::vector<uint8_t> kept{2, 4, 5, 7, 8, 10};
  for (unsigned i = 0; i < 6; ++i) {
    CHECK(id(pkts[i]) == kept[i]);
    CHECK(aux[i] == 100u + kept[i]);
    CHECK(ifx[i] == kept[i]);
  }
  REQUIRE(second.calls.size() == 1);
  CHECK(second.calls[0] == kept);
  // The dropped ones went back to the pool; the stolen ones are the hook's.
  CHECK(rte_mempool_avail_count(pool()) == avail_before - 8);
  for (unsigned i = 0; i < 6; ++i) rte_pktmbuf_free(pkts[i]);
  for (rte_mbuf* m : first.stolen) rte_pktmbuf_free(m);
  CHECK(rte_mempool_avail_count(pool()) == avail_before);
}

TEST_CASE("a full point refuses another hook") {
  HookChain chain;
  Seen s;
  for (unsigned i = 0; i < kMaxHooksPerPoint; ++i) chain.add(0, "h", &observer, &s);
  CHECK_THROWS_AS(chain.add(0, "one too many", &observer, &s), std::logic_error);
  CHECK_THROWS_AS(HookChain().add(0, "null", nullptr, nullptr), std::logic_error);
}
