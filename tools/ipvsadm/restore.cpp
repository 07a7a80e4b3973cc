// -R (see restore.hpp).

#include "restore.hpp"

#include "options.hpp"
#include "usage.hpp"

namespace fulcrum::ipvsadm {

std::vector<std::string> restore_words(const std::string& line) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r' && line[j] != '\n') ++j;
    if (j > i) {
      std::string w = line.substr(i, j - i);
      if (words.empty() && w[0] == '#') return {};
      if (w != "ipvsadm") words.push_back(std::move(w));
    }
    i = j;
  }
  return words;
}

int restore(std::FILE* in, Session& session) {
  int result = 0;
  std::string line;
  int ch = 0;
  while (ch != EOF) {
    line.clear();
    while ((ch = std::fgetc(in)) != EOF && ch != '\n') line.push_back(static_cast<char>(ch));
    const std::vector<std::string> words = restore_words(line);
    if (words.empty()) continue;
    std::vector<const char*> argv{session.program().c_str()};
    for (const auto& w : words) argv.push_back(w.c_str());
    argv.push_back(nullptr);
    const ParseResult p = parse_command_line(static_cast<int>(argv.size() - 1), argv.data(), true);
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
      case ParseResult::Kind::run: {
        const int rc = execute(p.command, session);
        if (rc == 2 && !session.init()) return 2;  // the daemon is gone: nothing else can work
        if (rc != 0 && result == 0) result = 255;
        break;
      }
    }
  }
  return result;
}

}  // namespace fulcrum::ipvsadm
