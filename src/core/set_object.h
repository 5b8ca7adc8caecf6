// The value of a set key, in Redis 7.0's two encodings (OBJECT ENCODING):
//  - "intset": a sorted array of integers stored 2, 4 or 8 bytes wide (the narrowest that
//    holds every member), used while every member is an integer in Redis's canonical form
//    (string2ll) and the set is small; iteration is ascending, as in Redis;
//  - "hashtable": a BlobTable of the member strings.
// The conversion is one-way, as in Redis. Owned by its key's entry on one shard; not
// thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>

#include "core/blob_table.h"
#include "core/value.h"

namespace kora {

class SetObject final : public CollectionObject {
 public:
  // Redis caps set-max-intset-entries at 2^30 (intset internals).
  static constexpr size_t kIntsetHardLimit = size_t{1} << 30;

  SetObject() = default;
  ~SetObject() override;
  SetObject(const SetObject&) = delete;
  SetObject& operator=(const SetObject&) = delete;

  ValueType type() const override { return ValueType::kSet; }
  const char* encoding_name() const override { return table_ ? "hashtable" : "intset"; }
  std::unique_ptr<CollectionObject> Clone() const override;
  size_t MemoryUsage() const override;

  bool is_intset() const { return table_ == nullptr; }
  size_t size() const;

  // Adds `member`; true when it was not there. An intset becomes a hashtable on a non-integer
  // member or when its size passes `max_intset_entries` (Redis's setTypeAdd).
  bool Add(std::string_view member, size_t max_intset_entries);
  bool Remove(std::string_view member);
  bool Contains(std::string_view member) const;
  void ConvertToTable();
  // Pre-sizes a hashtable set for `n` members.
  void Reserve(size_t n);

  // Calls fn(member) for every member: ascending for an intset. The view of an intset member
  // is valid only during the call.
  template <class Fn>
  void ForEach(Fn&& fn) const {
    ForEachWhile([&](std::string_view m) {
      fn(m);
      return true;
    });
  }
  // Like ForEach, until fn returns false.
  template <class Fn>
  void ForEachWhile(Fn&& fn) const;
  // SSCAN step over the hashtable encoding: see BlobTable::Scan.
  template <class Fn>
  uint64_t ScanTable(uint64_t cursor, Fn&& fn) const {
    return table_->Scan(cursor, fn);
  }

  // A uniformly chosen member (written to *out); the set must not be empty.
  void Random(std::mt19937_64& rng, std::string* out) const;
  // Removes a uniformly chosen member and writes it to *out; the set must not be empty.
  void PopRandom(std::mt19937_64& rng, std::string* out);

  // Intset access (is_intset() only): the i-th smallest member.
  int64_t IntAt(size_t i) const;

 private:
  struct WholeKey {
    static std::string_view Key(std::string_view payload) { return payload; }
  };
  using Table = BlobTable<WholeKey>;

  struct IsHeader {
    uint32_t count;
    uint32_t width;  // bytes per member: 2, 4 or 8
  };
  static constexpr size_t kHeader = sizeof(IsHeader);

  IsHeader* is_header() const { return reinterpret_cast<IsHeader*>(is_); }
  // Index of the first member >= v; *found tells whether it equals v.
  size_t IsSearch(int64_t v, bool* found) const;
  bool IsAdd(int64_t v);
  bool IsRemove(int64_t v);
  void IsResize(size_t count, uint32_t width);
  void IsSet(size_t i, int64_t v);

  char* is_ = nullptr;            // intset buffer (nullptr while empty) when table_ is unset
  std::unique_ptr<Table> table_;  // hashtable encoding
};

template <class Fn>
void SetObject::ForEachWhile(Fn&& fn) const {
  if (table_) {
    table_->ForEachWhile(fn);
    return;
  }
  size_t n = size();
  char buf[24];
  for (size_t i = 0; i < n; ++i) {
    int64_t v = IntAt(i);
    // Format without allocating (AppendInt64 needs a std::string).
    char* end = buf + sizeof(buf);
    char* p = end;
    uint64_t u = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
    do {
      *--p = static_cast<char>('0' + u % 10);
      u /= 10;
    } while (u != 0);
    if (v < 0) *--p = '-';
    if (!fn(std::string_view(p, end - p))) return;
  }
}

}  // namespace kora
