#pragma once
// -h and -v.

#include <string>

namespace fulcrum::ipvsadm {

// The version line: stock's "ipvsadm v1.31 ..." prefix (scripts match it), then Fulcrum's version.
std::string version_text();
// The whole help: stock's commands and options, then Fulcrum's extensions.
std::string usage_text(const std::string& program);

}  // namespace fulcrum::ipvsadm
