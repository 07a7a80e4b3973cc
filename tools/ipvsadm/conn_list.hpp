#pragma once
// -L -c: the connections as stock ipvsadm prints /proc/net/ip_vs_conn ("pro expire state       source ..."),
// from the workers' tables. --fullnat-conn adds a "local" column (FullNAT's local address and port) before
// the destination; without it the lines are stock's.

#include <string>

#include "fulcrum/ctrl/proto/ipvs_conn.hpp"

namespace fulcrum::ipvsadm {

// "IPVS connection entries" and the column headings.
std::string format_conn_title(unsigned format, bool fullnat_conn);
std::string format_conn(const ctrl::ipvs_conn::ConnEntry& c, unsigned format, bool fullnat_conn);

}  // namespace fulcrum::ipvsadm
