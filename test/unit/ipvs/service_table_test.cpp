// The master's tables: the kernel's refusals and errno values, slots and listing order. No EAL.

#include <catch2/catch.hpp>

#include <cerrno>

#include "service/service_table.hpp"
#include "service_test_util.hpp"

using namespace svc_test;

namespace {

uint32_t slot_of_add(ServiceTable& t, const ServiceSpec& s) {
  uint32_t slot = 99;
  const Status st = t.add_service(s, &slot);
  INFO(st.msg);
  REQUIRE(st.ok());
  return slot;
}

bool has(const Status& st, const std::string& text) { return st.msg.find(text) != std::string::npos; }

}  // namespace

TEST_CASE("services: add, a duplicate is EEXIST, and the other calls on a missing service are ESRCH") {
  ServiceTable t(16);
  uint32_t slot = 0;
  CHECK(slot_of_add(t, spec("198.18.0.100", 80)) == 0);

  Status st = t.add_service(spec("198.18.0.100", 80, "wlc"), &slot);
  CHECK(st.err == EEXIST);
  CHECK(has(st, "TCP 198.18.0.100:80"));

  // Same VIP and port, other protocol: another service.
  CHECK(slot_of_add(t, spec("198.18.0.100", 80, "rr", kProtoUdp)) == 1);

  const ServiceKey missing = key("198.18.0.101", 80);
  CHECK(t.edit_service(spec("198.18.0.101", 80), &slot).err == ESRCH);
  CHECK(t.del_service(missing, &slot).err == ESRCH);
  CHECK(t.add_dest(missing, dest("10.0.0.1", 80), &slot).err == ESRCH);
  CHECK(t.edit_dest(missing, dest("10.0.0.1", 80), &slot).err == ESRCH);
  st = t.del_dest(missing, dest_id("10.0.0.1", 80), &slot);
  CHECK(st.err == ESRCH);
  CHECK(has(st, "service TCP 198.18.0.101:80: no such service"));
  CHECK(t.lookup(key("198.18.0.100", 80, kProtoSctp), &slot).err == ESRCH);
}

TEST_CASE("services: an IPv4 key compares on its own four bytes only") {
  ServiceTable t(4);
  (void)slot_of_add(t, spec("198.18.0.100", 80));
  ServiceKey k = key("198.18.0.100", 80);
  k.addr.bytes[9] = 0x55;  // junk past the IPv4 address, as a careless caller might leave it
  uint32_t slot = 9;
  CHECK(t.lookup(k, &slot).ok());
  CHECK(slot == 0);
  CHECK(t.at(0)->spec.key == key("198.18.0.100", 80));
}

TEST_CASE("services: bad protocol, family, scheduler and netmask get the kernel's errno and name the value") {
  ServiceTable t(4);
  uint32_t slot = 0;

  ServiceSpec s = spec("198.18.0.100", 80);
  s.key.protocol = 1;
  Status st = t.add_service(s, &slot);
  CHECK(st.err == EFAULT);
  CHECK(has(st, "protocol 1"));

  s = spec("198.18.0.100", 80);
  s.key.family = static_cast<Family>(5);
  CHECK(t.add_service(s, &slot).err == EAFNOSUPPORT);

  st = t.add_service(spec("198.18.0.100", 80, "fancy"), &slot);
  CHECK(st.err == ENOENT);
  CHECK(has(st, "\"fancy\""));
  CHECK(has(st, "mh"));

  st = t.add_service(spec("198.18.0.100", 80, "sixteen_chars_xx"), &slot);
  CHECK(st.err == EINVAL);
  CHECK(has(st, "longer than 15"));

  s = spec("2001:db8::100", 80);
  s.netmask = 0;
  st = t.add_service(s, &slot);
  CHECK(st.err == EINVAL);
  CHECK(has(st, "netmask 0"));
  s.netmask = 129;
  CHECK(t.add_service(s, &slot).err == EINVAL);
  s.netmask = 64;
  CHECK(t.add_service(s, &slot).ok());

  s = spec("198.18.0.100", 80);
  s.netmask = 0xff00ff00;
  st = t.add_service(s, &slot);
  CHECK(st.err == EINVAL);
  CHECK(has(st, "0xff00ff00"));

  // A scheduler setting the scheduler refuses.
  s = spec("198.18.0.100", 80, "mh");
  s.sched.mh_table_size = 100;  // not a prime
  CHECK(t.add_service(s, &slot).err == EINVAL);

  // Nothing of the refused ones stayed.
  CHECK(t.order().size() == 1);
}

TEST_CASE("services: defaults filled in, HASHED dropped, and \"none\" takes no scheduler") {
  ServiceTable t(4);
  ServiceSpec s = spec("198.18.0.100", 0, "none");
  s.flags = kSvcPersistent | kSvcHashed | kSchedFallback;
  const uint32_t a = slot_of_add(t, s);
  CHECK(t.at(a)->spec.flags == (kSvcPersistent | kSchedFallback));
  CHECK(t.at(a)->spec.netmask == 0xffffffffu);
  CHECK(t.at(a)->sched == nullptr);
  const uint32_t b = slot_of_add(t, spec("2001:db8::100", 443));
  CHECK(t.at(b)->spec.netmask == 128u);
}

TEST_CASE("services: edit changes the scheduler and keeps the real servers") {
  ServiceTable t(4);
  const uint32_t s = slot_of_add(t, spec("198.18.0.100", 80, "rr"));
  uint32_t slot = 0;
  REQUIRE(t.add_dest(key("198.18.0.100", 80), dest("10.0.0.1", 80), &slot).ok());
  REQUIRE(t.add_dest(key("198.18.0.100", 80), dest("10.0.0.2", 80), &slot).ok());
  ServiceSpec e = spec("198.18.0.100", 80, "mh");
  e.timeout_s = 300;
  e.flags = kSvcPersistent;
  REQUIRE(t.edit_service(e, &slot).ok());
  CHECK(slot == s);
  CHECK(t.at(s)->sched->name() == "mh");
  CHECK(t.at(s)->dests.size() == 2);
  CHECK(t.at(s)->spec.timeout_s == 300);
  // A refused edit changes nothing.
  CHECK(t.edit_service(spec("198.18.0.100", 80, "nope"), &slot).err == ENOENT);
  CHECK(t.at(s)->sched->name() == "mh");
}

TEST_CASE("real servers: EEXIST, ENOENT, ERANGE and EINVAL as the kernel gives them") {
  ServiceTable t(4);
  (void)slot_of_add(t, spec("198.18.0.100", 80));
  const ServiceKey k = key("198.18.0.100", 80);
  uint32_t slot = 0;
  REQUIRE(t.add_dest(k, dest("10.0.0.1", 80), &slot).ok());

  Status st = t.add_dest(k, dest("10.0.0.1", 80), &slot);
  CHECK(st.err == EEXIST);
  CHECK(has(st, "real server 10.0.0.1:80"));
  CHECK(t.add_dest(k, dest("10.0.0.1", 8080), &slot).ok());  // another port: another dest

  st = t.edit_dest(k, dest("10.0.0.9", 80), &slot);
  CHECK(st.err == ENOENT);
  CHECK(has(st, "10.0.0.9:80"));
  CHECK(t.del_dest(k, dest_id("10.0.0.9", 80), &slot).err == ENOENT);

  st = t.add_dest(k, dest("10.0.0.2", 80, -1), &slot);
  CHECK(st.err == ERANGE);
  CHECK(has(st, "weight -1"));
  CHECK(t.add_dest(k, dest("10.0.0.2", 80, 65536), &slot).err == ERANGE);
  CHECK(t.add_dest(k, dest("10.0.0.2", 80, 65535), &slot).ok());

  DestSpec d = dest("10.0.0.3", 80);
  d.l_threshold = 5;  // above an upper threshold of 0: the kernel refuses it too
  st = t.add_dest(k, d, &slot);
  CHECK(st.err == ERANGE);
  CHECK(has(st, "lower threshold 5"));
  d.u_threshold = 10;
  CHECK(t.add_dest(k, d, &slot).ok());
  d.l_threshold = 11;
  CHECK(t.edit_dest(k, d, &slot).err == ERANGE);  // checked on edit as well

  for (const char* bad : {"0.0.0.0", "0.1.2.3", "224.0.0.1", "239.1.1.1", "255.255.255.255"}) {
    INFO(bad);
    CHECK(t.add_dest(k, dest(bad, 80), &slot).err == EINVAL);
  }
  st = t.add_dest(k, dest("2001:db8::1", 80), &slot);
  CHECK(st.err == EINVAL);
  CHECK(has(st, "family"));

  d = dest("10.0.0.4", 80);
  d.forward = static_cast<ForwardMethod>(1);  // the kernel's "local"
  st = t.add_dest(k, d, &slot);
  CHECK(st.err == EINVAL);
  CHECK(has(st, "forwarding method 1"));

  CHECK(t.at(0)->dests.size() == 4);
}

TEST_CASE("real servers: IPv6 addresses must be unicast and not link-local") {
  ServiceTable t(4);
  (void)slot_of_add(t, spec("2001:db8::100", 80));
  const ServiceKey k = key("2001:db8::100", 80);
  uint32_t slot = 0;
  for (const char* bad : {"::", "ff02::1", "fe80::1"}) {
    INFO(bad);
    CHECK(t.add_dest(k, dest(bad, 80), &slot).err == EINVAL);
  }
  CHECK(t.add_dest(k, dest("2001:db8::1", 80), &slot).ok());
  CHECK(t.add_dest(k, dest("10.0.0.1", 80), &slot).err == EINVAL);
}

TEST_CASE("real servers: order kept, prev_index follows them, and the prototype scheduler sees them") {
  ServiceTable t(4);
  const uint32_t s = slot_of_add(t, spec("198.18.0.100", 80, "wrr"));
  const ServiceKey k = key("198.18.0.100", 80);
  uint32_t slot = 0;
  for (int i = 1; i <= 4; ++i) REQUIRE(t.add_dest(k, dest("10.0.0." + std::to_string(i), 80, i), &slot).ok());
  CHECK(t.at(s)->prev_index == std::vector<DestIndex>{0, 1, 2, kNoDest});
  REQUIRE(t.del_dest(k, dest_id("10.0.0.2", 80), &slot).ok());
  const MasterService& m = *t.at(s);
  REQUIRE(m.dests.size() == 3);
  CHECK(m.dests[1].id == dest_id("10.0.0.3", 80));
  CHECK(m.prev_index == std::vector<DestIndex>{0, 2, 3});
  REQUIRE(m.sched_dests.size() == 3);
  CHECK(m.sched_dests[2].weight == 4);

  DestSpec e = dest("10.0.0.3", 80, 7);
  REQUIRE(t.edit_dest(k, e, &slot).ok());
  CHECK(t.at(s)->sched_dests[1].weight == 7);
  CHECK(t.at(s)->prev_index == std::vector<DestIndex>{0, 1, 2});
}

TEST_CASE("real servers: a set the scheduler cannot hold is refused and nothing changes") {
  ServiceTable t(4);
  ServiceSpec s = spec("198.18.0.100", 80, "mh");
  s.sched.mh_table_size = 7;  // a prime; mh holds fewer dests than slots
  const uint32_t at = slot_of_add(t, s);
  const ServiceKey k = key("198.18.0.100", 80);
  uint32_t slot = 0;
  int added = 0;
  Status st;
  for (int i = 1; i <= 10 && st.ok(); ++i) {
    st = t.add_dest(k, dest("10.0.0." + std::to_string(i), 80), &slot);
    if (st.ok()) ++added;
  }
  CHECK(st.err == EINVAL);
  CHECK(has(st, "scheduler mh refuses"));
  CHECK(t.at(at)->dests.size() == static_cast<size_t>(added));
  CHECK(t.at(at)->sched_dests.size() == static_cast<size_t>(added));
}

TEST_CASE("services: listed in the order added; a freed slot is reused; a full table is ENOSPC") {
  ServiceTable t(3);
  const uint32_t a = slot_of_add(t, spec("198.18.0.1", 80));
  const uint32_t b = slot_of_add(t, spec("198.18.0.2", 80));
  const uint32_t c = slot_of_add(t, spec("198.18.0.3", 80));
  uint32_t slot = 0;
  Status st = t.add_service(spec("198.18.0.4", 80), &slot);
  CHECK(st.err == ENOSPC);
  CHECK(has(st, "at most 3"));
  REQUIRE(t.del_service(key("198.18.0.2", 80), &slot).ok());
  CHECK(slot == b);
  const uint32_t d = slot_of_add(t, spec("198.18.0.4", 80));
  CHECK(d == b);
  CHECK(t.order() == std::vector<uint32_t>{a, c, d});
}

TEST_CASE("worker copies: each has its own dests, and its scheduler is bound to them") {
  ServiceTable t(4);
  const uint32_t s = slot_of_add(t, spec("198.18.0.100", 80, "mh"));
  uint32_t slot = 0;
  for (int i = 1; i <= 3; ++i) {
    REQUIRE(t.add_dest(key("198.18.0.100", 80), dest("10.0.0." + std::to_string(i), 80), &slot).ok());
  }
  auto a = t.build_worker_copy(s, 0);
  auto b = t.build_worker_copy(s, 1);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->dests.data() != b->dests.data());
  CHECK(a->scheduler.get() != b->scheduler.get());
  CHECK(a->key == key("198.18.0.100", 80));
  CHECK(a->extra[2].forward == ForwardMethod::fullnat);
  CHECK(a->netmask == 0xffffffffu);
  SchedInput in;
  in.saddr = addr("203.0.113.9");
  in.sport = port_be(40000);
  const DestIndex pa = a->pick(in);
  CHECK(pa < 3);
  CHECK(b->pick(in) == pa);  // same table on every worker
  // Quiescing a dest in one copy's own array changes that copy only: it is bound to its own array.
  a->dests[pa].flags |= kDestOverload;
  CHECK(a->pick(in) == kNoDest);
  CHECK(b->pick(in) == pa);
  CHECK_FALSE(t.build_worker_copy(3, 0));
}
