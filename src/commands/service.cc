#include "commands/service.h"

#include <cstring>

#include "base/strutil.h"
#include "commands/command_meta.h"
#include "commands/families.h"
#include "commands/memory_family.h"
#include "core/memory.h"
#include "commands/observe_hook.h"
#include "commands/pubsub_hub.h"
#include "commands/tracking.h"

namespace kora {
namespace {

// Copies a command's arguments so they can travel to another shard.
class OwnedArgs {
 public:
  // `*counted` (if given) receives the bytes counted as in transit.
  explicit OwnedArgs(CmdArgs args, int64_t* counted = nullptr) {
    size_t total = 0;
    for (auto a : args) total += a.size();
    // In transit, not data: maxmemory does not count it (core/memory.h).
    transit_ = static_cast<int64_t>(memory::ChunkBytes(total ? total : 1) +
                                    memory::ChunkBytes(args.size() * sizeof(std::string_view)));
    memory::AddInTransit(transit_);
    if (counted != nullptr) *counted = transit_;
    buf_.reset(new char[total ? total : 1]);
    views_.reserve(args.size());
    char* p = buf_.get();
    for (auto a : args) {
      if (!a.empty()) std::memcpy(p, a.data(), a.size());
      views_.emplace_back(p, a.size());
      p += a.size();
    }
  }
  OwnedArgs(OwnedArgs&& o) noexcept
      : buf_(std::move(o.buf_)), views_(std::move(o.views_)), transit_(o.transit_) {
    o.transit_ = 0;
  }
  OwnedArgs& operator=(OwnedArgs&&) = delete;
  ~OwnedArgs() {
    if (transit_ != 0) memory::AddInTransit(-transit_);
  }
  CmdArgs args() const { return CmdArgs(views_.data(), views_.size()); }

 private:
  std::unique_ptr<char[]> buf_;  // views_ point here; stable across moves
  std::vector<std::string_view> views_;
  int64_t transit_ = 0;
};

// The heap block of a reply task (its captures: a few pointers, the reply string, the slow log
// entry) and the longest string std::string keeps inline.
constexpr size_t kReplyTaskBytes = 96;
constexpr size_t kSsoCapacity = 15;

void AppendQuotedArg(std::string* out, std::string_view a, size_t budget) {
  // printf("%.*s") semantics: stops at NUL, and at the remaining budget.
  size_t n = 0;
  while (n < a.size() && n < budget && a[n] != '\0') ++n;
  out->push_back('\'');
  out->append(a.substr(0, n));
  out->append("' ");
}

}  // namespace

void ExtractKeys(const CommandSpec& spec, CmdArgs args, std::vector<size_t>* keys) {
  keys->clear();
  if (spec.getkeys) {
    spec.getkeys(args, keys);
    return;
  }
  if (spec.first_key <= 0) return;
  int argc = static_cast<int>(args.size());
  int last = spec.last_key;
  if (last < 0) last = argc + last;
  int step = spec.step > 0 ? spec.step : 1;
  for (int i = spec.first_key; i <= last && i < argc; i += step) keys->push_back(i);
}

PendingReply::PendingReply(ConnContext* conn, bool barrier)
    : conn_(conn), slot_(conn->ReserveSlot()), barrier_(barrier) {
  conn_->Ref();
  if (barrier_) conn_->SetBarrier(true);
}

void PendingReply::Finish(const std::function<void(ReplyBuilder&)>& write) {
  std::string out;
  ReplyBuilder rb(&out, conn_->resp);
  write(rb);
  conn_->FillSlot(slot_, std::move(out));
  if (barrier_) conn_->SetBarrier(false);
  conn_->Unref();
  delete this;
}

Service::Service(Engine* engine, ServiceOptions opts)
    : engine_(engine), opts_(std::move(opts)), start_ms_(NowUnixMs()) {
  for (int i = 0; i < engine_->size(); ++i) workers_.push_back(std::make_unique<WorkerState>());
  pubsub_ = std::make_unique<PubSubHub>(engine_->size(), &config_);
  tracker_ = std::make_unique<Tracker>(this, engine_->size());
  memory_guard_ = std::make_unique<MemoryGuard>(this);  // before the params that feed it
  DefineConfigParams(*this);
  // Created before Engine::Start, so adding timers to the loops here is safe.
  for (int i = 0; i < engine_->size(); ++i) {
    engine_->worker(i).loop().AddTimer(100, [this, i] { OnWorkerTimer(i); });
  }
}

Service::~Service() = default;

void Service::Register(std::vector<CommandSpec> family) {
  for (auto& spec : family) {
    auto owned = std::make_unique<CommandSpec>(std::move(spec));
    ApplyCommandMeta(owned.get());
    owned->id = static_cast<int>(all_specs_.size());
    all_specs_.push_back(owned.get());
    for (auto& sub : owned->subcommands) {
      ApplyCommandMeta(&sub);
      sub.id = static_cast<int>(all_specs_.size());
      all_specs_.push_back(&sub);
    }
    by_name_[owned->name] = owned.get();
    commands_.push_back(std::move(owned));
  }
  for (auto& w : workers_) w->cmd_stats.resize(all_specs_.size());
}

const CommandSpec* Service::Find(std::string_view name) const {
  char buf[64];
  if (name.size() >= sizeof(buf)) return nullptr;
  for (size_t i = 0; i < name.size(); ++i) buf[i] = AsciiLower(name[i]);
  auto it = by_name_.find(std::string(buf, name.size()));
  return it == by_name_.end() ? nullptr : it->second;
}

WorkerState& Service::local() { return *workers_[Worker::Current()->id()]; }

void Service::AddConnection(ConnContext* c) {
  WorkerState& w = *workers_[c->home_worker];
  w.conns[c->id] = c;
  ++w.total_connections;
  connected_clients_.fetch_add(1, std::memory_order_relaxed);
}

void Service::RemoveConnection(ConnContext* c) {
  workers_[c->home_worker]->conns.erase(c->id);
  connected_clients_.fetch_sub(1, std::memory_order_relaxed);
}

std::vector<int> Service::AllShards() const {
  std::vector<int> v(engine_->size());
  for (int i = 0; i < engine_->size(); ++i) v[i] = i;
  return v;
}

bool Service::RequiresAuth() { return !config_.Value("requirepass").empty(); }

bool Service::CheckPassword(std::string_view user, std::string_view pass) {
  if (user != "default") return false;
  std::string pw = config_.Value("requirepass");
  if (pw.empty()) return true;
  return pw == pass;
}

void Service::RunData(uint64_t tx, absl::AnyInvocable<void()> fn) {
  WorkerState& ws = local();
  if (ws.tx_lock != 0 && ws.tx_lock != tx) {
    ws.deferred.push_back(std::move(fn));
    return;
  }
  fn();
}

int64_t Service::Execute(const CommandSpec* spec, CmdArgs args, CmdCtx& ctx) {
  int64_t start = FastMonotonicUs();
  std::string* buf = ctx.rb->buffer();
  size_t before = buf->size();
  Shard& shard = ctx.worker->shard();
  bool was_writing = shard.write_mode();
  shard.set_write_mode((spec->flags & kCmdWrite) != 0);
  uint64_t key_hash = BeginRecord(*this, shard, *spec, args);
  spec->handler(args, ctx);
  if (ctx.track_reads) [[unlikely]] tracker_->RememberKeys(ctx, args);
  shard.set_write_mode(was_writing);
  // Memory by prefix: sizes of the entries written are brought up to date in batches (and by
  // the shard's cron), so a run of writes to one big list recomputes its size rarely.
  if (shard.prefix_dirty() && shard.db(ctx.db_index).prefix_dirty() >= 256) [[unlikely]] {
    shard.FlushPrefixMemory();
  }
  WorkerState& ws = *workers_[ctx.worker->id()];
  CmdStat& st = ws.cmd_stats[spec->id];
  ++st.calls;
  int64_t dur = FastMonotonicUs() - start;
  st.usec += static_cast<uint64_t>(dur);
  RecordCommand(*this, shard, *spec, args, dur, key_hash);
  // The handler may have moved the builder (CLIENT REPLY ON); only look at what it wrote here.
  if (ctx.rb->buffer() == buf && buf->size() > before && (*buf)[before] == '-') {
    ++st.failed;
    CountErrorReply(ws, std::string_view(*buf).substr(before));
  }
  return dur;
}

void Service::CountErrorReply(WorkerState& ws, std::string_view reply) {
  ++ws.total_error_replies;
  // Redis's rule: the code is the first word when a space occurs in the first 32 bytes.
  std::string_view code = "ERR";
  if (reply.size() > 1 && reply[0] == '-') {
    std::string_view head = reply.substr(0, std::min<size_t>(reply.size(), 32));
    size_t sp = head.find(' ');
    if (sp != std::string_view::npos && sp > 1) code = reply.substr(1, sp - 1);
  }
  auto it = ws.error_stats.find(std::string(code));
  if (it != ws.error_stats.end()) {
    ++it->second;
  } else if (ws.error_stats.size() < 128) {  // Redis's cap on distinct error codes
    ws.error_stats.emplace(std::string(code), 1);
  }
}

const CommandSpec* Service::Prefetch(ConnContext& conn, CmdArgs args, int stage,
                                     const CommandSpec* spec, int* key_shard) {
  if (spec == nullptr) spec = Find(args[0]);
  if (spec == nullptr || spec->first_key <= 0 || (spec->flags & kCmdConn) ||
      static_cast<size_t>(spec->first_key) >= args.size()) {
    return spec;
  }
  std::string_view key = args[spec->first_key];
  Worker* w = Worker::Current();
  if (*key_shard < 0) *key_shard = engine_->ShardOf(key);
  if (*key_shard != w->id()) return spec;
  const auto& dict = w->shard().db(conn.db_index).dict();
  stage == 0 ? dict.PrefetchBucket(key) : dict.PrefetchNode(key);
  return spec;
}

void Service::Dispatch(ConnContext& conn, CmdArgs args, const CommandSpec* spec,
                       int key_shard) {
  Worker* worker = Worker::Current();
  WorkerState& ws = *workers_[worker->id()];
  if (spec == nullptr) spec = Find(args[0]);
  if (spec == nullptr) {
    std::string msg = "ERR unknown command '";
    msg.append(args[0].substr(0, 128));
    msg.append("', with args beginning with: ");
    std::string rest;
    for (size_t i = 1; i < args.size() && rest.size() < 128; ++i) {
      AppendQuotedArg(&rest, args[i], 128 - rest.size());
    }
    msg += rest;
    conn.Reply().Error(msg);
    CountErrorReply(ws, "-ERR");
    if (conn.multi_queued >= 0) conn.multi_error = true;
    return;
  }
  int argc = static_cast<int>(args.size());
  if ((spec->arity > 0 && argc != spec->arity) || (spec->arity < 0 && argc < -spec->arity)) {
    ++ws.cmd_stats[spec->id].rejected;
    conn.Reply().Error("ERR wrong number of arguments for '" + spec->name + "' command");
    CountErrorReply(ws, "-ERR");
    if (conn.multi_queued >= 0) conn.multi_error = true;
    return;
  }
  if (!spec->subcommands.empty() && args.size() >= 2) {  // bare COMMAND runs the container
    const CommandSpec* sub = nullptr;
    std::string full = spec->name + "|" + ToLower(args[1]);
    for (const auto& s : spec->subcommands) {
      if (s.name == full) sub = &s;
    }
    if (sub == nullptr) {
      std::string msg = "ERR unknown subcommand '";
      msg.append(args[1].substr(0, 128));
      msg += "'. Try " + ToUpper(spec->name) + " HELP.";
      conn.Reply().Error(msg);
      CountErrorReply(ws, "-ERR");
      if (conn.multi_queued >= 0) conn.multi_error = true;
      return;
    }
    spec = sub;
    key_shard = -1;  // Prefetch hashed the container's key position
    if ((spec->arity > 0 && argc != spec->arity) || (spec->arity < 0 && argc < -spec->arity)) {
      ++ws.cmd_stats[spec->id].rejected;
      conn.Reply().Error("ERR wrong number of arguments for '" + spec->name + "' command");
      CountErrorReply(ws, "-ERR");
      if (conn.multi_queued >= 0) conn.multi_error = true;
      return;
    }
  }
  if (!conn.authenticated && !(spec->flags & kCmdNoAuth)) {
    ++ws.cmd_stats[spec->id].rejected;
    conn.Reply().Error("NOAUTH Authentication required.");
    CountErrorReply(ws, "-NOAUTH ");
    if (conn.multi_queued >= 0) conn.multi_error = true;
    return;
  }
  // maxmemory (Redis's performEvictions and OOM check); one load when no limit is set.
  if (memory_guard_->enabled() && conn.tx_id == 0 && !memory_guard_->Admit(conn, spec)) {
    ++ws.cmd_stats[spec->id].rejected;
    conn.Reply().Error(kOomError);
    CountErrorReply(ws, "-OOM ");
    if (conn.multi_queued >= 0) conn.multi_error = true;
    return;
  }
  if (conn.resp == 2 && conn.subscriptions + conn.psubscriptions + conn.ssubscriptions > 0 &&
      !PubSubContextAllows(*spec)) {  // RESP2 subscribed mode (commands/pubsub_family.cc)
    ++ws.cmd_stats[spec->id].rejected;
    conn.Reply().Error("ERR Can't execute '" + spec->name +
                       "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are "
                       "allowed in this context");
    CountErrorReply(ws, "-ERR");
    if (conn.multi_queued >= 0) conn.multi_error = true;
    return;
  }
  if (script_busy.load(std::memory_order_relaxed) > 0 && !(spec->flags & kCmdAllowBusy) &&
      conn.tx_id == 0) {
    ++ws.cmd_stats[spec->id].rejected;
    conn.Reply().Error(script_busy_fn.load() ? "BUSY Redis is busy running a script. You can only "
                                               "call FUNCTION KILL or SHUTDOWN NOSAVE."
                                             : "BUSY Redis is busy running a script. You can only "
                                               "call SCRIPT KILL or SHUTDOWN NOSAVE.");
    CountErrorReply(ws, "-BUSY ");
    if (conn.multi_queued >= 0) conn.multi_error = true;
    return;
  }
  if (conn.multi_queued >= 0 && !(spec->flags & kCmdTxControl)) {
    QueueInMulti(conn, args);
    return;
  }
  if (paused_.load(std::memory_order_relaxed) && ParkIfPaused(conn, spec, args)) return;
  ++ws.total_commands;  // like Redis, only commands that get to run are counted
  conn.last_cmd = spec->name;

  CmdCtx ctx;
  ctx.svc = this;
  ctx.worker = worker;
  ctx.spec = spec;
  ctx.db_index = conn.db_index;
  ctx.now_ms = CommandNowMs();
  ctx.tx_id = conn.tx_id;
  ctx.client_id = conn.id;
  ctx.client_worker = conn.home_worker;
  if (tracker_->clients() > 0) [[unlikely]] tracker_->PrepareCommand(conn, *spec, ctx);

  if (spec->flags & kCmdConn) {
    ctx.conn = &conn;
    ctx.rb = &conn.Reply();
    int64_t dur = Execute(spec, args, ctx);
    if (IsSlow(worker->shard(), *spec, dur)) PushSlowEntry(*this, conn, MakeSlowEntry(args, dur));
    return;
  }

  // Route by keys: all on one shard -> run there; spread -> coordinator.
  int target = -1;
  bool spread = false;
  std::vector<int> spread_shards;
  if (spec->getkeys == nullptr && spec->first_key > 0 && spec->last_key == spec->first_key) {
    target = key_shard >= 0 ? key_shard : engine_->ShardOf(args[spec->first_key]);
  } else {
    std::vector<size_t> keys;
    ExtractKeys(*spec, args, &keys);
    for (size_t k : keys) {
      int s = engine_->ShardOf(args[k]);
      if (target < 0) {
        target = s;
      } else if (s != target) {
        spread = true;
      }
      spread_shards.push_back(s);
    }
  }
  if (spread) {
    if (spec->multi == nullptr) {
      conn.Reply().Error("ERR keys of this command must hash to one shard; use a {hash tag}");
      return;
    }
    if (ctx.track_reads) tracker_->RememberKeys(ctx, args);  // sent to the keys' shards
    if (conn.tx_id == 0) {  // not yet inside a transaction: make it one
      --ws.total_commands;  // counted once, when it runs inside the transaction
      RunAtomically(conn, args, std::move(spread_shards));
      return;
    }
    ctx.conn = &conn;
    int64_t start = FastMonotonicUs();
    spec->multi(args, ctx);
    CmdStat& st = ws.cmd_stats[spec->id];
    ++st.calls;
    int64_t dur = FastMonotonicUs() - start;
    st.usec += static_cast<uint64_t>(dur);
    RecordCommand(*this, worker->shard(), *spec, args, dur, 0);
    if (IsSlow(worker->shard(), *spec, dur)) PushSlowEntry(*this, conn, MakeSlowEntry(args, dur));
    return;
  }
  if (target < 0 || target == worker->id()) {
    if (ws.tx_lock != 0 && ws.tx_lock != conn.tx_id) {
      DeferLocal(conn, spec, args, ctx.track_reads);  // the shard is in another client's EXEC
      return;
    }
    ctx.rb = &conn.Reply();
    int64_t dur = Execute(spec, args, ctx);
    if (IsSlow(worker->shard(), *spec, dur)) PushSlowEntry(*this, conn, MakeSlowEntry(args, dur));
    return;
  }
  HopSingle(conn, spec, args, target, ctx.track_reads);
}

void Service::DeferLocal(ConnContext& conn, const CommandSpec* spec, CmdArgs args,
                         bool track) {
  uint64_t slot = conn.ReserveSlot();
  conn.Ref();
  ConnContext* cp = &conn;
  int db = conn.db_index;
  int resp = conn.resp;
  uint64_t cid = conn.id;
  int cw = conn.home_worker;
  local().deferred.push_back([this, spec, owned = OwnedArgs(args), cp, slot, db, resp, cid, cw,
                              track]() mutable {
    std::string out;
    ReplyBuilder rb(&out, resp);
    CmdCtx ctx;
    ctx.svc = this;
    ctx.client_id = cid;
    ctx.client_worker = cw;
    ctx.track_reads = track;
    ctx.worker = Worker::Current();
    ctx.spec = spec;
    ctx.db_index = db;
    ctx.now_ms = NowUnixMs();
    ctx.rb = &rb;
    int64_t dur = Execute(spec, owned.args(), ctx);
    if (IsSlow(ctx.worker->shard(), *spec, dur)) {
      PushSlowEntry(*this, *cp, MakeSlowEntry(owned.args(), dur));
    }
    cp->FillSlot(slot, std::move(out));
    cp->Unref();
  });
}

void Service::HopSingle(ConnContext& conn, const CommandSpec* spec, CmdArgs args, int target,
                        bool track) {
  Worker* origin = Worker::Current();
  uint64_t slot = conn.ReserveSlot();
  conn.Ref();
  int src = origin->id();
  int db = conn.db_index;
  int resp = conn.resp;
  ConnContext* cp = &conn;  // dereferenced only back on `src`; kept alive by Ref()
  uint64_t tx = conn.tx_id;
  uint64_t cid = conn.id;
  int64_t mark = memory::ThreadBalance();
  int64_t args_transit = 0;
  origin->Send(target, [this, spec, owned = OwnedArgs(args, &args_transit), src, db, resp, cp,
                        slot, tx, cid, track]() mutable {
    RunData(tx, [this, spec, owned = std::move(owned), src, db, resp, cp, slot, tx, cid,
                 track]() mutable {
    std::string out;
    ReplyBuilder rb(&out, resp);
    CmdCtx ctx;
    ctx.svc = this;
    ctx.client_id = cid;
    ctx.client_worker = src;
    ctx.track_reads = track;
    ctx.worker = Worker::Current();
    ctx.spec = spec;
    ctx.db_index = db;
    ctx.now_ms = NowUnixMs();
    ctx.rb = &rb;
    ctx.tx_id = tx;
    int64_t dur = Execute(spec, owned.args(), ctx);
    std::unique_ptr<observe::SlowlogEntry> slow;
    if (IsSlow(ctx.worker->shard(), *spec, dur)) slow = MakeSlowEntry(owned.args(), dur);
    // The reply travels back as a task holding `out`: in transit as well, until it lands.
    int64_t back = static_cast<int64_t>(
        sizeof(Task) + memory::ChunkBytes(kReplyTaskBytes) +
        (out.capacity() > kSsoCapacity ? memory::ChunkBytes(out.capacity() + 1) : 0));
    memory::AddInTransit(back);
    ctx.worker->Send(src, [this, cp, slot, out = std::move(out), slow = std::move(slow),
                           back]() mutable {
      if (slow) PushSlowEntry(*this, *cp, std::move(slow));
      cp->FillSlot(slot, std::move(out));
      memory::AddInTransit(-back);
      LandHop(*cp);
      cp->Unref();
    });
    });
  });
  // Measured on this thread: the task, its queue room, the reply slot, less the arguments
  // (counted by OwnedArgs). Released as the replies land, the last one taking the remainder.
  int64_t spent = memory::ThreadBalance() - mark - args_transit;
  if (spent < 0) spent = 0;
  conn.hop_transit += spent;
  ++conn.hops_in_flight;
  memory::AddInTransit(spent);
}

void Service::LandHop(ConnContext& conn) {
  if (conn.hops_in_flight == 0) return;
  int64_t part = conn.hop_transit / conn.hops_in_flight;
  conn.hop_transit -= part;
  --conn.hops_in_flight;
  memory::AddInTransit(-part);
}

}  // namespace kora
