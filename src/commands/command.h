// Command metadata and the context a command handler runs with.
//
// Every command is a CommandSpec row in its family's table (name, arity, flags, key
// positions, ACL categories, handler). Routing, COMMAND INFO/GETKEYS/COUNT and arity checks
// all read the same rows. See docs/design/commands.md.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/reply_builder.h"
#include "shard/engine.h"

namespace kora {

class Service;
class ConnContext;

using CmdArgs = std::span<const std::string_view>;

// Redis's command flags (COMMAND INFO), plus Kora's execution-mode flags.
enum CmdFlag : uint32_t {
  kCmdWrite = 1u << 0,
  kCmdReadOnly = 1u << 1,
  kCmdDenyOom = 1u << 2,
  kCmdAdmin = 1u << 3,
  kCmdPubSub = 1u << 4,
  kCmdNoScript = 1u << 5,
  kCmdBlocking = 1u << 6,
  kCmdLoading = 1u << 7,
  kCmdStale = 1u << 8,
  kCmdSkipMonitor = 1u << 9,
  kCmdSkipSlowlog = 1u << 10,
  kCmdFast = 1u << 11,
  kCmdNoAuth = 1u << 12,
  kCmdMayReplicate = 1u << 13,
  kCmdAllowBusy = 1u << 14,
  kCmdNoMulti = 1u << 15,
  kCmdSentinel = 1u << 16,
  kCmdOnlySentinel = 1u << 17,
  kCmdNoMandatoryKeys = 1u << 18,
  // Kora execution modes.
  kCmdConn = 1u << 24,       // runs on the connection's thread with access to ConnContext
  kCmdTxControl = 1u << 25,  // runs at once inside MULTI (MULTI EXEC DISCARD WATCH QUIT RESET)
};

// One Redis 7 key specification (COMMAND INFO "key_specs").
struct KeySpec {
  const char* flags;        // space-separated, e.g. "RW ACCESS UPDATE"
  int begin_index = 0;      // begin_search type index: the argument position
  const char* begin_keyword = nullptr;  // begin_search type keyword (then begin_index = startfrom)
  // find_keys: range (lastkey, keystep, limit) or keynum (keynumidx, firstkey, keystep).
  bool keynum = false;
  int last_or_numidx = 0;
  int step_or_first = 1;
  int limit_or_step = 0;
};

struct CmdCtx;
using CmdHandler = void (*)(CmdArgs args, CmdCtx& ctx);
// Custom key extraction for commands whose keys are not a fixed range (numkeys forms).
using GetKeysFn = void (*)(CmdArgs args, std::vector<size_t>* key_indexes);

struct CommandSpec {
  std::string name;  // lower case; "container|sub" for subcommands
  int arity = 0;     // Redis convention: negative means "at least -arity"
  uint32_t flags = 0;
  int first_key = 0, last_key = 0, step = 0;
  std::string acl;   // space-separated categories without '@', e.g. "write string slow"
  CmdHandler handler = nullptr;  // single-shard form, or the connection form with kCmdConn
  CmdHandler multi = nullptr;    // coordinator when the keys live on several shards
  GetKeysFn getkeys = nullptr;
  std::vector<KeySpec> key_specs;
  std::string tips;  // space-separated command tips, e.g. "nondeterministic_output"
  std::vector<CommandSpec> subcommands;
  // Statistics index, assigned at registration.
  int id = -1;
};

// Everything a handler may use. A shard-form handler may touch only `shard` (it runs on the
// shard's thread, possibly not the connection's) and must not use `conn`.
struct CmdCtx {
  Service* svc = nullptr;
  Worker* worker = nullptr;
  ConnContext* conn = nullptr;  // set only for kCmdConn handlers and coordinators
  const CommandSpec* spec = nullptr;
  int db_index = 0;
  int64_t now_ms = 0;
  ReplyBuilder* rb = nullptr;
  // The EXEC running this command, if any: its tasks may enter shards it has locked.
  uint64_t tx_id = 0;
  // The client that issued the command (0: none, e.g. the active expire cycle), for CLIENT
  // TRACKING: its NOLOOP check, and whether the keys it reads are remembered (track_reads).
  uint64_t client_id = 0;
  int client_worker = -1;
  // The client tracks the keys its commands read (CLIENT TRACKING, not BCAST, and not opted
  // out for this command): a script it runs tracks the keys read by its read-only calls.
  bool may_track = false;
  bool track_reads = false;

  Shard& shard() { return worker->shard(); }
  DbTable& db() { return worker->shard().db(db_index); }
};

// Key positions of a command invocation (COMMAND GETKEYS semantics).
void ExtractKeys(const CommandSpec& spec, CmdArgs args, std::vector<size_t>* key_indexes);

}  // namespace kora
