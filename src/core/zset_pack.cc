#include "core/zset_pack.h"

#include <malloc.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdlib>
#include <new>

#include "core/memory.h"
#include "core/zset_entry.h"

namespace kora {
namespace {

// Whether `d` is an integer that an int64 holds exactly (-0 included, as 0).
bool AsInt64(double d, int64_t* v) {
  // [-2^63, 2^63): both bounds are exact doubles; NaN and ±inf fail the test.
  if (!(d >= -0x1p63 && d < 0x1p63)) return false;
  int64_t i = static_cast<int64_t>(d);
  if (static_cast<double>(i) != d) return false;
  *v = i;
  return true;
}

// Whether a float holds `d` exactly (d is not NaN, not an integer).
bool AsFloat(double d, float* f) {
  if (!std::isinf(d) && std::fabs(d) > FLT_MAX) return false;
  *f = static_cast<float>(d);
  return static_cast<double>(*f) == d;
}

// DecodePayload's body, inlined into the walks below.
inline double Decode(uint8_t tag, const uint8_t* p) {
  if (tag < 0xA0) {
    int32_t v = static_cast<int32_t>(((tag & 0x1Fu) << 8) | p[0]);
    if (v & 0x1000) v -= 0x2000;
    return v;
  }
  // Fixed-size loads per case; an n-byte integer is sign-extended from its top byte (the
  // shifts are arithmetic in C++20).
  auto sext = [](uint64_t u, int bytes) {
    int shift = 64 - 8 * bytes;
    return static_cast<double>(static_cast<int64_t>(u << shift) >> shift);
  };
  uint64_t u = 0;
  switch (tag) {
    case zpack_detail::kTagDouble: {
      double d;
      std::memcpy(&d, p, sizeof(d));
      return d;
    }
    case zpack_detail::kTagFloat: {
      float f;
      std::memcpy(&f, p, sizeof(f));
      return f;
    }
    case zpack_detail::kTagInt | 2: {
      int16_t v;
      std::memcpy(&v, p, 2);
      return v;
    }
    case zpack_detail::kTagInt | 3: std::memcpy(&u, p, 3); return sext(u, 3);
    case zpack_detail::kTagInt | 4: {
      int32_t v;
      std::memcpy(&v, p, 4);
      return v;
    }
    case zpack_detail::kTagInt | 5: std::memcpy(&u, p, 5); return sext(u, 5);
    case zpack_detail::kTagInt | 6: std::memcpy(&u, p, 6); return sext(u, 6);
    case zpack_detail::kTagInt | 7: std::memcpy(&u, p, 7); return sext(u, 7);
    default: {  // zpack_detail::kTagInt | 8
      int64_t v;
      std::memcpy(&v, p, 8);
      return static_cast<double>(v);
    }
  }
}

}  // namespace

ZPack::~ZPack() { memory::Free(buf_); }

size_t ZPack::AllocatedBytes() const { return buf_ ? malloc_usable_size(buf_) + 8 : 0; }

void ZPack::CopyFrom(const ZPack& other) {
  memory::Free(buf_);
  buf_ = nullptr;
  used_ = cap_ = count_ = 0;
  if (other.used_ == 0) return;
  void* p = memory::Malloc(other.used_);
  if (p == nullptr) throw std::bad_alloc();
  buf_ = static_cast<char*>(p);
  cap_ = static_cast<uint32_t>(std::min<size_t>(malloc_usable_size(p), UINT32_MAX));
  std::memcpy(buf_, other.buf_, other.used_);
  used_ = other.used_;
  count_ = other.count_;
}

size_t ZPack::ReadSizeLong(const char* p, size_t* hdr) {
  uint8_t b = static_cast<uint8_t>(p[0]);
  if (b < 0xC0) {
    *hdr = 2;
    return (size_t{b & 0x3Fu} << 8) | static_cast<uint8_t>(p[1]);
  }
  uint32_t n;
  std::memcpy(&n, p + 1, 4);
  *hdr = 5;
  return n;
}

size_t ZPack::EncodeScore(double score, uint8_t* tag, uint8_t* payload) {
  int64_t v;
  if (AsInt64(score, &v)) {
    if (v >= 0 && v < 0x80) {
      *tag = static_cast<uint8_t>(v);
      return 0;
    }
    if (v >= -4096 && v < 4096) {
      uint32_t u = static_cast<uint32_t>(v) & 0x1FFF;
      *tag = static_cast<uint8_t>(0x80 | (u >> 8));
      payload[0] = static_cast<uint8_t>(u);
      return 1;
    }
    size_t n = 2;
    while (n < 8) {
      int64_t lim = int64_t{1} << (8 * n - 1);
      if (v >= -lim && v < lim) break;
      ++n;
    }
    *tag = static_cast<uint8_t>(kTagInt | n);
    std::memcpy(payload, &v, n);  // the low n bytes (little-endian)
    return n;
  }
  float f;
  if (AsFloat(score, &f)) {
    *tag = kTagFloat;
    std::memcpy(payload, &f, sizeof(f));
    return sizeof(f);
  }
  *tag = kTagDouble;
  std::memcpy(payload, &score, sizeof(score));
  return sizeof(score);
}

double ZPack::DecodePayload(uint8_t tag, const uint8_t* p) { return Decode(tag, p); }

size_t ZPack::PrevLong(size_t off) const {
  // The backlen's bytes from the last: 7 bits each, low bits last.
  size_t body = 0;
  size_t k = 0;
  uint8_t b;
  do {
    b = static_cast<uint8_t>(buf_[off - 1 - k]);
    body |= size_t{b & 0x7Fu} << (7 * k);
    ++k;
  } while (b & 0x80);
  return off - k - body;
}

size_t ZPack::Find(std::string_view member, double* score) const {
  for (size_t off = 0; off < used_;) {
    uint8_t tag = static_cast<uint8_t>(buf_[off]);
    size_t h;
    size_t body = ReadSize(buf_ + off + 1, &h);
    size_t len = body - 1 - h - PayloadBytes(tag);
    const char* m = buf_ + off + 1 + h;
    if (len == member.size() && std::memcmp(m, member.data(), len) == 0) {
      *score = tag < 0x80 ? tag : Decode(tag, reinterpret_cast<const uint8_t*>(m + len));
      return off;
    }
    off += body + BacklenBytes(body);
  }
  return used_;
}

size_t ZPack::Seek(size_t rank) const {
  if (rank <= count_ / 2) {
    size_t off = 0;
    while (rank-- > 0) off = Next(off);
    return off;
  }
  size_t off = used_;
  for (size_t back = count_ - rank; back > 0; --back) off = Prev(off);
  return off;
}

void ZPack::Reserve(size_t bytes) {
  if (bytes <= cap_) return;
  if (bytes > UINT32_MAX) throw std::bad_alloc();
  // Growth by 1/16 keeps appends amortized linear with little slack; the allocator's
  // rounding (malloc_usable_size) is used in full.
  size_t want = std::min<size_t>(bytes + bytes / 16, UINT32_MAX);
  void* p = memory::Realloc(buf_, want);
  if (p == nullptr) throw std::bad_alloc();
  buf_ = static_cast<char*>(p);
  cap_ = static_cast<uint32_t>(std::min<size_t>(malloc_usable_size(p), UINT32_MAX));
}

void ZPack::ShrinkToFit() {
  if (used_ == 0) {
    memory::Free(buf_);
    buf_ = nullptr;
    cap_ = 0;
    return;
  }
  if (cap_ <= used_ + used_ / 4 + 32) return;
  void* p = memory::Realloc(buf_, used_);
  if (p == nullptr) return;  // keeping the larger buffer is fine
  buf_ = static_cast<char*>(p);
  cap_ = static_cast<uint32_t>(std::min<size_t>(malloc_usable_size(p), UINT32_MAX));
}

void ZPack::Put(size_t off, std::string_view member, double score) {
  if (score == 0) score = 0.0;  // an integral score is an integer in a listpack: -0 is 0
  uint8_t tag;
  uint8_t payload[8];
  size_t pn = EncodeScore(score, &tag, payload);
  size_t len = member.size();
  // The size field counts its own bytes.
  size_t h = SizeBytes(1 + 1 + len + pn);
  if (h == 2) h = SizeBytes(1 + 2 + len + pn);
  size_t body = 1 + h + len + pn;
  size_t bl = BacklenBytes(body);
  size_t n = body + bl;
  Reserve(used_ + n);
  std::memmove(buf_ + off + n, buf_ + off, used_ - off);
  used_ += static_cast<uint32_t>(n);
  ++count_;

  char* p = buf_ + off;
  *p++ = static_cast<char>(tag);
  if (h == 1) {
    *p = static_cast<char>(body);
  } else if (h == 2) {
    p[0] = static_cast<char>(0x80 | (body >> 8));
    p[1] = static_cast<char>(body & 0xFF);
  } else {
    uint32_t l32 = static_cast<uint32_t>(body);
    p[0] = static_cast<char>(0xC0);
    std::memcpy(p + 1, &l32, 4);
  }
  p += h;
  if (len) std::memcpy(p, member.data(), len);
  p += len;
  std::memcpy(p, payload, pn);
  p += pn;
  for (size_t i = 0; i < bl; ++i) {
    uint8_t b = static_cast<uint8_t>((body >> (7 * i)) & 0x7F);
    if (i + 1 < bl) b |= 0x80;  // more bytes precede
    p[bl - 1 - i] = static_cast<char>(b);
  }
}

void ZPack::Insert(std::string_view member, double score) {
  if (score == 0) score = 0.0;
  size_t off = 0;
  while (off < used_) {
    uint8_t tag = static_cast<uint8_t>(buf_[off]);
    size_t h;
    size_t body = ReadSize(buf_ + off + 1, &h);
    size_t len = body - 1 - h - PayloadBytes(tag);
    const char* m = buf_ + off + 1 + h;
    double s = tag < 0x80 ? tag : Decode(tag, reinterpret_cast<const uint8_t*>(m + len));
    if (ZCompare(score, member, s, std::string_view(m, len)) < 0) break;
    off += body + BacklenBytes(body);
  }
  Put(off, member, score);
}

void ZPack::Append(std::string_view member, double score) { Put(used_, member, score); }

void ZPack::Erase(size_t off) { EraseRange(off, Next(off), 1); }

void ZPack::EraseRange(size_t from, size_t to, size_t n) {
  std::memmove(buf_ + from, buf_ + to, used_ - to);
  used_ -= static_cast<uint32_t>(to - from);
  count_ -= static_cast<uint32_t>(n);
  ShrinkToFit();
}

}  // namespace kora
