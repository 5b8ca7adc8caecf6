#include "core/zset_pack.h"

#include <malloc.h>

#include <cstdlib>
#include <new>

#include "core/zset_entry.h"
#include "core/memory.h"

namespace kora {

ZPack::~ZPack() { memory::Free(buf_); }

size_t ZPack::AllocatedBytes() const { return buf_ ? malloc_usable_size(buf_) + 8 : 0; }

void ZPack::CopyFrom(const ZPack& other) {
  memory::Free(buf_);
  buf_ = nullptr;
  used_ = cap_ = count_ = 0;
  if (other.used_ == 0) return;
  Reserve(other.used_);
  std::memcpy(buf_, other.buf_, other.used_);
  used_ = other.used_;
  count_ = other.count_;
}

size_t ZPack::ReadLen(size_t off, size_t* hdr) const {
  uint8_t b = static_cast<uint8_t>(buf_[off]);
  if (b < 0x80) {
    *hdr = 1;
    return b;
  }
  uint32_t len;
  std::memcpy(&len, buf_ + off + 1, 4);
  *hdr = 5;
  return len;
}

size_t ZPack::Prev(size_t off) const {
  uint8_t b = static_cast<uint8_t>(buf_[off - 1]);
  size_t len, h;
  if (b < 0x80) {
    len = b;
    h = 1;
  } else {
    uint32_t l;
    std::memcpy(&l, buf_ + off - 5, 4);
    len = l;
    h = 5;
  }
  return off - (2 * h + len + sizeof(double));
}

size_t ZPack::Find(std::string_view member, double* score) const {
  for (size_t off = 0; off < used_;) {
    size_t h;
    size_t len = ReadLen(off, &h);
    if (len == member.size() && std::memcmp(buf_ + off + h, member.data(), len) == 0) {
      std::memcpy(score, buf_ + off + h + len, sizeof(double));
      return off;
    }
    off += 2 * h + len + sizeof(double);
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
  size_t want = bytes + bytes / 8;
  want = (want + 15) & ~size_t{15};
  void* p = memory::Realloc(buf_, want);
  if (p == nullptr) throw std::bad_alloc();
  buf_ = static_cast<char*>(p);
  cap_ = want;
}

void ZPack::ShrinkToFit() {
  if (used_ == 0) {
    memory::Free(buf_);
    buf_ = nullptr;
    cap_ = 0;
    return;
  }
  if (cap_ <= used_ + used_ / 4 + 32) return;
  size_t want = (used_ + 15) & ~size_t{15};
  void* p = memory::Realloc(buf_, want);
  if (p == nullptr) return;  // keeping the larger buffer is fine
  buf_ = static_cast<char*>(p);
  cap_ = want;
}

char* ZPack::MakeRoom(size_t off, size_t n) {
  Reserve(used_ + n);
  std::memmove(buf_ + off + n, buf_ + off, used_ - off);
  used_ += n;
  return buf_ + off;
}

void ZPack::Write(char* p, std::string_view member, double score) {
  size_t len = member.size();
  if (score == 0) score = 0.0;  // an integral score is an integer in a listpack: -0 is 0
  uint32_t l32 = static_cast<uint32_t>(len);
  if (len < 0x80) {
    *p++ = static_cast<char>(len);
  } else {
    *p++ = static_cast<char>(0x80);
    std::memcpy(p, &l32, 4);
    p += 4;
  }
  if (len) std::memcpy(p, member.data(), len);
  p += len;
  std::memcpy(p, &score, sizeof(score));
  p += sizeof(score);
  if (len < 0x80) {
    *p = static_cast<char>(len);
  } else {
    std::memcpy(p, &l32, 4);
    p[4] = static_cast<char>(0x80);
  }
}

void ZPack::Insert(std::string_view member, double score) {
  size_t off = 0;
  while (off < used_) {
    size_t h;
    size_t len = ReadLen(off, &h);
    double s;
    std::memcpy(&s, buf_ + off + h + len, sizeof(s));
    if (ZCompare(score, member, s, std::string_view(buf_ + off + h, len)) < 0) break;
    off += 2 * h + len + sizeof(double);
  }
  size_t n = 2 * LenBytes(member.size()) + member.size() + sizeof(double);
  char* p = MakeRoom(off, n);
  Write(p, member, score);
  ++count_;
}

void ZPack::Append(std::string_view member, double score) {
  size_t n = 2 * LenBytes(member.size()) + member.size() + sizeof(double);
  char* p = MakeRoom(used_, n);
  Write(p, member, score);
  ++count_;
}

void ZPack::Erase(size_t off) { EraseRange(off, Next(off), 1); }

void ZPack::EraseRange(size_t from, size_t to, size_t n) {
  std::memmove(buf_ + from, buf_ + to, used_ - to);
  used_ -= to - from;
  count_ -= n;
  ShrinkToFit();
}

}  // namespace kora
