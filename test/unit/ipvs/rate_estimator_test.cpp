// The kernel's estimator: the same fixed point, the same smoothing, the same rounding as ip_vs_est.c.

#include <catch2/catch.hpp>

#include "rate_estimator.hpp"
#include "sockopt_test_util.hpp"

using namespace fulcrum::ipvs;

namespace {

Stats stats(uint64_t conns, uint64_t pkts, uint64_t bytes) {
  Stats s;
  s.conns = conns;
  s.inpkts = pkts;
  s.outpkts = pkts / 2;
  s.inbytes = bytes;
  s.outbytes = bytes / 2;
  return s;
}

}  // namespace

TEST_CASE("rates: the first samples move a quarter of the way, as the kernel's") {
  RateEstimator e;
  e.reset(Stats{});
  CHECK(e.read() == Rates{});
  // 1000 connections and 1 MB in 2 s: 500/s and 500000 B/s. The kernel: cps = (1000 << 9) / 4 = 128000,
  // read as (128000 + 511) >> 10 = 125; then 128000 + (512000 - 128000) / 4 = 224000, read 219.
  e.sample(stats(1000, 2000, 1'000'000));
  CHECK(e.read().cps == 125);
  CHECK(e.read().inpps == 250);
  CHECK(e.read().outpps == 125);
  CHECK(e.read().inbps == 125000);
  CHECK(e.read().outbps == 62500);
  e.sample(stats(2000, 4000, 2'000'000));
  CHECK(e.read().cps == 219);
  CHECK(e.read().inbps == 218750);
}

TEST_CASE("rates: a steady load converges to its rate, and an idle one decays to zero") {
  RateEstimator e;
  e.reset(Stats{});
  for (uint64_t i = 1; i <= 60; ++i) e.sample(stats(i * 600, i * 20'000, i * 3'000'000));
  CHECK(e.read().cps == 300);
  CHECK(e.read().inpps == 10'000);
  CHECK(e.read().inbps == 1'500'000);
  for (int i = 0; i < 60; ++i) e.sample(stats(60 * 600, 60 * 20'000, 60 * 3'000'000));
  CHECK(e.read() == Rates{});
}

TEST_CASE("rates: counters that go back (zeroed on the workers) start the estimate over") {
  RateEstimator e;
  e.reset(Stats{});
  e.sample(stats(1000, 1000, 1000));
  REQUIRE(e.read().cps > 0);
  e.sample(stats(10, 10, 10));
  CHECK(e.read() == Rates{});
  e.sample(stats(1010, 10, 10));
  CHECK(e.read().cps == 125);
}

TEST_CASE("rates: the table follows services by slot and key, real servers by identity") {
  using sockopt_test::Daemon;
  Daemon d;
  const ServiceKey k{6, Family::v4, IpAddr::v4(198, 18, 0, 100), port_be(80)};
  ServiceSpec spec;
  spec.key = k;
  spec.scheduler = "rr";
  REQUIRE(d.services.add_service(spec).ok());
  DestSpec dest;
  dest.id = DestId{IpAddr::v4(198, 18, 1, 2), port_be(80), Family::v4};
  REQUIRE(d.services.add_dest(k, dest).ok());
  d.services.estimate_rates();  // the first sample only starts the estimators
  WorkerService* w0 = d.services.worker_table(0).find(6, Family::v4, k.addr, k.port);
  WorkerService* w1 = d.services.worker_table(1).find(6, Family::v4, k.addr, k.port);
  for (int i = 0; i < 600; ++i) {
    (i % 2 ? w0 : w1)->stats.add_conn();
    (i % 2 ? w0 : w1)->extra[0].stats.add_conn();
  }
  d.services.estimate_rates();
  CHECK(d.services.service_rates(k).cps == 75);  // (600 << 9) / 4 = 76800 -> 75
  std::vector<DestInfo> dests;
  std::vector<Rates> rates;
  REQUIRE(d.services.list_dests(k, &dests).ok());
  REQUIRE(d.services.dest_rates(k, dests, &rates).ok());
  CHECK(rates[0].cps == 75);

  // ipvsadm --rate reads them from the kernel structs.
  const auto e = d.get(IP_VS_SO_GET_SERVICES, sockopt_test::services_buf(1)).at<ip_vs_service_entry>(8);
  CHECK(e.stats.cps == 75);
  CHECK(e.stats.conns == 600);

  // -Z: the rates start over, as the kernel's.
  REQUIRE(d.services.zero(k).ok());
  CHECK(d.services.service_rates(k) == Rates{});

  // A new service in the same slot starts from nothing.
  REQUIRE(d.services.del_service(k).ok());
  ServiceSpec other = spec;
  other.key.port = port_be(81);
  REQUIRE(d.services.add_service(other).ok());
  d.services.estimate_rates();
  CHECK(d.services.service_rates(other.key) == Rates{});
  CHECK(d.services.service_rates(k) == Rates{});
}
