#pragma once
// netif messages: links (ports, bonds, VLAN sub-interfaces and knis share the same records), their
// counters, `link set` and `vlan add|del`. Fixed-size, host-order POD records; lists start with a version.

#include <cstdint>

#include "fulcrum/ctrl/protocol.hpp"

namespace fulcrum::ctrl::netif_msg {

// get, LinkQuery -> LinkListHead + LinkInfo[link_count] (+ LinkStats[link_count] + QueueStats[queue_count]
// when LinkQuery.with_stats). ENODEV (with a message) when a named device does not exist.
constexpr uint32_t kGetLinks = ids::kNetifFirst + 1;
// set, LinkSet -> empty. ENODEV for an unknown device, EINVAL (with a message naming value and range) for a
// bad MTU. In force on every worker when the reply comes.
constexpr uint32_t kSetLink = ids::kNetifFirst + 2;
// set, VlanAdd -> empty. EINVAL (message) for a bad name or VID, EEXIST for a taken name or (parent, VID),
// ENODEV for an unknown parent, ENOSPC when every VLAN slot is used.
constexpr uint32_t kAddVlan = ids::kNetifFirst + 3;
// set, VlanDel -> empty. ENODEV for an unknown device, EINVAL when it is no VLAN.
constexpr uint32_t kDelVlan = ids::kNetifFirst + 4;

constexpr uint32_t kLinkListVersion = 2;
constexpr unsigned kNameSize = 16;  // NUL-terminated, as IFNAMSIZ

// Drop reasons; the counters arrays hold kDropSlots so that later reasons (vlan, kni) keep the layout.
// vlan_unknown: an 802.1Q frame for a VID no VLAN sub-interface of the port has (counted on the port).
// kni_none: a frame for the kernel from a device without a kni (counted on that device).
enum class Drop : uint8_t {
  runt = 0,
  other_host = 1,
  unknown_ethertype = 2,
  down = 3,
  tx_full = 4,
  vlan_unknown = 5,
  kni_none = 6
};
constexpr unsigned kDropReasons = 7;
constexpr unsigned kDropSlots = 8;
constexpr const char* kDropNames[kDropReasons] = {"runt", "other_host",   "unknown_ethertype", "down",
                                                  "tx_full", "vlan_unknown", "kni_none"};

// vlan: an 802.1Q sub-interface of a port or bond (LinkInfo.parent_ifindex, LinkInfo.vlan_id); no queues of
// its own, its counters are what the workers counted for its VID (LinkStats without PMD counters, no
// QueueStats).
// bond: a net_bonding port; its members are ports with LinkInfo.master_ifindex set, no queues of their own
// (the bond drives them) and only PMD counters.
// kni: the kernel TAP of a port or bond (parent_ifindex): its TX is what went up to the kernel, its RX what
// the kernel sent out through the parent.
enum class LinkKind : uint8_t { port = 1, vlan = 2, bond = 3, kni = 4 };

struct LinkQuery {
  char name[kNameSize];  // empty: every link
  uint8_t with_stats;
  uint8_t reserved[7];
};
static_assert(sizeof(LinkQuery) == 24);

struct LinkListHead {
  uint32_t version;  // kLinkListVersion
  uint32_t link_count;
  uint32_t queue_count;  // QueueStats records, 0 without stats
  uint32_t reserved;
};
static_assert(sizeof(LinkListHead) == 16);

struct LinkInfo {
  uint16_t ifindex;
  uint16_t port_id;  // the DPDK port
  uint32_t mtu;
  char name[kNameSize];
  uint8_t mac[6];
  uint8_t kind;      // LinkKind
  uint8_t admin_up;  // set by `link set up|down`
  uint8_t link_up;   // carrier, from the last poll
  uint8_t promisc;
  uint16_t rx_queues;
  uint16_t tx_queues;
  uint16_t vlan_id;  // kind vlan: the VID (1-4094); 0 otherwise
  uint32_t speed_mbps;  // 0 when unknown
  char driver[32];
  uint16_t parent_ifindex;  // kind vlan and kni: the device it rides on; 0 otherwise
  uint16_t master_ifindex;  // a bond member: its bond; 0 otherwise
  uint8_t bond_mode;        // kind bond: 0, 1, 2 or 4 (as the kernel's bonding modes)
  uint8_t bond_xmit_policy; // kind bond: 0 l2, 1 l23, 2 l34
  uint16_t bond_active_ifindex;  // kind bond, mode 1: the member in use; 0 when none is
  uint16_t bond_primary_ifindex; // kind bond, mode 1: the preferred member
  uint8_t reserved[8];
};
static_assert(sizeof(LinkInfo) == 96);

// Totals of one link: what the workers and the master counted, and the PMD's own counters.
struct LinkStats {
  uint16_t ifindex;
  uint16_t reserved[3];
  uint64_t rx_packets;  // every frame the PMD handed us, including those dropped afterwards
  uint64_t rx_bytes;
  uint64_t tx_packets;  // frames the PMD accepted
  uint64_t tx_bytes;
  uint64_t drops[kDropSlots];  // by Drop
  uint64_t pmd_ipackets;
  uint64_t pmd_opackets;
  uint64_t pmd_imissed;
  uint64_t pmd_ierrors;
  uint64_t pmd_oerrors;
  uint64_t pmd_rx_nombuf;
};
static_assert(sizeof(LinkStats) == 8 + 4 * 8 + 8 * 8 + 6 * 8);

enum class Direction : uint8_t { rx = 1, tx = 2 };

// One queue of one link, as its owning lcore counted it.
struct QueueStats {
  uint16_t ifindex;
  uint16_t queue;
  uint8_t direction;  // Direction
  uint8_t reserved[3];
  uint32_t lcore;
  uint32_t reserved2;
  uint64_t packets;
  uint64_t bytes;
  uint64_t drops[kDropSlots];
};
static_assert(sizeof(QueueStats) == 16 + 2 * 8 + 8 * 8);

enum LinkSetMask : uint8_t { set_admin = 1, set_mtu = 2, set_promisc = 4 };

struct LinkSet {
  char name[kNameSize];
  uint32_t mtu;
  uint8_t mask;  // LinkSetMask bits: which of the fields below apply
  uint8_t admin_up;
  uint8_t promisc;
  uint8_t reserved;
};
static_assert(sizeof(LinkSet) == 24);

struct VlanAdd {
  char name[kNameSize];    // empty: "<parent>.<id>"
  char parent[kNameSize];  // a port or bond
  uint16_t vlan_id;        // 1-4094
  uint8_t has_mac;
  uint8_t mac[6];          // with has_mac; else the parent's
  uint8_t reserved[7];
};
static_assert(sizeof(VlanAdd) == 48);

struct VlanDel {
  char name[kNameSize];
};
static_assert(sizeof(VlanDel) == 16);

}  // namespace fulcrum::ctrl::netif_msg
