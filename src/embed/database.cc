// kora::Database: opening, the call path from application threads, Execute, and shutdown.
#include "kora/database.h"

#include <unistd.h>

#include <algorithm>
#include <thread>

#include "base/logging.h"
#include "base/strutil.h"
#include "commands/families.h"
#include "embed/call.h"
#include "embed/database_impl.h"
#include "embed/resp_reader.h"
#include "server/listener.h"

namespace kora {
namespace {

constexpr int kMaxShards = 1024;
constexpr int kAutoIdlePollUs = 50;
// How long a caller spins for its reply before it sleeps: with a spare core to spin on, and
// without one.
constexpr int64_t kLongSpinUs = 100;
constexpr int64_t kShortSpinUs = 5;
constexpr size_t kKeepReplyBuffer = 1 << 20;  // a bigger per-thread buffer is released

// Commands that only make sense across several commands of one connection, which an API call
// (one command on a fresh connection) cannot be.
constexpr const char* kRefused[] = {
    "multi",       "exec",         "discard",      "watch",   "unwatch",
    "select",      "subscribe",    "psubscribe",   "ssubscribe", "unsubscribe",
    "punsubscribe", "sunsubscribe", "monitor",
};

// The reply buffer of the calling thread, reused across its calls (no allocation per call).
std::string& ThreadReplyBuffer() {
  thread_local std::string buf;
  if (buf.capacity() > kKeepReplyBuffer) std::string().swap(buf);
  buf.clear();
  return buf;
}

}  // namespace

Result<std::unique_ptr<Database::Impl>> Database::Impl::Create(const Config& config) {
  std::unique_ptr<Impl> impl(new Impl());
  Status st = impl->Init(config);
  if (!st.ok()) return st;
  return impl;
}

Status Database::Impl::Init(const Config& cfg) {
  if (!cfg.data_dir.empty()) {
    return Status(StatusCode::kUnavailable,
                  "persistence is not available yet: Config::data_dir must be empty (got '" +
                      cfg.data_dir + "'); the database is in memory only");
  }
  if (cfg.shard_count < 0 || cfg.shard_count > kMaxShards) {
    return Status::InvalidArgument("Config::shard_count must be between 0 and " +
                                   std::to_string(kMaxShards) + " (got " +
                                   std::to_string(cfg.shard_count) + ")");
  }
  if (cfg.hz < 1 || cfg.hz > 500) {
    return Status::InvalidArgument("Config::hz must be between 1 and 500 (got " +
                                   std::to_string(cfg.hz) + ")");
  }
  if (cfg.idle_poll_us < -1 || cfg.idle_poll_us > 1000000) {
    return Status::InvalidArgument("Config::idle_poll_us must be -1 (automatic) or between 0 "
                                   "and 1000000");
  }
  if (cfg.maxclients < 1) return Status::InvalidArgument("Config::maxclients must be >= 1");
  LogLevel level;
  if (!cfg.log_level.empty() && !ParseLogLevel(cfg.log_level, &level)) {
    return Status::InvalidArgument("Config::log_level must be one of trace debug info warn "
                                   "error off (got '" + cfg.log_level + "')");
  }

  EngineOptions eo;
  eo.workers = cfg.shard_count > 0 ? cfg.shard_count
                                   : static_cast<int>(std::thread::hardware_concurrency());
  if (eo.workers < 1) eo.workers = 1;
  eo.hz = cfg.hz;
  // With a core left for the application, shards poll with a pause loop; when they own every
  // core they poll with sched_yield, so a caller waiting for a core still gets it (sleeping
  // instead costs a wake-up per call: ~30 us in a VM). See docs/design/embedded.md.
  int hw = static_cast<int>(std::thread::hardware_concurrency());
  eo.idle_poll_us = cfg.idle_poll_us >= 0 ? cfg.idle_poll_us : kAutoIdlePollUs;
  eo.idle_poll_yield = eo.workers >= hw;
  spare_cores_ = std::max(0, hw - eo.workers);
  engine_ = std::make_unique<Engine>(eo);
  ServiceOptions so;
  so.bind = "";
  so.port = 0;
  so.requirepass = cfg.password;
  so.maxclients = cfg.maxclients;
  svc_ = std::make_unique<Service>(engine_.get(), so);
  RegisterAllFamilies(*svc_);

  ConfigStore& c = svc_->config();
  // Built-in settings first (skipped when this build does not define them), then the
  // application's own params, which must exist.
  constexpr size_t kBuiltin = 6;
  std::vector<std::pair<std::string, std::string>> settings = {
      {"requirepass", cfg.password},
      {"maxclients", std::to_string(cfg.maxclients)},
      {"port", "0"},
      {"bind", ""},
      {"maxmemory", std::to_string(cfg.maxmemory)},
      {"maxmemory-policy", cfg.maxmemory_policy},
  };
  for (const auto& kv : cfg.params) settings.push_back(kv);
  for (size_t i = 0; i < settings.size(); ++i) {
    const auto& [name, value] = settings[i];
    bool builtin = i < kBuiltin;
    if (builtin && !c.Has(name)) continue;  // a parameter this build does not define yet
    std::string err = c.SetAtStartup(name, value);
    if (!err.empty()) {
      return Status::InvalidArgument(builtin ? "Config: " + err : "Config::params: " + err);
    }
  }
  if (!cfg.log_level.empty()) SetLogLevel(level);

  specs_ = Specs{
      MustFind("set"),      MustFind("setex"),  MustFind("get"),     MustFind("incr"),
      MustFind("incrby"),   MustFind("decr"),   MustFind("decrby"),  MustFind("mget"),
      MustFind("mset"),     MustFind("del"),    MustFind("exists"),  MustFind("expire"),
      MustFind("ttl"),      MustFind("keys"),   MustFind("scan"),    MustFind("hset"),
      MustFind("hget"),     MustFind("hgetall"), MustFind("hdel"),   MustFind("lpush"),
      MustFind("rpush"),    MustFind("lpop"),   MustFind("rpop"),    MustFind("lrange"),
      MustFind("llen"),     MustFind("sadd"),   MustFind("srem"),    MustFind("smembers"),
      MustFind("sismember"), MustFind("zadd"),  MustFind("zrange"),  MustFind("zscore"),
      MustFind("zrem"),
  };
  listeners_.resize(static_cast<size_t>(engine_->size()));

  engine_->Start(nullptr);
  started_ = true;
  return Status::OK();
}

// The spec of a typed method's command, looked up once. Null if no family registers it; the
// method then answers Redis's unknown-command error (Dispatch looks the name up again).
const CommandSpec* Database::Impl::MustFind(std::string_view name) { return svc_->Find(name); }

Database::Impl::~Impl() {
  if (started_) {
    Service* svc = svc_.get();
    engine_->Stop([this, svc](Worker& w) {
      for (auto& l : listeners_[static_cast<size_t>(w.id())]) w.loop().Remove(l->fd());
      // Close this worker's RESP clients (their in-flight replies were delivered by Run()).
      std::vector<ConnContext*> conns;
      for (auto& [id, c] : svc->local().conns) conns.push_back(c);
      for (auto* c : conns) c->Kill();
    });
  }
  for (int fd : listen_fds_) ::close(fd);
  listeners_.clear();
  svc_.reset();
  engine_.reset();
}

int Database::Impl::WorkerFor(const CommandSpec* spec, CmdArgs args) const {
  // The shard of the first key, so the common single-key command runs inline there.
  if (spec != nullptr && spec->first_key > 0 && !(spec->flags & kCmdConn)) {
    auto first = static_cast<size_t>(spec->first_key);
    if (first < args.size()) return engine_->ShardOf(args[first]);
  }
  thread_local unsigned next = 0;  // keyless commands: spread over the workers
  return static_cast<int>(next++ % static_cast<unsigned>(engine_->size()));
}

Result<std::string_view> Database::Impl::Run(const CommandSpec* spec, CmdArgs args) {
  Worker* self = Worker::Current();
  if (self != nullptr && &self->engine() == engine_.get()) {
    return Status(StatusCode::kBusy,
                  "a kora::Database cannot be called from its own shard thread");
  }
  std::string& out = ThreadReplyBuffer();
  int w = WorkerFor(spec, args);
  embed::Call call(svc_.get(), spec, args, &out);
  call.conn.home_worker = w;
  if (spec != nullptr && (spec->flags & (kCmdConn | kCmdBlocking))) {
    // Visible to CLIENT ID / CLIENT UNBLOCK / CLIENT INFO; the hot path skips the shared counter.
    call.conn.id = svc_->NextClientId();
    call.conn.created_ms = call.conn.last_interaction_ms = NowUnixMs();
    call.conn.addr = "embedded";
  }
  // A caller may spin long only while there are spare cores for the spinning callers;
  // otherwise briefly, so that waiting callers do not take the shards' CPU.
  bool long_spin = spare_cores_ > 0 &&
                   spinners_.fetch_add(1, std::memory_order_relaxed) < spare_cores_;
  if (spare_cores_ > 0 && !long_spin) spinners_.fetch_sub(1, std::memory_order_relaxed);
  embed::Call* cp = &call;
  engine_->worker(w).PostExternal([cp] { cp->Run(); });
  call.conn.Wait(long_spin ? kLongSpinUs : kShortSpinUs);
  if (long_spin) spinners_.fetch_sub(1, std::memory_order_relaxed);
  return std::string_view(out);
}

std::string_view Database::Impl::Refusal(CmdArgs args) const {
  // By name, so that a command a later issue registers is refused from the start.
  for (const char* name : kRefused) {
    if (EqualsIgnoreCase(args[0], name)) {
      return "is not available through the embedded API: each call runs as its own "
             "connection on database 0 (use a RESP listener for connection state)";
    }
  }
  if (args.size() >= 2 && EqualsIgnoreCase(args[0], "client") &&
      EqualsIgnoreCase(args[1], "reply")) {
    return "is not available through the embedded API: every call returns its reply";
  }
  return {};
}

Result<Reply> Database::Impl::RunReply(const CommandSpec* spec, CmdArgs args) {
  Result<std::string_view> bytes = Run(spec, args);
  if (!bytes.ok()) return bytes.status();
  Reply r;
  if (embed::DecodeReply(*bytes, &r) == 0) return embed::Unexpected(*bytes);
  if (r.is_error()) return embed::ErrorStatus(r.str());
  return r;
}

Result<Reply> Database::Impl::Execute(CmdArgs args) {
  if (args.empty()) return Status::InvalidArgument("Execute: empty command");
  std::string_view why = Refusal(args);
  if (!why.empty()) {
    std::string name = ToUpper(args[0]);
    if (args.size() >= 2 && EqualsIgnoreCase(args[0], "client")) name += " " + ToUpper(args[1]);
    return Status::InvalidArgument(name + " " + std::string(why));
  }
  return RunReply(svc_->Find(args[0]), args);
}

// --- Database: construction and the generic entry points ------------------------------------

Database::Database(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Database::~Database() = default;

Result<std::unique_ptr<Database>> Database::Open(const Config& config) {
  Result<std::unique_ptr<Impl>> impl = Impl::Create(config);
  if (!impl.ok()) return impl.status();
  return std::unique_ptr<Database>(new Database(std::move(impl).value()));
}

int Database::shard_count() const { return impl_->shard_count(); }

Result<Reply> Database::Execute(std::initializer_list<std::string_view> args) {
  return impl_->Execute(CmdArgs(args.begin(), args.size()));
}

Result<Reply> Database::Execute(std::span<const std::string_view> args) {
  return impl_->Execute(args);
}

Result<Reply> Database::Execute(const std::vector<std::string>& args) {
  std::vector<std::string_view> views(args.begin(), args.end());
  return impl_->Execute(CmdArgs(views.data(), views.size()));
}

Status Database::StartListener(std::string_view host_port) {
  return impl_->StartListener(host_port);
}

int Database::listener_port() const { return impl_->listener_port(); }

}  // namespace kora
