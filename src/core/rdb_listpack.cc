#include "core/rdb_listpack.h"

#include <cstring>

#include "base/strutil.h"

namespace kora::rdb {
namespace {

constexpr size_t kHeader = 6;  // total bytes (u32) + element count (u16)
constexpr uint8_t kEnd = 0xFF;

void PutLe(std::string* out, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetLe(const unsigned char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}

// Size of the back-length field for an entry of `l` bytes (Redis's lpEncodeBacklen).
size_t BacklenSize(size_t l) {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

int64_t SignExtend(uint64_t v, int bits) {
  uint64_t m = uint64_t{1} << (bits - 1);
  v &= (bits == 64) ? ~uint64_t{0} : ((uint64_t{1} << bits) - 1);
  return static_cast<int64_t>((v ^ m) - m);
}

}  // namespace

ListpackWriter::ListpackWriter() { buf_.assign(kHeader, '\0'); }

void ListpackWriter::AppendBacklen(size_t l) {
  switch (BacklenSize(l)) {
    case 1:
      buf_.push_back(static_cast<char>(l));
      break;
    case 2:
      buf_.push_back(static_cast<char>(l >> 7));
      buf_.push_back(static_cast<char>((l & 127) | 128));
      break;
    case 3:
      buf_.push_back(static_cast<char>(l >> 14));
      buf_.push_back(static_cast<char>(((l >> 7) & 127) | 128));
      buf_.push_back(static_cast<char>((l & 127) | 128));
      break;
    case 4:
      buf_.push_back(static_cast<char>(l >> 21));
      buf_.push_back(static_cast<char>(((l >> 14) & 127) | 128));
      buf_.push_back(static_cast<char>(((l >> 7) & 127) | 128));
      buf_.push_back(static_cast<char>((l & 127) | 128));
      break;
    default:
      buf_.push_back(static_cast<char>(l >> 28));
      buf_.push_back(static_cast<char>(((l >> 21) & 127) | 128));
      buf_.push_back(static_cast<char>(((l >> 14) & 127) | 128));
      buf_.push_back(static_cast<char>(((l >> 7) & 127) | 128));
      buf_.push_back(static_cast<char>((l & 127) | 128));
      break;
  }
}

void ListpackWriter::AppendInt(int64_t v) {
  size_t start = buf_.size();
  if (v >= 0 && v <= 127) {
    buf_.push_back(static_cast<char>(v));
  } else if (v >= -4096 && v <= 4095) {
    uint64_t u = v < 0 ? (uint64_t{1} << 13) + v : static_cast<uint64_t>(v);
    buf_.push_back(static_cast<char>((u >> 8) | 0xC0));
    buf_.push_back(static_cast<char>(u & 0xff));
  } else if (v >= -32768 && v <= 32767) {
    buf_.push_back(static_cast<char>(0xF1));
    PutLe(&buf_, static_cast<uint64_t>(v), 2);
  } else if (v >= -8388608 && v <= 8388607) {
    buf_.push_back(static_cast<char>(0xF2));
    PutLe(&buf_, static_cast<uint64_t>(v), 3);
  } else if (v >= INT32_MIN && v <= INT32_MAX) {
    buf_.push_back(static_cast<char>(0xF3));
    PutLe(&buf_, static_cast<uint64_t>(v), 4);
  } else {
    buf_.push_back(static_cast<char>(0xF4));
    PutLe(&buf_, static_cast<uint64_t>(v), 8);
  }
  AppendBacklen(buf_.size() - start);
  ++count_;
}

void ListpackWriter::Append(std::string_view s) {
  int64_t v;
  if (s.size() <= 20 && ParseInt64(s, &v)) return AppendInt(v);
  size_t start = buf_.size();
  size_t len = s.size();
  if (len < 64) {
    buf_.push_back(static_cast<char>(0x80 | len));
  } else if (len < 4096) {
    buf_.push_back(static_cast<char>((len >> 8) | 0xE0));
    buf_.push_back(static_cast<char>(len & 0xff));
  } else {
    buf_.push_back(static_cast<char>(0xF0));
    PutLe(&buf_, len, 4);
  }
  buf_.append(s);
  AppendBacklen(buf_.size() - start);
  ++count_;
}

std::string ListpackWriter::Finish() {
  std::string out = std::move(buf_);
  out.push_back(static_cast<char>(kEnd));
  uint64_t total = out.size();
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((total >> (8 * i)) & 0xff);
  uint64_t n = count_ < 65535 ? count_ : 65535;
  out[4] = static_cast<char>(n & 0xff);
  out[5] = static_cast<char>(n >> 8);
  buf_.assign(kHeader, '\0');
  count_ = 0;
  return out;
}

bool ListpackForEach(std::string_view lp, const std::function<bool(std::string_view)>& fn) {
  const auto* p = reinterpret_cast<const unsigned char*>(lp.data());
  size_t size = lp.size();
  if (size < kHeader + 1) return false;
  if (GetLe(p, 4) != size || p[size - 1] != kEnd) return false;
  size_t declared = GetLe(p + 4, 2);
  size_t pos = kHeader, count = 0;
  const size_t end = size - 1;
  char num[24];
  while (pos < end) {
    unsigned char b = p[pos];
    size_t hdr = 1, data = 0;
    bool is_int = true;
    int64_t iv = 0;
    if ((b & 0x80) == 0) {  // 7-bit uint
      iv = b & 0x7f;
    } else if ((b & 0xC0) == 0x80) {  // 6-bit string length
      is_int = false;
      data = b & 0x3f;
    } else if ((b & 0xE0) == 0xC0) {  // 13-bit int
      if (pos + 2 > end) return false;
      hdr = 2;
      iv = SignExtend((uint64_t{b & 0x1fu} << 8) | p[pos + 1], 13);
    } else if ((b & 0xF0) == 0xE0) {  // 12-bit string length
      if (pos + 2 > end) return false;
      hdr = 2;
      is_int = false;
      data = (size_t{b & 0x0fu} << 8) | p[pos + 1];
    } else if (b == 0xF0) {  // 32-bit string length
      if (pos + 5 > end) return false;
      hdr = 5;
      is_int = false;
      data = GetLe(p + pos + 1, 4);
    } else if (b >= 0xF1 && b <= 0xF4) {
      static constexpr int kBytes[] = {2, 3, 4, 8};
      int n = kBytes[b - 0xF1];
      if (pos + 1 + n > end) return false;
      hdr = 1 + n;
      iv = SignExtend(GetLe(p + pos + 1, n), 8 * n);
    } else {
      return false;  // 0xF5..0xFE are not used; 0xFF is the terminator
    }
    if (data > end - pos - hdr) return false;
    size_t entry_len = hdr + data;
    size_t bl = BacklenSize(entry_len);
    if (pos + entry_len + bl > end) return false;
    // The back-length must encode entry_len exactly (Redis's lpValidateNext).
    const unsigned char* q = p + pos + entry_len + bl - 1;
    uint64_t decoded = 0;
    for (size_t i = 0; i < bl; ++i) {
      unsigned char c = q[-static_cast<ptrdiff_t>(i)];
      decoded |= uint64_t{c & 127u} << (7 * i);
      bool more = c & 128;
      if (more != (i + 1 < bl)) return false;
    }
    if (decoded != entry_len) return false;
    std::string_view entry;
    if (is_int) {
      char* e = num + sizeof(num);
      uint64_t u = iv < 0 ? 0 - static_cast<uint64_t>(iv) : static_cast<uint64_t>(iv);
      do {
        *--e = static_cast<char>('0' + u % 10);
        u /= 10;
      } while (u);
      if (iv < 0) *--e = '-';
      entry = std::string_view(e, static_cast<size_t>(num + sizeof(num) - e));
    } else {
      entry = std::string_view(reinterpret_cast<const char*>(p + pos + hdr), data);
    }
    pos += entry_len + bl;
    ++count;
    if (!fn(entry)) return true;
  }
  if (pos != end) return false;
  if (declared != 65535 && declared != count) return false;
  return true;
}

bool ZiplistForEach(std::string_view zl, const std::function<bool(std::string_view)>& fn) {
  const auto* p = reinterpret_cast<const unsigned char*>(zl.data());
  const size_t size = zl.size();
  constexpr size_t kZlHeader = 10;
  if (size < kZlHeader + 1) return false;
  if (GetLe(p, 4) != size || p[size - 1] != kEnd) return false;
  size_t tail = GetLe(p + 4, 4);
  size_t declared = GetLe(p + 8, 2);
  const size_t end = size - 1;
  size_t pos = kZlHeader, count = 0, prev_len = 0, last = kZlHeader;
  char num[24];
  while (pos < end) {
    size_t start = pos;
    // prevlen: 1 byte, or 0xFE and 4 bytes.
    size_t prevlen;
    if (p[pos] < 254) {
      prevlen = p[pos];
      pos += 1;
    } else if (p[pos] == 254) {
      if (pos + 5 > end) return false;
      prevlen = GetLe(p + pos + 1, 4);
      pos += 5;
    } else {
      return false;
    }
    if (prevlen != prev_len) return false;
    if (pos >= end) return false;
    unsigned char b = p[pos];
    bool is_int = true;
    int64_t iv = 0;
    size_t data = 0, hdr = 1;
    switch (b >> 6) {
      case 0:
        is_int = false;
        data = b & 0x3f;
        break;
      case 1:
        if (pos + 2 > end) return false;
        is_int = false;
        hdr = 2;
        data = (size_t{b & 0x3fu} << 8) | p[pos + 1];
        break;
      case 2:
        if (b != 0x80 || pos + 5 > end) return false;
        is_int = false;
        hdr = 5;
        data = (size_t{p[pos + 1]} << 24) | (size_t{p[pos + 2]} << 16) | (size_t{p[pos + 3]} << 8) |
               p[pos + 4];
        break;
      default: {
        int n;
        if (b == 0xC0) {
          n = 2;
        } else if (b == 0xD0) {
          n = 4;
        } else if (b == 0xE0) {
          n = 8;
        } else if (b == 0xF0) {
          n = 3;
        } else if (b == 0xFE) {
          n = 1;
        } else if (b >= 0xF1 && b <= 0xFD) {
          n = 0;
          iv = (b & 0x0f) - 1;
        } else {
          return false;
        }
        if (pos + 1 + n > end) return false;
        if (n > 0) iv = SignExtend(GetLe(p + pos + 1, n), 8 * n);
        data = n;
        break;
      }
    }
    if (data > end - pos - hdr) return false;
    std::string_view entry;
    if (is_int) {
      char* e = num + sizeof(num);
      uint64_t u = iv < 0 ? 0 - static_cast<uint64_t>(iv) : static_cast<uint64_t>(iv);
      do {
        *--e = static_cast<char>('0' + u % 10);
        u /= 10;
      } while (u);
      if (iv < 0) *--e = '-';
      entry = std::string_view(e, static_cast<size_t>(num + sizeof(num) - e));
    } else {
      entry = std::string_view(reinterpret_cast<const char*>(p + pos + hdr), data);
    }
    pos += hdr + data;
    prev_len = pos - start;
    last = start;
    ++count;
    if (!fn(entry)) return true;
  }
  if (pos != end) return false;
  if (count > 0 && tail != last) return false;
  if (declared != 65535 && declared != count) return false;
  return true;
}

std::string EncodeIntset(const std::vector<int64_t>& sorted) {
  int width = 2;
  for (int64_t v : sorted) {
    if (v < INT32_MIN || v > INT32_MAX) {
      width = 8;
      break;
    }
    if (v < INT16_MIN || v > INT16_MAX) width = 4;
  }
  std::string out;
  out.reserve(8 + sorted.size() * width);
  PutLe(&out, static_cast<uint64_t>(width), 4);
  PutLe(&out, sorted.size(), 4);
  for (int64_t v : sorted) PutLe(&out, static_cast<uint64_t>(v), width);
  return out;
}

bool DecodeIntset(std::string_view blob, std::vector<int64_t>* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(blob.data());
  if (blob.size() < 8) return false;
  uint64_t width = GetLe(p, 4);
  uint64_t count = GetLe(p + 4, 4);
  if (width != 2 && width != 4 && width != 8) return false;
  if (count * width + 8 != blob.size()) return false;
  out->clear();
  out->reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    int64_t v =
        SignExtend(GetLe(p + 8 + i * width, static_cast<int>(width)), static_cast<int>(width * 8));
    if (!out->empty() && v <= out->back()) return false;
    out->push_back(v);
  }
  return true;
}

}  // namespace kora::rdb
