// A list value: a deque of compact chunks, each a byte buffer of length-prefixed entries
// (Redis's quicklist idea: small per-element overhead, O(1) push/pop at both ends, O(n/chunk)
// positional access). OBJECT ENCODING reports "quicklist", as Redis 7.0 does for every list.
// Owned by one shard.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/value.h"

namespace kora {

class ListObject final : public CollectionObject {
 public:
  ValueType type() const override { return ValueType::kList; }
  const char* encoding_name() const override { return "quicklist"; }
  std::unique_ptr<CollectionObject> Clone() const override;
  size_t MemoryUsage() const override;

  size_t size() const { return size_; }
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

 private:
  struct Chunk {
    std::string buf;  // entries: varint length, then bytes
    uint32_t count = 0;
  };
  static constexpr size_t kChunkBytes = 8 * 1024;  // list-max-listpack-size -2

  static void AppendEntry(std::string* buf, std::string_view v);
  static std::string_view ReadEntry(const std::string& buf, size_t* pos);
  // Decodes a chunk into its elements.
  static std::vector<std::string_view> Entries(const Chunk& c);
  void Rebuild(size_t chunk_index, const std::vector<std::string>& elems);
  // Locates the chunk holding element `index`; *offset gets the index inside it.
  size_t Locate(size_t index, size_t* offset) const;

  std::deque<Chunk> chunks_;
  size_t size_ = 0;
};

}  // namespace kora
