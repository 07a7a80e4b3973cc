#include <catch2/catch.hpp>

#include <string>

#include "fulcrum/core/config.hpp"
#include "config_test_util.hpp"
#include "fulcrum/netif/netif_config.hpp"

using fulcrum::netif::BondMode;
using fulcrum::netif::XmitPolicy;

namespace {

const std::string kTwoPorts =
    "[[port]]\nname = \"dpdk0\"\nvdev = \"net_af_packet0,iface=a\"\n"
    "[[port]]\nname = \"dpdk1\"\nvdev = \"net_af_packet1,iface=b\"\n";

using fulcrum::netif::test::contains;
using fulcrum::netif::test::error_of;
using fulcrum::netif::test::read;

}  // namespace

TEST_CASE("a bond builds the net_bonding vdev from its members' devices") {
  auto cfg = read(kTwoPorts +
                  "[[bond]]\nname = \"bond0\"\nmode = 2\nmembers = [\"dpdk0\", \"dpdk1\"]\nxmit_policy = \"l23\"\n");
  REQUIRE(cfg.bonds.size() == 1);
  const auto& b = cfg.bonds[0];
  CHECK(b.mode == BondMode::balance);
  CHECK(b.xmit_policy == XmitPolicy::l23);
  CHECK(b.primary == "dpdk0");
  CHECK(b.port.vdev ==
        "net_bonding0,mode=2,slave=net_af_packet0,primary=net_af_packet0,slave=net_af_packet1,xmit_policy=l23");
}

TEST_CASE("a bond's primary decides the primary member; mode 1 has no xmit_policy in its vdev") {
  auto cfg = read(kTwoPorts + "[[bond]]\nname = \"bond0\"\nmembers = [\"dpdk0\", \"dpdk1\"]\nprimary = \"dpdk1\"\n");
  CHECK(cfg.bonds[0].mode == BondMode::active_backup);
  CHECK(cfg.bonds[0].port.vdev ==
        "net_bonding0,mode=1,slave=net_af_packet0,slave=net_af_packet1,primary=net_af_packet1");
}

TEST_CASE("bad bonds are refused naming the key and the value") {
  const std::string bond = "[[bond]]\nname = \"bond0\"\n";
  CHECK(contains(error_of(kTwoPorts + bond + "mode = 3\nmembers = [\"dpdk0\", \"dpdk1\"]\n"), "'bond[0].mode' = 3"));
  CHECK(contains(error_of(kTwoPorts + bond + "members = [\"dpdk0\"]\n"), "at least two"));
  CHECK(contains(error_of(kTwoPorts + bond + "members = [\"dpdk0\", \"dpdk9\"]\n"), "'bond[0].members[1]' = \"dpdk9\""));
  CHECK(contains(error_of(kTwoPorts + bond + "members = [\"dpdk0\", \"dpdk0\"]\n"), "must not repeat"));
  CHECK(contains(error_of(kTwoPorts + bond + "members = [\"dpdk0\", \"dpdk1\"]\nprimary = \"x\"\n"), "one of the members"));
  CHECK(contains(error_of(kTwoPorts + bond + "members = [\"dpdk0\", \"dpdk1\"]\nxmit_policy = \"l4\"\n"),
                 "'bond[0].xmit_policy' = \"l4\""));
  CHECK(contains(error_of(kTwoPorts + bond + "members = [\"dpdk0\", \"dpdk1\"]\n" +
                          "[[bond]]\nname = \"bond1\"\nmembers = [\"dpdk1\", \"dpdk0\"]\n"),
                 "member of an earlier bond"));
  CHECK(contains(error_of(kTwoPorts + "[[bond]]\nname = \"dpdk1\"\nmembers = [\"dpdk0\", \"dpdk1\"]\n"),
                 "must be unique: port[1]"));
}

TEST_CASE("a VLAN may ride on a bond but not on a bond member") {
  const std::string bond = kTwoPorts + "[[bond]]\nname = \"bond0\"\nmembers = [\"dpdk0\", \"dpdk1\"]\n";
  CHECK(read(bond + "[[vlan]]\nparent = \"bond0\"\nid = 7\n").vlans[0].name == "bond0.7");
  CHECK(contains(error_of(bond + "[[vlan]]\nparent = \"dpdk0\"\nid = 7\n"), "no bond member"));
}

TEST_CASE("a kni is named after its port unless kni_name says otherwise") {
  auto cfg = read("[[port]]\nname = \"dpdk0\"\nvdev = \"net_null0\"\nkni = true\n");
  CHECK(cfg.ports[0].kni_name == "dpdk0.kni");
  CHECK(contains(error_of("[[port]]\nname = \"dpdk-long-name\"\nvdev = \"net_null0\"\nkni = true\n"), "set kni_name"));
}

TEST_CASE("kni rules parse prefixes, protocols and ports") {
  const std::string port = "[[port]]\nname = \"dpdk0\"\nvdev = \"net_null0\"\nkni = true\n";
  auto cfg = read(port + "[[kni_rule]]\ndev = \"dpdk0\"\ndst = \"198.18.0.0/15\"\nproto = \"tcp\"\nport = 22\n" +
                  "[[kni_rule]]\ndev = \"dpdk0\"\ndst = \"2001:db8::1\"\n");
  REQUIRE(cfg.kni_rules.size() == 2);
  CHECK(cfg.kni_rules[0].family == 4);
  CHECK(cfg.kni_rules[0].prefix_len == 15);
  CHECK(cfg.kni_rules[0].proto == 6);
  CHECK(cfg.kni_rules[0].port == 22);
  CHECK(cfg.kni_rules[1].family == 6);
  CHECK(cfg.kni_rules[1].prefix_len == 128);
  CHECK(cfg.kni_rules[1].proto == 0);

  CHECK(contains(error_of(port + "[[kni_rule]]\ndev = \"dpdk9\"\n"), "'kni_rule[0].dev' = \"dpdk9\""));
  CHECK(contains(error_of("[[port]]\nname = \"dpdk0\"\nvdev = \"net_null0\"\n[[kni_rule]]\ndev = \"dpdk0\"\n"),
                 "kni = true"));
  CHECK(contains(error_of(port + "[[kni_rule]]\ndev = \"dpdk0\"\ndst = \"198.18.0.1/33\"\n"), "'kni_rule[0].dst'"));
  CHECK(contains(error_of(port + "[[kni_rule]]\ndev = \"dpdk0\"\ndst = \"nonsense\"\n"), "IPv4 or IPv6"));
  CHECK(contains(error_of(port + "[[kni_rule]]\ndev = \"dpdk0\"\nport = 22\n"), "needs proto"));
  CHECK(contains(error_of(port + "[[kni_rule]]\ndev = \"dpdk0\"\ndst = \"2001:db8::1\"\nproto = \"icmp\"\n"),
                 "family"));
}
