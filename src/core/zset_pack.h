// The small encoding of a sorted set (Redis's "listpack"): one byte buffer of entries in
// (score, member) order, each
//   [score tag][size][member][score payload][backlen]
// - score tag, and the payload it announces:
//     0x00..0x7F  the integer 0..127, no payload
//     0x80..0x9F  a 13-bit signed integer, -4096..4095: the low 5 tag bits are its high bits,
//                 one payload byte its low ones
//     0xF2..0xF8  a signed little-endian integer of (tag & 0x0F) payload bytes
//     0xFE        a float (4 bytes), used when it holds the score exactly
//     0xFF        a double (8 bytes)
//   A score is stored as Redis's listpack stores it: an integral score (one a 64-bit integer
//   holds exactly) as an integer, so -0 becomes 0. Every other double (±inf, fractions,
//   integral values outside [-2^63, 2^63)) reads back bit for bit.
// - size: the bytes of the entry before its backlen (tag, size, member, payload): 1 byte if
//   < 0x80; 0x80 | high 6 bits, then the low byte, if < 0x4000; else 0xC0 and 4 bytes
//   (little-endian). The member's length is what the other fields leave.
// - backlen: the same size, 7 bits a byte as Redis's listpack writes it (the last byte holds
//   the low 7 bits and has its high bit set when more bytes precede), so Prev() can walk
//   backwards. 1 byte for entries under 128 bytes.
// A forward step reads one size byte (as the fixed-score layout did), Score() of a small
// integer is one load, Member() two at fixed offsets. An entry of a 3-byte member with a
// score of 0..127 takes 6 bytes (Redis: 7).
// Lookups and updates are linear, as in Redis; the encoding is used only while the set is
// small (zset-max-listpack-*), and the buffer stays under 4 GB (ZSetObject keeps it under
// 1 GB). Positions are byte offsets; End() is one past the last entry. The layout is private
// to this class (RDB writes its own listpack from the iterator). Owned by one sorted set on
// one shard; not thread-safe.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace kora {

namespace zpack_detail {
constexpr uint8_t kTagInt = 0xF0;  // | payload bytes (2..8)
constexpr uint8_t kTagFloat = 0xFE;
constexpr uint8_t kTagDouble = 0xFF;
// Payload bytes by score tag (0 for unused tags): one load on the walks' hot path.
struct PayloadTable {
  uint8_t n[256] = {};
  constexpr PayloadTable() {
    for (int t = 0x80; t < 0xA0; ++t) n[t] = 1;
    for (int k = 2; k <= 8; ++k) n[kTagInt | k] = static_cast<uint8_t>(k);
    n[kTagFloat] = 4;
    n[kTagDouble] = 8;
  }
};
inline constexpr PayloadTable kPayloadBytes{};
}  // namespace zpack_detail

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

  size_t Next(size_t off) const {
    size_t body = BodySize(off);
    return off + body + BacklenBytes(body);
  }
  // The entry before `off` (> 0).
  size_t Prev(size_t off) const {
    uint8_t b = static_cast<uint8_t>(buf_[off - 1]);
    if (b < 0x80) return off - 1 - b;
    return PrevLong(off);
  }
  std::string_view Member(size_t off) const {
    size_t h;
    size_t body = ReadSize(buf_ + off + 1, &h);
    size_t len = body - 1 - h - PayloadBytes(static_cast<uint8_t>(buf_[off]));
    return std::string_view(buf_ + off + 1 + h, len);
  }
  double Score(size_t off) const {
    uint8_t tag = static_cast<uint8_t>(buf_[off]);
    if (tag < 0x80) return tag;
    return DecodePayload(tag, reinterpret_cast<const uint8_t*>(buf_ + off + BodySize(off) -
                                                               PayloadBytes(tag)));
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
  static_assert(std::endian::native == std::endian::little, "ZPack assumes little-endian");
  static constexpr uint8_t kTagInt = zpack_detail::kTagInt;
  static constexpr uint8_t kTagFloat = zpack_detail::kTagFloat;
  static constexpr uint8_t kTagDouble = zpack_detail::kTagDouble;

  // Writes the tag of `score` to *tag and its payload (at most 8 bytes) to `payload`;
  // returns the payload's size. -0 is written as the integer 0.
  static size_t EncodeScore(double score, uint8_t* tag, uint8_t* payload);
  // The score of a tag >= 0x80 with its payload.
  static double DecodePayload(uint8_t tag, const uint8_t* payload);
  static size_t PayloadBytes(uint8_t tag) { return zpack_detail::kPayloadBytes.n[tag]; }
  static size_t SizeBytes(size_t n) { return n < 0x80 ? 1 : (n < 0x4000 ? 2 : 5); }
  static size_t BacklenBytes(size_t body) {
    return body < (size_t{1} << 7)    ? 1
           : body < (size_t{1} << 14) ? 2
           : body < (size_t{1} << 21) ? 3
           : body < (size_t{1} << 28) ? 4
                                      : 5;
  }
  static size_t ReadSize(const char* p, size_t* hdr) {
    uint8_t b = static_cast<uint8_t>(p[0]);
    if (b < 0x80) {
      *hdr = 1;
      return b;
    }
    return ReadSizeLong(p, hdr);
  }
  static size_t ReadSizeLong(const char* p, size_t* hdr);
  // Bytes of an entry before its backlen.
  size_t BodySize(size_t off) const {
    size_t h;
    return ReadSize(buf_ + off + 1, &h);
  }
  size_t PrevLong(size_t off) const;
  // Writes the entry for (member, score) at `off`, opening room for it.
  void Put(size_t off, std::string_view member, double score);
  void Reserve(size_t bytes);
  void ShrinkToFit();

  char* buf_ = nullptr;
  // 32-bit sizes keep a ZSetObject at 40 bytes (a 48-byte malloc chunk).
  uint32_t used_ = 0;
  uint32_t cap_ = 0;
  uint32_t count_ = 0;
};

}  // namespace kora
