#include "fulcrum/ctrl/registry.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <limits>
#include <stdexcept>
#include <utility>

#include "ctrl_log.hpp"
#include "text.hpp"

namespace fulcrum::ctrl {
namespace {

const char* name_of(const HandlerSpec& spec) {
  return spec.name != nullptr ? spec.name : "";
}

std::string describe_range(const Registry::Range& range) {
  return strprintf("[0x%x, 0x%x] claimed by '%s'", range.first, range.last, range.owner.c_str());
}

std::string expected_sizes(const HandlerSpec& spec) {
  if (spec.min_len == spec.max_len) return strprintf("%u", spec.min_len);
  return strprintf("%u to %u", spec.min_len, spec.max_len);
}

// Requests the registry turns away itself are malformed by definition, so each one is logged.
int refuse(const Request& request, Response& response, int status, const std::string& text) {
  FLOG(g_log, WARNING, "peer pid %d uid %u: %s; answered %s", request.peer.pid, request.peer.uid, text.c_str(),
       errno_name(status));
  response.message("ctrl: " + text);
  return status;
}

bool less_key(const HandlerSpec& spec, uint32_t id, Kind kind) {
  return spec.id != id ? spec.id < id : spec.kind < kind;
}

}  // namespace

void Response::message(const std::string& text) {
  payload.assign(text.begin(), text.end());
  payload.push_back('\0');
}

void Registry::claim(const std::string& owner, uint32_t first, uint32_t last) {
  const Range wanted{owner, first, last};
  if (first > last) throw std::logic_error("ctrl: empty id range " + describe_range(wanted));
  for (const Range& range : ranges_) {
    if (first <= range.last && range.first <= last) {
      throw std::logic_error("ctrl: id range " + describe_range(wanted) + " overlaps " + describe_range(range));
    }
  }
  ranges_.push_back(wanted);
}

void Registry::add(const std::string& owner, HandlerSpec spec) {
  const char* name = name_of(spec);
  const auto owns = [&](const Range& r) { return r.owner == owner && r.first <= spec.id && spec.id <= r.last; };
  if (std::none_of(ranges_.begin(), ranges_.end(), owns)) {
    std::string claimed;
    for (const Range& r : ranges_) {
      if (r.owner == owner) claimed += strprintf(" [0x%x, 0x%x]", r.first, r.last);
    }
    throw std::logic_error(strprintf("ctrl: '%s' registers id 0x%x (%s) outside its claimed ranges:%s", owner.c_str(),
                                     spec.id, name, claimed.empty() ? " none" : claimed.c_str()));
  }
  if (spec.kind != Kind::get && spec.kind != Kind::set) {
    throw std::logic_error(strprintf("ctrl: id 0x%x (%s) registered with %s; only get and set are requests", spec.id,
                                     name, kind_name(static_cast<uint16_t>(spec.kind)).c_str()));
  }
  if (spec.min_len > spec.max_len || spec.max_len > kMaxPayload) {
    throw std::logic_error(strprintf("ctrl: id 0x%x (%s): request bounds %u to %u are not within 0 to %u", spec.id,
                                     name, spec.min_len, spec.max_len, kMaxPayload));
  }
  if (!spec.handler) throw std::logic_error(strprintf("ctrl: id 0x%x (%s) has no handler", spec.id, name));

  const auto pos =
      std::lower_bound(handlers_.begin(), handlers_.end(), spec,
                       [](const HandlerSpec& a, const HandlerSpec& b) { return less_key(a, b.id, b.kind); });
  if (pos != handlers_.end() && pos->id == spec.id && pos->kind == spec.kind) {
    throw std::logic_error(strprintf("ctrl: %s id 0x%x registered twice: '%s' and '%s'",
                                     kind_name(static_cast<uint16_t>(spec.kind)).c_str(), spec.id, name_of(*pos),
                                     name));
  }
  handlers_.insert(pos, std::move(spec));
}

int Registry::dispatch(const Request& request, Response& response) const {
  const std::string kind = kind_name(static_cast<uint16_t>(request.kind));
  const auto pos = std::lower_bound(handlers_.begin(), handlers_.end(), request,
                                    [](const HandlerSpec& a, const Request& r) { return less_key(a, r.id, r.kind); });
  if (pos == handlers_.end() || pos->id != request.id || pos->kind != request.kind) {
    return refuse(request, response, EOPNOTSUPP,
                  strprintf("no handler for %s request id 0x%x", kind.c_str(), request.id));
  }

  const HandlerSpec& spec = *pos;
  const size_t len = request.payload.size();
  if (len < spec.min_len || len > spec.max_len) {
    return refuse(request, response, EINVAL,
                  strprintf("%s request id 0x%x (%s): payload is %zu bytes, expected %s", kind.c_str(), request.id,
                            name_of(spec), len, expected_sizes(spec).c_str()));
  }

  // A handler bug must cost one request, not the daemon: the control path runs on the master lcore.
  std::string failure;
  try {
    const int status = spec.handler(request, response);
    // Handlers written in the DPDK style return -errno; the wire wants the positive value.
    if (status >= 0) return status;
    return status == std::numeric_limits<int>::min() ? EIO : -status;
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "unknown exception";
  }
  const std::string text =
      strprintf("%s request id 0x%x (%s) failed: %s", kind.c_str(), request.id, name_of(spec), failure.c_str());
  FLOG(g_log, ERR, "peer pid %d uid %u: %s; answered EIO", request.peer.pid, request.peer.uid, text.c_str());
  response.message("ctrl: " + text);
  return EIO;
}

}  // namespace fulcrum::ctrl
