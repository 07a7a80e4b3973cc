#pragma once
// Hiding the kernel's "IPVS" generic netlink family, so that libipvs (in ipvsadm and keepalived) takes its
// sockopt path, which the bridge answers.
//
// libipvs first asks the genl controller for the family "IPVS" (CTRL_CMD_GETFAMILY with
// CTRL_ATTR_FAMILY_NAME, one netlink message through libnl's sendmsg). On a host whose kernel has IPVS, the
// answer would be yes and the tools would drive the kernel instead of Fulcrum. The bridge rewrites that one
// request, as it leaves, into a lookup by a family id that can not exist (CTRL_ATTR_FAMILY_ID 0xffff, above
// GENL_MAX_ID), keeping its sequence number, port id and flags. The kernel itself then answers ENOENT with
// an NLMSG_ERROR, exactly as a kernel without IPVS does, and libnl reports the family as not found.
// Looking up by id rather than by another name matters: a name that is not found makes the kernel try
// request_module() for it, and the real name would load ip_vs.

#include <cstddef>
#include <cstdint>

namespace fulcrum::bridge {

// The rewritten request's size: nlmsghdr, genlmsghdr, one u16 attribute.
inline constexpr size_t kHiddenLookupSize = 16 + 4 + 8;
inline constexpr uint16_t kNoSuchFamilyId = 0xffff;

// If `msg` (len bytes) is exactly one netlink message asking the genl controller for the family "IPVS",
// writes the replacement into `out` and returns true.
bool rewrite_ipvs_lookup(const void* msg, size_t len, unsigned char (&out)[kHiddenLookupSize]);

}  // namespace fulcrum::bridge
