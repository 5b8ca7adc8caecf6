// kora::Database: the typed methods. Each builds the command's arguments on the stack, runs it
// through Impl::Run on the key's shard, and decodes the RESP3 reply into plain C++ values.
#include <absl/container/inlined_vector.h>

#include <charconv>
#include <cstdlib>
#include <type_traits>

#include "embed/database_impl.h"
#include "embed/resp_reader.h"
#include "kora/database.h"

namespace kora {
namespace {

using Argv = absl::InlinedVector<std::string_view, 16>;

// Formats an integer argument into `buf` (kept alive by the caller for the call).
struct IntArg {
  explicit IntArg(int64_t v) {
    auto r = std::to_chars(buf, buf + sizeof(buf), v);
    len = static_cast<size_t>(r.ptr - buf);
  }
  std::string_view view() const { return {buf, len}; }
  char buf[24];
  size_t len;
};

// A score as Redis parses it back exactly (shortest round-trip form; inf, -inf).
std::string ScoreArg(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, static_cast<size_t>(r.ptr - buf));
}

template <class Range>
void AppendAll(Argv* argv, const Range& r) {
  for (const auto& s : r) argv->push_back(std::string_view(s));
}

template <class Range>
void AppendPairs(Argv* argv, const Range& r) {
  for (const auto& [a, b] : r) {
    argv->push_back(std::string_view(a));
    argv->push_back(std::string_view(b));
  }
}

CmdArgs Args(const Argv& argv) { return CmdArgs(argv.data(), argv.size()); }

// --- Reply shapes ---------------------------------------------------------------------------

Status NotA(std::string_view what, const Reply& r) {
  return Status::Internal("unexpected reply: expected " + std::string(what) + ", got " +
                          std::string(KindName(r.kind())));
}

Result<std::vector<std::string>> Strings(Result<Reply> r) {
  if (!r.ok()) return r.status();
  if (r->is_nil()) return std::vector<std::string>();
  if (!r->is_array()) return NotA("an array", *r);
  std::vector<std::string> out;
  out.reserve(r->elements().size());
  for (auto& e : r->elements()) {
    if (!e.is_string()) return NotA("strings", e);
    out.push_back(std::move(e.str()));
  }
  return out;
}

Result<std::vector<std::optional<std::string>>> OptionalStrings(Result<Reply> r) {
  if (!r.ok()) return r.status();
  if (!r->is_array()) return NotA("an array", *r);
  std::vector<std::optional<std::string>> out;
  out.reserve(r->elements().size());
  for (auto& e : r->elements()) {
    if (e.is_nil()) {
      out.emplace_back();
    } else if (e.is_string()) {
      out.emplace_back(std::move(e.str()));
    } else {
      return NotA("strings", e);
    }
  }
  return out;
}

bool ToDouble(const Reply& r, double* d) {
  if (r.is_double()) {
    *d = r.dbl();
    return true;
  }
  if (!r.is_string()) return false;
  char* end = nullptr;
  *d = std::strtod(r.str().c_str(), &end);
  return end == r.str().c_str() + r.str().size() && !r.str().empty();
}

Result<bool> Bool(Result<std::string_view> bytes) {
  if (!bytes.ok()) return bytes.status();
  Result<int64_t> v = embed::DecodeInteger(*bytes);
  if (!v.ok()) return v.status();
  return *v != 0;
}

Result<int64_t> Integer(Result<std::string_view> bytes) {
  if (!bytes.ok()) return bytes.status();
  return embed::DecodeInteger(*bytes);
}

// Arrays of strings: the direct decoder, or Reply for the unusual shapes and the errors.
template <class T>
Result<std::vector<T>> StringArray(Database::Impl* impl, const CommandSpec* spec, CmdArgs args) {
  Result<std::string_view> bytes = impl->Run(spec, args);
  if (!bytes.ok()) return bytes.status();
  std::vector<T> out;
  if (embed::DecodeStringArray(*bytes, &out)) return out;
  Reply r;
  if (embed::DecodeReply(*bytes, &r) == 0) return embed::Unexpected(*bytes);
  if (r.is_error()) return embed::ErrorStatus(r.str());
  if constexpr (std::is_same_v<T, std::string>) {
    return Strings(std::move(r));
  } else {
    return OptionalStrings(std::move(r));
  }
}

Result<std::optional<std::string>> Bulk(Result<std::string_view> bytes) {
  if (!bytes.ok()) return bytes.status();
  return embed::DecodeBulk(*bytes);
}

Status Ok(Result<std::string_view> bytes) {
  if (!bytes.ok()) return bytes.status();
  return embed::DecodeOk(*bytes);
}

}  // namespace

// --- Strings ----------------------------------------------------------------------------------

Status Database::Set(std::string_view key, std::string_view value) {
  std::string_view argv[] = {"SET", key, value};
  return Ok(impl_->Run(impl_->specs().set, argv));
}

Status Database::SetEx(std::string_view key, int64_t seconds, std::string_view value) {
  IntArg s(seconds);
  std::string_view argv[] = {"SETEX", key, s.view(), value};
  return Ok(impl_->Run(impl_->specs().setex, argv));
}

Result<std::optional<std::string>> Database::Get(std::string_view key) {
  std::string_view argv[] = {"GET", key};
  return Bulk(impl_->Run(impl_->specs().get, argv));
}

Result<int64_t> Database::Incr(std::string_view key) {
  std::string_view argv[] = {"INCR", key};
  return Integer(impl_->Run(impl_->specs().incr, argv));
}

Result<int64_t> Database::IncrBy(std::string_view key, int64_t delta) {
  IntArg d(delta);
  std::string_view argv[] = {"INCRBY", key, d.view()};
  return Integer(impl_->Run(impl_->specs().incrby, argv));
}

Result<int64_t> Database::Decr(std::string_view key) {
  std::string_view argv[] = {"DECR", key};
  return Integer(impl_->Run(impl_->specs().decr, argv));
}

Result<int64_t> Database::DecrBy(std::string_view key, int64_t delta) {
  IntArg d(delta);
  std::string_view argv[] = {"DECRBY", key, d.view()};
  return Integer(impl_->Run(impl_->specs().decrby, argv));
}

namespace {
template <class Range>
Result<std::vector<std::optional<std::string>>> MGetImpl(Database::Impl* impl, const Range& keys) {
  Argv argv{"MGET"};
  AppendAll(&argv, keys);
  return StringArray<std::optional<std::string>>(impl, impl->specs().mget, Args(argv));
}
template <class Range>
Status MSetImpl(Database::Impl* impl, const Range& pairs) {
  Argv argv{"MSET"};
  AppendPairs(&argv, pairs);
  return Ok(impl->Run(impl->specs().mset, Args(argv)));
}
}  // namespace

Result<std::vector<std::optional<std::string>>> Database::MGet(KeyList keys) {
  return MGetImpl(impl_.get(), keys);
}
Result<std::vector<std::optional<std::string>>> Database::MGet(KeySpan keys) {
  return MGetImpl(impl_.get(), keys);
}
Result<std::vector<std::optional<std::string>>> Database::MGet(OwnedKeySpan keys) {
  return MGetImpl(impl_.get(), keys);
}
Status Database::MSet(PairList pairs) { return MSetImpl(impl_.get(), pairs); }
Status Database::MSet(PairSpan pairs) { return MSetImpl(impl_.get(), pairs); }
Status Database::MSet(OwnedPairSpan pairs) { return MSetImpl(impl_.get(), pairs); }

// --- Keys -------------------------------------------------------------------------------------

namespace {
// A command of the form NAME [key] item... answered by an integer.
template <class Range>
Result<int64_t> CountCmd(Database::Impl* impl, const CommandSpec* spec, std::string_view name,
                         const std::string_view* key, const Range& items) {
  Argv argv{name};
  if (key != nullptr) argv.push_back(*key);
  AppendAll(&argv, items);
  return Integer(impl->Run(spec, Args(argv)));
}
}  // namespace

#define KORA_KEYLESS_COUNT(Method, field, NAME)                                              \
  Result<int64_t> Database::Method(KeyList keys) {                                           \
    return CountCmd(impl_.get(), impl_->specs().field, NAME, nullptr, keys);                 \
  }                                                                                          \
  Result<int64_t> Database::Method(KeySpan keys) {                                           \
    return CountCmd(impl_.get(), impl_->specs().field, NAME, nullptr, keys);                 \
  }                                                                                          \
  Result<int64_t> Database::Method(OwnedKeySpan keys) {                                      \
    return CountCmd(impl_.get(), impl_->specs().field, NAME, nullptr, keys);                 \
  }

#define KORA_KEYED_COUNT(Method, field, NAME, List)                                          \
  Result<int64_t> Database::Method(std::string_view key, List items) {                       \
    return CountCmd(impl_.get(), impl_->specs().field, NAME, &key, items);                   \
  }                                                                                          \
  Result<int64_t> Database::Method(std::string_view key, KeySpan items) {                    \
    return CountCmd(impl_.get(), impl_->specs().field, NAME, &key, items);                   \
  }                                                                                          \
  Result<int64_t> Database::Method(std::string_view key, OwnedKeySpan items) {               \
    return CountCmd(impl_.get(), impl_->specs().field, NAME, &key, items);                   \
  }

KORA_KEYLESS_COUNT(Del, del, "DEL")
KORA_KEYLESS_COUNT(Exists, exists, "EXISTS")

Result<bool> Database::Expire(std::string_view key, int64_t seconds) {
  IntArg s(seconds);
  std::string_view argv[] = {"EXPIRE", key, s.view()};
  return Bool(impl_->Run(impl_->specs().expire, argv));
}

Result<int64_t> Database::Ttl(std::string_view key) {
  std::string_view argv[] = {"TTL", key};
  return Integer(impl_->Run(impl_->specs().ttl, argv));
}

Result<std::vector<std::string>> Database::Keys(std::string_view pattern) {
  std::string_view argv[] = {"KEYS", pattern};
  return StringArray<std::string>(impl_.get(), impl_->specs().keys, argv);
}

Result<ScanPage> Database::Scan(uint64_t cursor, std::string_view pattern, int64_t count) {
  std::string c = std::to_string(cursor);
  IntArg n(count);
  Argv argv{"SCAN", c};
  if (!pattern.empty()) argv.insert(argv.end(), {"MATCH", pattern});
  if (count > 0) argv.insert(argv.end(), {"COUNT", n.view()});
  Result<Reply> r = impl_->RunReply(impl_->specs().scan, Args(argv));
  if (!r.ok()) return r.status();
  if (!r->is_array() || r->size() != 2 || !(*r)[0].is_string()) return NotA("a SCAN page", *r);
  ScanPage page;
  const std::string& next = (*r)[0].str();
  auto res = std::from_chars(next.data(), next.data() + next.size(), page.cursor);
  if (res.ec != std::errc() || res.ptr != next.data() + next.size()) {
    return NotA("a SCAN cursor", (*r)[0]);
  }
  Result<std::vector<std::string>> keys = Strings(std::move(r->elements()[1]));
  if (!keys.ok()) return keys.status();
  page.keys = std::move(keys).value();
  return page;
}

// --- Hashes -----------------------------------------------------------------------------------

Result<int64_t> Database::HSet(std::string_view key, std::string_view field,
                               std::string_view value) {
  std::string_view argv[] = {"HSET", key, field, value};
  return Integer(impl_->Run(impl_->specs().hset, argv));
}

namespace {
template <class Range>
Result<int64_t> HSetImpl(Database::Impl* impl, std::string_view key, const Range& fields) {
  Argv argv{"HSET", key};
  AppendPairs(&argv, fields);
  return Integer(impl->Run(impl->specs().hset, Args(argv)));
}
}  // namespace

Result<int64_t> Database::HSet(std::string_view key, PairList fields) {
  return HSetImpl(impl_.get(), key, fields);
}
Result<int64_t> Database::HSet(std::string_view key, PairSpan fields) {
  return HSetImpl(impl_.get(), key, fields);
}
Result<int64_t> Database::HSet(std::string_view key, OwnedPairSpan fields) {
  return HSetImpl(impl_.get(), key, fields);
}

Result<std::optional<std::string>> Database::HGet(std::string_view key, std::string_view field) {
  std::string_view argv[] = {"HGET", key, field};
  return Bulk(impl_->Run(impl_->specs().hget, argv));
}

Result<std::vector<std::pair<std::string, std::string>>> Database::HGetAll(std::string_view key) {
  std::string_view argv[] = {"HGETALL", key};
  Result<Reply> r = impl_->RunReply(impl_->specs().hgetall, argv);
  if (!r.ok()) return r.status();
  std::vector<std::pair<std::string, std::string>> out;
  if (r->is_map()) {
    for (auto& [k, v] : r->entries()) {
      if (!k.is_string() || !v.is_string()) return NotA("string fields", k);
      out.emplace_back(std::move(k.str()), std::move(v.str()));
    }
    return out;
  }
  if (!r->is_array() || r->size() % 2 != 0) return NotA("a map", *r);
  for (size_t i = 0; i < r->size(); i += 2) out.emplace_back((*r)[i].str(), (*r)[i + 1].str());
  return out;
}

KORA_KEYED_COUNT(HDel, hdel, "HDEL", KeyList)

// --- Lists ------------------------------------------------------------------------------------

Result<int64_t> Database::LPush(std::string_view key,
                                std::initializer_list<std::string_view> values) {
  return CountCmd(impl_.get(), impl_->specs().lpush, "LPUSH", &key, values);
}
Result<int64_t> Database::LPush(std::string_view key, KeySpan values) {
  return CountCmd(impl_.get(), impl_->specs().lpush, "LPUSH", &key, values);
}
Result<int64_t> Database::LPush(std::string_view key, OwnedKeySpan values) {
  return CountCmd(impl_.get(), impl_->specs().lpush, "LPUSH", &key, values);
}
KORA_KEYED_COUNT(RPush, rpush, "RPUSH", KeyList)

Result<std::optional<std::string>> Database::LPop(std::string_view key) {
  std::string_view argv[] = {"LPOP", key};
  return Bulk(impl_->Run(impl_->specs().lpop, argv));
}

Result<std::optional<std::string>> Database::RPop(std::string_view key) {
  std::string_view argv[] = {"RPOP", key};
  return Bulk(impl_->Run(impl_->specs().rpop, argv));
}

Result<std::vector<std::string>> Database::LPop(std::string_view key, int64_t count) {
  IntArg n(count);
  std::string_view argv[] = {"LPOP", key, n.view()};
  return StringArray<std::string>(impl_.get(), impl_->specs().lpop, argv);
}

Result<std::vector<std::string>> Database::RPop(std::string_view key, int64_t count) {
  IntArg n(count);
  std::string_view argv[] = {"RPOP", key, n.view()};
  return StringArray<std::string>(impl_.get(), impl_->specs().rpop, argv);
}

Result<std::vector<std::string>> Database::LRange(std::string_view key, int64_t start,
                                                  int64_t stop) {
  IntArg a(start), b(stop);
  std::string_view argv[] = {"LRANGE", key, a.view(), b.view()};
  return StringArray<std::string>(impl_.get(), impl_->specs().lrange, argv);
}

Result<int64_t> Database::LLen(std::string_view key) {
  std::string_view argv[] = {"LLEN", key};
  return Integer(impl_->Run(impl_->specs().llen, argv));
}

// --- Sets -------------------------------------------------------------------------------------

KORA_KEYED_COUNT(SAdd, sadd, "SADD", KeyList)
KORA_KEYED_COUNT(SRem, srem, "SREM", KeyList)

Result<std::vector<std::string>> Database::SMembers(std::string_view key) {
  std::string_view argv[] = {"SMEMBERS", key};
  return StringArray<std::string>(impl_.get(), impl_->specs().smembers, argv);
}

Result<bool> Database::SIsMember(std::string_view key, std::string_view member) {
  std::string_view argv[] = {"SISMEMBER", key, member};
  return Bool(impl_->Run(impl_->specs().sismember, argv));
}

// --- Sorted sets ------------------------------------------------------------------------------

namespace {
template <class Range>
Result<int64_t> ZAddImpl(Database::Impl* impl, std::string_view key, const Range& members) {
  std::vector<std::string> scores;
  scores.reserve(members.size());
  for (const auto& m : members) scores.push_back(ScoreArg(m.first));
  Argv argv{"ZADD", key};
  size_t i = 0;
  for (const auto& m : members) {
    argv.push_back(scores[i++]);
    argv.push_back(std::string_view(m.second));
  }
  return Integer(impl->Run(impl->specs().zadd, Args(argv)));
}
}  // namespace

Result<int64_t> Database::ZAdd(std::string_view key, double score, std::string_view member) {
  std::string s = ScoreArg(score);
  std::string_view argv[] = {"ZADD", key, s, member};
  return Integer(impl_->Run(impl_->specs().zadd, argv));
}
Result<int64_t> Database::ZAdd(std::string_view key, ScoredList members) {
  return ZAddImpl(impl_.get(), key, members);
}
Result<int64_t> Database::ZAdd(std::string_view key, ScoredSpan members) {
  return ZAddImpl(impl_.get(), key, members);
}
Result<int64_t> Database::ZAdd(std::string_view key, OwnedScoredSpan members) {
  return ZAddImpl(impl_.get(), key, members);
}

Result<std::vector<std::string>> Database::ZRange(std::string_view key, int64_t start,
                                                  int64_t stop) {
  IntArg a(start), b(stop);
  std::string_view argv[] = {"ZRANGE", key, a.view(), b.view()};
  return StringArray<std::string>(impl_.get(), impl_->specs().zrange, argv);
}

Result<std::vector<std::pair<std::string, double>>> Database::ZRangeWithScores(
    std::string_view key, int64_t start, int64_t stop) {
  IntArg a(start), b(stop);
  std::string_view argv[] = {"ZRANGE", key, a.view(), b.view(), "WITHSCORES"};
  Result<Reply> r = impl_->RunReply(impl_->specs().zrange, argv);
  if (!r.ok()) return r.status();
  if (!r->is_array()) return NotA("an array", *r);
  std::vector<std::pair<std::string, double>> out;
  auto add = [&out](const Reply& m, const Reply& s) {
    double d;
    if (!m.is_string() || !ToDouble(s, &d)) return false;
    out.emplace_back(m.str(), d);
    return true;
  };
  const auto& el = r->elements();
  bool nested = !el.empty() && el[0].is_array();  // RESP3: [[member, score], ...]
  for (size_t i = 0; i < el.size(); i += nested ? 1 : 2) {
    bool ok = nested ? el[i].size() == 2 && add(el[i][0], el[i][1])
                     : i + 1 < el.size() && add(el[i], el[i + 1]);
    if (!ok) return NotA("member/score pairs", el[i]);
  }
  return out;
}

Result<std::optional<double>> Database::ZScore(std::string_view key, std::string_view member) {
  std::string_view argv[] = {"ZSCORE", key, member};
  Result<Reply> r = impl_->RunReply(impl_->specs().zscore, argv);
  if (!r.ok()) return r.status();
  if (r->is_nil()) return std::optional<double>();
  double d;
  if (!ToDouble(*r, &d)) return NotA("a score", *r);
  return std::optional<double>(d);
}

KORA_KEYED_COUNT(ZRem, zrem, "ZREM", KeyList)

#undef KORA_KEYLESS_COUNT
#undef KORA_KEYED_COUNT

}  // namespace kora
