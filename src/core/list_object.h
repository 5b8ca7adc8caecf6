// A list value: a sequence of compact chunks, each one allocation holding a run of
// length-prefixed entries (Redis's quicklist of listpacks: a few bytes of overhead per
// element, O(1) push and pop at both ends, O(n/chunk) positional access). OBJECT ENCODING
// reports "quicklist", as Redis 7.0 does for every list. Owned by one shard.
//
// A chunk's entries occupy bytes [head, used) of its buffer, so popping from the front only
// moves `head` and a push to the front reuses that room: a queue (RPUSH + LPOP) moves no
// bytes. Chunks fill up to kChunkBytes (list-max-listpack-size -2, 8 KiB); an element larger
// than that gets a chunk of its own. A single small list grows its one chunk by a quarter at
// a time, so the slack stays near Redis's allocator rounding.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/value.h"

namespace kora {

class ListObject final : public CollectionObject {
 public:
  ListObject() = default;
  ListObject(const ListObject& other);
  ListObject& operator=(const ListObject&) = delete;
  ~ListObject() override;

  ValueType type() const override { return ValueType::kList; }
  const char* encoding_name() const override { return "quicklist"; }
  std::unique_ptr<CollectionObject> Clone() const override;
  size_t MemoryUsage() const override;

  size_t size() const { return size_; }
  // The chunks (Redis's quicklist nodes) and the bytes of their entries (DEBUG OBJECT).
  size_t chunk_count() const { return chunks_.size(); }
  size_t entry_bytes() const {
    size_t n = 0;
    for (const Chunk* c : chunks_) n += c->bytes();
    return n;
  }
  void PushFront(std::string_view v);
  void PushBack(std::string_view v);
  std::string PopFront();
  std::string PopBack();
  // Element at index (negative counts from the tail); false when out of range.
  bool Index(int64_t index, std::string* out) const;
  bool Set(int64_t index, std::string_view v);
  // Calls fn for elements [start, stop] (already normalised, inclusive), head to tail.
  void ForRange(size_t start, size_t stop, const std::function<void(std::string_view)>& fn) const;
  // Calls fn for every element from the tail towards the head, with its index; fn returns
  // false to stop.
  void ForEachReverse(const std::function<bool(size_t, std::string_view)>& fn) const;
  void ForEach(const std::function<bool(size_t, std::string_view)>& fn) const;
  // Inserts before/after the first element equal to pivot. Returns false if no pivot.
  bool Insert(std::string_view pivot, std::string_view v, bool before);
  // LREM semantics: count > 0 from head, < 0 from tail, 0 all. Returns removed count.
  size_t Remove(std::string_view v, int64_t count);
  // Keeps [start, stop] (normalised, inclusive); start > stop empties the list.
  void Trim(size_t start, size_t stop);

  static constexpr size_t kChunkBytes = 8 * 1024;  // list-max-listpack-size -2

 private:
  // One allocation: this header, then `cap` bytes of which [head, used) hold entries.
  struct Chunk {
    uint32_t head;
    uint32_t used;
    uint32_t cap;
    uint32_t count;
    char* data() { return reinterpret_cast<char*>(this + 1); }
    const char* data() const { return reinterpret_cast<const char*>(this + 1); }
    size_t bytes() const { return used - head; }
  };

  // The chunk pointers, in order. A list of one chunk (every small list) keeps its pointer
  // inline instead of in an array of its own.
  class ChunkVec {
   public:
    ChunkVec() = default;
    ChunkVec(const ChunkVec&) = delete;
    ChunkVec& operator=(const ChunkVec&) = delete;
    ~ChunkVec() { clear(); }
    size_t size() const { return n_; }
    bool empty() const { return n_ == 0; }
    Chunk* operator[](size_t i) const { return data()[i]; }
    Chunk*& operator[](size_t i) { return data()[i]; }
    Chunk* const* begin() const { return data(); }
    Chunk* const* end() const { return data() + n_; }
    Chunk* front() const { return data()[0]; }
    Chunk* back() const { return data()[n_ - 1]; }
    void push_back(Chunk* c) { insert(n_, &c, 1); }
    void pop_back() { erase(n_ - 1, 1); }
    // Inserts `count` pointers before position i.
    void insert(size_t i, Chunk* const* first, size_t count);
    void erase(size_t i, size_t count);
    void reserve(size_t n);
    void clear();
    // Bytes the allocator holds for the array (none while inline).
    size_t heap_bytes() const;

   private:
    Chunk* const* data() const { return cap_ == 0 ? &one_ : many_; }
    Chunk** data() { return cap_ == 0 ? &one_ : many_; }
    union {
      Chunk* one_ = nullptr;  // cap_ == 0: at most one pointer, here
      Chunk** many_;          // cap_ > 0: an array of cap_ pointers
    };
    uint32_t n_ = 0;
    uint32_t cap_ = 0;
  };

  static size_t EntrySize(std::string_view v);
  static char* WriteEntry(char* p, std::string_view v);
  static std::string_view ReadEntry(const char* p, size_t* len);
  // A chunk with room for at least `cap` bytes (rounded up to what the allocator hands out).
  Chunk* NewChunk(size_t cap);
  void FreeChunk(Chunk* c);
  // Makes room for `n` more bytes at the end (front = false) or before head (front = true),
  // growing or compacting chunk `i`; returns the chunk (possibly moved).
  Chunk* Reserve(size_t i, size_t n, bool front);
  // Whether a push of an entry of `e` bytes at the front (or back) starts a new chunk.
  static bool Full(const Chunk* c, size_t e, bool front);
  // Gives back most of the slack of a chunk that pops have emptied.
  void MaybeShrink(size_t i);
  // The elements of chunk i, decoded.
  std::vector<std::string_view> Entries(size_t i) const;
  // Replaces chunk i by as many chunks as `elems` need (none when it is empty).
  void Rebuild(size_t i, const std::vector<std::string>& elems);
  // Locates the chunk holding element `index`; *offset gets the index inside it.
  size_t Locate(size_t index, size_t* offset) const;
  void Clear();

  ChunkVec chunks_;
  size_t size_ = 0;
  size_t chunk_bytes_ = 0;  // allocator bytes held by the chunks
};

}  // namespace kora
