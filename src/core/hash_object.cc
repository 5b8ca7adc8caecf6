#include "core/hash_object.h"

#include <cstdlib>
#include <cstring>
#include "core/memory.h"

namespace kora {

HashObject::~HashObject() { memory::Free(lp_); }

std::unique_ptr<CollectionObject> HashObject::Clone() const {
  auto h = std::make_unique<HashObject>();
  if (table_) {
    h->table_ = std::make_unique<Table>();
    h->table_->CopyFrom(*table_);
  } else if (lp_ != nullptr) {
    size_t n = kHeader + lp_header()->bytes;
    h->lp_ = static_cast<char*>(memory::Malloc(n));
    if (h->lp_ == nullptr) std::abort();
    std::memcpy(h->lp_, lp_, n);
  }
  return h;
}

size_t HashObject::MemoryUsage() const {
  size_t n = blob::ChunkBytes(sizeof(*this));
  if (table_) n += blob::ChunkBytes(sizeof(Table)) + table_->MemoryUsage();
  if (lp_ != nullptr) n += blob::AllocatedBytes(lp_);
  return n;
}

size_t HashObject::size() const {
  if (table_) return table_->size();
  return lp_ ? lp_header()->count : 0;
}

std::pair<std::string_view, std::string_view> HashObject::SplitPayload(std::string_view pl) {
  uint64_t n;
  const char* d = blob::GetVarint(pl.data(), &n);
  const char* v = d + n;
  return {std::string_view(d, n), std::string_view(v, pl.data() + pl.size() - v)};
}

const char* HashObject::LpNext(const char* p, std::string_view* field, std::string_view* value) {
  uint64_t n;
  p = blob::GetVarint(p, &n);
  *field = std::string_view(p, n);
  p += n;
  p = blob::GetVarint(p, &n);
  *value = std::string_view(p, n);
  return p + n;
}

int64_t HashObject::LpFind(std::string_view field, std::string_view* value) const {
  if (lp_ == nullptr) return -1;
  const char* start = lp_data();
  const char* end = start + lp_header()->bytes;
  const char* p = start;
  while (p < end) {
    const char* entry = p;
    uint64_t n;
    p = blob::GetVarint(p, &n);
    bool match = n == field.size() && std::memcmp(p, field.data(), n) == 0;
    p += n;
    p = blob::GetVarint(p, &n);
    if (match) {
      *value = std::string_view(p, n);
      return entry - start;
    }
    p += n;
  }
  return -1;
}

std::optional<std::string_view> HashObject::Get(std::string_view field) const {
  if (table_) {
    size_t s = table_->Find(field);
    if (s == Table::kNpos) return std::nullopt;
    return SplitPayload(table_->PayloadAt(s)).second;
  }
  std::string_view v;
  if (LpFind(field, &v) < 0) return std::nullopt;
  return v;
}

void HashObject::LpReserve(size_t extra) {
  size_t used = lp_ ? kHeader + lp_header()->bytes : kHeader;
  size_t need = used + extra;
  if (lp_ != nullptr && malloc_usable_size(lp_) >= need) return;
  // Amortises appends (a sixteenth: Redis reallocates to the exact size and its allocator
  // rounds up by about as much).
  size_t want = need + (lp_ ? used / 16 : 0);
  char* p = static_cast<char*>(memory::Realloc(lp_, want));
  if (p == nullptr) std::abort();
  if (lp_ == nullptr) {
    reinterpret_cast<LpHeader*>(p)->bytes = 0;
    reinterpret_cast<LpHeader*>(p)->count = 0;
  }
  lp_ = p;
}

bool HashObject::Set(std::string_view field, std::string_view value, size_t max_listpack_entries,
                     size_t max_listpack_value) {
  if (!table_ && (field.size() > max_listpack_value || value.size() > max_listpack_value)) {
    ConvertToTable();
  }
  if (table_) {
    bool added;
    TableSet(field, value, &added);
    return added;
  }
  std::string_view old;
  int64_t off = LpFind(field, &old);
  size_t vlen_new = blob::VarintLen(value.size()) + value.size();
  if (off >= 0) {
    // Replace the value in place: [varint vlen][value] of the old pair becomes the new one.
    char* vstart = const_cast<char*>(old.data()) - blob::VarintLen(old.size());
    size_t vlen_old = blob::VarintLen(old.size()) + old.size();
    size_t voff = vstart - lp_data();
    if (vlen_new > vlen_old) LpReserve(vlen_new - vlen_old);
    char* d = lp_data();
    LpHeader* h = lp_header();
    size_t tail = h->bytes - (voff + vlen_old);
    std::memmove(d + voff + vlen_new, d + voff + vlen_old, tail);
    char* w = blob::PutVarint(d + voff, value.size());
    std::memcpy(w, value.data(), value.size());
    h->bytes = static_cast<uint32_t>(h->bytes + vlen_new - vlen_old);
    return false;
  }
  size_t add = blob::VarintLen(field.size()) + field.size() + vlen_new;
  LpReserve(add);
  LpHeader* h = lp_header();
  char* w = lp_data() + h->bytes;
  w = blob::PutVarint(w, field.size());
  std::memcpy(w, field.data(), field.size());
  w += field.size();
  w = blob::PutVarint(w, value.size());
  std::memcpy(w, value.data(), value.size());
  h->bytes = static_cast<uint32_t>(h->bytes + add);
  ++h->count;
  if (h->count > max_listpack_entries) ConvertToTable();
  return true;
}

void HashObject::TableSet(std::string_view field, std::string_view value, bool* added) {
  // Payload: [varint flen][field][value]; short ones are built on the stack.
  size_t n = blob::VarintLen(field.size()) + field.size() + value.size();
  char stack[256];
  std::unique_ptr<char[]> heap;
  char* buf = stack;
  if (n > sizeof(stack)) {
    heap.reset(new char[n]);
    buf = heap.get();
  }
  char* w = blob::PutVarint(buf, field.size());
  std::memcpy(w, field.data(), field.size());
  std::memcpy(w + field.size(), value.data(), value.size());
  std::string_view pl(buf, n);
  uint64_t hash;
  auto [slot, found] = table_->FindForInsert(field, &hash);
  if (found) {
    table_->ReplaceAt(slot, pl);
  } else {
    table_->PlaceAt(slot, hash, pl);
  }
  *added = !found;
}

bool HashObject::Delete(std::string_view field) {
  if (table_) return table_->Erase(field);
  std::string_view v;
  int64_t off = LpFind(field, &v);
  if (off < 0) return false;
  char* d = lp_data();
  LpHeader* h = lp_header();
  size_t end = (v.data() + v.size()) - d;
  std::memmove(d + off, d + end, h->bytes - end);
  h->bytes = static_cast<uint32_t>(h->bytes - (end - off));
  if (--h->count == 0) {
    memory::Free(lp_);
    lp_ = nullptr;
  }
  return true;
}

void HashObject::ConvertToTable() {
  if (table_) return;
  auto t = std::make_unique<Table>();
  table_ = std::move(t);
  if (lp_ == nullptr) return;
  table_->Reserve(lp_header()->count);
  const char* p = lp_data();
  const char* end = p + lp_header()->bytes;
  bool added;
  while (p < end) {
    std::string_view f, v;
    p = LpNext(p, &f, &v);
    TableSet(f, v, &added);
  }
  memory::Free(lp_);
  lp_ = nullptr;
}

std::vector<std::pair<std::string_view, std::string_view>> HashObject::Entries() const {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  out.reserve(size());
  ForEach([&](std::string_view f, std::string_view v) { out.emplace_back(f, v); });
  return out;
}

std::pair<std::string_view, std::string_view> HashObject::Random(std::mt19937_64& rng) const {
  if (table_) return SplitPayload(table_->PayloadAt(table_->RandomSlot(rng)));
  uint64_t i = rng() % lp_header()->count;
  const char* p = lp_data();
  std::string_view f, v;
  for (uint64_t k = 0; k <= i; ++k) p = LpNext(p, &f, &v);
  return {f, v};
}

}  // namespace kora
