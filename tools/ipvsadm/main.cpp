// ipvsadm for fulcrumd: stock ipvsadm 1.31's command line and output over Fulcrum's control socket, plus
// IPv6 services, FullNAT, local-address groups, the connection table and the dataplane counters.

#include <cstdio>

#include "options.hpp"
#include "restore.hpp"
#include "run.hpp"
#include "usage.hpp"

int main(int argc, const char** argv) {
  using namespace fulcrum::ipvsadm;
  Session session(argc > 0 ? argv[0] : "ipvsadm");
  // No arguments: the table with names, as stock ipvsadm lists it.
  if (argc <= 1) {
    Command list;
    list.cmd = Cmd::list;
    return execute(list, session);
  }
  const ParseResult p = parse_command_line(argc, argv, false);
  switch (p.kind) {
    case ParseResult::Kind::fail:
      std::fputs(p.message.c_str(), stderr);
      return p.exit_code;
    case ParseResult::Kind::help:
      std::fputs(usage_text(session.program()).c_str(), stdout);
      return 0;
    case ParseResult::Kind::version:
      std::fputs(version_text().c_str(), stdout);
      return 0;
    case ParseResult::Kind::run:
      break;
  }
  if (p.command.cmd == Cmd::restore) {
    if (!session.init()) return 2;
    return restore(stdin, session);
  }
  return execute(p.command, session);
}
