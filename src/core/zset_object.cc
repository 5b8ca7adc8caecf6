#include "core/zset_object.h"

#include <algorithm>
#include <cmath>

namespace kora {

bool ZLexRange::GteMin(std::string_view v) const {
  switch (min.kind) {
    case ZLexBound::kMinusInf: return true;
    case ZLexBound::kPlusInf: return false;
    case ZLexBound::kValue: break;
  }
  int c = v.compare(min.value);
  return min.ex ? c > 0 : c >= 0;
}

bool ZLexRange::LteMax(std::string_view v) const {
  switch (max.kind) {
    case ZLexBound::kMinusInf: return false;
    case ZLexBound::kPlusInf: return true;
    case ZLexBound::kValue: break;
  }
  int c = v.compare(max.value);
  return max.ex ? c < 0 : c <= 0;
}

bool ZLexRange::Satisfiable() const {
  // Redis's sdscmplex(min, max) over the shared "-" / "+" sentinels.
  int cmp;
  if (min.kind != ZLexBound::kValue && min.kind == max.kind) {
    cmp = 0;
  } else if (min.kind == ZLexBound::kMinusInf || max.kind == ZLexBound::kPlusInf) {
    cmp = -1;
  } else if (min.kind == ZLexBound::kPlusInf || max.kind == ZLexBound::kMinusInf) {
    cmp = 1;
  } else {
    int c = std::string_view(min.value).compare(max.value);
    cmp = c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  return !(cmp > 0 || (cmp == 0 && (min.ex || max.ex)));
}

ZSetObject::~ZSetObject() = default;

bool ZSetObject::PackFits(std::string_view member, const ZLimits& lim) const {
  // Redis also leaves the listpack before it would pass 1 GB (lpSafeToAdd).
  constexpr size_t kMaxPackBytes = size_t{1} << 30;
  return pack_.count() + 1 <= lim.max_entries && member.size() <= lim.max_value &&
         pack_.End() + member.size() + 32 <= kMaxPackBytes;
}

std::unique_ptr<ZSetObject> ZSetObject::Create(size_t size_hint, size_t max_len,
                                               const ZLimits& lim) {
  auto z = std::make_unique<ZSetObject>();
  if (size_hint > lim.max_entries || max_len > lim.max_value || lim.max_entries == 0) {
    z->big_ = std::make_unique<Big>();
  }
  return z;
}

std::unique_ptr<CollectionObject> ZSetObject::Clone() const {
  auto z = std::make_unique<ZSetObject>();
  if (!big_) {
    z->pack_.CopyFrom(pack_);
    return z;
  }
  z->big_ = std::make_unique<Big>();
  for (ZTree::Pos p = big_->tree.First(); p.valid(); p.Next()) {
    z->BigInsert(p.entry()->member(), p.entry()->score);
  }
  return z;
}

size_t ZSetObject::MemoryUsage() const {
  size_t n = sizeof(*this);
  if (!big_) return n + pack_.AllocatedBytes();
  return n + sizeof(Big) + big_->index.bucket_count() * sizeof(ZEntry*) +
         big_->tree.NodeBytes() + big_->entry_bytes;
}

void ZSetObject::BigInsert(std::string_view member, double score) {
  ZEntry* e = ZEntry::Make(member, score);
  big_->entry_bytes += e->AllocatedBytes();
  big_->index.Insert(e);
  big_->tree.Insert(e);
}

void ZSetObject::BigUpdate(ZEntry* e, double score) {
  big_->tree.Erase(e->score, e->member());
  e->score = score;
  big_->tree.Insert(e);
}

void ZSetObject::ConvertToSkiplist() {
  if (big_) return;
  auto big = std::make_unique<Big>();
  big_ = std::move(big);
  for (size_t off = 0; off < pack_.End(); off = pack_.Next(off)) {
    BigInsert(pack_.Member(off), pack_.Score(off));
  }
  ZPack empty;
  pack_.CopyFrom(empty);
}

bool ZSetObject::Score(std::string_view member, double* score) const {
  if (!big_) return pack_.Find(member, score) != pack_.End();
  const ZEntry* e = big_->index.Find(member);
  if (e == nullptr) return false;
  *score = e->score;
  return true;
}

bool ZSetObject::Add(std::string_view member, double score, int flags, const ZLimits& lim, int* out,
                     double* newscore) {
  bool incr = flags & kAddIncr, nx = flags & kAddNx, xx = flags & kAddXx;
  bool gt = flags & kAddGt, lt = flags & kAddLt;
  *out = 0;
  if (std::isnan(score)) return false;
  double cur;
  ZEntry* e = nullptr;
  size_t off = 0;
  bool found;
  if (big_) {
    e = big_->index.Find(member);
    found = e != nullptr;
    if (found) cur = e->score;
  } else {
    off = pack_.Find(member, &cur);
    found = off != pack_.End();
  }
  if (found) {
    if (nx) {
      *out = kOutNop;
      return true;
    }
    if (incr) {
      score += cur;
      if (std::isnan(score)) return false;
    }
    if ((lt && score >= cur) || (gt && score <= cur)) {
      *out = kOutNop;
      return true;
    }
    *newscore = score;
    if (score != cur) {
      if (big_) {
        BigUpdate(e, score);
      } else {
        pack_.Erase(off);
        pack_.Insert(member, score);
      }
      *out = kOutUpdated;
    }
    return true;
  }
  if (xx) {
    *out = kOutNop;
    return true;
  }
  if (!big_ && !PackFits(member, lim)) ConvertToSkiplist();
  if (big_) {
    BigInsert(member, score);
  } else {
    pack_.Insert(member, score);
  }
  *newscore = score;
  *out = kOutAdded;
  return true;
}

bool ZSetObject::Remove(std::string_view member) {
  if (!big_) {
    double s;
    size_t off = pack_.Find(member, &s);
    if (off == pack_.End()) return false;
    pack_.Erase(off);
    return true;
  }
  ZEntry* e = big_->index.Find(member);
  if (e == nullptr) return false;
  big_->tree.Erase(e->score, e->member());
  big_->index.Unlink(member);
  big_->entry_bytes -= e->AllocatedBytes();
  ZEntry::Free(e);
  big_->index.MaybeShrink();
  return true;
}

bool ZSetObject::Rank(std::string_view member, size_t* rank, double* score) const {
  if (!big_) {
    size_t r = 0;
    for (size_t off = 0; off < pack_.End(); off = pack_.Next(off), ++r) {
      if (pack_.Member(off) == member) {
        *rank = r;
        *score = pack_.Score(off);
        return true;
      }
    }
    return false;
  }
  const ZEntry* e = big_->index.Find(member);
  if (e == nullptr) return false;
  *score = e->score;
  *rank = big_->tree.Rank(e->score, e->member());
  return true;
}

ZSetObject::Iterator ZSetObject::Seek(size_t rank) const {
  Iterator it;
  if (!big_) {
    it.pack_ = &pack_;
    it.off_ = rank < pack_.count() ? pack_.Seek(rank) : pack_.End();
  } else if (rank < big_->tree.size()) {
    it.pos_ = big_->tree.Seek(rank);
  }
  return it;
}

std::pair<size_t, size_t> ZSetObject::ScoreSpan(const ZScoreRange& r) const {
  if (r.min > r.max || (r.min == r.max && (r.minex || r.maxex))) return {0, 0};
  if (!big_) {
    size_t lo = 0, off = 0;
    for (; off < pack_.End() && !r.GteMin(pack_.Score(off)); off = pack_.Next(off)) ++lo;
    size_t hi = lo;
    for (; off < pack_.End() && r.LteMax(pack_.Score(off)); off = pack_.Next(off)) ++hi;
    return {lo, hi};
  }
  const ZTree& t = big_->tree;
  size_t lo = t.PartitionPoint([&](const ZEntry* e) { return r.GteMin(e->score); });
  size_t hi = t.PartitionPoint([&](const ZEntry* e) { return !r.LteMax(e->score); });
  return {lo, hi < lo ? lo : hi};
}

std::pair<size_t, size_t> ZSetObject::LexSpan(const ZLexRange& r, bool reverse) const {
  size_t n = size();
  // Redis's zzlIsInLexRange / zslIsInLexRange.
  if (n == 0 || !r.Satisfiable() || !r.GteMin(Seek(n - 1).member()) ||
      !r.LteMax(Seek(0).member())) {
    return {0, 0};
  }
  if (!big_) {
    if (reverse) {
      size_t hi = n;
      size_t off = pack_.End();
      do {
        off = pack_.Prev(off);
        --hi;
      } while (!r.LteMax(pack_.Member(off)) && off > 0);
      if (!r.LteMax(pack_.Member(off)) || !r.GteMin(pack_.Member(off))) return {0, 0};
      size_t lo = hi;
      while (off > 0) {
        size_t prev = pack_.Prev(off);
        if (!r.GteMin(pack_.Member(prev))) break;
        off = prev;
        --lo;
      }
      return {lo, hi + 1};
    }
    size_t lo = 0, off = 0;
    for (; off < pack_.End() && !r.GteMin(pack_.Member(off)); off = pack_.Next(off)) ++lo;
    size_t hi = lo;
    for (; off < pack_.End() && r.LteMax(pack_.Member(off)); off = pack_.Next(off)) ++hi;
    return {lo, hi};
  }
  const ZTree& t = big_->tree;
  size_t lo = t.PartitionPoint([&](const ZEntry* e) { return r.GteMin(e->member()); });
  size_t hi = t.PartitionPoint([&](const ZEntry* e) { return !r.LteMax(e->member()); });
  return {lo, hi < lo ? lo : hi};
}

void ZSetObject::EraseRanks(size_t start, size_t count) {
  size_t n = size();
  if (start >= n || count == 0) return;
  if (count > n - start) count = n - start;
  if (!big_) {
    size_t from = pack_.Seek(start);
    size_t to = from;
    for (size_t i = 0; i < count; ++i) to = pack_.Next(to);
    pack_.EraseRange(from, to, count);
    return;
  }
  Big* b = big_.get();
  b->tree.EraseRange(start, count, [b](ZEntry* e) {
    b->index.Unlink(e->member());
    b->entry_bytes -= e->AllocatedBytes();
    ZEntry::Free(e);
  });
  // Shrink the index with work proportional to the removal's.
  b->index.MaybeShrink();
  b->index.RehashSteps(static_cast<int>(std::min<size_t>(count, 1 << 20)));
}

void ZSetObject::AppendSorted(std::string_view member, double score, const ZLimits& lim) {
  if (!big_ && !PackFits(member, lim)) ConvertToSkiplist();
  if (big_) {
    BigInsert(member, score);
  } else {
    pack_.Append(member, score);
  }
}

bool ZSetObject::Verify() const {
  if (!big_) {
    size_t n = 0;
    double ps = 0;
    std::string_view pm;
    for (size_t off = 0; off < pack_.End(); off = pack_.Next(off), ++n) {
      if (n > 0 && ZCompare(ps, pm, pack_.Score(off), pack_.Member(off)) >= 0) return false;
      if (pack_.Next(off) < pack_.End() && pack_.Prev(pack_.Next(off)) != off) return false;
      ps = pack_.Score(off);
      pm = pack_.Member(off);
    }
    return n == pack_.count();
  }
  if (!big_->tree.Verify() || big_->index.size() != big_->tree.size()) return false;
  size_t bytes = 0;
  for (ZTree::Pos p = big_->tree.First(); p.valid(); p.Next()) {
    if (big_->index.Find(p.entry()->member()) != p.entry()) return false;
    bytes += p.entry()->AllocatedBytes();
  }
  return bytes == big_->entry_bytes;
}

}  // namespace kora
