#pragma once
// Strict, self-describing access to the TOML configuration.
//
// Modules read their own sections through ConfigTable. Every key a module asks for is recorded twice: the
// concrete path it read ("port[1].vdev") so that anything left unread is reported as an unknown key, and its
// schema entry ("port[].vdev", type, default, meaning) so that `fulcrumd --list-config-keys` and the docs
// can be checked against what the parser really accepts.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace fulcrum::core {

// One line for the operator: "config: key 'lcores.workers[0]' = 7: must be an enabled lcore (0-1)".
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string key, std::string value, std::string allowed, int line = 0);
  // For the file as a whole: it can not be read, or it is not TOML. "line 3: syntax error: ..."
  enum FileProblem { file_problem };
  ConfigError(FileProblem, const std::string& what, int line = 0);
  const std::string& key() const { return key_; }

 private:
  std::string key_;
};

struct ConfigKeyInfo {
  std::string path;     // schema path, arrays written as "port[]"
  std::string type;     // "integer", "string", "boolean", "array of strings", "table", ...
  std::string fallback; // default as text; empty when the key is required
  std::string help;
};

class ConfigDocument;

class ConfigTable {
 public:
  // Scalars. `help` documents the key (an empty help marks a key of a free-form table, left out of the schema); ranges and enums are enforced with a ConfigError naming the key.
  bool get_bool(std::string_view key, bool fallback, std::string_view help);
  int64_t get_int(std::string_view key, int64_t fallback, int64_t min, int64_t max, std::string_view help);
  int64_t require_int(std::string_view key, int64_t min, int64_t max, std::string_view help);
  std::string get_string(std::string_view key, std::string_view fallback, std::string_view help);
  std::string require_string(std::string_view key, std::string_view help);
  std::string get_enum(std::string_view key, std::string_view fallback, const std::vector<std::string>& allowed,
                       std::string_view help);
  std::vector<int64_t> get_int_array(std::string_view key, const std::vector<int64_t>& fallback, int64_t min,
                                     int64_t max, std::string_view help);
  std::vector<std::string> get_string_array(std::string_view key, const std::vector<std::string>& fallback,
                                            std::string_view help);

  bool has(std::string_view key) const;
  // Sub-tables and arrays of tables ([[port]]). An absent key gives an empty table or no elements.
  ConfigTable table(std::string_view key, std::string_view help);
  std::vector<ConfigTable> tables(std::string_view key, std::string_view help);
  // The keys of a free-form table (e.g. [log.modules]); each is marked as read, the caller validates them.
  std::vector<std::string> keys();

  // Throws a ConfigError naming `key` with the value the file gave it.
  [[noreturn]] void fail(std::string_view key, std::string_view allowed) const;
  // The same for one element of an array.
  [[noreturn]] void fail(std::string_view key, size_t index, std::string_view allowed) const;
  const std::string& path() const { return path_; }

 private:
  friend class ConfigDocument;
  // `value` is a toml::value, kept opaque so that only config.cpp compiles toml11.
  ConfigTable(ConfigDocument* doc, const void* value, std::string path, std::string schema_path);
  const void* find(std::string_view key) const;
  std::string child_path(std::string_view key) const;
  std::string child_schema(std::string_view key) const;
  void note(std::string_view key, std::string type, std::string fallback, std::string_view help);

  ConfigDocument* doc_;
  const void* value_;  // null when the table is absent from the file
  std::string path_;
  std::string schema_path_;
};

class ConfigDocument {
 public:
  // Throws ConfigError on a syntax error (the key is then the file name, the line is given).
  static ConfigDocument from_file(const std::string& file);
  static ConfigDocument from_string(std::string_view text, const std::string& name = "<string>");
  ConfigDocument(ConfigDocument&&) noexcept;
  ConfigDocument& operator=(ConfigDocument&&) noexcept;
  ~ConfigDocument();

  ConfigTable root();
  // After every module has read its part: throws ConfigError for the first key nobody read.
  void reject_unknown_keys() const;
  // The schema of every key read so far, sorted by path.
  std::vector<ConfigKeyInfo> schema() const;

 private:
  friend class ConfigTable;
  ConfigDocument();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fulcrum::core
