// Database::Impl: the engine, the command service and the listeners behind kora::Database.
//
// Owned by its Database; shares nothing with other instances. Any application thread may call
// Run/Execute/StartListener concurrently: a call only posts to a worker and waits, and the
// listeners are registered through the workers' own threads.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "commands/service.h"
#include "kora/database.h"
#include "shard/engine.h"

namespace kora {

class Listener;

class Database::Impl {
 public:
  // The command specs the typed methods use, looked up once.
  struct Specs {
    const CommandSpec *set, *setex, *get, *incr, *incrby, *decr, *decrby, *mget, *mset;
    const CommandSpec *del, *exists, *expire, *ttl, *keys, *scan;
    const CommandSpec *hset, *hget, *hgetall, *hdel;
    const CommandSpec *lpush, *rpush, *lpop, *rpop, *lrange, *llen;
    const CommandSpec *sadd, *srem, *smembers, *sismember;
    const CommandSpec *zadd, *zrange, *zscore, *zrem;
  };

  static Result<std::unique_ptr<Impl>> Create(const Config& config);
  ~Impl();

  int shard_count() const { return engine_->size(); }
  const Specs& specs() const { return specs_; }

  // Runs one command whose spec is known (null: looked up by Dispatch) and returns its RESP3
  // reply. The bytes live in a buffer of the calling thread, valid until its next call.
  Result<std::string_view> Run(const CommandSpec* spec, CmdArgs args);
  // Any command by name: refuses the connection-scoped ones, decodes the reply, turns a
  // top-level error reply into an error Status.
  Result<Reply> Execute(CmdArgs args);
  // Run + decode (for the typed methods with composite replies).
  Result<Reply> RunReply(const CommandSpec* spec, CmdArgs args);

  Status StartListener(std::string_view host_port);
  int listener_port() const { return listener_port_.load(std::memory_order_acquire); }

 private:
  Impl() = default;
  Status Init(const Config& config);
  const CommandSpec* MustFind(std::string_view name);
  // Why a command may not run through the API ("" if it may).
  std::string_view Refusal(CmdArgs args) const;
  int WorkerFor(const CommandSpec* spec, CmdArgs args) const;

  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Service> svc_;
  Specs specs_{};
  bool started_ = false;
  int spare_cores_ = 0;              // hardware threads not owned by a shard
  std::atomic<int> spinners_{0};     // callers spinning for a reply now

  std::mutex listen_mu_;                                   // serialises StartListener
  std::vector<int> listen_fds_;                            // GUARDED_BY(listen_mu_)
  std::vector<std::vector<std::unique_ptr<Listener>>> listeners_;  // [worker], its thread only
  std::atomic<int> listener_port_{0};
};

// "host:port" → numeric host and port, with a clear error on anything else.
Status ParseHostPort(std::string_view host_port, std::string* host, int* port);

}  // namespace kora
