#pragma once
// -G: each service's FullNAT binding and local-address group, with the ports each local address has on the
// workers (from the dataplane's pool view). A Fulcrum format; stock ipvsadm has no -G.

#include <string>
#include <vector>

#include "fulcrum/ctrl/proto/ipvs_conn.hpp"
#include "model.hpp"

namespace fulcrum::ipvsadm {

std::string format_laddr_title(bool per_worker);
// The service line, then one line per local address (ports and free ports summed over the workers, with
// each worker's below it when per_worker).
std::string format_laddr_group(const Service& svc, const std::vector<Addr>& laddrs,
                               const std::vector<ctrl::ipvs_conn::LaddrEntry>& pool, bool per_worker, unsigned format);

}  // namespace fulcrum::ipvsadm
