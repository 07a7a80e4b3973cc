#pragma once
// The command line, read with popt as stock ipvsadm 1.31 reads it: the command comes first ("-n -L" is
// refused), every value is checked with stock's words and exit codes, then the command/option rules and the
// cross-checks (zero port, one-packet scheduling, address families, tunnel options) apply.
//
// Exit codes, as stock's: 255 for popt's errors and a missing command (with "Try `PROG -h' ..."), 2 for a
// bad value or combination.

#include <string>

#include "command.hpp"

namespace fulcrum::ipvsadm {

struct ParseResult {
  enum class Kind { run, help, version, fail };
  Kind kind = Kind::fail;
  Command command;
  int exit_code = 0;
  std::string message;  // fail: what goes to stderr, newline included
};

// argv[0] is the program name the messages use. `reading_stdin`: a line of -R (which may not be -R again).
ParseResult parse_command_line(int argc, const char* const* argv, bool reading_stdin);

// "Try `PROG -h' or 'PROG --help' for more information.\n"
std::string tryhelp_text(const std::string& program);

}  // namespace fulcrum::ipvsadm
