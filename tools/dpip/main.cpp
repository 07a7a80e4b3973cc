// dpip: iproute2-style configuration of fulcrumd's links, addresses, routes, neighbours and lcores.

#include <popt.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "command.hpp"

namespace fulcrum::dpip {

int fail(const std::string& text) {
  std::fprintf(stderr, "dpip: %s\n", text.c_str());
  return 1;
}

bool request(Context& ctx, ctrl::Kind kind, uint32_t id, const void* payload, uint32_t len, ctrl::CallReply& out,
             const char* what) {
  out = ctx.client.call(kind, id, payload, len);
  if (out.status == 0) return true;
  fail(std::string(what) + ": " + out.error_text());
  return false;
}

namespace {

void usage(FILE* out) {
  std::fprintf(out,
               "Usage: dpip [OPTIONS] OBJECT { COMMAND | help }\n"
               "where  OBJECT := {");
  const char* sep = " ";
  for (const auto& o : objects()) {
    std::fprintf(out, "%s%s", sep, o.name);
    sep = " | ";
  }
  std::fprintf(out,
               " }\n"
               "       OPTIONS := { -s[tatistics] | -j[son] | -4 | -6 | -h[elp] }\n"
               "The control socket is $FULCRUM_CTRL_SOCKET, or %s.\n",
               ctrl::kDefaultSocketPath);
}

}  // namespace
}  // namespace fulcrum::dpip

int main(int argc, const char** argv) {
  using namespace fulcrum;
  int stats = 0;
  int json = 0;
  int v4 = 0;
  int v6 = 0;
  int help = 0;
  // Each option returns its letter, so that repeated ones (-s -s) can be counted.
  const poptOption options[] = {
      {"statistics", 's', POPT_ARG_NONE, nullptr, 's', "show statistics (twice: more)", nullptr},
      {"json", 'j', POPT_ARG_NONE, nullptr, 'j', "JSON output", nullptr},
      {nullptr, '4', POPT_ARG_NONE, nullptr, '4', "IPv4 only", nullptr},
      {nullptr, '6', POPT_ARG_NONE, nullptr, '6', "IPv6 only", nullptr},
      {"help", 'h', POPT_ARG_NONE, nullptr, 'h', "this help", nullptr},
      POPT_TABLEEND};
  // POSIXMEHARDER: options end at the first word, so "link set dev x mtu -1" reaches the object untouched.
  poptContext pc = poptGetContext("dpip", argc, argv, options, POPT_CONTEXT_POSIXMEHARDER);
  int rc;
  while ((rc = poptGetNextOpt(pc)) > 0) {
    switch (rc) {
      case 's': ++stats; break;
      case 'j': json = 1; break;
      case '4': v4 = 1; break;
      case '6': v6 = 1; break;
      case 'h': help = 1; break;
      default: break;
    }
  }
  if (rc < -1) {
    std::fprintf(stderr, "dpip: option '%s': %s\n", poptBadOption(pc, POPT_BADOPTION_NOALIAS), poptStrerror(rc));
    poptFreeContext(pc);
    return dpip::kExitUsage;
  }
  std::vector<std::string> words;
  while (const char* w = poptGetArg(pc)) words.emplace_back(w);
  poptFreeContext(pc);

  if (help || words.empty() || words[0] == "help") {
    dpip::usage(help || !words.empty() ? stdout : stderr);
    return help || !words.empty() ? 0 : dpip::kExitUsage;
  }
  const dpip::Object* object = nullptr;
  for (const auto& o : dpip::objects()) {
    if (dpip::matches(words[0], o.name)) {
      object = &o;
      break;
    }
  }
  if (object == nullptr) {
    std::fprintf(stderr, "dpip: object \"%s\" is unknown, try \"dpip help\".\n", words[0].c_str());
    return dpip::kExitUsage;
  }

  ctrl::Client client;
  const std::string path = ctrl::Client::default_path();
  if (const int err = client.connect(path); err != 0) {
    std::fprintf(stderr, "dpip: cannot reach fulcrumd at %s: %s\n", path.c_str(), std::strerror(err));
    return 1;
  }
  dpip::Context ctx{client, stats, json != 0, v4 ? 4 : v6 ? 6 : 0};
  return object->run(ctx, dpip::Args(words).subspan(1));
}
