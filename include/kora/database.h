// kora::Database: the Kora engine inside an application (embedded mode, SPEC §7).
//
// Open() starts the shard threads (Config::shard_count); every call from an application thread
// is handed to the thread of the shard that owns its key, runs there exactly as a command from
// a client would, and the caller waits for the reply. So the data is never locked, every call
// is atomic like a Redis command, and any number of application threads may call at once.
//
//   auto opened = kora::Database::Open(kora::Config{});
//   if (!opened.ok()) return opened.status();
//   std::unique_ptr<kora::Database> db = std::move(opened).value();
//   db->Set("user:1", "Augustus");
//   kora::Result<std::optional<std::string>> v = db->Get("user:1");   // "Augustus"
//   db->Execute({"ZADD", "board", "10", "ann"});                       // any command
//   db->StartListener("127.0.0.1:6379");   // hybrid: the same data over RESP
//
// Errors are values: a Redis error reply becomes an error Status (code kWrongType for
// WRONGTYPE, kCommandError with the full error text otherwise), never an exception.
//
// Each call behaves like a fresh client connection to database 0 that sends one command:
// commands that only make sense across several commands of one connection (MULTI/EXEC, WATCH,
// SELECT, SUBSCRIBE, MONITOR, CLIENT REPLY) are refused with kInvalidArgument. Blocking
// commands (BLPOP...) block the calling thread, up to their timeout.
//
// Lifetime: every call must have returned before the Database is destroyed; the destructor
// closes the listeners and their clients and stops the shard threads. Two Database objects in
// one process share nothing.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kora/config.h"
#include "kora/export.h"
#include "kora/reply.h"
#include "kora/status.h"

namespace kora {

// One page of SCAN: the cursor to pass next (0 = done) and the keys of this page.
struct ScanPage {
  uint64_t cursor = 0;
  std::vector<std::string> keys;
};

class KORA_EXPORT Database {
 public:
  using KeyList = std::initializer_list<std::string_view>;
  using KeySpan = std::span<const std::string_view>;
  using OwnedKeySpan = std::span<const std::string>;
  using Pair = std::pair<std::string_view, std::string_view>;
  using PairList = std::initializer_list<Pair>;
  using PairSpan = std::span<const Pair>;
  using OwnedPairSpan = std::span<const std::pair<std::string, std::string>>;
  using ScoredMember = std::pair<double, std::string_view>;  // ZADD order: score, member
  using ScoredList = std::initializer_list<ScoredMember>;
  using ScoredSpan = std::span<const ScoredMember>;
  using OwnedScoredSpan = std::span<const std::pair<double, std::string>>;

  // Starts the shard threads. Fails on a bad setting (shard_count, params...) and, until
  // persistence exists, on a non-empty data_dir.
  static Result<std::unique_ptr<Database>> Open(const Config& config);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Number of shard threads.
  int shard_count() const;

  // --- Any command --------------------------------------------------------------------------
  // Runs one command, e.g. Execute({"ZADD", "z", "1", "a"}); the reply as RESP3 would carry it.
  Result<Reply> Execute(std::initializer_list<std::string_view> args);
  Result<Reply> Execute(const std::vector<std::string>& args);
  Result<Reply> Execute(std::span<const std::string_view> args);

  // --- Strings ------------------------------------------------------------------------------
  Status Set(std::string_view key, std::string_view value);
  // SET with a time to live in seconds (SETEX key seconds value).
  Status SetEx(std::string_view key, int64_t seconds, std::string_view value);
  Result<std::optional<std::string>> Get(std::string_view key);
  Result<int64_t> Incr(std::string_view key);
  Result<int64_t> IncrBy(std::string_view key, int64_t delta);
  Result<int64_t> Decr(std::string_view key);
  Result<int64_t> DecrBy(std::string_view key, int64_t delta);
  // One entry per key, nullopt where the key is missing or not a string.
  Result<std::vector<std::optional<std::string>>> MGet(KeyList keys);
  Result<std::vector<std::optional<std::string>>> MGet(KeySpan keys);
  Result<std::vector<std::optional<std::string>>> MGet(OwnedKeySpan keys);
  // Sets every key, atomically (all shards at once).
  Status MSet(PairList pairs);
  Status MSet(PairSpan pairs);
  Status MSet(OwnedPairSpan pairs);

  // --- Keys ---------------------------------------------------------------------------------
  // Number of keys removed / existing (a key named twice counts twice, as in Redis).
  Result<int64_t> Del(KeyList keys);
  Result<int64_t> Del(KeySpan keys);
  Result<int64_t> Del(OwnedKeySpan keys);
  Result<int64_t> Exists(KeyList keys);
  Result<int64_t> Exists(KeySpan keys);
  Result<int64_t> Exists(OwnedKeySpan keys);
  // True if the timeout was set (false: no such key).
  Result<bool> Expire(std::string_view key, int64_t seconds);
  // Seconds to live; -1 = no expiry, -2 = no such key (Redis's TTL).
  Result<int64_t> Ttl(std::string_view key);
  // Every key matching a glob pattern (KEYS: walks every shard; use Scan on big data sets).
  Result<std::vector<std::string>> Keys(std::string_view pattern);
  // One SCAN step from `cursor` (0 to start); pattern "" = every key, count 0 = default.
  Result<ScanPage> Scan(uint64_t cursor, std::string_view pattern = {}, int64_t count = 0);

  // --- Hashes -------------------------------------------------------------------------------
  // Number of fields that were new.
  Result<int64_t> HSet(std::string_view key, std::string_view field, std::string_view value);
  Result<int64_t> HSet(std::string_view key, PairList fields);
  Result<int64_t> HSet(std::string_view key, PairSpan fields);
  Result<int64_t> HSet(std::string_view key, OwnedPairSpan fields);
  Result<std::optional<std::string>> HGet(std::string_view key, std::string_view field);
  Result<std::vector<std::pair<std::string, std::string>>> HGetAll(std::string_view key);
  Result<int64_t> HDel(std::string_view key, KeyList fields);
  Result<int64_t> HDel(std::string_view key, KeySpan fields);
  Result<int64_t> HDel(std::string_view key, OwnedKeySpan fields);

  // --- Lists --------------------------------------------------------------------------------
  // The list's length after the push.
  Result<int64_t> LPush(std::string_view key, std::initializer_list<std::string_view> values);
  Result<int64_t> LPush(std::string_view key, KeySpan values);
  Result<int64_t> LPush(std::string_view key, OwnedKeySpan values);
  Result<int64_t> RPush(std::string_view key, KeyList values);
  Result<int64_t> RPush(std::string_view key, KeySpan values);
  Result<int64_t> RPush(std::string_view key, OwnedKeySpan values);
  Result<std::optional<std::string>> LPop(std::string_view key);
  Result<std::optional<std::string>> RPop(std::string_view key);
  // Up to `count` elements (empty when the key is missing).
  Result<std::vector<std::string>> LPop(std::string_view key, int64_t count);
  Result<std::vector<std::string>> RPop(std::string_view key, int64_t count);
  Result<std::vector<std::string>> LRange(std::string_view key, int64_t start, int64_t stop);
  Result<int64_t> LLen(std::string_view key);

  // --- Sets ---------------------------------------------------------------------------------
  Result<int64_t> SAdd(std::string_view key, KeyList members);
  Result<int64_t> SAdd(std::string_view key, KeySpan members);
  Result<int64_t> SAdd(std::string_view key, OwnedKeySpan members);
  Result<int64_t> SRem(std::string_view key, KeyList members);
  Result<int64_t> SRem(std::string_view key, KeySpan members);
  Result<int64_t> SRem(std::string_view key, OwnedKeySpan members);
  Result<std::vector<std::string>> SMembers(std::string_view key);
  Result<bool> SIsMember(std::string_view key, std::string_view member);

  // --- Sorted sets --------------------------------------------------------------------------
  // Number of members that were new.
  Result<int64_t> ZAdd(std::string_view key, double score, std::string_view member);
  Result<int64_t> ZAdd(std::string_view key, ScoredList members);
  Result<int64_t> ZAdd(std::string_view key, ScoredSpan members);
  Result<int64_t> ZAdd(std::string_view key, OwnedScoredSpan members);
  // Members by rank, lowest score first (negative ranks count from the end).
  Result<std::vector<std::string>> ZRange(std::string_view key, int64_t start, int64_t stop);
  Result<std::vector<std::pair<std::string, double>>> ZRangeWithScores(std::string_view key,
                                                                       int64_t start,
                                                                       int64_t stop);
  Result<std::optional<double>> ZScore(std::string_view key, std::string_view member);
  Result<int64_t> ZRem(std::string_view key, KeyList members);
  Result<int64_t> ZRem(std::string_view key, KeySpan members);
  Result<int64_t> ZRem(std::string_view key, OwnedKeySpan members);

  // --- Hybrid mode --------------------------------------------------------------------------
  // Serves RESP (every Redis client and tool) on "host:port" ("127.0.0.1:6379",
  // "[::1]:6379", "localhost:6379"; port 0 picks a free port, see listener_port()) from the
  // same shard threads, over the same data: a write through either door is visible through the
  // other at once. May be called several times for several addresses. Fails with
  // kInvalidArgument on a malformed address and kIOError when the address cannot be bound
  // (e.g. already in use).
  Status StartListener(std::string_view host_port);
  // The port of the most recent StartListener (0 before).
  int listener_port() const;

  class Impl;

 private:
  explicit Database(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kora
