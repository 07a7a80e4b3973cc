#include "fulcrum/core/config.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <toml.hpp>

namespace fulcrum::core {
namespace {

const toml::value& as_value(const void* p) { return *static_cast<const toml::value*>(p); }

// One line, and short: operators read it in a terminal, next to the key's name.
std::string render(const toml::value& v) {
  std::ostringstream os;
  if (v.is_table()) return "a table";
  if (v.is_array() && !v.as_array().empty() && v.as_array().front().is_table()) return "an array of tables";
  if (v.is_array() && v.as_array().size() > 8) return "an array of " + std::to_string(v.as_array().size());
  os << v;
  std::string s = os.str();
  for (char& c : s) {
    if (c == '\n') c = ' ';
  }
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s.size() > 80 ? s.substr(0, 77) + "..." : s;
}

int line_of(const toml::value& v) { return static_cast<int>(v.location().line()); }

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}

std::string range_text(int64_t min, int64_t max) {
  return "must be an integer from " + std::to_string(min) + " to " + std::to_string(max);
}

// "port[3].vdev" -> "port[].vdev": the schema does not care which element.
std::string schema_of(const std::string& path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    out += path[i];
    if (path[i] == '[') {
      while (i + 1 < path.size() && path[i + 1] != ']') ++i;
    }
  }
  return out;
}

}  // namespace

ConfigError::ConfigError(std::string key, std::string value, std::string allowed, int line)
    : std::runtime_error("key '" + key + "'" + (value.empty() ? "" : " = " + value) +
                         (line > 0 ? " (line " + std::to_string(line) + ")" : "") + ": " + allowed),
      key_(std::move(key)) {}

ConfigError::ConfigError(FileProblem, const std::string& what, int line)
    : std::runtime_error((line > 0 ? "line " + std::to_string(line) + ": " : std::string()) + what) {}

struct ConfigDocument::Impl {
  std::string name;
  toml::value root;
  std::set<std::string> consumed;
  std::map<std::string, ConfigKeyInfo> schema;
};

ConfigDocument::ConfigDocument() : impl_(std::make_unique<Impl>()) {}
ConfigDocument::ConfigDocument(ConfigDocument&&) noexcept = default;
ConfigDocument& ConfigDocument::operator=(ConfigDocument&&) noexcept = default;
ConfigDocument::~ConfigDocument() = default;


ConfigDocument ConfigDocument::from_file(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ConfigError(ConfigError::file_problem, std::string("cannot open the file: ") + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return from_string(text.str(), file);
}

ConfigDocument ConfigDocument::from_string(std::string_view text, const std::string& name) {
  ConfigDocument doc;
  doc.impl_->name = name;
  std::istringstream in{std::string(text)};
  try {
    doc.impl_->root = toml::parse(in, name);
  } catch (const toml::syntax_error& e) {
    // toml11 formats a multi-line report; its first line says what is wrong.
    std::string what = e.what();
    what = what.substr(0, what.find('\n'));
    if (what.rfind("[error] ", 0) == 0) what = what.substr(8);
    throw ConfigError(ConfigError::file_problem, "syntax error: " + what, static_cast<int>(e.location().line()));
  }
  return doc;
}

ConfigTable ConfigDocument::root() { return ConfigTable(this, &impl_->root, "", ""); }

std::vector<ConfigKeyInfo> ConfigDocument::schema() const {
  std::vector<ConfigKeyInfo> out;
  for (const auto& [path, info] : impl_->schema) out.push_back(info);
  return out;
}

void ConfigDocument::reject_unknown_keys() const {
  const auto known_under = [this](const std::string& parent_schema) {
    std::vector<std::string> names;
    const std::string prefix = parent_schema.empty() ? "" : parent_schema + ".";
    for (const auto& [path, info] : impl_->schema) {
      if (path.rfind(prefix, 0) != 0) continue;
      const std::string rest = path.substr(prefix.size());
      if (rest.find('.') == std::string::npos) names.push_back(rest);
    }
    return names;
  };
  const auto walk = [&](const auto& self, const toml::value& table, const std::string& path) -> void {
    for (const auto& [key, value] : table.as_table()) {
      const std::string child = path.empty() ? key : path + "." + key;
      if (!impl_->consumed.contains(child)) {
        const auto known = known_under(schema_of(path));
        throw ConfigError(child, render(value),
                          "unknown key" + (known.empty() ? std::string()
                                                         : " (known keys" + (path.empty() ? "" : " in '" + path + "'") +
                                                               ": " + join(known) + ")"),
                          line_of(value));
      }
      if (value.is_table()) {
        self(self, value, child);
      } else if (value.is_array()) {
        const auto& elements = value.as_array();
        for (size_t i = 0; i < elements.size(); ++i) {
          if (elements[i].is_table()) self(self, elements[i], child + "[" + std::to_string(i) + "]");
        }
      }
    }
  };
  walk(walk, impl_->root, "");
}

ConfigTable::ConfigTable(ConfigDocument* doc, const void* value, std::string path, std::string schema_path)
    : doc_(doc), value_(value), path_(std::move(path)), schema_path_(std::move(schema_path)) {}

std::string ConfigTable::child_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

std::string ConfigTable::child_schema(std::string_view key) const {
  return schema_path_.empty() ? std::string(key) : schema_path_ + "." + std::string(key);
}

const void* ConfigTable::find(std::string_view key) const {
  if (value_ == nullptr || !as_value(value_).is_table()) return nullptr;
  const auto& table = as_value(value_).as_table();
  const auto it = table.find(std::string(key));
  return it == table.end() ? nullptr : &it->second;
}

bool ConfigTable::has(std::string_view key) const { return find(key) != nullptr; }

void ConfigTable::note(std::string_view key, std::string type, std::string fallback, std::string_view help) {
  doc_->impl_->consumed.insert(child_path(key));
  if (help.empty()) return;  // a key of a free-form table: read, but not part of the schema
  auto& info = doc_->impl_->schema[child_schema(key)];
  info.path = child_schema(key);
  info.type = std::move(type);
  info.fallback = std::move(fallback);
  info.help = std::string(help);
}

void ConfigTable::fail(std::string_view key, size_t index, std::string_view allowed) const {
  const void* v = find(key);
  const std::string element = child_path(key) + "[" + std::to_string(index) + "]";
  if (v == nullptr || !as_value(v).is_array() || index >= as_value(v).as_array().size()) {
    throw ConfigError(element, "", std::string(allowed));
  }
  const auto& e = as_value(v).as_array()[index];
  throw ConfigError(element, render(e), std::string(allowed), line_of(e));
}

void ConfigTable::fail(std::string_view key, std::string_view allowed) const {
  const void* v = find(key);
  throw ConfigError(child_path(key), v ? render(as_value(v)) : "", std::string(allowed), v ? line_of(as_value(v)) : 0);
}

bool ConfigTable::get_bool(std::string_view key, bool fallback, std::string_view help) {
  note(key, "boolean", fallback ? "true" : "false", help);
  const void* v = find(key);
  if (v == nullptr) return fallback;
  if (!as_value(v).is_boolean()) fail(key, "must be true or false");
  return as_value(v).as_boolean();
}

int64_t ConfigTable::get_int(std::string_view key, int64_t fallback, int64_t min, int64_t max,
                             std::string_view help) {
  note(key, "integer", std::to_string(fallback), help);
  const void* v = find(key);
  if (v == nullptr) return fallback;
  if (!as_value(v).is_integer()) fail(key, range_text(min, max));
  const int64_t n = as_value(v).as_integer();
  if (n < min || n > max) fail(key, range_text(min, max));
  return n;
}

int64_t ConfigTable::require_int(std::string_view key, int64_t min, int64_t max, std::string_view help) {
  note(key, "integer", "", help);
  if (find(key) == nullptr) throw ConfigError(child_path(key), "", "is required (" + range_text(min, max) + ")");
  return get_int(key, 0, min, max, help);
}

std::string ConfigTable::get_string(std::string_view key, std::string_view fallback, std::string_view help) {
  note(key, "string", fallback.empty() ? "\"\"" : "\"" + std::string(fallback) + "\"", help);
  const void* v = find(key);
  if (v == nullptr) return std::string(fallback);
  if (!as_value(v).is_string()) fail(key, "must be a string");
  return as_value(v).as_string().str;
}

std::string ConfigTable::require_string(std::string_view key, std::string_view help) {
  note(key, "string", "", help);
  if (find(key) == nullptr) throw ConfigError(child_path(key), "", "is required (a string)");
  return get_string(key, "", help);
}

std::string ConfigTable::get_enum(std::string_view key, std::string_view fallback,
                                  const std::vector<std::string>& allowed, std::string_view help) {
  const std::string value = get_string(key, fallback, help);
  if (!help.empty()) doc_->impl_->schema[child_schema(key)].type = "one of: " + join(allowed);
  for (const auto& a : allowed) {
    if (a == value) return value;
  }
  fail(key, "must be one of: " + join(allowed));
}

std::vector<int64_t> ConfigTable::get_int_array(std::string_view key, const std::vector<int64_t>& fallback,
                                                int64_t min, int64_t max, std::string_view help) {
  std::string shown = "[";
  for (size_t i = 0; i < fallback.size(); ++i) shown += (i ? ", " : "") + std::to_string(fallback[i]);
  note(key, "array of integers", shown + "]", help);
  const void* v = find(key);
  if (v == nullptr) return fallback;
  if (!as_value(v).is_array()) fail(key, "must be an array of integers from " + std::to_string(min) + " to " + std::to_string(max));
  std::vector<int64_t> out;
  const auto& elements = as_value(v).as_array();
  for (size_t i = 0; i < elements.size(); ++i) {
    const auto& e = elements[i];
    if (!e.is_integer() || e.as_integer() < min || e.as_integer() > max) {
      throw ConfigError(child_path(key) + "[" + std::to_string(i) + "]", render(e), range_text(min, max),
                        line_of(e));
    }
    out.push_back(e.as_integer());
  }
  return out;
}

std::vector<std::string> ConfigTable::get_string_array(std::string_view key, const std::vector<std::string>& fallback,
                                                       std::string_view help) {
  note(key, "array of strings", "[" + join(fallback) + "]", help);
  const void* v = find(key);
  if (v == nullptr) return fallback;
  if (!as_value(v).is_array()) fail(key, "must be an array of strings");
  std::vector<std::string> out;
  const auto& elements = as_value(v).as_array();
  for (size_t i = 0; i < elements.size(); ++i) {
    if (!elements[i].is_string()) {
      throw ConfigError(child_path(key) + "[" + std::to_string(i) + "]", render(elements[i]), "must be a string",
                        line_of(elements[i]));
    }
    out.push_back(elements[i].as_string().str);
  }
  return out;
}

ConfigTable ConfigTable::table(std::string_view key, std::string_view help) {
  note(key, "table", "", help);
  const void* v = find(key);
  if (v != nullptr && !as_value(v).is_table()) fail(key, "must be a table ([" + child_path(key) + "])");
  return ConfigTable(doc_, v, child_path(key), child_schema(key));
}

std::vector<ConfigTable> ConfigTable::tables(std::string_view key, std::string_view help) {
  note(key, "array of tables", "", help);
  std::vector<ConfigTable> out;
  const void* v = find(key);
  if (v == nullptr) return out;
  if (!as_value(v).is_array()) fail(key, "must be an array of tables ([[" + child_path(key) + "]])");
  const auto& elements = as_value(v).as_array();
  for (size_t i = 0; i < elements.size(); ++i) {
    const std::string element = child_path(key) + "[" + std::to_string(i) + "]";
    if (!elements[i].is_table()) {
      throw ConfigError(element, render(elements[i]), "must be a table", line_of(elements[i]));
    }
    out.push_back(ConfigTable(doc_, &elements[i], element, child_schema(key) + "[]"));
  }
  return out;
}

std::vector<std::string> ConfigTable::keys() {
  std::vector<std::string> out;
  if (value_ == nullptr || !as_value(value_).is_table()) return out;
  for (const auto& [key, value] : as_value(value_).as_table()) {
    out.push_back(key);
    doc_->impl_->consumed.insert(child_path(key));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace fulcrum::core
