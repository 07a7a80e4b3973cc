// The receive path's pure parts: L2 verdicts and the grouping of a burst by ethertype.

#include <catch2/catch.hpp>

#include <array>
#include <stdexcept>
#include <vector>

#include <rte_byteorder.h>

#include "ethertype_dispatch.hpp"
#include "l2_filter.hpp"

using namespace fulcrum::netif;

namespace {

constexpr rte_ether_addr kOwn = {{0x02, 0x00, 0xc6, 0x12, 0x00, 0x01}};

std::array<uint8_t, 60> frame_to(std::array<uint8_t, 6> dst) {
  std::array<uint8_t, 60> f{};
  for (size_t i = 0; i < 6; ++i) f[i] = dst[i];
  return f;
}

// What a handler saw: the mbufs of each call, in order.
struct Seen {
  std::vector<std::vector<rte_mbuf*>> calls;
};

void record(void* ctx, rte_mbuf** pkts, uint16_t n) {
  static_cast<Seen*>(ctx)->calls.emplace_back(pkts, pkts + n);
}

}  // namespace

TEST_CASE("L2: runts, our MAC, group addresses, other hosts and promiscuous mode") {
  auto ours = frame_to({0x02, 0x00, 0xc6, 0x12, 0x00, 0x01});
  auto other = frame_to({0x02, 0x00, 0xc6, 0x12, 0x00, 0x99});
  auto bcast = frame_to({0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  auto mcast = frame_to({0x01, 0x00, 0x5e, 0x00, 0x00, 0x01});
  CHECK(classify_l2(ours.data(), 60, kOwn, false) == L2Verdict::accept);
  CHECK(classify_l2(ours.data(), 14, kOwn, false) == L2Verdict::accept);
  CHECK(classify_l2(ours.data(), 13, kOwn, false) == L2Verdict::runt);
  CHECK(classify_l2(ours.data(), 0, kOwn, true) == L2Verdict::runt);
  CHECK(classify_l2(other.data(), 60, kOwn, false) == L2Verdict::other_host);
  CHECK(classify_l2(other.data(), 60, kOwn, true) == L2Verdict::accept);
  CHECK(classify_l2(bcast.data(), 60, kOwn, false) == L2Verdict::accept);
  CHECK(classify_l2(mcast.data(), 60, kOwn, false) == L2Verdict::accept);
}

TEST_CASE("a burst is split by ethertype, one handler call per ethertype, order kept") {
  EthertypeTable table;
  Seen ipv4, arp;
  table.add(RTE_ETHER_TYPE_IPV4, "ipv4", record, &ipv4);
  table.add(RTE_ETHER_TYPE_ARP, "arp", record, &arp);
  CHECK(table.slot_of(rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) == 0);
  CHECK(table.slot_of(rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP)) == 1);
  CHECK(table.slot_of(rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6)) == -1);
  CHECK(table.slot_of(RTE_ETHER_TYPE_IPV4) == -1);  // host order never matches on little-endian

  std::array<rte_mbuf, 5> mbufs{};
  BurstGroups groups;
  groups.add(0, &mbufs[0]);
  groups.add(1, &mbufs[1]);
  groups.add(0, &mbufs[2]);
  groups.add(0, &mbufs[3]);
  groups.add(1, &mbufs[4]);
  groups.deliver(table);
  REQUIRE(ipv4.calls.size() == 1);
  CHECK(ipv4.calls[0] == std::vector<rte_mbuf*>{&mbufs[0], &mbufs[2], &mbufs[3]});
  REQUIRE(arp.calls.size() == 1);
  CHECK(arp.calls[0] == std::vector<rte_mbuf*>{&mbufs[1], &mbufs[4]});

  groups.deliver(table);  // delivering emptied the groups: no empty calls
  CHECK(ipv4.calls.size() == 1);
  CHECK(arp.calls.size() == 1);

  for (uint16_t i = 0; i < kRxBurst; ++i) groups.add(1, &mbufs[0]);  // a full burst of one type fits
  groups.deliver(table);
  CHECK(arp.calls.back().size() == kRxBurst);
}

TEST_CASE("an ethertype has one handler, and the table is bounded") {
  EthertypeTable table;
  Seen seen;
  table.add(RTE_ETHER_TYPE_IPV4, "ipv4", record, &seen);
  CHECK_THROWS_AS(table.add(RTE_ETHER_TYPE_IPV4, "other", record, &seen), std::logic_error);
  CHECK_THROWS_AS(table.add(RTE_ETHER_TYPE_ARP, "null", nullptr, &seen), std::logic_error);
  for (uint16_t t = 1; table.size() < kMaxEthertypeHandlers; ++t) table.add(static_cast<uint16_t>(0x8800 + t), "x", record, &seen);
  CHECK_THROWS_AS(table.add(0x9000, "one too many", record, &seen), std::logic_error);
}
