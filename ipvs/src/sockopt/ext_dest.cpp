// Extension messages for real servers of both families and every forwarding method: ipvs_msg::kGetDests,
// kAddDest, kEditDest, kDelDest (fulcrum/ctrl/proto/ipvs.hpp).

#include <cerrno>

#include "ext_util.hpp"
#include "handlers.hpp"

namespace fulcrum::ipvs::sockopt {
namespace {

int get_dests(Ctx c, const ctrl::Request& in, ctrl::Response& out) {
  const auto q = read_at<msg::DestQuery>(in);
  int rc = 0;
  ServiceKey key;
  if (!version_ok(q.version, in, out, rc) || !key_ok(q.key, out, rc, &key)) return rc;
  std::vector<DestInfo> dests;
  std::vector<Rates> rates;
  if (Status st = c.services.list_dests(key, &dests); !st.ok()) return fail(out, st);
  if (Status st = c.services.dest_rates(key, dests, &rates); !st.ok()) return fail(out, st);
  const Page p = page_of(dests.size(), q.offset, q.max);
  put_head(out.payload, dests.size(), p);
  for (size_t i = p.first; i < p.first + p.count; ++i) {
    const DestInfo& d = dests[i];
    msg::DestEntry e{};
    std::memcpy(e.addr, d.spec.id.addr.bytes.data(), sizeof e.addr);
    e.port = d.spec.id.port;
    e.family = static_cast<uint8_t>(d.spec.id.family);
    e.forward = static_cast<uint8_t>(d.spec.forward);
    e.weight = static_cast<uint32_t>(d.spec.weight);
    e.u_threshold = d.spec.u_threshold;
    e.l_threshold = d.spec.l_threshold;
    e.activeconns = d.activeconns;
    e.inactconns = d.inactconns;
    put_stats(e.stats, d.stats, rates[i]);
    append(out.payload, e);
  }
  return 0;
}

enum class Op { add, edit, del };

int set_dest(Ctx c, Op op, const ctrl::Request& in, ctrl::Response& out) {
  const auto q = read_at<msg::DestReq>(in);
  int rc = 0;
  ServiceKey key;
  DestSpec d;
  if (!version_ok(q.version, in, out, rc) || !key_ok(q.key, out, rc, &key)) return rc;
  if (!family_ok(q.family, "real server family", out, rc, &d.id.family)) return rc;
  if (d.id.family != key.family) {
    return fail(out, EAFNOSUPPORT, "real server family " + std::to_string(q.family) + " differs from service " +
                                       to_string(key) + "'s");
  }
  d.id.addr = addr_of(q.addr, d.id.family);
  d.id.port = q.port;
  if (op == Op::del) {
    const Status st = c.services.del_dest(key, d.id);
    return st.ok() ? 0 : fail(out, st);
  }
  if (!forward_ok(q.forward, "forward", out, rc, &d.forward)) return rc;
  d.weight = q.weight;
  d.u_threshold = q.u_threshold;
  d.l_threshold = q.l_threshold;
  const Status st = op == Op::add ? c.services.add_dest(key, d) : c.services.edit_dest(key, d);
  return st.ok() ? 0 : fail(out, st);
}

}  // namespace

void register_ext_dests(ctrl::Registry& r, Ctx c) {
  using ctrl::Kind;
  using In = const ctrl::Request&;
  using Out = ctrl::Response&;
  r.add(kOwner, spec_of<msg::DestQuery>(Kind::get, msg::kGetDests, "ipvs.dests",
                                        [c](In in, Out out) { return get_dests(c, in, out); }));
  r.add(kOwner, spec_of<msg::DestReq>(Kind::set, msg::kAddDest, "ipvs.dest_add",
                                      [c](In in, Out out) { return set_dest(c, Op::add, in, out); }));
  r.add(kOwner, spec_of<msg::DestReq>(Kind::set, msg::kEditDest, "ipvs.dest_edit",
                                      [c](In in, Out out) { return set_dest(c, Op::edit, in, out); }));
  r.add(kOwner, spec_of<msg::DestReq>(Kind::set, msg::kDelDest, "ipvs.dest_del",
                                      [c](In in, Out out) { return set_dest(c, Op::del, in, out); }));
}

}  // namespace fulcrum::ipvs::sockopt
