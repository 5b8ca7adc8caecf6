#include "core/db_table.h"

#include "base/clock.h"
#include "core/memory.h"

namespace kora {

DbTable::~DbTable() { Clear(); }

const LfuParams DbTable::kDefaultLfu;

// Redis's updateLFU (decay, then LFULogIncr with lfu-log-factor), then the LRU clock. The
// entry is written only when something changed: once a second at most for the clock, and
// with probability 1/((counter-5)*lfu_log_factor+1) for the counter, so hot reads keep their
// cache lines clean.
inline void DbTable::Touch(KeyEntry* e) {
  uint32_t old = e->lfu_counter;
  bool same_second = e->access_time == clock_;
  uint32_t c = same_second
                   ? old
                   : LfuDecay(e, clock_, lfu_->decay_time.load(std::memory_order_relaxed));
  if (c < 255) {
    uint32_t base = c > kLfuInitVal ? c - kLfuInitVal : 0;
    uint64_t factor = lfu_->log_factor.load(std::memory_order_relaxed);
    // r < 1 / (base * factor + 1) with r uniform in [0, 1), in 32-bit fixed point (an LCG step).
    lfu_rng_ = lfu_rng_ * 6364136223846793005ULL + 1442695040888963407ULL;
    uint64_t denom = base * factor + 1;  // above 2^32 the chance is below 2^-32: never
    if (denom <= (uint64_t{1} << 32) && (lfu_rng_ >> 32) * denom < (uint64_t{1} << 32)) ++c;
  }
  if (c != old || !same_second) {
    e->lfu_counter = c;
    e->access_time = clock_;
  }
}

// Find and Peek share this body so that each compiles to one function on the GET path.
template <bool kTouch>
inline KeyEntry* DbTable::Lookup(std::string_view key, int64_t now_ms) {
  clock_ = LruClock(now_ms);
  KeyEntry* e = dict_.Find(key);
  if (e == nullptr) return nullptr;
  if (IsExpired(e, now_ms)) {
    NotifyExpired(e);
    Erase(e);
    ++expired_;
    return nullptr;
  }
  if constexpr (kTouch) Touch(e);
  // A write command may change what it looks up, with or without counting an access: stamp
  // it for WATCH and queue it for memory by prefix either way.
  if (write_mode_ && *write_mode_) {
    e->version = ++*version_counter_;
    MarkDirty(e);
  }
  return e;
}

KeyEntry* DbTable::Find(std::string_view key, int64_t now_ms) { return Lookup<true>(key, now_ms); }

KeyEntry* DbTable::Peek(std::string_view key, int64_t now_ms) { return Lookup<false>(key, now_ms); }

static uint32_t IdleSeconds(const KeyEntry* e, uint32_t clock) {
  uint32_t at = e->access_time;
  return clock >= at ? clock - at : clock + (kLruClockMax - at);
}

// Redis's LFUDecrAndReturn: one decrement per lfu-decay-time minutes elapsed since the last
// access, counting minute boundaries crossed (Redis keeps the access time in minutes).
uint8_t DbTable::LfuDecay(const KeyEntry* e, uint32_t clock, uint32_t decay_time) {
  uint32_t c = e->lfu_counter;
  if (decay_time == 0) return static_cast<uint8_t>(c);
  uint32_t at = e->access_time;
  uint32_t minutes = clock >= at ? clock / 60 - at / 60 : IdleSeconds(e, clock) / 60;
  uint32_t periods = minutes / decay_time;
  return periods >= c ? 0 : static_cast<uint8_t>(c - periods);
}

uint64_t DbTable::IdleMs(const KeyEntry* e, int64_t now_ms) {
  return uint64_t{IdleSeconds(e, LruClock(now_ms))} * 1000;
}

uint8_t DbTable::LfuCount(const KeyEntry* e, int64_t now_ms) {
  return LfuDecay(e, LruClock(now_ms), 1);
}

KeyEntry* DbTable::FindOrInsert(std::string_view key, int64_t now_ms, bool* inserted) {
  KeyEntry* e = Find(key, now_ms);
  if (e) {
    *inserted = false;
    return e;
  }
  *inserted = true;
  return Insert(key, Value());
}

KeyEntry* DbTable::Insert(std::string_view key, Value value) {
  auto* e = new KeyEntry;
  e->key.assign(key);
  e->value = std::move(value);
  e->access_time = clock_;
  e->version = NextVersion();
  dict_.Insert(e);
  MarkDirty(e);
  NotifyInserted(e);
  return e;
}

bool DbTable::Erase(std::string_view key) {
  KeyEntry* e = dict_.Unlink(key);
  if (!e) return false;
  RemoveVolatile(e);
  ForgetAcct(e);
  delete e;
  return true;
}

void DbTable::Erase(KeyEntry* e) { delete Detach(e); }

KeyEntry* DbTable::Detach(KeyEntry* e) {
  KeyEntry* u = dict_.Unlink(e->key);
  RemoveVolatile(u);
  ForgetAcct(u);
  return u;
}

void DbTable::Attach(KeyEntry* e, int64_t expire_at) {
  e->version = NextVersion();
  dict_.Insert(e);
  MarkDirty(e);
  if (expire_at != 0) SetExpire(e, expire_at);
  NotifyInserted(e);
}

void DbTable::RemoveVolatile(KeyEntry* e) {
  if (e->expire_at == 0) return;
  uint32_t idx = e->volatile_idx;
  KeyEntry* last = volatile_.back();
  volatile_[idx] = last;
  last->volatile_idx = idx;
  volatile_.pop_back();
  e->expire_at = 0;
}

void DbTable::SetExpire(KeyEntry* e, int64_t at_ms) {
  if (at_ms <= 0) at_ms = 1;  // 0 means "none"; any past deadline behaves the same
  if (e->expire_at == 0) {
    e->volatile_idx = static_cast<uint32_t>(volatile_.size());
    volatile_.push_back(e);
  }
  e->expire_at = at_ms;
}

void DbTable::ClearExpire(KeyEntry* e) { RemoveVolatile(e); }

void DbTable::Clear() {
  volatile_.clear();
  dict_.Clear();
  dirty_.clear();  // the shard's dirty list may still name this table: flushing it is a no-op
  if (prefix_) prefix_->Clear();
}

void DbTable::Swap(DbTable& other) {
  FlushPrefixMemory();
  other.FlushPrefixMemory();
  dict_.Swap(other.dict_);
  volatile_.swap(other.volatile_);
  std::swap(expired_, other.expired_);
  prefix_.swap(other.prefix_);
}

size_t EntryMemoryUsage(const KeyEntry& e) {
  size_t n = memory::ChunkBytes(sizeof(KeyEntry)) + sizeof(KeyEntry*);  // entry + bucket slot
  if (e.key.heap_bytes() != 0) n += memory::ChunkBytes(e.key.heap_bytes());
  if (e.value.collection() != nullptr) {
    // Rounded up to the allocator's 8-byte granularity (some collections estimate from
    // capacities), which is also what KeyEntry::acct can hold exactly.
    return (n + e.value.collection()->MemoryUsage() + 7) & ~size_t{7};
  }
  return n + e.value.StringHeapBytes();
}

namespace {

// MEMORY USAGE in the 31-bit, 8-byte units KeyEntry::acct holds (saturating at 16 GiB).
uint32_t AcctUnits(const KeyEntry& e) {
  uint64_t units = EntryMemoryUsage(e) / 8;
  return units >= 0x7fffffffu ? 0x7fffffffu : static_cast<uint32_t>(units);
}

}  // namespace

void DbTable::ForgetAcct(KeyEntry* e) {
  if (prefix_ == nullptr) return;
  uint32_t units = e->acct;
  if (units & kAcctDirty) {
    uint32_t idx = units & ~kAcctDirty;
    units = dirty_[idx].old_units;
    dirty_[idx] = dirty_.back();
    dirty_[idx].e->acct = kAcctDirty | idx;
    dirty_.pop_back();
  }
  if (units != 0) prefix_->Add(e->Key(), -int64_t{units} * 8, -1);
  e->acct = 0;
}

void DbTable::FlushPrefixMemory() {
  if (prefix_ == nullptr) {
    dirty_.clear();
    return;
  }
  for (const DirtyEntry& d : dirty_) {
    uint32_t units = AcctUnits(*d.e);
    if (units != d.old_units) {
      prefix_->Add(d.e->Key(), (int64_t{units} - int64_t{d.old_units}) * 8, d.old_units == 0);
    }
    d.e->acct = units;
  }
  dirty_.clear();
}

void DbTable::EnablePrefixMemory(char separator, int depth) {
  FlushPrefixMemory();
  if (depth <= 0) {
    prefix_.reset();
    dict_.ForEach([](KeyEntry* e) { e->acct = 0; });
    return;
  }
  prefix_ = std::make_unique<PrefixMemory>(separator, depth);
  dict_.ForEach([this](KeyEntry* e) {
    e->acct = AcctUnits(*e);
    prefix_->Add(e->Key(), int64_t{e->acct} * 8, 1);
  });
}

size_t DbTable::ActiveExpire(int64_t now_ms, int64_t deadline_us, std::mt19937_64& rng) {
  constexpr int kSample = 20;
  size_t deleted = 0;
  while (!volatile_.empty()) {
    int sampled = 0, expired = 0;
    for (; sampled < kSample && !volatile_.empty(); ++sampled) {
      size_t i = std::uniform_int_distribution<size_t>(0, volatile_.size() - 1)(rng);
      KeyEntry* e = volatile_[i];
      if (IsExpired(e, now_ms)) {
        NotifyExpired(e);
        Erase(e);
        ++expired;
      }
    }
    deleted += expired;
    expired_ += expired;
    if (expired * 4 <= sampled) break;
    if (MonotonicUs() >= deadline_us) break;
  }
  return deleted;
}

KeyEntry* DbTable::RandomKey(int64_t now_ms, std::mt19937_64& rng) {
  for (int tries = 0; tries < 100 && dict_.size() > 0; ++tries) {
    KeyEntry* e = dict_.Random(rng);
    if (!e) return nullptr;
    if (!IsExpired(e, now_ms)) return e;
    // Every key volatile and expired: Redis stops after a bounded number of tries and
    // answers with an expired key name; we delete and keep looking instead.
    NotifyExpired(e);
    Erase(e);
    ++expired_;
  }
  return nullptr;
}

int64_t DbTable::avg_ttl_hint(int64_t now_ms) const {
  if (volatile_.empty()) return 0;
  size_t n = volatile_.size() < 64 ? volatile_.size() : 64;
  int64_t sum = 0;
  for (size_t i = 0; i < n; ++i) {
    int64_t ttl = volatile_[i]->expire_at - now_ms;
    sum += ttl > 0 ? ttl : 0;
  }
  return sum / static_cast<int64_t>(n);
}

}  // namespace kora
