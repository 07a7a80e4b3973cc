#include <catch2/catch.hpp>

#include <cerrno>
#include <stdexcept>
#include <string>

#include "ctrl_test_support.hpp"
#include "fulcrum/ctrl/registry.hpp"

using namespace fulcrum::ctrl;
using Catch::Matchers::Contains;

namespace {

HandlerSpec spec(Kind kind, uint32_t id, uint32_t min_len, uint32_t max_len, Handler handler = nullptr) {
  if (!handler) handler = [](const Request&, Response&) { return 0; };
  return HandlerSpec{kind, id, "t.handler", min_len, max_len, std::move(handler)};
}

std::string text_of(const Response& response) {
  REQUIRE_FALSE(response.payload.empty());
  REQUIRE(response.payload.back() == '\0');
  return std::string(reinterpret_cast<const char*>(response.payload.data()));
}

int run(const Registry& registry, Kind kind, uint32_t id, size_t len, Response& response) {
  std::vector<unsigned char> payload(len, 0x5a);
  return registry.dispatch(Request{kind, id, payload, Peer{}}, response);
}

}  // namespace

TEST_CASE("registry: overlapping id ranges are rejected, naming both owners and ranges") {
  Registry registry;
  registry.claim("core", 0x10000, 0x1ffff);
  try {
    registry.claim("netif", 0x1ffff, 0x2ffff);
    FAIL("overlap accepted");
  } catch (const std::logic_error& e) {
    CHECK_THAT(e.what(), Contains("'netif'") && Contains("'core'") && Contains("[0x1ffff, 0x2ffff]") &&
                             Contains("[0x10000, 0x1ffff]"));
  }
  CHECK_THROWS_AS(registry.claim("inner", 0x10010, 0x10020), std::logic_error);
  CHECK_THROWS_AS(registry.claim("outer", 0x0, 0xfffff), std::logic_error);
  CHECK_THROWS_AS(registry.claim("below", 0xff00, 0x10000), std::logic_error);
  CHECK_THROWS_AS(registry.claim("backwards", 0x30000, 0x2ffff), std::logic_error);
  CHECK(registry.ranges().size() == 1);
}

TEST_CASE("registry: adjacent id ranges are accepted") {
  Registry registry;
  registry.claim("core", 0x10000, 0x1ffff);
  CHECK_NOTHROW(registry.claim("netif", 0x20000, 0x2ffff));
  CHECK_NOTHROW(registry.claim("low", 0xffff, 0xffff));
  REQUIRE(registry.ranges().size() == 3);
  CHECK(registry.ranges()[1].owner == "netif");
}

TEST_CASE("registry: a handler outside its owner's ranges is rejected") {
  Registry registry;
  registry.claim("core", 0x10000, 0x1ffff);
  registry.claim("netif", 0x20000, 0x2ffff);
  try {
    registry.add("core", spec(Kind::get, 0x20001, 0, 0));
    FAIL("foreign id accepted");
  } catch (const std::logic_error& e) {
    CHECK_THAT(e.what(), Contains("'core'") && Contains("0x20001") && Contains("[0x10000, 0x1ffff]"));
  }
  CHECK_THROWS_AS(registry.add("core", spec(Kind::get, 0x50000, 0, 0)), std::logic_error);
  CHECK_THROWS_AS(registry.add("nobody", spec(Kind::get, 0x10001, 0, 0)), std::logic_error);
  CHECK_NOTHROW(registry.add("core", spec(Kind::get, 0x1ffff, 0, 0)));
  CHECK_NOTHROW(registry.add("netif", spec(Kind::get, 0x20000, 0, 0)));
}

TEST_CASE("registry: a (kind, id) registered twice is rejected; the other kind is separate") {
  Registry registry;
  registry.claim("core", 0x10000, 0x1ffff);
  registry.add("core", spec(Kind::get, 0x10001, 0, 0));
  CHECK_THROWS_AS(registry.add("core", spec(Kind::get, 0x10001, 0, 4)), std::logic_error);
  CHECK_NOTHROW(registry.add("core", spec(Kind::set, 0x10001, 0, 0)));
}

TEST_CASE("registry: malformed handler specs are rejected") {
  Registry registry;
  registry.claim("core", 0x10000, 0x1ffff);
  CHECK_THROWS_AS(registry.add("core", spec(Kind::get, 0x10001, 8, 4)), std::logic_error);
  CHECK_THROWS_AS(registry.add("core", spec(Kind::get, 0x10001, 0, kMaxPayload + 1)), std::logic_error);
  CHECK_THROWS_AS(registry.add("core", spec(Kind::reply, 0x10001, 0, 0)), std::logic_error);
  CHECK_THROWS_AS(registry.add("core", HandlerSpec{Kind::get, 0x10001, "x", 0, 0, nullptr}), std::logic_error);
}

TEST_CASE("registry: a payload outside the declared bounds is EINVAL and never reaches the handler") {
  Registry registry;
  registry.claim("ipvs", 0x40000, 0x4ffff);
  int calls = 0;
  const auto counting = [&calls](const Request&, Response&) {
    ++calls;
    return 0;
  };
  registry.add("ipvs", HandlerSpec{Kind::set, 0x40001, "ipvs.add_service", 44, 44, counting});
  registry.add("ipvs", HandlerSpec{Kind::get, 0x40002, "ipvs.range", 8, 64, counting});

  Response short_one;
  CHECK(run(registry, Kind::set, 0x40001, 12, short_one) == EINVAL);
  CHECK(text_of(short_one) == "ctrl: set request id 0x40001 (ipvs.add_service): payload is 12 bytes, expected 44");

  Response long_one;
  CHECK(run(registry, Kind::set, 0x40001, 45, long_one) == EINVAL);
  CHECK_THAT(text_of(long_one), Contains("payload is 45 bytes, expected 44"));

  Response below;
  CHECK(run(registry, Kind::get, 0x40002, 7, below) == EINVAL);
  CHECK_THAT(text_of(below), Contains("payload is 7 bytes, expected 8 to 64"));
  Response above;
  CHECK(run(registry, Kind::get, 0x40002, 65, above) == EINVAL);
  CHECK(calls == 0);

  Response at_min, at_max, exact;
  CHECK(run(registry, Kind::get, 0x40002, 8, at_min) == 0);
  CHECK(run(registry, Kind::get, 0x40002, 64, at_max) == 0);
  CHECK(run(registry, Kind::set, 0x40001, 44, exact) == 0);
  CHECK(calls == 3);
}

TEST_CASE("registry: an unknown (kind, id) is EOPNOTSUPP") {
  Registry registry;
  registry.claim("core", 0x10000, 0x1ffff);
  registry.add("core", spec(Kind::get, 0x10001, 0, 0));
  Response unknown_id;
  CHECK(run(registry, Kind::get, 0x10002, 0, unknown_id) == EOPNOTSUPP);
  CHECK_THAT(text_of(unknown_id), Contains("0x10002"));
  Response wrong_kind;
  CHECK(run(registry, Kind::set, 0x10001, 0, wrong_kind) == EOPNOTSUPP);
  Response unclaimed;
  CHECK(run(registry, Kind::get, 0x90000, 0, unclaimed) == EOPNOTSUPP);
}

TEST_CASE("registry: a throwing handler is EIO with its text, and the registry keeps working") {
  Registry registry = test::make_test_registry();
  Response thrown;
  CHECK(run(registry, Kind::get, test::kThrow, 0, thrown) == EIO);
  CHECK_THAT(text_of(thrown), Contains("boom") && Contains("test.throw"));

  registry.claim("odd", 0x20000, 0x2ffff);
  registry.add("odd", spec(Kind::get, 0x20000, 0, 0, [](const Request&, Response&) -> int { throw 42; }));
  Response odd;
  CHECK(run(registry, Kind::get, 0x20000, 0, odd) == EIO);
  CHECK_THAT(text_of(odd), Contains("unknown exception"));

  std::vector<unsigned char> hello{'h', 'i'};
  Response echoed;
  CHECK(registry.dispatch(Request{Kind::get, test::kEcho, hello, Peer{}}, echoed) == 0);
  CHECK(echoed.payload == hello);
}

TEST_CASE("registry: handler statuses pass through, -errno is made positive") {
  Registry registry;
  registry.claim("core", 0x10000, 0x1ffff);
  registry.add("core", spec(Kind::get, 0x10001, 0, 0, [](const Request&, Response& r) {
                 r.message("gone");
                 return ENOENT;
               }));
  registry.add("core", spec(Kind::get, 0x10002, 0, 0, [](const Request&, Response&) { return -EBUSY; }));
  Response gone;
  CHECK(run(registry, Kind::get, 0x10001, 0, gone) == ENOENT);
  CHECK(text_of(gone) == "gone");
  Response busy;
  CHECK(run(registry, Kind::get, 0x10002, 0, busy) == EBUSY);
}

TEST_CASE("registry: Response::message is NUL-terminated") {
  Response response;
  response.message("abc");
  CHECK(response.payload == std::vector<unsigned char>{'a', 'b', 'c', '\0'});
}
