#include "commands/config.h"

#include "base/glob.h"
#include "base/strutil.h"

namespace kora {

void ConfigStore::Define(Param p) {
  std::lock_guard<std::mutex> lk(mu_);
  if (p.default_value.empty()) p.default_value = p.value;
  params_.push_back(std::move(p));
}

ConfigStore::Param* ConfigStore::FindLocked(std::string_view name) {
  for (auto& p : params_) {
    if (EqualsIgnoreCase(p.name, name)) return &p;
    for (auto& a : p.aliases) {
      if (EqualsIgnoreCase(a, name)) return &p;
    }
  }
  return nullptr;
}

std::vector<std::pair<std::string, std::string>> ConfigStore::Get(
    const std::vector<std::string>& patterns) {
  std::lock_guard<std::mutex> lk(mu_);
  std::vector<std::pair<std::string, std::string>> out;
  // Like Redis: a name is reported once (compared without case); an exact name is reported as
  // the caller spelled it, a pattern reports the names (and aliases) it matches.
  auto emit = [&](const Param& p, const std::string& n) {
    for (auto& o : out) {
      if (EqualsIgnoreCase(o.first, n)) return;
    }
    out.emplace_back(n, (p.flags & kSensitive) ? std::string() : p.value);
  };
  for (const auto& pat : patterns) {
    std::string lp = ToLower(pat);
    if (lp.find_first_of("*?[") == std::string::npos) {
      if (Param* p = FindLocked(lp)) emit(*p, pat);
      continue;
    }
    for (auto& p : params_) {
      if (p.flags & kHidden) continue;  // hidden parameters need their exact name
      if (GlobMatch(lp, p.name, true)) emit(p, p.name);
      for (auto& a : p.aliases) {
        if (GlobMatch(lp, a, true)) emit(p, a);
      }
    }
  }
  return out;
}

std::string ConfigStore::Set(const std::vector<std::pair<std::string, std::string>>& kv) {
  std::vector<std::function<void()>> hooks;
  {
    std::lock_guard<std::mutex> lk(mu_);
    // Redis's configSetCommand: an unknown name wins over every other error, then the first
    // immutable or duplicate one, then the first invalid value. An alias counts as a parameter
    // of its own (as in Redis): naming a parameter and its alias in one call is allowed, and
    // errors name whichever of the two was used, in lower case.
    std::vector<Param*> found(kv.size(), nullptr);
    std::vector<std::string> names(kv.size());
    std::string unknown, bad_arg, bad_why;
    for (size_t i = 0; i < kv.size(); ++i) {
      Param* p = FindLocked(kv[i].first);
      if (p == nullptr) {
        if (unknown.empty() && bad_arg.empty()) unknown = kv[i].first;
        continue;
      }
      if (!unknown.empty() || !bad_arg.empty()) continue;
      names[i] = p->name;
      for (const auto& a : p->aliases) {
        if (EqualsIgnoreCase(a, kv[i].first)) names[i] = a;
      }
      if (p->flags & kImmutable) {
        bad_arg = kv[i].first;
        bad_why = "can't set immutable config";
        continue;
      }
      for (size_t j = 0; j < i; ++j) {
        if (found[j] == p && names[j] == names[i]) {
          bad_arg = kv[i].first;
          bad_why = "duplicate parameter";
          break;
        }
      }
      found[i] = p;
    }
    if (!unknown.empty()) {
      return "ERR Unknown option or number of arguments for CONFIG SET - '" + unknown + "'";
    }
    if (!bad_arg.empty()) {
      return "ERR CONFIG SET failed (possibly related to argument '" + bad_arg + "') - " + bad_why;
    }
    std::vector<std::string> values(kv.size());
    for (size_t i = 0; i < kv.size(); ++i) {
      values[i] = kv[i].second;
      if (found[i]->validate) {
        std::string err = found[i]->validate(&values[i]);
        if (!err.empty()) {
          return "ERR CONFIG SET failed (possibly related to argument '" + names[i] + "') - " +
                 err;
        }
      }
    }
    for (size_t i = 0; i < kv.size(); ++i) {
      found[i]->value = values[i];
      if (found[i]->on_change) hooks.push_back([f = found[i]->on_change, v = values[i]] { f(v); });
    }
  }
  generation_.fetch_add(1, std::memory_order_acq_rel);
  for (auto& h : hooks) h();
  return "";
}

std::string ConfigStore::SetAtStartup(const std::string& name, const std::string& value) {
  std::function<void(const std::string&)> hook;
  std::string v = value;
  {
    std::lock_guard<std::mutex> lk(mu_);
    Param* p = FindLocked(name);
    if (p == nullptr) return "unknown config parameter '" + name + "'";
    if (p->validate) {
      std::string err = p->validate(&v);
      if (!err.empty()) return "invalid value '" + value + "' for '" + name + "': " + err;
    }
    p->value = v;
    hook = p->on_change;
  }
  generation_.fetch_add(1, std::memory_order_acq_rel);
  if (hook) hook(v);
  return "";
}

bool ConfigStore::Has(const std::string& name) {
  std::lock_guard<std::mutex> lk(mu_);
  return FindLocked(name) != nullptr;
}

std::string ConfigStore::Value(const std::string& name) {
  std::lock_guard<std::mutex> lk(mu_);
  Param* p = FindLocked(name);
  return p ? p->value : std::string();
}

int64_t ConfigStore::IntValue(const std::string& name) {
  std::string v = Value(name);
  int64_t n = 0;
  if (!ParseMemory(v, &n)) return 0;
  return n;
}

bool ConfigStore::ParseMemory(std::string_view s, int64_t* out) {
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
  strip("gb", 1024LL * 1024 * 1024) || strip("mb", 1024LL * 1024) || strip("kb", 1024) ||
      strip("g", 1000LL * 1000 * 1000) || strip("m", 1000LL * 1000) || strip("k", 1000) ||
      strip("b", 1);
  int64_t n = 0;
  if (!ParseInt64(l, &n)) return false;
  if (mul != 1 && (n > INT64_MAX / mul || n < INT64_MIN / mul)) return false;
  *out = n * mul;
  return true;
}

ConfigStore::Validator ConfigStore::Bool() {
  return [](std::string* v) -> std::string {
    std::string l = ToLower(*v);
    if (l == "yes" || l == "no") {
      *v = l;
      return "";
    }
    return "argument must be 'yes' or 'no'";
  };
}

ConfigStore::Validator ConfigStore::Int(int64_t min, int64_t max) {
  return [min, max](std::string* v) -> std::string {
    int64_t n;
    if (!ParseInt64(*v, &n)) return "argument couldn't be parsed into an integer";
    if (n < min || n > max) {
      return "argument must be between " + std::to_string(min) + " and " + std::to_string(max) +
             " inclusive";
    }
    return "";
  };
}

ConfigStore::Validator ConfigStore::Memory(int64_t min, int64_t max) {
  return [min, max](std::string* v) -> std::string {
    int64_t n;
    if (v->empty() || (*v)[0] == '-' || !ParseMemory(*v, &n)) {
      return "argument must be a memory value";
    }
    if (n < min || n > max) {
      return "argument must be between " + std::to_string(min) + " and " + std::to_string(max) +
             " inclusive";
    }
    *v = std::to_string(n);
    return "";
  };
}

ConfigStore::Validator ConfigStore::Enum(std::vector<std::string> values) {
  return [values](std::string* v) -> std::string {
    std::string l = ToLower(*v);
    for (const auto& x : values) {
      if (x == l) {
        *v = l;
        return "";
      }
    }
    std::string msg = "argument(s) must be one of the following: ";
    for (size_t i = 0; i < values.size(); ++i) {
      if (i) msg += ", ";
      msg += values[i];
    }
    return msg;
  };
}

ConfigStore::Validator ConfigStore::Any() {
  return [](std::string*) { return std::string(); };
}

}  // namespace kora
