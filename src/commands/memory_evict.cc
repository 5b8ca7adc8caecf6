// maxmemory enforcement: Redis's performEvictions spread over the shards (MemoryGuard, see
// commands/memory_family.h and docs/design/memory.md).
#include <algorithm>

#include "base/clock.h"
#include "commands/memory_family.h"
#include "commands/notify.h"
#include "commands/service.h"
#include "core/memory.h"

namespace kora {

struct MemoryGuard::ShardState {
  // Bytes this shard was asked to free and has not started on; written by any worker.
  alignas(64) std::atomic<int64_t> debt{0};
  std::atomic<bool> queued{false};  // a PayDebt task is on its way to the shard
  // Keys the shard could evict (all, and those with a deadline), published by the shard.
  std::atomic<uint64_t> keys{0};
  std::atomic<uint64_t> volatile_keys{0};
  std::atomic<uint64_t> overhead{0};  // hash table overhead of its databases (INFO memory)
  std::atomic<uint64_t> clients{0};   // its connections' buffers
  // The shard's own: touched only on its thread.
  alignas(64) EvictionPool pool;
  std::string key;  // the evicted key's name, kept for the hook after the entry is gone
  // Bytes freed beyond what was asked (a share is rarely a whole number of keys); they count
  // toward the next share, so every shard frees the same proportion over time.
  int64_t credit = 0;
};

namespace {

// A reading whose decrease across an operation on this thread is what the operation freed.
int64_t MemoryMark() {
  return memory::HooksActive() ? memory::ThreadBalance()
                               : static_cast<int64_t>(memory::UsedMemory());
}

// used_memory minus what Redis would call mem_not_counted_for_evict.
uint64_t CountedMemory() {
  uint64_t used = memory::UsedMemory(), transit = memory::InTransit();
  return used > transit ? used - transit : 0;
}

bool IsTxExempt(const CommandSpec* spec) {
  const std::string& n = spec->name;
  return n == "exec" || n == "discard" || n == "quit" || n == "reset";
}

}  // namespace

void OnKeyEvicted(Service& svc, int shard, int db, std::string_view key) {
  // Every consequence of an eviction, on the shard's thread, once per evicted key: the
  // "evicted" keyspace notification (class 'e'); the CDC event belongs here too.
  (void)shard;
  NotifyEvicted(&svc, Worker::Current(), db, key);
}

MemoryGuard::MemoryGuard(Service* svc) : svc_(svc) {
  Engine& engine = svc->engine();
  for (int i = 0; i < engine.size(); ++i) {
    shards_.push_back(std::make_unique<ShardState>());
    Shard& sh = engine.worker(i).shard();
    for (int d = 0; d < kNumDatabases; ++d) sh.db(d).BindLfuParams(&params_.lfu);
    // Runs on worker i's thread; adding it is safe because the engine has not started yet.
    engine.worker(i).loop().AddTimer(100, [this] { Publish(true); });
  }
  startup_bytes_ = memory::UsedMemory();
}

uint64_t MemoryGuard::PublishedOverhead() const {
  uint64_t n = 0;
  for (const auto& st : shards_) n += st->overhead.load(std::memory_order_relaxed);
  return n;
}

uint64_t MemoryGuard::PublishedClients() const {
  uint64_t n = 0;
  for (const auto& st : shards_) n += st->clients.load(std::memory_order_relaxed);
  return n;
}

uint64_t MemoryGuard::ExceededCurrentMs() const {
  int64_t since = exceeded_since_us_.load(std::memory_order_relaxed);
  return since == 0 ? 0 : static_cast<uint64_t>(MonotonicUs() - since) / 1000;
}

uint64_t MemoryGuard::ExceededTotalMs() const {
  return exceeded_total_us_.load(std::memory_order_relaxed) / 1000 + ExceededCurrentMs();
}

// Redis's update_metrics step of performEvictions: an interval opens when a pass leaves memory
// over the limit and closes at the first check that finds it under.
void MemoryGuard::NoteExceeded(bool over) {
  int64_t since = exceeded_since_us_.load(std::memory_order_relaxed);
  if (over) {
    if (since == 0) exceeded_since_us_.compare_exchange_strong(since, MonotonicUs());
  } else if (since != 0 && exceeded_since_us_.compare_exchange_strong(since, 0)) {
    exceeded_total_us_.fetch_add(static_cast<uint64_t>(MonotonicUs() - since));
  }
}

MemoryGuard::~MemoryGuard() = default;

uint64_t MemoryGuard::PublishedEvictable(int shard) const {
  const ShardState& st = *shards_[shard];
  return IsVolatilePolicy(params_.policy.load(std::memory_order_relaxed))
             ? st.volatile_keys.load(std::memory_order_relaxed)
             : st.keys.load(std::memory_order_relaxed);
}

void MemoryGuard::Publish(bool clients) {
  Worker* w = Worker::Current();
  Shard& sh = w->shard();
  uint64_t keys = 0, vol = 0, overhead = 0;
  for (int d = 0; d < kNumDatabases; ++d) {
    DbTable& db = sh.db(d);
    keys += db.size();
    vol += db.volatile_count();
    if (db.size() == 0) continue;
    uint64_t main = 0, expires = 0;
    DbOverhead(db, &main, &expires);
    overhead += main + expires;
  }
  ShardState& st = *shards_[w->id()];
  st.overhead.store(overhead, std::memory_order_relaxed);
  if (w->id() == 0) {  // as Redis's serverCron
    NotePeakMemory(*svc_, memory::UsedMemory());
    if (!enabled()) NoteExceeded(false);  // maxmemory was turned off
  }
  st.keys.store(keys, std::memory_order_relaxed);
  st.volatile_keys.store(vol, std::memory_order_relaxed);
  if (!clients) return;
  uint64_t bytes = 0;
  for (const auto& [id, conn] : svc_->local().conns) bytes += ConnectionMemory(*conn);
  st.clients.store(bytes, std::memory_order_relaxed);
}

uint64_t MemoryGuard::LocalEvictable() {
  Shard& sh = Worker::Current()->shard();
  bool vol = IsVolatilePolicy(params_.policy.load(std::memory_order_relaxed));
  uint64_t n = 0;
  for (int d = 0; d < kNumDatabases; ++d) n += vol ? sh.db(d).volatile_count() : sh.db(d).size();
  return n;
}

bool MemoryGuard::Admit(ConnContext& conn, const CommandSpec* spec) {
  uint64_t limit = params_.maxmemory.load(std::memory_order_relaxed);
  uint64_t used = CountedMemory();
  if (limit == 0 || used <= limit) {
    if (exceeded_since_us_.load(std::memory_order_relaxed) != 0) NoteExceeded(false);
    conn.oom_before_command = false;
    return true;
  }
  bool ok = PerformEvictions(static_cast<int64_t>(used - limit));
  bool under = CountedMemory() <= limit;
  NoteExceeded(!under);
  conn.oom_before_command = !(ok || under);
  if (ok || under) return true;
  // Out of memory (Redis's EVICT_FAIL): refuse what may grow memory.
  if (spec->flags & kCmdDenyOom) return false;
  if (conn.multi_queued >= 0) {
    if (!IsTxExempt(spec)) return false;
    if (spec->name == "exec") {
      for (const auto& q : conn.multi_cmds) {
        const CommandSpec* s = q.empty() ? nullptr : svc_->Find(q[0]);
        if (s == nullptr) continue;
        if (!s->subcommands.empty() && q.size() >= 2) {
          std::string full = s->name + "|";
          for (char c : q[1]) full += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
          for (const auto& sub : s->subcommands) {
            if (sub.name == full) s = &sub;
          }
        }
        if (s->flags & kCmdDenyOom) return false;
      }
    }
  }
  return true;
}

bool MemoryGuard::PerformEvictions(int64_t over) {
  if (params_.policy.load(std::memory_order_relaxed) == EvictPolicy::kNoEviction) return false;
  over -= pending_debt_.load(std::memory_order_relaxed);  // already being freed elsewhere
  if (over <= 0) return true;
  int me = Worker::Current()->id();
  int nshards = static_cast<int>(shards_.size());
  // Each shard frees a part proportional to its evictable keys, so shards that grew larger
  // than the others shrink back. The local count is exact; the others' were published by them
  // at most 100 ms ago. A shard that reported nothing is asked to report again.
  // The local shard is skipped while a transaction of another client holds it.
  uint64_t local = svc_->local().tx_lock == 0 ? LocalEvictable() : 0;
  std::vector<uint64_t> weight(nshards, 0);
  uint64_t total = 0;
  for (int s = 0; s < nshards; ++s) {
    weight[s] = s == me ? local : PublishedEvictable(s);
    total += weight[s];
  }
  for (int s = 0; s < nshards; ++s) {
    if (s != me && weight[s] == 0) AddDebt(s, 0);  // a publish request
  }
  if (total == 0) return false;
  int64_t local_share = 0;
  for (int s = 0; s < nshards; ++s) {
    if (weight[s] == 0) continue;
    auto share = static_cast<int64_t>(static_cast<double>(over) * static_cast<double>(weight[s]) /
                                      static_cast<double>(total)) + 1;
    if (s == me) {
      local_share = share;
    } else {
      AddDebt(s, share);
    }
  }
  if (local_share == 0) return true;
  bool ran_out = false, timed_out = false;
  int64_t left = Pay(local_share, &ran_out, &timed_out);
  if (timed_out && left > 0) AddDebt(me, left);  // go on soon
  return !(ran_out && total == local);
}

void MemoryGuard::AddDebt(int shard, int64_t bytes) {
  ShardState& st = *shards_[shard];
  st.debt.fetch_add(bytes, std::memory_order_relaxed);
  pending_debt_.fetch_add(bytes, std::memory_order_relaxed);
  if (st.queued.exchange(true, std::memory_order_acq_rel)) return;
  Worker::Current()->Send(shard, [this] { svc_->RunData(0, [this] { PayDebt(); }); });
}

void MemoryGuard::PayDebt() {
  ShardState& st = *shards_[Worker::Current()->id()];
  st.queued.store(false, std::memory_order_release);
  int64_t debt = st.debt.exchange(0, std::memory_order_acq_rel);
  if (debt <= 0) {
    Publish();
    return;
  }
  // A debt that waited in the queue may be larger than what is still missing now (the other
  // shards paid theirs, or memory was freed meanwhile): pay no more than the present excess.
  uint64_t limit = params_.maxmemory.load(std::memory_order_relaxed);
  uint64_t used = CountedMemory();
  int64_t due = limit == 0 || used <= limit ? 0 : std::min<int64_t>(debt, used - limit);
  bool ran_out = false, timed_out = false;
  int64_t left = due > 0 ? Pay(due, &ran_out, &timed_out) : 0;
  if (due == 0) Publish();
  pending_debt_.fetch_sub(debt, std::memory_order_relaxed);
  if (timed_out && left > 0) AddDebt(Worker::Current()->id(), left);
}

int64_t MemoryGuard::Pay(int64_t bytes, bool* ran_out, bool* timed_out) {
  ShardState& st = *shards_[Worker::Current()->id()];
  if (st.credit >= bytes) {
    st.credit -= bytes;
    return 0;
  }
  int64_t need = bytes - st.credit;
  int64_t freed = EvictLocal(need, ran_out, timed_out);
  st.credit = freed > need ? freed - need : 0;
  return freed < need ? need - freed : 0;
}

int64_t MemoryGuard::EvictLocal(int64_t bytes, bool* ran_out, bool* timed_out) {
  Worker* w = Worker::Current();
  int me = w->id();
  Shard& sh = w->shard();
  ShardState& st = *shards_[me];
  EvictPolicy policy = params_.policy.load(std::memory_order_relaxed);
  if (policy == EvictPolicy::kNoEviction) {
    *ran_out = true;
    return 0;
  }
  int samples = params_.samples.load(std::memory_order_relaxed);
  int64_t deadline = MonotonicUs() + static_cast<int64_t>(std::min<uint64_t>(
                                         EvictionTimeLimitUs(params_.tenacity.load()), INT32_MAX));
  DbTable* dbs[kNumDatabases];
  for (int d = 0; d < kNumDatabases; ++d) dbs[d] = &sh.db(d);
  WorkerState& ws = svc_->state_of(me);
  int64_t now_ms = NowUnixMs();
  int64_t freed = 0;
  int keys = 0;
  while (freed < bytes) {
    int db = 0;
    KeyEntry* e = st.pool.SelectVictim(dbs, kNumDatabases, policy, samples, now_ms, sh.rng(), &db);
    if (e == nullptr) {
      *ran_out = true;
      break;
    }
    st.key.assign(e->Key().data(), e->Key().size());
    int64_t before = MemoryMark();
    dbs[db]->Erase(e);
    freed += before - MemoryMark();
    ++ws.evicted_keys;
    OnKeyEvicted(*svc_, me, db, st.key);
    if (++keys % 16 == 0 && MonotonicUs() >= deadline) {
      *timed_out = true;
      break;
    }
  }
  Publish();
  return freed;
}

}  // namespace kora
