#pragma once
// Between the <linux/ip_vs.h> structs that stock ipvsadm and keepalived send and Fulcrum's service types.
// Those structs speak IPv4 only, with ports and addresses in network order and the netmask as a be32.

#include <linux/ip_vs.h>

#include <optional>
#include <string>

#include "fulcrum/ipvs/rates.hpp"
#include "fulcrum/ipvs/service.hpp"

namespace fulcrum::ipvs::sockopt {

// IP_VS_VERSION_CODE of the kernel whose interface this is: 1.2.1, as every kernel since 2.6 reports.
inline constexpr unsigned kIpvsVersionCode = 0x010201;

// The kernel's bits that a dest's conn_flags carry besides the forwarding method: it sets INACTIVE on
// every dest, and NOOUTPUT on any that is not masqueraded.
inline constexpr uint32_t kConnFlagInactive = IP_VS_CONN_F_INACTIVE;
inline constexpr uint32_t kConnFlagNoOutput = IP_VS_CONN_F_NOOUTPUT;

// The forwarding method a dest shows in the kernel's structs. FullNAT shows as masq: stock ipvsadm prints
// a method it does not know as "(null)", in -S output too, which -R then refuses; as masq it lists as "Masq"
// and a save and restore through the bridge puts it back as FullNAT where the service's binding says so.
// The extension messages show the real method.
uint32_t kernel_forward(ForwardMethod m);

bool valid_protocol(uint16_t protocol);
// "protocol 41: must be TCP (6), UDP (17) or SCTP (132)"
std::string protocol_problem(uint16_t protocol);

ServiceKey key_of(uint16_t protocol, uint32_t addr_be, uint16_t port_be);
ServiceKey key_of(const ip_vs_service_user& u);
// The name up to its NUL; nullopt when the 16 bytes hold no NUL (the kernel's EINVAL).
std::optional<std::string> sched_name_of(const char (&name)[IP_VS_SCHEDNAME_MAXLEN]);

// A dest as ADDDEST/EDITDEST/DELDEST carry it (forwarding method not yet checked: see forward_method_from_conn_flags).
DestId dest_id_of(const ip_vs_dest_user& d);

void export_stats(ip_vs_stats_user& out, const Stats& s, const Rates& r);
// What ip_vs_copy_service writes into an entry (num_dests, stats and all); the entry's other bytes are left.
void fill_service_entry(ip_vs_service_entry& e, const ServiceInfo& info, const Rates& r);
void fill_dest_entry(ip_vs_dest_entry& e, const DestInfo& d, const Rates& r);

}  // namespace fulcrum::ipvs::sockopt
