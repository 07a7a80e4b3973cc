#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "fulcrum/core/config.hpp"
#include "config_test_util.hpp"
#include "fulcrum/netif/netif_config.hpp"

using fulcrum::core::ConfigDocument;
using fulcrum::netif::NetifConfig;
using fulcrum::netif::read_netif_config;

namespace {

using fulcrum::netif::test::contains;
using fulcrum::netif::test::error_of;
using fulcrum::netif::test::read;

}  // namespace

TEST_CASE("a port takes its defaults, and every key when given") {
  auto cfg = read("[[port]]\nname = \"dpdk0\"\nvdev = \"net_af_packet0,iface=veth1\"\n");
  REQUIRE(cfg.ports.size() == 1);
  const auto& p = cfg.ports[0];
  CHECK(p.rx_queues == 0);
  CHECK(p.tx_queues == 0);
  CHECK(p.mtu == 1500);
  CHECK_FALSE(p.mac);
  CHECK_FALSE(p.promisc);
  CHECK(fulcrum::netif::vdev_device_name(p.vdev) == "net_af_packet0");

  cfg = read(
      "[netif]\nmbufs = 4095\nmbuf_cache = 64\nlink_poll_ms = 200\n"
      "[[port]]\nname = \"dpdk0\"\nvdev = \"net_ring0\"\nrx_queues = 2\ntx_queues = 3\nrx_desc = 512\n"
      "tx_desc = 256\nmtu = 9000\nmac = \"02:00:c6:12:00:01\"\npromisc = true\n");
  CHECK(cfg.mbufs == 4095);
  CHECK(cfg.mbuf_cache == 64);
  CHECK(cfg.link_poll_ms == 200);
  CHECK(cfg.ports[0].rx_queues == 2);
  CHECK(cfg.ports[0].tx_queues == 3);
  CHECK(cfg.ports[0].mtu == 9000);
  CHECK(cfg.ports[0].mac->to_string() == "02:00:c6:12:00:01");
  CHECK(cfg.ports[0].promisc);
}

TEST_CASE("no [[port]] is valid and still declares the port keys") {
  auto doc = ConfigDocument::from_string("");
  auto root = doc.root();
  CHECK(read_netif_config(root).ports.empty());
  doc.reject_unknown_keys();
  bool saw_vdev = false;
  for (const auto& k : doc.schema()) saw_vdev = saw_vdev || k.path == "port[].vdev";
  CHECK(saw_vdev);
}

TEST_CASE("bad ports are refused naming the key, the value and what is allowed") {
  const std::string good = "vdev = \"net_null0\"\n";
  auto e = error_of("[[port]]\nname = \"a\"\n" + good + "[[port]]\nname = \"a\"\nvdev = \"net_null1\"\n");
  CHECK(contains(e, "'port[1].name' = \"a\""));
  CHECK(contains(e, "port[0]"));

  e = error_of("[[port]]\nname = \"a\"\nvdev = \"net_null0,x=1\"\n[[port]]\nname = \"b\"\nvdev = \"net_null0\"\n");
  CHECK(contains(e, "'port[1].vdev'"));
  CHECK(contains(e, "net_null0"));

  e = error_of("[[port]]\nname = \"a\"\n" + good + "mac = \"02:00:c6:12:00\"\n");
  CHECK(contains(e, "'port[0].mac' = \"02:00:c6:12:00\""));
  CHECK(contains(e, "six hex bytes"));

  e = error_of("[[port]]\nname = \"a\"\n" + good + "mac = \"01:00:5e:00:00:01\"\n");
  CHECK(contains(e, "unicast"));

  e = error_of("[[port]]\nname = \"a\"\n" + good + "mtu = 99999\n");
  CHECK(contains(e, "'port[0].mtu' = 99999"));
  CHECK(contains(e, "68"));
  CHECK(contains(e, "9600"));

  e = error_of("[[port]]\nname = \"a\"\nvdev = \"\"\n");
  CHECK(contains(e, "'port[0].vdev' = \"\""));

  e = error_of("[[port]]\nname = \"a\"\nvdev = \",iface=x\"\n");
  CHECK(contains(e, "device name"));

  e = error_of("[[port]]\n" + good);
  CHECK(contains(e, "'port[0].name'"));
  CHECK(contains(e, "required"));

  e = error_of("[[port]]\nname = \"a very long name!\"\n" + good);
  CHECK(contains(e, "1 to 15 characters"));

  e = error_of("[[port]]\nname = \"a\"\n" + good + "speed = 10\n");
  CHECK(contains(e, "port[0].speed"));
}

namespace {
const std::string kOnePort = "[[port]]\nname = \"dpdk0\"\nvdev = \"net_null0\"\n";
}

TEST_CASE("a port can be a NIC by its PCI address, which EAL is then told to probe") {
  auto cfg = read("[[port]]\nname = \"dpdk0\"\npci = \"0000:3B:00.1\"\n[[port]]\nname = \"dpdk1\"\npci = \"5e:00.0\"\n"
                  "[[port]]\nname = \"dpdk2\"\nvdev = \"net_null0\"\n");
  REQUIRE(cfg.ports.size() == 3);
  CHECK(cfg.ports[0].pci == "0000:3b:00.1");  // as DPDK names the device: lower case, with its domain
  CHECK(cfg.ports[1].pci == "0000:5e:00.0");
  CHECK(fulcrum::netif::port_device_name(cfg.ports[1]) == "0000:5e:00.0");
  CHECK(fulcrum::netif::port_device_name(cfg.ports[2]) == "net_null0");
  CHECK(fulcrum::netif::pci_devices(cfg) == std::vector<std::string>{"0000:3b:00.1", "0000:5e:00.0"});
  CHECK(fulcrum::netif::pci_devices(read(kOnePort)).empty());
}

TEST_CASE("bad PCI ports are refused naming the key and the value") {
  auto e = error_of("[[port]]\nname = \"a\"\npci = \"0000:03:00\"\n");
  CHECK(contains(e, "'port[0].pci' = \"0000:03:00\""));
  CHECK(contains(e, "domain:bus:device.function"));
  for (const char* bad : {"03:00.8", "03:20.0", "3:00.0", "0000:03:00.0.1", "zz:00.0", "00000:03:00.0", ""}) {
    INFO(bad);
    CHECK(contains(error_of(std::string("[[port]]\nname = \"a\"\npci = \"") + bad + "\"\n"), "'port[0].pci'"));
  }
  e = error_of("[[port]]\nname = \"a\"\npci = \"03:00.0\"\nvdev = \"net_null0\"\n");
  CHECK(contains(e, "exactly one of the two"));
  e = error_of("[[port]]\nname = \"a\"\n");
  CHECK(contains(e, "exactly one of the two"));
  e = error_of("[[port]]\nname = \"a\"\npci = \"03:00.0\"\n[[port]]\nname = \"b\"\npci = \"0000:03:00.0\"\n");
  CHECK(contains(e, "'port[1].pci'"));
  CHECK(contains(e, "port[0]"));
}

namespace {
const std::string kTwoPorts =
    "[[port]]\nname = \"dpdk0\"\nvdev = \"net_ring0\"\n[[port]]\nname = \"dpdk1\"\nvdev = \"net_ring1\"\n";
}

TEST_CASE("a vlan takes its parent's name and MAC by default") {
  auto cfg = read(kTwoPorts + "[[vlan]]\nparent = \"dpdk0\"\nid = 100\n[[vlan]]\nparent = \"dpdk1\"\nid = 100\n"
                              "name = \"inside\"\nmac = \"02:00:c6:12:00:05\"\n");
  REQUIRE(cfg.vlans.size() == 2);
  CHECK(cfg.vlans[0].name == "dpdk0.100");
  CHECK(cfg.vlans[0].parent == "dpdk0");
  CHECK(cfg.vlans[0].id == 100);
  CHECK_FALSE(cfg.vlans[0].mac);
  CHECK(cfg.vlans[1].name == "inside");
  CHECK(cfg.vlans[1].mac->to_string() == "02:00:c6:12:00:05");
}

TEST_CASE("bad vlans are refused naming the key and value") {
  auto e = error_of(kTwoPorts + "[[vlan]]\nparent = \"dpdk7\"\nid = 100\n");
  CHECK(contains(e, "vlan[0].parent"));
  CHECK(contains(e, "dpdk7"));
  e = error_of(kTwoPorts + "[[vlan]]\nparent = \"dpdk0\"\nid = 5000\n");
  CHECK(contains(e, "vlan[0].id"));
  CHECK(contains(e, "5000"));
  e = error_of(kTwoPorts + "[[vlan]]\nparent = \"dpdk0\"\nid = 0\n");
  CHECK(contains(e, "vlan[0].id"));
  e = error_of(kTwoPorts + "[[vlan]]\nparent = \"dpdk0\"\n");
  CHECK(contains(e, "vlan[0].id"));
  CHECK(contains(e, "required"));
  e = error_of(kTwoPorts + "[[vlan]]\nparent = \"dpdk0\"\nid = 7\n[[vlan]]\nparent = \"dpdk0\"\nid = 7\nname = \"x\"\n");
  CHECK(contains(e, "vlan[1].id"));
  CHECK(contains(e, "vlan[0]"));
  e = error_of(kTwoPorts + "[[vlan]]\nparent = \"dpdk0\"\nid = 7\nname = \"v\"\n[[vlan]]\nparent = \"dpdk1\"\nid = 8\n"
                           "name = \"v\"\n");
  CHECK(contains(e, "vlan[1].name"));
  CHECK(contains(e, "\"v\""));
  e = error_of(kTwoPorts + "[[vlan]]\nparent = \"dpdk0\"\nid = 7\nname = \"dpdk1\"\n");
  CHECK(contains(e, "vlan[0].name"));
  CHECK(contains(e, "port[1]"));
  e = error_of(kTwoPorts + "[[vlan]]\nparent = \"dpdk0\"\nid = 7\nmac = \"01:00:5e:00:00:01\"\n");
  CHECK(contains(e, "vlan[0].mac"));
}
