#include "commands/command_meta.h"

#include <array>
#include <utility>

namespace kora {
namespace {

// Redis's command flag words, in the order COMMAND INFO prints them, with Kora's bit.
// Words without a bit (0) are only shown, never acted on.
struct FlagWord {
  const char* word;
  uint32_t bit;
};
constexpr std::array<FlagWord, 21> kFlagWords = {{
    {"write", kCmdWrite},
    {"readonly", kCmdReadOnly},
    {"denyoom", kCmdDenyOom},
    {"module", 0},
    {"admin", kCmdAdmin},
    {"pubsub", kCmdPubSub},
    {"noscript", kCmdNoScript},
    {"blocking", kCmdBlocking},
    {"loading", kCmdLoading},
    {"stale", kCmdStale},
    {"skip_monitor", kCmdSkipMonitor},
    {"skip_slowlog", kCmdSkipSlowlog},
    {"asking", 0},
    {"fast", kCmdFast},
    {"no_auth", kCmdNoAuth},
    {"no_mandatory_keys", kCmdNoMandatoryKeys},
    {"no_async_loading", 0},
    {"no_multi", kCmdNoMulti},
    {"movablekeys", 0},
    {"allow_busy", kCmdAllowBusy},
    // Hidden by Redis in COMMAND INFO but meaningful to the server.
    {"may_replicate", kCmdMayReplicate},
}};

constexpr std::array<const char*, 21> kAclOrder = {
    "keyspace", "read",   "write",       "set",       "sortedset",  "list",        "hash",
    "string",   "bitmap", "hyperloglog", "geo",       "stream",     "pubsub",      "admin",
    "fast",     "slow",   "blocking",    "dangerous", "connection", "transaction", "scripting"};

// Bits that COMMAND INFO shows (everything Redis-facing except the hidden ones).
constexpr uint32_t kRedisBits = (1u << 24) - 1;
constexpr uint32_t kHiddenBits = kCmdMayReplicate | kCmdSentinel | kCmdOnlySentinel;

template <class F>
void ForEachWord(std::string_view s, F&& f) {
  size_t i = 0;
  while (i < s.size()) {
    size_t sp = s.find(' ', i);
    if (sp == std::string_view::npos) sp = s.size();
    if (sp > i) f(s.substr(i, sp - i));
    i = sp + 1;
  }
}

}  // namespace

void ApplyCommandMeta(CommandSpec* spec) {
  const CommandMeta* m = FindCommandMeta(spec->name);
  if (m == nullptr) return;
  uint32_t bits = spec->flags & ~kRedisBits;  // keep Kora's execution modes
  bits |= spec->flags & (kCmdSentinel | kCmdOnlySentinel | kCmdMayReplicate);
  ForEachWord(m->flags, [&](std::string_view w) {
    for (const auto& f : kFlagWords) {
      if (w == f.word) bits |= f.bit;
    }
  });
  spec->flags = bits;
  spec->acl = m->acl;
  spec->tips = m->tips;
  spec->key_specs.clear();
  for (const auto& k : m->key_specs) {
    if (k.begin == MetaKeySpec::kBeginUnknown || k.find == MetaKeySpec::kFindUnknown) continue;
    KeySpec ks;
    ks.flags = k.flags;
    ks.begin_index = k.begin_pos;
    ks.begin_keyword = k.begin == MetaKeySpec::kKeyword ? k.keyword : nullptr;
    ks.keynum = k.find == MetaKeySpec::kKeynum;
    ks.last_or_numidx = k.a;
    ks.step_or_first = k.b;
    ks.limit_or_step = k.c;
    spec->key_specs.push_back(ks);
  }
}

std::vector<MetaKeySpec> KeySpecsOf(const CommandSpec& spec) {
  if (const CommandMeta* m = FindCommandMeta(spec.name)) return m->key_specs;
  std::vector<MetaKeySpec> out;
  if (!spec.key_specs.empty()) {
    for (const auto& k : spec.key_specs) {
      MetaKeySpec m;
      m.flags = k.flags ? k.flags : "";
      m.begin = k.begin_keyword ? MetaKeySpec::kKeyword : MetaKeySpec::kIndex;
      m.begin_pos = k.begin_index;
      m.keyword = k.begin_keyword;
      m.find = k.keynum ? MetaKeySpec::kKeynum : MetaKeySpec::kRange;
      m.a = k.last_or_numidx;
      m.b = k.step_or_first;
      m.c = k.limit_or_step;
      out.push_back(m);
    }
    return out;
  }
  if (spec.first_key > 0) {
    MetaKeySpec m;
    m.flags = (spec.flags & kCmdWrite) ? "RW" : "RO";
    m.begin_pos = spec.first_key;
    m.a = spec.last_key < 0 ? spec.last_key : spec.last_key - spec.first_key;
    m.b = spec.step > 0 ? spec.step : 1;
    out.push_back(m);
  }
  return out;
}

std::vector<std::string_view> FlagWordsOf(const CommandSpec& spec) {
  std::vector<std::string_view> out;
  if (const CommandMeta* m = FindCommandMeta(spec.name)) {
    ForEachWord(m->flags, [&](std::string_view w) { out.push_back(w); });
    return out;
  }
  uint32_t bits = spec.flags & kRedisBits & ~kHiddenBits;
  for (const auto& f : kFlagWords) {
    if (f.bit != 0 && (bits & f.bit)) out.push_back(f.word);
    if (std::string_view(f.word) == "no_multi" && spec.getkeys) out.push_back("movablekeys");
  }
  return out;
}

std::vector<std::string_view> OrderedAclCategories(std::string_view acl) {
  std::vector<std::string_view> out;
  for (const char* cat : kAclOrder) {
    bool found = false;
    ForEachWord(acl, [&](std::string_view w) {
      if (!w.empty() && w[0] == '@') w.remove_prefix(1);
      if (w == cat) found = true;
    });
    if (found) out.push_back(cat);
  }
  return out;
}

}  // namespace kora
