#include "core/rdb_lzf.h"

#include <cstdint>
#include <cstring>
#include <vector>

namespace kora::rdb {
namespace {

constexpr int kHashLog = 16;
constexpr uint32_t kHashSize = 1u << kHashLog;
constexpr size_t kMaxLiteral = 32;
constexpr size_t kMaxOffset = 1u << 13;
constexpr size_t kMaxRef = (1u << 8) + (1u << 3);

inline uint32_t First(const uint8_t* p) { return (uint32_t{p[0]} << 8) | p[1]; }
inline uint32_t Next(uint32_t v, const uint8_t* p) { return (v << 8) | p[2]; }
inline uint32_t Slot(uint32_t h) { return ((h >> (3 * 8 - kHashLog)) - h * 5) & (kHashSize - 1); }

}  // namespace

size_t LzfCompress(std::string_view input, size_t out_max, std::string* out) {
  const size_t in_len = input.size();
  if (in_len < 3 || out_max == 0) return 0;
  const auto* in = reinterpret_cast<const uint8_t*>(input.data());
  // Positions are stored +0; position 0 can never be referenced (as in liblzf, where the
  // table holds offsets and a reference must lie strictly after the input's start).
  std::vector<uint32_t> table(kHashSize, 0);
  // Room for the worst case the checks below allow to be written past out_max.
  std::vector<uint8_t> buf(out_max + 4);
  uint8_t* op = buf.data();
  uint8_t* const out_end = buf.data() + out_max;
  const uint8_t* ip = in;
  const uint8_t* const in_end = in + in_len;
  size_t lit = 0;
  op++;  // start a literal run
  uint32_t hval = First(ip);
  while (ip < in_end - 2) {
    hval = Next(hval, ip);
    uint32_t* slot = &table[Slot(hval)];
    const uint8_t* ref = in + *slot;
    *slot = static_cast<uint32_t>(ip - in);
    size_t off;
    if (ref < ip && (off = static_cast<size_t>(ip - ref - 1)) < kMaxOffset && ref > in &&
        ref[2] == ip[2] && ref[0] == ip[0] && ref[1] == ip[1]) {
      size_t len = 2;
      size_t maxlen = static_cast<size_t>(in_end - ip) - len;
      if (maxlen > kMaxRef) maxlen = kMaxRef;
      if (op + 3 + 1 >= out_end && op - (lit == 0 ? 1 : 0) + 3 + 1 >= out_end) return 0;
      op[-static_cast<ptrdiff_t>(lit) - 1] = static_cast<uint8_t>(lit - 1);  // end the run
      op -= (lit == 0 ? 1 : 0);                                              // drop an empty run
      bool done = false;
      if (maxlen > 16) {
        for (int k = 0; k < 16; ++k) {
          len++;
          if (ref[len] != ip[len]) {
            done = true;
            break;
          }
        }
      }
      if (!done) {
        do {
          len++;
        } while (len < maxlen && ref[len] == ip[len]);
      }
      len -= 2;  // now the match length minus 2... minus 1 after the ip++ below
      ip++;
      if (len < 7) {
        *op++ = static_cast<uint8_t>((off >> 8) + (len << 5));
      } else {
        *op++ = static_cast<uint8_t>((off >> 8) + (7 << 5));
        *op++ = static_cast<uint8_t>(len - 7);
      }
      *op++ = static_cast<uint8_t>(off);
      lit = 0;
      op++;  // start a literal run
      ip += len + 1;
      if (ip >= in_end - 2) break;
      // Hash the two positions before the new one (liblzf's VERY_FAST mode).
      ip -= 2;
      hval = First(ip);
      hval = Next(hval, ip);
      table[Slot(hval)] = static_cast<uint32_t>(ip - in);
      ip++;
      hval = Next(hval, ip);
      table[Slot(hval)] = static_cast<uint32_t>(ip - in);
      ip++;
    } else {
      if (op >= out_end) return 0;
      lit++;
      *op++ = *ip++;
      if (lit == kMaxLiteral) {
        op[-static_cast<ptrdiff_t>(lit) - 1] = static_cast<uint8_t>(lit - 1);
        lit = 0;
        op++;
      }
    }
  }
  if (op + 3 > out_end) return 0;
  while (ip < in_end) {
    lit++;
    *op++ = *ip++;
    if (lit == kMaxLiteral) {
      op[-static_cast<ptrdiff_t>(lit) - 1] = static_cast<uint8_t>(lit - 1);
      lit = 0;
      op++;
    }
  }
  op[-static_cast<ptrdiff_t>(lit) - 1] = static_cast<uint8_t>(lit - 1);
  op -= (lit == 0 ? 1 : 0);
  size_t n = static_cast<size_t>(op - buf.data());
  if (n > out_max) return 0;
  out->append(reinterpret_cast<const char*>(buf.data()), n);
  return n;
}

bool LzfDecompress(std::string_view input, size_t out_len, std::string* out) {
  const auto* ip = reinterpret_cast<const uint8_t*>(input.data());
  const uint8_t* const in_end = ip + input.size();
  size_t base = out->size();
  out->resize(base + out_len);
  auto* const ostart = reinterpret_cast<uint8_t*>(out->data()) + base;
  uint8_t* op = ostart;
  uint8_t* const out_end = ostart + out_len;
  while (ip < in_end) {
    size_t ctrl = *ip++;
    if (ctrl < 32) {  // literal run of ctrl + 1 bytes
      ctrl++;
      if (op + ctrl > out_end || ip + ctrl > in_end) return false;
      std::memcpy(op, ip, ctrl);
      op += ctrl;
      ip += ctrl;
    } else {  // back reference
      size_t len = ctrl >> 5;
      size_t back = (ctrl & 0x1f) << 8;
      if (len == 7) {
        if (ip >= in_end) return false;
        len += *ip++;
      }
      if (ip >= in_end) return false;
      back += *ip++;
      len += 2;
      if (op + len > out_end) return false;
      if (back + 1 > static_cast<size_t>(op - ostart)) return false;
      const uint8_t* ref = op - back - 1;
      for (size_t i = 0; i < len; ++i) *op++ = *ref++;
    }
  }
  return op == out_end;
}

}  // namespace kora::rdb
