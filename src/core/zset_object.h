// The value of a sorted-set key, in Redis 7.0's two encodings (OBJECT ENCODING):
//  - "listpack": a ZPack, one sorted byte buffer, while the set has at most
//    zset-max-listpack-entries members of at most zset-max-listpack-value bytes;
//  - "skiplist": heap entries indexed by member (a Dict: chained, rehashed incrementally,
//    scanned with Redis's cursor guarantee) and ordered by (score, member) in an
//    order-statistics B+tree (ZTree). Rank, select-by-rank and range bounds are O(log n);
//    walking m elements is O(m). The name is Redis's.
// The conversion is one-way, as in Redis. Every operation below works on both encodings; ranks
// are 0-based in ascending order. Scores are never NaN. Owned by its key's entry on one shard;
// not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "core/value.h"
#include "core/dict.h"
#include "core/zset_entry.h"
#include "core/zset_pack.h"
#include "core/zset_tree.h"

namespace kora {

// zset-max-listpack-entries / zset-max-listpack-value.
struct ZLimits {
  size_t max_entries = 128;
  size_t max_value = 64;
};

// A score interval (Redis's zrangespec): "(" makes a bound exclusive.
struct ZScoreRange {
  double min = 0, max = 0;
  bool minex = false, maxex = false;
  bool GteMin(double v) const { return minex ? v > min : v >= min; }
  bool LteMax(double v) const { return maxex ? v < max : v <= max; }
};

// One end of a lex interval (Redis's zlexrangespec item): "-", "+", "[value" or "(value".
struct ZLexBound {
  enum Kind : uint8_t { kValue, kMinusInf, kPlusInf };
  Kind kind = kValue;
  bool ex = false;
  std::string value;
};

struct ZLexRange {
  ZLexBound min, max;
  bool GteMin(std::string_view v) const;
  bool LteMax(std::string_view v) const;
  // False when the interval is empty whatever the set holds (min > max, or min == max with
  // an exclusive end).
  bool Satisfiable() const;
};

class ZSetObject final : public CollectionObject {
 public:
  // ZADD input flags and result flags (Redis's ZADD_IN_* / ZADD_OUT_*).
  enum AddFlag : int { kAddIncr = 1, kAddNx = 2, kAddXx = 4, kAddGt = 8, kAddLt = 16 };
  enum AddOut : int { kOutNop = 1, kOutAdded = 2, kOutUpdated = 4 };

  // Walks the elements in either direction from a position.
  class Iterator {
   public:
    bool valid() const { return pack_ ? off_ < pack_->End() : pos_.valid(); }
    std::string_view member() const { return pack_ ? pack_->Member(off_) : pos_.entry()->member(); }
    double score() const { return pack_ ? pack_->Score(off_) : pos_.entry()->score; }
    void Next() {
      if (pack_) {
        off_ = pack_->Next(off_);
      } else {
        pos_.Next();
      }
    }
    void Prev() {
      if (pack_) {
        off_ = off_ == 0 ? ~size_t{0} : pack_->Prev(off_);
      } else {
        pos_.Prev();
      }
    }

   private:
    friend class ZSetObject;
    const ZPack* pack_ = nullptr;
    size_t off_ = 0;
    ZTree::Pos pos_;
  };

  ZSetObject() = default;
  ~ZSetObject() override;
  ZSetObject(const ZSetObject&) = delete;
  ZSetObject& operator=(const ZSetObject&) = delete;

  // An empty set in the encoding Redis gives a new set expected to hold `size_hint` members
  // of at most `max_len` bytes (zsetTypeCreate).
  static std::unique_ptr<ZSetObject> Create(size_t size_hint, size_t max_len, const ZLimits& lim);

  ValueType type() const override { return ValueType::kZSet; }
  const char* encoding_name() const override { return big_ ? "skiplist" : "listpack"; }
  std::unique_ptr<CollectionObject> Clone() const override;
  size_t MemoryUsage() const override;

  bool is_listpack() const { return big_ == nullptr; }
  size_t size() const { return big_ ? big_->tree.size() : pack_.count(); }

  bool Score(std::string_view member, double* score) const;
  // Redis's zsetAdd: adds or updates `member` under the ZADD flags. *out gets kOut* bits and
  // *newscore the score after the call (when not a no-op). Returns false, changing nothing,
  // when the resulting score would be NaN (INCR of inf by -inf).
  bool Add(std::string_view member, double score, int flags, const ZLimits& lim, int* out,
           double* newscore);
  bool Remove(std::string_view member);
  // Ascending rank and score of `member`; false when absent.
  bool Rank(std::string_view member, size_t* rank, double* score) const;

  // The element of rank `rank` (< size()).
  Iterator Seek(size_t rank) const;
  // The ranks [first, last) of the elements inside the range (empty when first >= last).
  // Lex ranges assume equal scores, as Redis does; otherwise the run is found as Redis's
  // listpack code finds it: from the lowest element when walking up, from the highest when
  // walking down (`reverse`).
  std::pair<size_t, size_t> ScoreSpan(const ZScoreRange& r) const;
  std::pair<size_t, size_t> LexSpan(const ZLexRange& r, bool reverse = false) const;
  // Removes ranks [start, start + count).
  void EraseRanks(size_t start, size_t count);

  // Appends a member that sorts after every present one (building a result in order); may
  // convert to the skiplist encoding under `lim`.
  void AppendSorted(std::string_view member, double score, const ZLimits& lim);
  void ConvertToSkiplist();

  // ZSCAN step over the skiplist encoding, as Redis's scanGenericCommand walks a dict: buckets
  // until `count` elements were emitted (at most 10 * count buckets); fn(member, score).
  // Returns the next cursor, 0 at the end.
  template <class Fn>
  uint64_t Scan(uint64_t cursor, size_t count, Fn&& fn) const {
    size_t emitted = 0;
    size_t budget = count * 10;
    do {
      cursor = big_->index.Scan(cursor, [&](ZEntry* e) {
        fn(e->member(), e->score);
        ++emitted;
      });
    } while (cursor != 0 && budget-- > 0 && emitted < count);
    return cursor;
  }

  // Checks the internal invariants (tests).
  bool Verify() const;

 private:
  struct Big {
    mutable Dict<ZEntry> index;  // owns the entries; lookups advance its rehashing
    ZTree tree;
    size_t entry_bytes = 0;
  };

  // Whether one more member fits the listpack encoding.
  bool PackFits(std::string_view member, const ZLimits& lim) const;
  void BigInsert(std::string_view member, double score);
  void BigUpdate(ZEntry* e, double score);

  ZPack pack_;
  std::unique_ptr<Big> big_;
};

}  // namespace kora
