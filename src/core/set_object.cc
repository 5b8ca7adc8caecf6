#include "core/set_object.h"

#include <cstdlib>
#include <cstring>

#include "base/strutil.h"
#include "core/memory.h"

namespace kora {

namespace {

uint32_t WidthFor(int64_t v) {
  if (v >= INT16_MIN && v <= INT16_MAX) return 2;
  if (v >= INT32_MIN && v <= INT32_MAX) return 4;
  return 8;
}

}  // namespace

SetObject::~SetObject() { memory::Free(is_); }

std::unique_ptr<CollectionObject> SetObject::Clone() const {
  auto s = std::make_unique<SetObject>();
  if (table_) {
    s->table_ = std::make_unique<Table>();
    s->table_->CopyFrom(*table_);
  } else if (is_ != nullptr) {
    size_t n = kHeader + size_t{is_header()->count} * is_header()->width;
    s->is_ = static_cast<char*>(memory::Malloc(n));
    if (s->is_ == nullptr) std::abort();
    std::memcpy(s->is_, is_, n);
  }
  return s;
}

size_t SetObject::MemoryUsage() const {
  size_t n = blob::ChunkBytes(sizeof(*this));
  if (table_) n += blob::ChunkBytes(sizeof(Table)) + table_->MemoryUsage();
  if (is_ != nullptr) n += blob::AllocatedBytes(is_);
  return n;
}

size_t SetObject::size() const {
  if (table_) return table_->size();
  return is_ ? is_header()->count : 0;
}

int64_t SetObject::IntAt(size_t i) const {
  const char* d = is_ + kHeader;
  switch (is_header()->width) {
    case 2: {
      int16_t v;
      std::memcpy(&v, d + i * 2, 2);
      return v;
    }
    case 4: {
      int32_t v;
      std::memcpy(&v, d + i * 4, 4);
      return v;
    }
    default: {
      int64_t v;
      std::memcpy(&v, d + i * 8, 8);
      return v;
    }
  }
}

void SetObject::IsSet(size_t i, int64_t v) {
  char* d = is_ + kHeader;
  switch (is_header()->width) {
    case 2: {
      int16_t x = static_cast<int16_t>(v);
      std::memcpy(d + i * 2, &x, 2);
      break;
    }
    case 4: {
      int32_t x = static_cast<int32_t>(v);
      std::memcpy(d + i * 4, &x, 4);
      break;
    }
    default:
      std::memcpy(d + i * 8, &v, 8);
  }
}

size_t SetObject::IsSearch(int64_t v, bool* found) const {
  size_t lo = 0, hi = is_ ? is_header()->count : 0;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (IntAt(mid) < v) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  *found = is_ != nullptr && lo < is_header()->count && IntAt(lo) == v;
  return lo;
}

// Reallocates the intset for `count` members of `width` bytes (existing members keep their
// width; the caller re-encodes when the width grows).
void SetObject::IsResize(size_t count, uint32_t width) {
  char* p = static_cast<char*>(memory::Realloc(is_, kHeader + count * width));
  if (p == nullptr) std::abort();
  if (is_ == nullptr) {
    reinterpret_cast<IsHeader*>(p)->count = 0;
    reinterpret_cast<IsHeader*>(p)->width = width;
  }
  is_ = p;
}

bool SetObject::IsAdd(int64_t v) {
  uint32_t w = WidthFor(v);
  if (is_ != nullptr && w > is_header()->width) {
    // Upgrade: the new member is beyond every current one, so it goes first or last.
    size_t n = is_header()->count;
    uint32_t old_w = is_header()->width;
    IsResize(n + 1, w);
    is_header()->width = w;
    bool front = v < 0;
    for (size_t i = n; i-- > 0;) {
      const char* d = is_ + kHeader;
      int64_t x;
      if (old_w == 2) {
        int16_t t;
        std::memcpy(&t, d + i * 2, 2);
        x = t;
      } else {
        int32_t t;
        std::memcpy(&t, d + i * 4, 4);
        x = t;
      }
      IsSet(i + (front ? 1 : 0), x);
    }
    IsSet(front ? 0 : n, v);
    is_header()->count = static_cast<uint32_t>(n + 1);
    return true;
  }
  bool found;
  size_t pos = IsSearch(v, &found);
  if (found) return false;
  size_t n = is_ ? is_header()->count : 0;
  IsResize(n + 1, is_ ? is_header()->width : w);
  uint32_t width = is_header()->width;
  char* d = is_ + kHeader;
  std::memmove(d + (pos + 1) * width, d + pos * width, (n - pos) * width);
  IsSet(pos, v);
  is_header()->count = static_cast<uint32_t>(n + 1);
  return true;
}

bool SetObject::IsRemove(int64_t v) {
  bool found;
  size_t pos = IsSearch(v, &found);
  if (!found) return false;
  size_t n = is_header()->count;
  uint32_t width = is_header()->width;
  char* d = is_ + kHeader;
  std::memmove(d + pos * width, d + (pos + 1) * width, (n - pos - 1) * width);
  if (n == 1) {
    memory::Free(is_);
    is_ = nullptr;
    return true;
  }
  is_header()->count = static_cast<uint32_t>(n - 1);
  IsResize(n - 1, width);
  return true;
}

bool SetObject::Add(std::string_view member, size_t max_intset_entries) {
  if (table_) {
    uint64_t h;
    auto [slot, found] = table_->FindForInsert(member, &h);
    if (found) return false;
    table_->PlaceAt(slot, h, member);
    return true;
  }
  int64_t v;
  if (member.size() <= 20 && ParseInt64(member, &v)) {
    if (!IsAdd(v)) return false;
    if (max_intset_entries > kIntsetHardLimit) max_intset_entries = kIntsetHardLimit;
    if (size() > max_intset_entries) ConvertToTable();
    return true;
  }
  ConvertToTable();
  table_->InsertNew(member);
  return true;
}

bool SetObject::Remove(std::string_view member) {
  if (table_) return table_->Erase(member);
  int64_t v;
  if (is_ == nullptr || member.size() > 20 || !ParseInt64(member, &v)) return false;
  return IsRemove(v);
}

bool SetObject::Contains(std::string_view member) const {
  if (table_) return table_->Find(member) != Table::kNpos;
  int64_t v;
  if (is_ == nullptr || member.size() > 20 || !ParseInt64(member, &v)) return false;
  bool found;
  IsSearch(v, &found);
  return found;
}

void SetObject::ConvertToTable() {
  if (table_) return;
  auto t = std::make_unique<Table>();
  if (is_ != nullptr) {
    t->Reserve(is_header()->count);
    ForEach([&](std::string_view m) { t->InsertNew(m); });
    memory::Free(is_);
    is_ = nullptr;
  }
  table_ = std::move(t);
}

void SetObject::Reserve(size_t n) {
  if (table_) table_->Reserve(n);
}

void SetObject::Random(std::mt19937_64& rng, std::string* out) const {
  if (table_) {
    out->assign(table_->PayloadAt(table_->RandomSlot(rng)));
    return;
  }
  out->clear();
  AppendInt64(out, IntAt(rng() % is_header()->count));
}

void SetObject::PopRandom(std::mt19937_64& rng, std::string* out) {
  if (table_) {
    size_t slot = table_->RandomSlot(rng);
    out->assign(table_->PayloadAt(slot));
    table_->EraseAt(slot);
    return;
  }
  size_t i = rng() % is_header()->count;
  int64_t v = IntAt(i);
  out->clear();
  AppendInt64(out, v);
  IsRemove(v);
}

}  // namespace kora
