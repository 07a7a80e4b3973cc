// The preload bridge's pure decisions: which netlink request hides the kernel's IPVS family and what it
// becomes, and which exec is the tools' modprobe of ip_vs. The request bytes are libnl's, from the traces.

#include <catch2/catch.hpp>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <cstring>
#include <vector>

#include "exec_guard.hpp"
#include "genl_hide.hpp"

using namespace fulcrum::bridge;

namespace {

// libnl's CTRL_CMD_GETFAMILY for `name`, as ipvsadm sent it (flags REQUEST|ACK).
std::vector<unsigned char> getfamily(const char* name, uint16_t flags = NLM_F_REQUEST | NLM_F_ACK) {
  const size_t name_len = std::strlen(name) + 1;
  const size_t attr_len = NLA_HDRLEN + name_len;
  std::vector<unsigned char> m(NLMSG_HDRLEN + GENL_HDRLEN + NLA_ALIGN(attr_len), 0);
  nlmsghdr h{static_cast<uint32_t>(m.size()), GENL_ID_CTRL, flags, 1795305998, 1711303490};
  genlmsghdr g{CTRL_CMD_GETFAMILY, 1, 0};
  nlattr a{static_cast<uint16_t>(attr_len), CTRL_ATTR_FAMILY_NAME};
  std::memcpy(m.data(), &h, sizeof h);
  std::memcpy(m.data() + NLMSG_HDRLEN, &g, sizeof g);
  std::memcpy(m.data() + NLMSG_HDRLEN + GENL_HDRLEN, &a, sizeof a);
  std::memcpy(m.data() + NLMSG_HDRLEN + GENL_HDRLEN + NLA_HDRLEN, name, name_len);
  return m;
}

}  // namespace

TEST_CASE("bridge: libnl's lookup of \"IPVS\" becomes a lookup of a family id that can not exist") {
  const auto req = getfamily("IPVS");
  REQUIRE(req.size() == 32);  // as the trace shows it
  unsigned char out[kHiddenLookupSize];
  REQUIRE(rewrite_ipvs_lookup(req.data(), req.size(), out));
  nlmsghdr h{};
  std::memcpy(&h, out, sizeof h);
  CHECK(h.nlmsg_len == kHiddenLookupSize);
  CHECK(h.nlmsg_type == GENL_ID_CTRL);
  CHECK(h.nlmsg_flags == (NLM_F_REQUEST | NLM_F_ACK));
  CHECK(h.nlmsg_seq == 1795305998u);  // libnl matches the kernel's answer by these
  CHECK(h.nlmsg_pid == 1711303490u);
  CHECK(out[NLMSG_HDRLEN] == CTRL_CMD_GETFAMILY);
  nlattr a{};
  std::memcpy(&a, out + NLMSG_HDRLEN + GENL_HDRLEN, sizeof a);
  CHECK(a.nla_type == CTRL_ATTR_FAMILY_ID);
  CHECK(a.nla_len == NLA_HDRLEN + 2);
  uint16_t id = 0;
  std::memcpy(&id, out + NLMSG_HDRLEN + GENL_HDRLEN + NLA_HDRLEN, sizeof id);
  CHECK(id == kNoSuchFamilyId);
}

TEST_CASE("bridge: every other netlink message passes untouched") {
  unsigned char out[kHiddenLookupSize];
  for (const char* other : {"nlctrl", "IPVS2", "IPV", "ipvs", "TASKSTATS"}) {
    const auto req = getfamily(other);
    CHECK_FALSE(rewrite_ipvs_lookup(req.data(), req.size(), out));
  }
  // A dump of every family, a request with its length cut short or padded, another command.
  auto dump = getfamily("IPVS", NLM_F_REQUEST | NLM_F_DUMP);
  CHECK_FALSE(rewrite_ipvs_lookup(dump.data(), dump.size(), out));
  auto req = getfamily("IPVS");
  CHECK_FALSE(rewrite_ipvs_lookup(req.data(), req.size() - 4, out));
  auto longer = req;
  longer.resize(longer.size() + 16, 0);
  CHECK_FALSE(rewrite_ipvs_lookup(longer.data(), longer.size(), out));
  auto other_cmd = req;
  other_cmd[NLMSG_HDRLEN] = CTRL_CMD_GETPOLICY;
  CHECK_FALSE(rewrite_ipvs_lookup(other_cmd.data(), other_cmd.size(), out));
  auto bad_attr = req;
  bad_attr[NLMSG_HDRLEN + GENL_HDRLEN] = 200;  // nla_len past the end
  CHECK_FALSE(rewrite_ipvs_lookup(bad_attr.data(), bad_attr.size(), out));
  CHECK_FALSE(rewrite_ipvs_lookup(req.data(), 8, out));
}

TEST_CASE("bridge: only modprobe of ip_vs is refused") {
  char modprobe[] = "/sbin/modprobe", dash_s[] = "-s", dashdash[] = "--", ipvs[] = "ip_vs", rr[] = "ip_vs_rr",
       other[] = "nf_conntrack", ls[] = "/bin/ls", bare[] = "modprobe";
  char* keepalived_first[] = {modprobe, dash_s, dashdash, ipvs, nullptr};
  char* keepalived_second[] = {modprobe, ipvs, nullptr};
  char* scheduler[] = {bare, rr, nullptr};
  char* not_ipvs[] = {modprobe, other, nullptr};
  char* not_modprobe[] = {ls, ipvs, nullptr};
  CHECK(is_modprobe_of_ipvs("/sbin/modprobe", keepalived_first));
  CHECK(is_modprobe_of_ipvs("/sbin/modprobe", keepalived_second));
  CHECK(is_modprobe_of_ipvs("modprobe", scheduler));  // execvp by name
  CHECK_FALSE(is_modprobe_of_ipvs("/sbin/modprobe", not_ipvs));
  CHECK_FALSE(is_modprobe_of_ipvs("/bin/ls", not_modprobe));
  CHECK_FALSE(is_modprobe_of_ipvs("/sbin/modprobe", nullptr));
}
