#include "core/list_object.h"

namespace kora {

std::unique_ptr<CollectionObject> ListObject::Clone() const {
  return std::make_unique<ListObject>(*this);
}

size_t ListObject::MemoryUsage() const {
  size_t n = sizeof(*this);
  for (const auto& c : chunks_) n += sizeof(Chunk) + c.buf.capacity();
  return n;
}

void ListObject::AppendEntry(std::string* buf, std::string_view v) {
  uint64_t len = v.size();
  while (len >= 0x80) {
    buf->push_back(static_cast<char>((len & 0x7f) | 0x80));
    len >>= 7;
  }
  buf->push_back(static_cast<char>(len));
  buf->append(v);
}

std::string_view ListObject::ReadEntry(const std::string& buf, size_t* pos) {
  uint64_t len = 0;
  int shift = 0;
  while (true) {
    uint8_t b = static_cast<uint8_t>(buf[(*pos)++]);
    len |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
    shift += 7;
  }
  std::string_view v(buf.data() + *pos, len);
  *pos += len;
  return v;
}

std::vector<std::string_view> ListObject::Entries(const Chunk& c) {
  std::vector<std::string_view> out;
  out.reserve(c.count);
  size_t pos = 0;
  while (pos < c.buf.size()) out.push_back(ReadEntry(c.buf, &pos));
  return out;
}

void ListObject::PushBack(std::string_view v) {
  if (chunks_.empty() || chunks_.back().buf.size() + v.size() > kChunkBytes) chunks_.emplace_back();
  AppendEntry(&chunks_.back().buf, v);
  ++chunks_.back().count;
  ++size_;
}

void ListObject::PushFront(std::string_view v) {
  if (chunks_.empty() || chunks_.front().buf.size() + v.size() > kChunkBytes) {
    chunks_.emplace_front();
  }
  std::string entry;
  AppendEntry(&entry, v);
  chunks_.front().buf.insert(0, entry);
  ++chunks_.front().count;
  ++size_;
}

std::string ListObject::PopFront() {
  Chunk& c = chunks_.front();
  size_t pos = 0;
  std::string v(ReadEntry(c.buf, &pos));
  c.buf.erase(0, pos);
  if (--c.count == 0) chunks_.pop_front();
  --size_;
  return v;
}

std::string ListObject::PopBack() {
  Chunk& c = chunks_.back();
  size_t pos = 0, last = 0;
  std::string_view v;
  for (uint32_t i = 0; i < c.count; ++i) {
    last = pos;
    v = ReadEntry(c.buf, &pos);
  }
  std::string out(v);
  c.buf.resize(last);
  if (--c.count == 0) chunks_.pop_back();
  --size_;
  return out;
}

size_t ListObject::Locate(size_t index, size_t* offset) const {
  if (index * 2 < size_) {
    for (size_t i = 0; i < chunks_.size(); ++i) {
      if (index < chunks_[i].count) {
        *offset = index;
        return i;
      }
      index -= chunks_[i].count;
    }
  } else {
    size_t from_end = size_ - 1 - index;
    for (size_t i = chunks_.size(); i-- > 0;) {
      if (from_end < chunks_[i].count) {
        *offset = chunks_[i].count - 1 - from_end;
        return i;
      }
      from_end -= chunks_[i].count;
    }
  }
  *offset = 0;
  return chunks_.size();
}

bool ListObject::Index(int64_t index, std::string* out) const {
  if (index < 0) index += static_cast<int64_t>(size_);
  if (index < 0 || index >= static_cast<int64_t>(size_)) return false;
  size_t off;
  size_t ci = Locate(static_cast<size_t>(index), &off);
  size_t pos = 0;
  std::string_view v;
  for (size_t i = 0; i <= off; ++i) v = ReadEntry(chunks_[ci].buf, &pos);
  out->assign(v);
  return true;
}

void ListObject::Rebuild(size_t ci, const std::vector<std::string>& elems) {
  // Replaces chunk ci by as many chunks as `elems` need.
  std::vector<Chunk> fresh;
  for (const auto& e : elems) {
    if (fresh.empty() || fresh.back().buf.size() + e.size() > kChunkBytes) fresh.emplace_back();
    AppendEntry(&fresh.back().buf, e);
    ++fresh.back().count;
  }
  size_ -= chunks_[ci].count;
  size_ += elems.size();
  chunks_.erase(chunks_.begin() + static_cast<std::ptrdiff_t>(ci));
  chunks_.insert(chunks_.begin() + static_cast<std::ptrdiff_t>(ci), fresh.begin(), fresh.end());
}

bool ListObject::Set(int64_t index, std::string_view v) {
  if (index < 0) index += static_cast<int64_t>(size_);
  if (index < 0 || index >= static_cast<int64_t>(size_)) return false;
  size_t off;
  size_t ci = Locate(static_cast<size_t>(index), &off);
  std::vector<std::string> elems;
  for (auto e : Entries(chunks_[ci])) elems.emplace_back(e);
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
    size_t pos = 0;
    const Chunk& c = chunks_[ci];
    for (uint32_t i = 0; i < c.count && remaining > 0; ++i) {
      std::string_view v = ReadEntry(c.buf, &pos);
      if (i < off) continue;
      fn(v);
      --remaining;
    }
    off = 0;
  }
}

void ListObject::ForEach(const std::function<bool(size_t, std::string_view)>& fn) const {
  size_t idx = 0;
  for (const auto& c : chunks_) {
    size_t pos = 0;
    for (uint32_t i = 0; i < c.count; ++i) {
      if (!fn(idx++, ReadEntry(c.buf, &pos))) return;
    }
  }
}

void ListObject::ForEachReverse(const std::function<bool(size_t, std::string_view)>& fn) const {
  size_t idx = size_;
  for (size_t ci = chunks_.size(); ci-- > 0;) {
    auto entries = Entries(chunks_[ci]);
    for (size_t i = entries.size(); i-- > 0;) {
      if (!fn(--idx, entries[i])) return;
    }
  }
}

bool ListObject::Insert(std::string_view pivot, std::string_view v, bool before) {
  for (size_t ci = 0; ci < chunks_.size(); ++ci) {
    auto entries = Entries(chunks_[ci]);
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
  auto process = [&](size_t ci) {
    auto entries = Entries(chunks_[ci]);
    std::vector<std::string> keep;
    bool changed = false;
    if (count >= 0) {
      for (auto e : entries) {
        if (removed < limit && e == v) {
          ++removed;
          changed = true;
        } else {
          keep.emplace_back(e);
        }
      }
    } else {
      std::vector<bool> drop(entries.size(), false);
      for (size_t i = entries.size(); i-- > 0;) {
        if (removed < limit && entries[i] == v) {
          drop[i] = true;
          ++removed;
          changed = true;
        }
      }
      for (size_t i = 0; i < entries.size(); ++i) {
        if (!drop[i]) keep.emplace_back(entries[i]);
      }
    }
    if (changed) Rebuild(ci, keep);
  };
  if (count >= 0) {
    for (size_t ci = 0; ci < chunks_.size() && removed < limit;) {
      size_t before = chunks_.size();
      process(ci);
      // Rebuild may have removed the chunk (emptied) or split it; step past what it left.
      if (chunks_.size() >= before) ++ci;
    }
  } else {
    for (size_t ci = chunks_.size(); ci-- > 0 && removed < limit;) process(ci);
  }
  return removed;
}

void ListObject::Trim(size_t start, size_t stop) {
  if (start > stop || start >= size_) {
    chunks_.clear();
    size_ = 0;
    return;
  }
  if (stop >= size_) stop = size_ - 1;
  std::deque<Chunk> out;
  size_t n = 0;
  Chunk cur;
  ForRange(start, stop, [&](std::string_view v) {
    if (cur.buf.size() + v.size() > kChunkBytes && cur.count > 0) {
      out.push_back(std::move(cur));
      cur = Chunk();
    }
    AppendEntry(&cur.buf, v);
    ++cur.count;
    ++n;
  });
  if (cur.count) out.push_back(std::move(cur));
  chunks_.swap(out);
  size_ = n;
}

}  // namespace kora
