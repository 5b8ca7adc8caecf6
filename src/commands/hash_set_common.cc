#include "commands/hash_set_common.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>

#include "base/glob.h"
#include "base/strutil.h"
#include "commands/service.h"

namespace kora {

namespace {

size_t ReadLimit(ConfigStore& c, const char* name, size_t fallback) {
  if (!c.Has(name)) return fallback;
  int64_t v = c.IntValue(name);
  return v < 0 ? 0 : static_cast<size_t>(v);
}

}  // namespace

const CollectionLimits& GetCollectionLimits(CmdCtx& ctx) {
  struct Cache {
    const ConfigStore* store = nullptr;
    uint64_t generation = ~uint64_t{0};
    CollectionLimits limits;
  };
  thread_local Cache cache;
  ConfigStore& c = ctx.svc->config();
  uint64_t gen = c.generation();
  if (cache.store != &c || cache.generation != gen) {
    CollectionLimits l;
    l.hash_max_listpack_entries = ReadLimit(c, "hash-max-listpack-entries", 512);
    l.hash_max_listpack_value = ReadLimit(c, "hash-max-listpack-value", 64);
    l.set_max_intset_entries = ReadLimit(c, "set-max-intset-entries", 512);
    cache.limits = l;
    cache.store = &c;
    cache.generation = gen;
  }
  return cache.limits;
}

KeyEntry* FindForRead(CmdCtx& ctx, std::string_view key, ValueType type, bool* wrong_type) {
  *wrong_type = false;
  KeyEntry* e = ctx.db().Find(key, ctx.now_ms);
  ShardStats& st = ctx.shard().stats();
  if (e == nullptr) {
    ++st.keyspace_misses;
    return nullptr;
  }
  ++st.keyspace_hits;
  if (e->value.type() != type) {
    *wrong_type = true;
    ctx.rb->Error(err::kWrongType);
    return nullptr;
  }
  return e;
}

std::string ArityError(const CmdCtx& ctx) {
  return "ERR wrong number of arguments for '" + ctx.spec->name + "' command";
}

bool ParseScanCursor(std::string_view s, uint64_t* cursor) {
  std::string z(s.substr(0, s.find('\0')));  // Redis reads the argument as a C string
  if (!z.empty() && std::isspace(static_cast<unsigned char>(z[0]))) return false;
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(z.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE) return false;
  *cursor = v;
  return true;
}

std::string ParseScanOptions(CmdArgs args, size_t start, ScanOptions* out) {
  for (size_t i = start; i < args.size(); i += 2) {
    size_t left = args.size() - i;
    if (EqualsIgnoreCase(args[i], "count") && left >= 2) {
      int64_t n;
      if (!ParseInt64(args[i + 1], &n)) return std::string(err::kNotInt);
      if (n < 1) return std::string(err::kSyntax);
      out->count = n;
    } else if (EqualsIgnoreCase(args[i], "match") && left >= 2) {
      out->pattern = args[i + 1];
      out->use_pattern = out->pattern != "*";
    } else {
      return std::string(err::kSyntax);
    }
  }
  return "";
}

bool ScanMatches(const ScanOptions& o, std::string_view s) {
  return !o.use_pattern || GlobMatch(o.pattern, s);
}

std::string ParseRandCount(std::string_view s, int64_t* out) {
  int64_t v;
  if (!ParseInt64(s, &v)) return std::string(err::kNotInt);
  if (v == INT64_MIN) {
    return "ERR value is out of range, value must between -9223372036854775807 and "
           "9223372036854775807";
  }
  *out = v;
  return "";
}

void ReplyErrorLater(CmdCtx& ctx, std::string_view msg) {
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/false);
  std::string m(msg);
  pending->Finish([&m](ReplyBuilder& rb) { rb.Error(m); });
}

}  // namespace kora
