#include "server/options.h"

#include <toml++/toml.h>
#include <unistd.h>

#include <functional>
#include <map>

#include "base/strutil.h"

namespace kora {
namespace {

bool ParseMemoryValue(std::string_view s, int64_t* out) {
  std::string l = ToLower(s);
  int64_t mul = 1;
  auto strip = [&](std::string_view suf, int64_t m) {
    if (l.size() > suf.size() && l.compare(l.size() - suf.size(), suf.size(), suf) == 0) {
      l.resize(l.size() - suf.size());
      mul = m;
      return true;
    }
    return false;
  };
  strip("gb", 1LL << 30) || strip("mb", 1LL << 20) || strip("kb", 1LL << 10) ||
      strip("g", 1000000000LL) || strip("m", 1000000LL) || strip("k", 1000LL) || strip("b", 1);
  int64_t n;
  if (!ParseInt64(l, &n) || n < 0 || n > INT64_MAX / mul) return false;
  *out = n * mul;
  return true;
}

// One setting: how to apply a textual value. Returns "" or a reason.
using Setter = std::function<std::string(ServerConfig*, const std::string&)>;

Setter IntSetter(int64_t ServerConfig::*field, int64_t min, int64_t max) {
  return [=](ServerConfig* c, const std::string& v) -> std::string {
    int64_t n;
    if (!ParseInt64(v, &n) || n < min || n > max) {
      return "expected an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
    }
    c->*field = n;
    return "";
  };
}

Setter SmallIntSetter(int ServerConfig::*field, int min, int max) {
  return [=](ServerConfig* c, const std::string& v) -> std::string {
    int64_t n;
    if (!ParseInt64(v, &n) || n < min || n > max) {
      return "expected an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
    }
    c->*field = static_cast<int>(n);
    return "";
  };
}

Setter StringSetter(std::string ServerConfig::*field) {
  return [=](ServerConfig* c, const std::string& v) -> std::string {
    c->*field = v;
    return "";
  };
}

Setter EnumSetter(std::string ServerConfig::*field, std::vector<std::string> allowed) {
  return [=](ServerConfig* c, const std::string& v) -> std::string {
    for (const auto& a : allowed) {
      if (a == v) {
        c->*field = v;
        return "";
      }
    }
    std::string msg = "expected one of:";
    for (const auto& a : allowed) msg += " " + a;
    return msg;
  };
}

Setter BoolSetter(bool ServerConfig::*field) {
  return [=](ServerConfig* c, const std::string& v) -> std::string {
    if (v == "true" || v == "yes") {
      c->*field = true;
    } else if (v == "false" || v == "no") {
      c->*field = false;
    } else {
      return "expected true or false";
    }
    return "";
  };
}

struct Setting {
  const char* flag;      // without "--"; empty: file only
  const char* toml_key;  // dotted path in kora.toml
  Setter set;
};

const std::vector<Setting>& Settings() {
  static const std::vector<Setting> kSettings = {
      {"bind", "bind", StringSetter(&ServerConfig::bind)},
      {"port", "port", SmallIntSetter(&ServerConfig::port, 0, 65535)},
      {"workers", "workers", SmallIntSetter(&ServerConfig::workers, 0, 1024)},
      {"log-level", "log_level",
       EnumSetter(&ServerConfig::log_level, {"trace", "debug", "info", "warn", "error"})},
      {"password", "password", StringSetter(&ServerConfig::password)},
      {"unix-socket", "unix_socket", StringSetter(&ServerConfig::unix_socket)},
      {"data-dir", "storage.data_dir", StringSetter(&ServerConfig::data_dir)},
      {"snapshot-interval-secs", "storage.snapshot_interval_secs",
       IntSetter(&ServerConfig::snapshot_interval_secs, 0, INT32_MAX)},
      {"snapshot-retain", "storage.snapshot_retain",
       IntSetter(&ServerConfig::snapshot_retain, 1, 100000)},
      {"cdc-capacity", "cdc_capacity", IntSetter(&ServerConfig::cdc_capacity, 1, 1LL << 32)},
      {"metrics-port", "metrics_port", SmallIntSetter(&ServerConfig::metrics_port, 0, 65535)},
      {"maxmemory", "maxmemory",
       [](ServerConfig* c, const std::string& v) -> std::string {
         return ParseMemoryValue(v, &c->maxmemory) ? "" : "expected bytes, optionally with kb/mb/gb";
       }},
      {"maxmemory-policy", "maxmemory_policy",
       EnumSetter(&ServerConfig::maxmemory_policy,
                  {"noeviction", "allkeys-lru", "allkeys-lfu", "volatile-lru", "volatile-lfu",
                   "volatile-ttl", "allkeys-random", "volatile-random"})},
      {"maxclients", "maxclients", IntSetter(&ServerConfig::maxclients, 1, 1000000)},
      {"", "storage.wal_sync",
       EnumSetter(&ServerConfig::wal_sync, {"every_write", "every_second", "os_managed"})},
      {"", "storage.wal_enabled", BoolSetter(&ServerConfig::wal_enabled)},
      {"", "storage.rdb_enabled", BoolSetter(&ServerConfig::rdb_enabled)},
      {"", "storage.wal_max_bytes", IntSetter(&ServerConfig::wal_max_bytes, 1024, INT64_MAX)},
  };
  return kSettings;
}

std::string TomlValueText(const toml::node& n, bool* ok) {
  *ok = true;
  if (auto s = n.value<std::string>(); s && n.is_string()) return *s;
  if (n.is_integer()) return std::to_string(*n.value<int64_t>());
  if (n.is_boolean()) return *n.value<bool>() ? "true" : "false";
  *ok = false;
  return "";
}

bool LoadToml(const std::string& path, ServerConfig* cfg, std::string* error) {
  toml::table tbl;
  try {
    tbl = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    *error = "config file " + path + ": " + std::string(e.description()) + " at line " +
             std::to_string(e.source().begin.line);
    return false;
  }
  std::map<std::string, const Setting*> by_key;
  for (const auto& s : Settings()) by_key[s.toml_key] = &s;
  // Top-level aliases for storage settings that SPEC also lets appear at the top.
  std::string err;
  std::function<bool(const toml::table&, const std::string&)> walk =
      [&](const toml::table& t, const std::string& prefix) -> bool {
    for (const auto& [k, v] : t) {
      std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
      if (v.is_table()) {
        if (!walk(*v.as_table(), key)) return false;
        continue;
      }
      auto it = by_key.find(key);
      if (it == by_key.end() && prefix.empty()) it = by_key.find("storage." + key);
      if (it == by_key.end()) {
        *error = "config file " + path + ": unknown key '" + key + "'";
        return false;
      }
      bool ok;
      std::string text = TomlValueText(v, &ok);
      std::string why = ok ? it->second->set(cfg, text) : "unsupported value type";
      if (!why.empty()) {
        *error = "config file " + path + ": invalid value for '" + key + "': " + why;
        return false;
      }
    }
    return true;
  };
  return walk(tbl, "");
}

}  // namespace

std::string ServerUsage() {
  std::string u = "Usage: kora-server [--config FILE] [--FLAG VALUE ...]\nFlags:\n";
  for (const auto& s : Settings()) {
    if (*s.flag) u += std::string("  --") + s.flag + " VALUE\n";
  }
  u += "  --config FILE\n  --help\n  --version\n";
  return u;
}

bool ParseServerConfig(int argc, char** argv, ServerConfig* cfg, std::string* error) {
  std::vector<std::pair<const Setting*, std::string>> cli;
  std::string config_file;
  bool config_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      cfg->show_help = true;
      return true;
    }
    if (a == "--version" || a == "-v") {
      cfg->show_version = true;
      return true;
    }
    if (a.rfind("--", 0) != 0) {
      *error = "unexpected argument '" + a + "' (flags look like --port 6379)";
      return false;
    }
    std::string name = a.substr(2), value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    const Setting* found = nullptr;
    if (name != "config") {
      for (const auto& s : Settings()) {
        if (*s.flag && name == s.flag) found = &s;
      }
      if (!found) {
        *error = "unknown flag '--" + name + "'";
        return false;
      }
    }
    if (!has_value) {
      if (i + 1 >= argc) {
        *error = "flag '--" + name + "' needs a value";
        return false;
      }
      value = argv[++i];
    }
    if (name == "config") {
      config_file = value;
      config_given = true;
    } else {
      cli.emplace_back(found, value);
    }
  }
  if (!config_given && access("kora.toml", R_OK) == 0) config_file = "kora.toml";
  if (!config_file.empty()) {
    if (access(config_file.c_str(), R_OK) != 0) {
      *error = "config file '" + config_file + "' cannot be read";
      return false;
    }
    if (!LoadToml(config_file, cfg, error)) return false;
    cfg->config_file = config_file;
  }
  for (auto& [s, v] : cli) {
    std::string why = s->set(cfg, v);
    if (!why.empty()) {
      *error = "invalid value '" + v + "' for --" + s->flag + ": " + why;
      return false;
    }
  }
  return true;
}

}  // namespace kora
