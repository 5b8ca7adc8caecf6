// Runtime configuration parameters (CONFIG GET/SET), shared by all workers.
//
// Control-plane only: guarded by a mutex. Values a hot path reads are mirrored into atomics by
// the parameter's on_change hook. Parameters are defined once at start-up.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kora {

class ConfigStore {
 public:
  // Returns an error text (Redis's wording after "argument(s) must be ...") or "" if valid;
  // may normalise the value in place.
  using Validator = std::function<std::string(std::string* value)>;
  enum Flags : uint32_t { kImmutable = 1, kSensitive = 2, kHidden = 4 };

  struct Param {
    std::string name;
    std::vector<std::string> aliases;
    std::string value;
    std::string default_value;
    Validator validate;
    uint32_t flags = 0;
    std::function<void(const std::string&)> on_change;
  };

  void Define(Param p);
  // CONFIG GET: every (name, value) whose name or alias matches one of `patterns`.
  std::vector<std::pair<std::string, std::string>> Get(const std::vector<std::string>& patterns);
  // CONFIG SET: all-or-nothing. Returns "" or the full error text (without "-").
  std::string Set(const std::vector<std::pair<std::string, std::string>>& kv);
  // Applies a start-up value (also immutable ones). Returns "" or an error text.
  std::string SetAtStartup(const std::string& name, const std::string& value);
  bool Has(const std::string& name);
  std::string Value(const std::string& name);
  int64_t IntValue(const std::string& name);
  // Bumped after every successful Set/SetAtStartup, so hot paths can cache values and re-read
  // them only when this changes (one atomic load per use).
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  // Validators.
  static Validator Bool();
  static Validator Int(int64_t min, int64_t max);
  static Validator Memory(int64_t min, int64_t max);  // accepts k kb m mb g gb suffixes
  static Validator Enum(std::vector<std::string> values);
  static Validator Any();
  // Parses "100mb" style sizes; false on garbage.
  static bool ParseMemory(std::string_view s, int64_t* out);

 private:
  Param* FindLocked(std::string_view name);
  std::mutex mu_;
  std::vector<Param> params_;  // GUARDED_BY(mu_)
  std::atomic<uint64_t> generation_{0};
};

// One integer parameter as a hot path reads it: one atomic load per use, the parameter itself
// is looked up again only after a CONFIG SET. Keep one per thread (thread_local).
class CachedIntParam {
 public:
  explicit CachedIntParam(std::string name) : name_(std::move(name)) {}
  int64_t Get(ConfigStore& config) {
    uint64_t gen = config.generation();
    if (gen != generation_) {
      value_ = config.IntValue(name_);
      generation_ = gen;
    }
    return value_;
  }

 private:
  std::string name_;
  uint64_t generation_ = ~uint64_t{0};
  int64_t value_ = 0;
};

}  // namespace kora
