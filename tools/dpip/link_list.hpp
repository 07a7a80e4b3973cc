#pragma once
// What `dpip link` and `dpip vlan` share: fetching the link list from fulcrumd, naming links by ifindex,
// and printing them as `ip link` does.

#include <cstdint>
#include <string>
#include <vector>

#include "command.hpp"
#include "fulcrum/ctrl/proto/netif.hpp"

namespace fulcrum::dpip {

struct LinkList {
  std::vector<ctrl::netif_msg::LinkInfo> links;
  std::vector<ctrl::netif_msg::LinkStats> stats;
  std::vector<ctrl::netif_msg::QueueStats> queues;
  std::vector<ctrl::netif_msg::LinkInfo> others;  // every link, fetched to name a shown link's parent or bond
};

std::string field(const char* text, size_t size);
std::string mac_text(const uint8_t* b);
bool fill_name(char (&dst)[ctrl::netif_msg::kNameSize], const std::string& name);

// Runs a request; ENODEV becomes iproute2's `Cannot find device` line.
int call(Context& ctx, ctrl::Kind kind, uint32_t id, const void* payload, uint32_t len, ctrl::CallReply& reply,
         const char* what);

// The links (all, or `dev` alone), with counters when ctx.stats. Fills `others` when a shown link names
// another one (parent, bond, member). Returns an exit code.
int fetch_links(Context& ctx, const std::string& dev, LinkList& out);

// Prints as `ip link` (text) or `ip -j link` (JSON).
void print_links(const Context& ctx, const LinkList& list);

}  // namespace fulcrum::dpip
