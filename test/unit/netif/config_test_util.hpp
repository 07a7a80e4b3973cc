#pragma once
// Reading netif config text the way fulcrumd does, for the config tests: the parsed config, or the text of
// the ConfigError it must raise.

#include <catch2/catch.hpp>

#include <string>

#include "fulcrum/core/config.hpp"
#include "fulcrum/netif/netif_config.hpp"

namespace fulcrum::netif::test {

inline NetifConfig read(const std::string& text) {
  auto doc = core::ConfigDocument::from_string(text);
  auto root = doc.root();
  auto cfg = read_netif_config(root);
  doc.reject_unknown_keys();
  return cfg;
}

inline std::string error_of(const std::string& text) {
  try {
    read(text);
  } catch (const core::ConfigError& e) {
    return e.what();
  }
  FAIL("no ConfigError for: " << text);
  return "";
}

inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace fulcrum::netif::test
