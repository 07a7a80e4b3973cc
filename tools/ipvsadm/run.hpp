#pragma once
// Carrying out a parsed command against fulcrumd: the connection (made once, on the first command that
// needs it), the requests, the output and stock ipvsadm's exit codes (0; 1 for a listing that failed; 2 when
// the daemon cannot be reached; 255 when the daemon refused a change).

#include <cstdint>
#include <string>

#include "command.hpp"
#include "fulcrum/ctrl/client.hpp"
#include "ipvs_client.hpp"

namespace fulcrum::ipvsadm {

class Session {
 public:
  explicit Session(std::string program) : program_(std::move(program)) {}
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Connects and asks GET_INFO, as stock ipvsadm initialises; on failure prints "Can't initialize ipvs: ..."
  // and returns false. Later calls return the first answer.
  bool init();
  IpvsClient& ipvs() { return ipvs_; }
  uint32_t version() const { return version_; }
  uint32_t conn_table_size() const { return conn_table_size_; }
  const std::string& program() const { return program_; }

 private:
  std::string program_;
  ctrl::Client client_;
  IpvsClient ipvs_{client_};
  int state_ = 0;  // 0 not tried, 1 ready, -1 failed
  uint32_t version_ = 0;
  uint32_t conn_table_size_ = 0;
};

// Runs `cmd` (not -R: see restore.hpp) and returns the exit code.
int execute(const Command& cmd, Session& session);

}  // namespace fulcrum::ipvsadm
