#include "core/list_object.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "core/memory.h"

namespace kora {

namespace {

// glibc hands out chunks of 16-byte steps with an 8-byte header: a request of 16k + 8 bytes
// wastes nothing, so chunk buffers are sized to that.
size_t AllocationFor(size_t bytes) {
  size_t n = ((bytes + 8 + 15) & ~size_t{15}) - 8;
  return n < 24 ? 24 : n;
}

}  // namespace

void ListObject::ChunkVec::reserve(size_t n) {
  if (n <= (cap_ == 0 ? 1 : cap_)) return;
  size_t cap = std::max<size_t>(n, cap_ == 0 ? 4 : size_t{cap_} * 2);
  auto* a = static_cast<Chunk**>(memory::Malloc(cap * sizeof(Chunk*)));
  if (a == nullptr) throw std::bad_alloc();
  if (n_ != 0) std::memcpy(a, data(), n_ * sizeof(Chunk*));
  if (cap_ != 0) memory::Free(many_);
  many_ = a;
  cap_ = static_cast<uint32_t>(cap);
}

void ListObject::ChunkVec::insert(size_t i, Chunk* const* first, size_t count) {
  if (count == 0) return;  // `first` may be null then
  reserve(n_ + count);
  Chunk** d = data();
  std::memmove(d + i + count, d + i, (n_ - i) * sizeof(Chunk*));
  std::memcpy(d + i, first, count * sizeof(Chunk*));
  n_ += static_cast<uint32_t>(count);
}

void ListObject::ChunkVec::erase(size_t i, size_t count) {
  Chunk** d = data();
  std::memmove(d + i, d + i + count, (n_ - i - count) * sizeof(Chunk*));
  n_ -= static_cast<uint32_t>(count);
  if (n_ <= 1 && cap_ != 0) {  // back to the inline pointer
    Chunk* c = n_ == 1 ? many_[0] : nullptr;
    memory::Free(many_);
    cap_ = 0;
    one_ = c;
  }
}

void ListObject::ChunkVec::clear() {
  if (cap_ != 0) memory::Free(many_);
  cap_ = 0;
  n_ = 0;
  one_ = nullptr;
}

size_t ListObject::ChunkVec::heap_bytes() const {
  return cap_ == 0 ? 0 : memory::ChunkBytes(cap_ * sizeof(Chunk*));
}

ListObject::ListObject(const ListObject& other) : size_(other.size_) {
  chunks_.reserve(other.chunks_.size());
  for (const Chunk* src : other.chunks_) {
    Chunk* c = NewChunk(src->bytes());
    c->head = 0;
    c->used = static_cast<uint32_t>(src->bytes());
    c->count = src->count;
    std::memcpy(c->data(), src->data() + src->head, src->bytes());
    chunks_.push_back(c);
  }
}

ListObject::~ListObject() { Clear(); }

void ListObject::Clear() {
  for (Chunk* c : chunks_) FreeChunk(c);
  chunks_.clear();
  size_ = 0;
}

std::unique_ptr<CollectionObject> ListObject::Clone() const {
  return std::make_unique<ListObject>(*this);
}

size_t ListObject::MemoryUsage() const {
  return sizeof(*this) + chunk_bytes_ + chunks_.heap_bytes();
}

size_t ListObject::EntrySize(std::string_view v) {
  size_t n = 1;
  for (uint64_t len = v.size(); len >= 0x80; len >>= 7) ++n;
  return n + v.size();
}

char* ListObject::WriteEntry(char* p, std::string_view v) {
  uint64_t len = v.size();
  while (len >= 0x80) {
    *p++ = static_cast<char>((len & 0x7f) | 0x80);
    len >>= 7;
  }
  *p++ = static_cast<char>(len);
  if (!v.empty()) std::memcpy(p, v.data(), v.size());
  return p + v.size();
}

std::string_view ListObject::ReadEntry(const char* p, size_t* total) {
  uint64_t len = 0;
  size_t i = 0;
  for (int shift = 0;; shift += 7) {
    uint8_t b = static_cast<uint8_t>(p[i++]);
    len |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
  }
  *total = i + len;
  return std::string_view(p + i, len);
}

ListObject::Chunk* ListObject::NewChunk(size_t cap) {
  size_t n = AllocationFor(sizeof(Chunk) + cap);
  auto* c = static_cast<Chunk*>(memory::Malloc(n));
  if (c == nullptr) throw std::bad_alloc();
  c->head = 0;
  c->used = 0;
  c->cap = static_cast<uint32_t>(n - sizeof(Chunk));
  c->count = 0;
  chunk_bytes_ += memory::ChunkBytes(n);
  return c;
}

void ListObject::FreeChunk(Chunk* c) {
  chunk_bytes_ -= memory::ChunkBytes(sizeof(Chunk) + c->cap);
  memory::Free(c);
}

ListObject::Chunk* ListObject::Reserve(size_t i, size_t n, bool front) {
  Chunk* c = chunks_[i];
  size_t bytes = c->bytes();
  if (front ? c->head >= n : c->used + n <= c->cap) return c;
  size_t other_side = front ? c->cap - c->used : c->head;
  if (bytes + n <= c->cap && other_side >= bytes / 4) {
    // Enough room overall: slide the entries to the far end from where the push goes. Only
    // when the room on the other side is a quarter of the entries' size, so the bytes moved
    // stay proportional to the bytes pushed since the last move.
    size_t to = front ? c->cap - bytes : 0;
    std::memmove(c->data() + to, c->data() + c->head, bytes);
    c->head = static_cast<uint32_t>(to);
    c->used = static_cast<uint32_t>(to + bytes);
    return c;
  }
  // Grow by a quarter (a chunk of a big list straight to its full size), never past
  // kChunkBytes unless one entry alone needs more.
  size_t want = std::max(bytes + n, size_t{c->cap} + c->cap / 4);
  if (chunks_.size() > 1) want = std::max(want, kChunkBytes);
  want = std::min(want, std::max(kChunkBytes, bytes + n));
  Chunk* g = NewChunk(want);
  size_t to = front ? g->cap - bytes : 0;
  std::memcpy(g->data() + to, c->data() + c->head, bytes);
  g->head = static_cast<uint32_t>(to);
  g->used = static_cast<uint32_t>(to + bytes);
  g->count = c->count;
  FreeChunk(c);
  chunks_[i] = g;
  return g;
}

void ListObject::MaybeShrink(size_t i) {
  Chunk* c = chunks_[i];
  size_t bytes = c->bytes();
  if (c->cap <= 64 || bytes >= c->cap / 4) return;
  Chunk* s = NewChunk(bytes + bytes / 4);
  std::memcpy(s->data(), c->data() + c->head, bytes);
  s->used = static_cast<uint32_t>(bytes);
  s->count = c->count;
  FreeChunk(c);
  chunks_[i] = s;
}

bool ListObject::Full(const Chunk* c, size_t e, bool front) {
  if (c->bytes() + e > kChunkBytes) return true;
  // A chunk at its full size with no room on the pushed side and little on the other (a queue
  // cycling through it) would be copied for every push: start a new chunk instead.
  if (c->cap < kChunkBytes) return false;
  size_t room = front ? c->head : c->cap - c->used;
  size_t other = front ? c->cap - c->used : c->head;
  return room < e && other < c->bytes() / 4;
}

void ListObject::PushBack(std::string_view v) {
  size_t e = EntrySize(v);
  if (chunks_.empty()) {
    chunks_.push_back(NewChunk(e));
  } else if (Full(chunks_.back(), e, false)) {
    chunks_.push_back(NewChunk(std::max(e, kChunkBytes)));
  }
  Chunk* c = Reserve(chunks_.size() - 1, e, false);
  WriteEntry(c->data() + c->used, v);
  c->used += static_cast<uint32_t>(e);
  ++c->count;
  ++size_;
}

void ListObject::PushFront(std::string_view v) {
  size_t e = EntrySize(v);
  if (chunks_.empty() || Full(chunks_.front(), e, true)) {
    Chunk* c = NewChunk(chunks_.empty() ? e : std::max(e, kChunkBytes));
    c->head = c->used = c->cap;  // front pushes fill it from the end
    chunks_.insert(0, &c, 1);
  }
  Chunk* c = Reserve(0, e, true);
  c->head -= static_cast<uint32_t>(e);
  WriteEntry(c->data() + c->head, v);
  ++c->count;
  ++size_;
}

std::string ListObject::PopFront() {
  Chunk* c = chunks_.front();
  size_t n;
  std::string out(ReadEntry(c->data() + c->head, &n));
  c->head += static_cast<uint32_t>(n);
  --size_;
  if (--c->count == 0) {
    FreeChunk(c);
    chunks_.erase(0, 1);
  } else {
    MaybeShrink(0);
  }
  return out;
}

std::string ListObject::PopBack() {
  Chunk* c = chunks_.back();
  size_t pos = c->head, n = 0;
  std::string_view v;
  for (uint32_t i = 0; i < c->count; ++i) {
    pos += n;
    v = ReadEntry(c->data() + pos, &n);
  }
  std::string out(v);
  c->used = static_cast<uint32_t>(pos);
  --size_;
  if (--c->count == 0) {
    FreeChunk(c);
    chunks_.pop_back();
  } else {
    MaybeShrink(chunks_.size() - 1);
  }
  return out;
}

size_t ListObject::Locate(size_t index, size_t* offset) const {
  if (index * 2 < size_) {
    for (size_t i = 0; i < chunks_.size(); ++i) {
      if (index < chunks_[i]->count) {
        *offset = index;
        return i;
      }
      index -= chunks_[i]->count;
    }
  } else {
    size_t from_end = size_ - 1 - index;
    for (size_t i = chunks_.size(); i-- > 0;) {
      if (from_end < chunks_[i]->count) {
        *offset = chunks_[i]->count - 1 - from_end;
        return i;
      }
      from_end -= chunks_[i]->count;
    }
  }
  *offset = 0;
  return chunks_.size();
}

std::vector<std::string_view> ListObject::Entries(size_t i) const {
  const Chunk* c = chunks_[i];
  std::vector<std::string_view> out;
  out.reserve(c->count);
  size_t n;
  for (size_t pos = c->head; pos < c->used; pos += n) out.push_back(ReadEntry(c->data() + pos, &n));
  return out;
}

void ListObject::Rebuild(size_t i, const std::vector<std::string>& elems) {
  std::vector<Chunk*> fresh;
  for (size_t k = 0; k < elems.size();) {
    // Greedy packing: as many elements as fit kChunkBytes (at least one).
    size_t end = k, bytes = 0;
    while (end < elems.size()) {
      size_t e = EntrySize(elems[end]);
      if (end > k && bytes + e > kChunkBytes) break;
      bytes += e;
      ++end;
    }
    Chunk* c = NewChunk(bytes);
    c->used = static_cast<uint32_t>(bytes);
    c->count = static_cast<uint32_t>(end - k);
    for (char* p = c->data(); k < end; ++k) p = WriteEntry(p, elems[k]);
    fresh.push_back(c);
  }
  size_ = size_ - chunks_[i]->count + elems.size();
  FreeChunk(chunks_[i]);
  chunks_.erase(i, 1);
  chunks_.insert(i, fresh.data(), fresh.size());
}

bool ListObject::Index(int64_t index, std::string* out) const {
  if (index < 0) index += static_cast<int64_t>(size_);
  if (index < 0 || index >= static_cast<int64_t>(size_)) return false;
  size_t off;
  const Chunk* c = chunks_[Locate(static_cast<size_t>(index), &off)];
  size_t pos = c->head, n = 0;
  std::string_view v;
  for (size_t i = 0; i <= off; ++i) {
    pos += n;
    v = ReadEntry(c->data() + pos, &n);
  }
  out->assign(v);
  return true;
}

bool ListObject::Set(int64_t index, std::string_view v) {
  if (index < 0) index += static_cast<int64_t>(size_);
  if (index < 0 || index >= static_cast<int64_t>(size_)) return false;
  size_t off;
  size_t ci = Locate(static_cast<size_t>(index), &off);
  Chunk* c = chunks_[ci];
  size_t pos = c->head, n = 0;
  for (size_t i = 0; i <= off; ++i) {
    pos += n;
    ReadEntry(c->data() + pos, &n);
  }
  if (n == EntrySize(v)) {  // same size: overwrite in place
    WriteEntry(c->data() + pos, v);
    return true;
  }
  std::vector<std::string> elems;
  for (auto e : Entries(ci)) elems.emplace_back(e);
  elems[off].assign(v);
  Rebuild(ci, elems);
  return true;
}

void ListObject::ForRange(size_t start, size_t stop,
                          const std::function<void(std::string_view)>& fn) const {
  if (start > stop || start >= size_) return;
  size_t off;
  size_t ci = Locate(start, &off);
  size_t remaining = stop - start + 1;
  for (; ci < chunks_.size() && remaining > 0; ++ci) {
    const Chunk* c = chunks_[ci];
    size_t pos = c->head, n;
    for (uint32_t i = 0; i < c->count && remaining > 0; ++i, pos += n) {
      std::string_view v = ReadEntry(c->data() + pos, &n);
      if (i < off) continue;
      fn(v);
      --remaining;
    }
    off = 0;
  }
}

void ListObject::ForEach(const std::function<bool(size_t, std::string_view)>& fn) const {
  size_t idx = 0;
  for (const Chunk* c : chunks_) {
    size_t n;
    for (size_t pos = c->head; pos < c->used; pos += n) {
      if (!fn(idx++, ReadEntry(c->data() + pos, &n))) return;
    }
  }
}

void ListObject::ForEachReverse(const std::function<bool(size_t, std::string_view)>& fn) const {
  size_t idx = size_;
  for (size_t ci = chunks_.size(); ci-- > 0;) {
    auto entries = Entries(ci);
    for (size_t i = entries.size(); i-- > 0;) {
      if (!fn(--idx, entries[i])) return;
    }
  }
}

bool ListObject::Insert(std::string_view pivot, std::string_view v, bool before) {
  for (size_t ci = 0; ci < chunks_.size(); ++ci) {
    auto entries = Entries(ci);
    for (size_t i = 0; i < entries.size(); ++i) {
      if (entries[i] != pivot) continue;
      std::vector<std::string> elems(entries.begin(), entries.end());
      elems.insert(elems.begin() + static_cast<std::ptrdiff_t>(before ? i : i + 1), std::string(v));
      Rebuild(ci, elems);
      return true;
    }
  }
  return false;
}

size_t ListObject::Remove(std::string_view v, int64_t count) {
  size_t removed = 0;
  size_t limit = count == 0 ? SIZE_MAX : static_cast<size_t>(count < 0 ? -count : count);
  // Rewrites chunk ci without the matches; returns how many chunks replace it (0 or 1: what
  // is left of one chunk always fits one).
  auto process = [&](size_t ci) -> size_t {
    auto entries = Entries(ci);
    std::vector<bool> drop(entries.size(), false);
    size_t hits = 0;
    if (count >= 0) {
      for (size_t i = 0; i < entries.size() && removed + hits < limit; ++i) {
        if (entries[i] == v) drop[i] = true, ++hits;
      }
    } else {
      for (size_t i = entries.size(); i-- > 0 && removed + hits < limit;) {
        if (entries[i] == v) drop[i] = true, ++hits;
      }
    }
    if (hits == 0) return 1;
    removed += hits;
    std::vector<std::string> keep;
    keep.reserve(entries.size() - hits);
    for (size_t i = 0; i < entries.size(); ++i) {
      if (!drop[i]) keep.emplace_back(entries[i]);
    }
    size_t before = chunks_.size();
    Rebuild(ci, keep);
    return chunks_.size() + 1 - before;
  };
  if (count >= 0) {
    for (size_t ci = 0; ci < chunks_.size() && removed < limit;) ci += process(ci);
  } else {
    for (size_t ci = chunks_.size(); ci-- > 0 && removed < limit;) process(ci);
  }
  return removed;
}

void ListObject::Trim(size_t start, size_t stop) {
  if (start > stop || start >= size_) {
    Clear();
    return;
  }
  if (stop >= size_) stop = size_ - 1;
  // Whole chunks past either end go; the boundary chunks are cut in place.
  size_t drop_back = size_ - 1 - stop;
  while (drop_back > 0 && chunks_.back()->count <= drop_back) {
    drop_back -= chunks_.back()->count;
    size_ -= chunks_.back()->count;
    FreeChunk(chunks_.back());
    chunks_.pop_back();
  }
  if (drop_back > 0) {
    Chunk* c = chunks_.back();
    uint32_t keep = c->count - static_cast<uint32_t>(drop_back);
    size_t pos = c->head, n;
    for (uint32_t i = 0; i < keep; ++i, pos += n) ReadEntry(c->data() + pos, &n);
    c->used = static_cast<uint32_t>(pos);
    c->count = keep;
    size_ -= drop_back;
    MaybeShrink(chunks_.size() - 1);
  }
  size_t drop_front = start;
  size_t gone = 0;
  while (drop_front > 0 && chunks_[gone]->count <= drop_front) {
    drop_front -= chunks_[gone]->count;
    size_ -= chunks_[gone]->count;
    FreeChunk(chunks_[gone]);
    ++gone;
  }
  chunks_.erase(0, gone);
  if (drop_front > 0) {
    Chunk* c = chunks_.front();
    size_t pos = c->head, n;
    for (size_t i = 0; i < drop_front; ++i, pos += n) ReadEntry(c->data() + pos, &n);
    c->head = static_cast<uint32_t>(pos);
    c->count -= static_cast<uint32_t>(drop_front);
    size_ -= drop_front;
    MaybeShrink(0);
  }
}

}  // namespace kora
