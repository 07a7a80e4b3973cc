#include "genl_hide.hpp"

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <cstring>

namespace fulcrum::bridge {
namespace {

constexpr char kIpvsFamily[] = "IPVS";  // IPVS_GENL_NAME

template <class T>
T load(const unsigned char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

}  // namespace

bool rewrite_ipvs_lookup(const void* msg, size_t len, unsigned char (&out)[kHiddenLookupSize]) {
  const auto* p = static_cast<const unsigned char*>(msg);
  constexpr size_t kHead = NLMSG_HDRLEN + GENL_HDRLEN;
  if (len < kHead) return false;
  const auto nlh = load<nlmsghdr>(p);
  if (nlh.nlmsg_type != GENL_ID_CTRL || nlh.nlmsg_len != len || (nlh.nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP) {
    return false;
  }
  const auto genl = load<genlmsghdr>(p + NLMSG_HDRLEN);
  if (genl.cmd != CTRL_CMD_GETFAMILY) return false;
  bool ipvs = false;
  for (size_t off = kHead; off + NLA_HDRLEN <= len;) {
    const auto nla = load<nlattr>(p + off);
    if (nla.nla_len < NLA_HDRLEN || off + nla.nla_len > len) return false;  // malformed: not ours to judge
    const size_t value_len = nla.nla_len - NLA_HDRLEN;
    if ((nla.nla_type & NLA_TYPE_MASK) == CTRL_ATTR_FAMILY_NAME) {
      ipvs = value_len >= sizeof kIpvsFamily && std::memcmp(p + off + NLA_HDRLEN, kIpvsFamily, sizeof kIpvsFamily) == 0;
    }
    off += NLA_ALIGN(nla.nla_len);
  }
  if (!ipvs) return false;

  nlmsghdr h = nlh;
  h.nlmsg_len = kHiddenLookupSize;
  const nlattr id_attr{NLA_HDRLEN + sizeof(uint16_t), CTRL_ATTR_FAMILY_ID};
  std::memset(out, 0, sizeof out);
  std::memcpy(out, &h, sizeof h);
  std::memcpy(out + NLMSG_HDRLEN, &genl, sizeof genl);
  std::memcpy(out + kHead, &id_attr, sizeof id_attr);
  std::memcpy(out + kHead + NLA_HDRLEN, &kNoSuchFamilyId, sizeof kNoSuchFamilyId);
  return true;
}

}  // namespace fulcrum::bridge
