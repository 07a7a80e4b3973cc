#include "ethertype_dispatch.hpp"

#include <rte_byteorder.h>

#include <cstdio>

#include <stdexcept>
#include <string>

namespace fulcrum::netif {

void EthertypeTable::add(uint16_t ethertype, const char* name, EthertypeHandler fn, void* ctx) {
  const uint16_t be = rte_cpu_to_be_16(ethertype);
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%04x", ethertype);
  if (fn == nullptr) throw std::logic_error(std::string("netif: ethertype ") + hex + " (" + name + "): no handler");
  if (slot_of(be) >= 0) {
    throw std::logic_error(std::string("netif: ethertype ") + hex + " (" + name + ") is already handled by " +
                           entries_[static_cast<unsigned>(slot_of(be))].name);
  }
  if (count_ == entries_.size()) {
    throw std::logic_error(std::string("netif: ethertype ") + hex + " (" + name + "): more than " +
                           std::to_string(entries_.size()) + " handlers");
  }
  entries_[count_++] = Entry{be, name, fn, ctx};
}

}  // namespace fulcrum::netif
