// HRANDFIELD and HSCAN.
#include <absl/container/flat_hash_set.h>

#include <climits>
#include <string>
#include <vector>

#include "base/strutil.h"
#include "commands/hash_family.h"
#include "commands/hash_set_common.h"
#include "core/hash_object.h"

namespace kora {
namespace {

// HRANDFIELD key count [WITHVALUES] (Redis's hrandfieldWithCountCommand).
void RandFieldWithCount(CmdArgs args, CmdCtx& ctx, int64_t l, bool withvalues) {
  bool wrong;
  KeyEntry* e = FindForRead(ctx, args[1], ValueType::kHash, &wrong);
  if (wrong) return;
  ReplyBuilder* rb = ctx.rb;
  if (e == nullptr) {
    rb->EmptyArray();
    return;
  }
  const HashObject* h = e->value.As<HashObject>();
  uint64_t count = l >= 0 ? static_cast<uint64_t>(l) : static_cast<uint64_t>(-l);
  bool uniq = l >= 0;
  if (count == 0) {
    rb->EmptyArray();
    return;
  }
  size_t size = h->size();
  bool flat = withvalues && rb->resp() == 2;
  auto header = [&](uint64_t n) { rb->ArrayHeader(static_cast<int64_t>(flat ? n * 2 : n)); };
  auto emit = [&](std::string_view f, std::string_view v) {
    if (withvalues && rb->resp() > 2) rb->ArrayHeader(2);
    rb->Bulk(f);
    if (withvalues) rb->Bulk(v);
  };
  std::mt19937_64& rng = ctx.shard().rng();
  // Repeats allowed (negative count), or one element.
  if (!uniq || count == 1) {
    if (count > kMaxRandomRepeats) {
      rb->Error(kRandomCountTooLarge);
      return;
    }
    header(count);
    if (h->is_listpack()) {
      auto entries = h->Entries();
      for (uint64_t i = 0; i < count; ++i) {
        auto& p = entries[rng() % entries.size()];
        emit(p.first, p.second);
      }
    } else {
      for (uint64_t i = 0; i < count; ++i) {
        auto p = h->Random(rng);
        emit(p.first, p.second);
      }
    }
    return;
  }
  // The whole hash.
  if (count >= size) {
    header(size);
    h->ForEach(emit);
    return;
  }
  header(count);
  if (h->is_listpack() || count * 3 > size) {
    // A partial Fisher-Yates shuffle picks `count` distinct pairs.
    auto entries = h->Entries();
    for (uint64_t i = 0; i < count; ++i) {
      std::swap(entries[i], entries[i + rng() % (entries.size() - i)]);
      emit(entries[i].first, entries[i].second);
    }
    return;
  }
  // Few picks from a large table: sample until `count` distinct fields.
  absl::flat_hash_set<std::string_view> picked;
  picked.reserve(count);
  while (picked.size() < count) {
    auto p = h->Random(rng);
    if (picked.insert(p.first).second) emit(p.first, p.second);
  }
}

}  // namespace

void CmdHRandField(CmdArgs args, CmdCtx& ctx) {
  if (args.size() >= 3) {
    int64_t l;
    std::string err = ParseRandCount(args[2], &l);
    if (!err.empty()) {
      ctx.rb->Error(err);
      return;
    }
    if (args.size() > 4 || (args.size() == 4 && !EqualsIgnoreCase(args[3], "withvalues"))) {
      ctx.rb->Error(err::kSyntax);
      return;
    }
    bool withvalues = args.size() == 4;
    if (withvalues && (l < -(LONG_MAX / 2) || l > LONG_MAX / 2)) {
      ctx.rb->Error("ERR value is out of range");
      return;
    }
    RandFieldWithCount(args, ctx, l, withvalues);
    return;
  }
  bool wrong;
  KeyEntry* e = FindForRead(ctx, args[1], ValueType::kHash, &wrong);
  if (wrong) return;
  if (e == nullptr) {
    ctx.rb->Null();
    return;
  }
  ctx.rb->Bulk(e->value.As<HashObject>()->Random(ctx.shard().rng()).first);
}

// HSCAN key cursor [MATCH pattern] [COUNT count]. A listpack hash is returned whole with cursor
// 0, as Redis does; a table is walked COUNT elements (fields and values) at a time.
void CmdHScan(CmdArgs args, CmdCtx& ctx) {
  uint64_t cursor;
  if (!ParseScanCursor(args[2], &cursor)) {
    ctx.rb->Error(kInvalidCursor);
    return;
  }
  bool wrong;
  KeyEntry* e = FindForRead(ctx, args[1], ValueType::kHash, &wrong);
  if (wrong) return;
  ReplyBuilder* rb = ctx.rb;
  if (e == nullptr) {
    rb->ArrayHeader(2);
    rb->Bulk("0");
    rb->EmptyArray();
    return;
  }
  ScanOptions opts;
  std::string err = ParseScanOptions(args, 3, &opts);
  if (!err.empty()) {
    rb->Error(err);
    return;
  }
  const HashObject* h = e->value.As<HashObject>();
  std::vector<std::string_view> out;
  size_t seen = 0;
  auto collect = [&](std::string_view f, std::string_view v) {
    seen += 2;
    if (!ScanMatches(opts, f)) return;
    out.push_back(f);
    out.push_back(v);
  };
  if (h->is_listpack()) {
    h->ForEach(collect);
    cursor = 0;
  } else {
    int64_t max_iterations = opts.count * 10;
    do {
      cursor = h->ScanTable(cursor, collect);
    } while (cursor != 0 && max_iterations-- > 0 && seen < static_cast<uint64_t>(opts.count));
  }
  rb->ArrayHeader(2);
  rb->Bulk(std::to_string(cursor));
  rb->ArrayHeader(static_cast<int64_t>(out.size()));
  for (std::string_view s : out) rb->Bulk(s);
}

}  // namespace kora
