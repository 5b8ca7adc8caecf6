// Internals shared by the RDB writer and reader (rdb_save.cc, rdb_load.cc, rdb_stream.cc):
// Redis's length and string encodings. Not part of the rdb.h interface.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "base/strutil.h"
#include "core/rdb_lzf.h"

namespace kora {
class StreamObject;
class Value;
}  // namespace kora

namespace kora::rdb {
struct Limits;

namespace detail {

constexpr uint8_t kEncInt8 = 0xC0, kEncInt16 = 0xC1, kEncInt32 = 0xC2, kEncLzf = 0xC3;

// Redis's rdbSaveLen.
void SaveLen(std::string* out, uint64_t len);
// Redis's rdbSaveRawString: integer, LZF or plain.
void SaveString(std::string* out, std::string_view s);
// Redis's rdbSaveBinaryDoubleValue.
void SaveBinaryDouble(std::string* out, double d);
// A score as Redis's d2string writes it into a listpack. Returns its length.
size_t ScoreString(double d, char* buf, size_t size);

// LZF expands at most 264 bytes out of a 3-byte back reference.
constexpr uint64_t kLzfMaxRatio = 89;
constexpr uint64_t kMaxStringLen = uint64_t{1} << 32;

// Reads Redis's encodings from the front of a byte range, bounds checked.
class Reader {
 public:
  explicit Reader(std::string_view* in) : in_(in) {}

  bool Byte(uint8_t* b) {
    if (in_->empty()) return false;
    *b = static_cast<uint8_t>((*in_)[0]);
    in_->remove_prefix(1);
    return true;
  }
  bool Bytes(uint64_t n, std::string_view* out) {
    if (n > in_->size()) return false;
    *out = in_->substr(0, n);
    in_->remove_prefix(n);
    return true;
  }

  // Redis's rdbLoadLenByRef.
  bool Len(uint64_t* len, bool* encoded = nullptr) {
    uint8_t b;
    if (!Byte(&b)) return false;
    if (encoded) *encoded = false;
    switch (b >> 6) {
      case 3:
        if (encoded == nullptr) return false;
        *encoded = true;
        *len = b & 0x3f;
        return true;
      case 0:
        *len = b & 0x3f;
        return true;
      case 1: {
        uint8_t b2;
        if (!Byte(&b2)) return false;
        *len = (uint64_t{b & 0x3fu} << 8) | b2;
        return true;
      }
      default: {
        int n = b == 0x80 ? 4 : (b == 0x81 ? 8 : 0);
        std::string_view v;
        if (n == 0 || !Bytes(n, &v)) return false;
        uint64_t x = 0;
        for (char c : v) x = (x << 8) | static_cast<uint8_t>(c);
        *len = x;
        return true;
      }
    }
  }
  // A plain length that must also fit in the bytes left (each item takes at least one byte).
  bool Count(uint64_t* n) { return Len(n) && *n <= in_->size(); }

  // Redis's rdbGenericLoadStringObject.
  bool String(std::string* out) {
    bool encoded;
    uint64_t len;
    if (!Len(&len, &encoded)) return false;
    out->clear();
    if (encoded) {
      std::string_view v;
      switch (len) {
        case 0:
        case 1:
        case 2: {
          int n = 1 << len;
          if (!Bytes(n, &v)) return false;
          uint64_t u = 0;
          for (int i = n - 1; i >= 0; --i) u = (u << 8) | static_cast<uint8_t>(v[i]);
          int64_t x = n == 1   ? static_cast<int8_t>(u)
                      : n == 2 ? static_cast<int16_t>(u)
                               : static_cast<int32_t>(u);
          AppendInt64(out, x);
          return true;
        }
        case 3: {
          uint64_t clen, ulen;
          if (!Len(&clen) || !Len(&ulen)) return false;
          if (ulen > kMaxStringLen || ulen > clen * kLzfMaxRatio) return false;
          if (!Bytes(clen, &v)) return false;
          return LzfDecompress(v, ulen, out);
        }
        default:
          return false;
      }
    }
    std::string_view v;
    if (!Bytes(len, &v)) return false;
    out->assign(v);
    return true;
  }

  // Redis's rdbLoadBinaryDoubleValue.
  bool BinaryDouble(double* d) {
    std::string_view v;
    if (!Bytes(8, &v)) return false;
    std::memcpy(d, v.data(), 8);
    return true;
  }
  // Redis's rdbLoadDoubleValue (RDB_TYPE_ZSET): a length byte, then the text.
  bool StringDouble(double* d) {
    uint8_t len;
    if (!Byte(&len)) return false;
    if (len == 253) {
      *d = NAN;
    } else if (len == 254) {
      *d = INFINITY;
    } else if (len == 255) {
      *d = -INFINITY;
    } else {
      std::string_view v;
      if (!Bytes(len, &v)) return false;
      char buf[256];
      std::memcpy(buf, v.data(), len);
      buf[len] = '\0';
      char* end;
      *d = std::strtod(buf, &end);
      if (end == buf) return false;
    }
    return true;
  }

 private:
  std::string_view* in_;
};

}  // namespace detail

// Streams (rdb_stream.cc): RDB_TYPE_STREAM_LISTPACKS_2.
bool SaveStream(const StreamObject& s, std::string* out);
// `v2`: RDB_TYPE_STREAM_LISTPACKS_2 (7.0); else RDB_TYPE_STREAM_LISTPACKS (5.0-6.2).
bool LoadStream(detail::Reader& r, const Limits& lim, bool v2, Value* out);

}  // namespace kora::rdb
