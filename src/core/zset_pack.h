// The small encoding of a sorted set (Redis's "listpack"): one byte buffer of entries in
// (score, member) order, each
//   [length: 1 byte if < 128, else 0x80 + 4 bytes][member][score: 8 bytes][length, mirrored]
// The mirrored trailing length lets iteration run backwards. Lookups and updates are linear,
// as in Redis; the encoding is used only while the set is small (zset-max-listpack-*).
// A score is stored as Redis's listpack stores it: an integral score as an integer, so -0
// becomes 0. Positions are byte offsets; End() is one past the last entry. Owned by one
// sorted set on one shard; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace kora {

class ZPack {
 public:
  ZPack() = default;
  ~ZPack();
  ZPack(const ZPack&) = delete;
  ZPack& operator=(const ZPack&) = delete;

  size_t count() const { return count_; }
  size_t End() const { return used_; }
  // Bytes the allocator holds for the buffer.
  size_t AllocatedBytes() const;
  void CopyFrom(const ZPack& other);

  size_t Next(size_t off) const { return off + EntrySize(off); }
  // The entry before `off` (> 0).
  size_t Prev(size_t off) const;
  std::string_view Member(size_t off) const {
    size_t h;
    size_t len = ReadLen(off, &h);
    return std::string_view(buf_ + off + h, len);
  }
  double Score(size_t off) const {
    size_t h;
    size_t len = ReadLen(off, &h);
    double d;
    std::memcpy(&d, buf_ + off + h + len, sizeof(d));
    return d;
  }

  // The position of `member` (End() when absent); *score receives its score.
  size_t Find(std::string_view member, double* score) const;
  // The position of rank `rank` (< count()), walking from the nearer end.
  size_t Seek(size_t rank) const;
  // Inserts an absent member at its place in the order.
  void Insert(std::string_view member, double score);
  // Appends a member that sorts after every present one (bulk loading).
  void Append(std::string_view member, double score);
  void Erase(size_t off);
  // Removes the `n` entries in bytes [from, to).
  void EraseRange(size_t from, size_t to, size_t n);

 private:
  static size_t LenBytes(size_t len) { return len < 0x80 ? 1 : 5; }
  size_t ReadLen(size_t off, size_t* hdr) const;
  size_t EntrySize(size_t off) const {
    size_t h;
    size_t len = ReadLen(off, &h);
    return 2 * h + len + sizeof(double);
  }
  // Opens a gap of `n` bytes at `off`.
  char* MakeRoom(size_t off, size_t n);
  void Write(char* p, std::string_view member, double score);
  void Reserve(size_t bytes);
  void ShrinkToFit();

  char* buf_ = nullptr;
  size_t used_ = 0;
  size_t cap_ = 0;
  size_t count_ = 0;
};

}  // namespace kora
