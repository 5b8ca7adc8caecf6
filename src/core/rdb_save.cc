// Serializing values the way Redis 7.0's rdbSaveObject does (see rdb.h).
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "base/strutil.h"
#include "core/hash_object.h"
#include "core/list_object.h"
#include "core/rdb.h"
#include "core/rdb_crc64.h"
#include "core/rdb_io.h"
#include "core/rdb_listpack.h"
#include "core/rdb_lzf.h"
#include "core/set_object.h"
#include "core/stream_object.h"

namespace kora::rdb {
namespace detail {

// Redis's rdbSaveLen.
void SaveLen(std::string* out, uint64_t len) {
  if (len < (1u << 6)) {
    out->push_back(static_cast<char>(len));
  } else if (len < (1u << 14)) {
    out->push_back(static_cast<char>(((len >> 8) & 0xff) | 0x40));
    out->push_back(static_cast<char>(len & 0xff));
  } else if (len <= UINT32_MAX) {
    out->push_back(static_cast<char>(0x80));
    for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>((len >> (8 * i)) & 0xff));
  } else {
    out->push_back(static_cast<char>(0x81));
    for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((len >> (8 * i)) & 0xff));
  }
}

// Redis's rdbEncodeInteger: false when v needs more than 32 bits.
bool SaveEncodedInt(std::string* out, int64_t v) {
  uint64_t u = static_cast<uint64_t>(v);
  if (v >= -(1 << 7) && v <= (1 << 7) - 1) {
    out->push_back(static_cast<char>(kEncInt8));
    out->push_back(static_cast<char>(u & 0xff));
  } else if (v >= -(1 << 15) && v <= (1 << 15) - 1) {
    out->push_back(static_cast<char>(kEncInt16));
    for (int i = 0; i < 2; ++i) out->push_back(static_cast<char>((u >> (8 * i)) & 0xff));
  } else if (v >= INT32_MIN && v <= INT32_MAX) {
    out->push_back(static_cast<char>(kEncInt32));
    for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((u >> (8 * i)) & 0xff));
  } else {
    return false;
  }
  return true;
}

// Redis's rdbSaveRawString: an integer when the string is one (up to 11 characters), LZF when
// longer than 20 bytes and compressible, the bytes otherwise.
void SaveString(std::string* out, std::string_view s) {
  int64_t v;
  if (s.size() <= 11 && ParseInt64(s, &v) && SaveEncodedInt(out, v)) return;
  if (s.size() > 20) {
    std::string packed;
    if (LzfCompress(s, s.size() - 4, &packed) > 0) {
      out->push_back(static_cast<char>(kEncLzf));
      SaveLen(out, packed.size());
      SaveLen(out, s.size());
      out->append(packed);
      return;
    }
  }
  SaveLen(out, s.size());
  out->append(s);
}

// Redis's rdbSaveLongLongAsStringObject (integer-encoded string values).
void SaveIntString(std::string* out, int64_t v) {
  if (SaveEncodedInt(out, v)) return;
  std::string s;
  AppendInt64(&s, v);
  SaveLen(out, s.size());
  out->append(s);
}

// A score as Redis's d2string writes it into a listpack: an integer when integral (within
// +-2^62), else %.17g.
size_t ScoreString(double d, char* buf, size_t size) {
  int n;
  if (std::isinf(d)) {
    n = std::snprintf(buf, size, "%s", d > 0 ? "inf" : "-inf");
  } else if (d == 0) {
    n = std::snprintf(buf, size, "%s", std::signbit(d) ? "-0" : "0");
  } else if (d >= -4611686018427387903.0 && d <= 4611686018427387903.0 &&
             d == static_cast<double>(static_cast<long long>(d))) {
    n = std::snprintf(buf, size, "%lld", static_cast<long long>(d));
  } else {
    n = std::snprintf(buf, size, "%.17g", d);
  }
  return static_cast<size_t>(n);
}

// Redis's rdbSaveBinaryDoubleValue: 8 bytes, little endian.
void SaveBinaryDouble(std::string* out, double d) {
  char buf[8];
  std::memcpy(buf, &d, 8);
  out->append(buf, 8);
}

}  // namespace detail

namespace {

using detail::SaveBinaryDouble;
using detail::SaveIntString;
using detail::SaveLen;
using detail::SaveString;
using detail::ScoreString;
constexpr size_t kQuicklistNodeLimit = 8192;  // list-max-listpack-size -2
constexpr size_t kPlainThreshold = size_t{1} << 30;

void SaveList(const ListObject& l, std::string* out) {
  // Split as a quicklist filled by RPUSH would be (Redis's _quicklistNodeAllowInsert).
  struct Node {
    bool plain;
    std::string bytes;
  };
  std::vector<Node> nodes;
  ListpackWriter lp;
  auto flush = [&]() {
    if (lp.count() > 0) nodes.push_back(Node{false, lp.Finish()});
  };
  l.ForEach([&](size_t, std::string_view v) {
    size_t sz = v.size();
    if (sz >= kPlainThreshold) {
      flush();
      nodes.push_back(Node{true, std::string(v)});
      return true;
    }
    size_t overhead = (sz < 254 ? 1 : 5) + (sz < 64 ? 1 : (sz < 16384 ? 2 : 5));
    if (lp.count() > 0 && lp.bytes() + sz + overhead > kQuicklistNodeLimit) flush();
    lp.Append(v);
    return true;
  });
  flush();
  out->push_back(static_cast<char>(kTypeListQuicklist2));
  SaveLen(out, nodes.size());
  for (const Node& n : nodes) {
    SaveLen(out, n.plain ? 1 : 2);
    SaveString(out, n.bytes);
  }
}

void SaveSet(const SetObject& s, std::string* out) {
  if (s.is_intset()) {
    std::vector<int64_t> v(s.size());
    for (size_t i = 0; i < v.size(); ++i) v[i] = s.IntAt(i);
    out->push_back(static_cast<char>(kTypeSetIntset));
    SaveString(out, EncodeIntset(v));
    return;
  }
  out->push_back(static_cast<char>(kTypeSet));
  SaveLen(out, s.size());
  s.ForEach([&](std::string_view m) { SaveString(out, m); });
}

void SaveZSet(const ZSetObject& z, std::string* out) {
  if (z.is_listpack()) {
    ListpackWriter lp;
    for (ZSetObject::Iterator it = z.Seek(0); it.valid(); it.Next()) {
      lp.Append(it.member());
      char buf[64];
      lp.Append(std::string_view(buf, ScoreString(it.score(), buf, sizeof(buf))));
    }
    out->push_back(static_cast<char>(kTypeZSetListpack));
    SaveString(out, lp.Finish());
    return;
  }
  out->push_back(static_cast<char>(kTypeZSet2));
  SaveLen(out, z.size());
  // From the highest element down, as Redis walks its skiplist from the tail.
  for (ZSetObject::Iterator it = z.Seek(z.size() - 1); it.valid(); it.Prev()) {
    SaveString(out, it.member());
    SaveBinaryDouble(out, it.score());
  }
}

void SaveHash(const HashObject& h, std::string* out) {
  if (h.is_listpack()) {
    ListpackWriter lp;
    h.ForEach([&](std::string_view f, std::string_view v) {
      lp.Append(f);
      lp.Append(v);
    });
    out->push_back(static_cast<char>(kTypeHashListpack));
    SaveString(out, lp.Finish());
    return;
  }
  out->push_back(static_cast<char>(kTypeHash));
  SaveLen(out, h.size());
  h.ForEach([&](std::string_view f, std::string_view v) {
    SaveString(out, f);
    SaveString(out, v);
  });
}

}  // namespace

bool SaveObject(const Value& v, std::string* out) {
  switch (v.type()) {
    case ValueType::kString:
      out->push_back(static_cast<char>(kTypeString));
      if (v.is_int()) {
        SaveIntString(out, v.int_value());
      } else {
        std::string scratch;
        SaveString(out, v.StrView(&scratch));
      }
      return true;
    case ValueType::kList:
      SaveList(*v.As<ListObject>(), out);
      return true;
    case ValueType::kSet:
      SaveSet(*v.As<SetObject>(), out);
      return true;
    case ValueType::kZSet:
      SaveZSet(*v.As<ZSetObject>(), out);
      return true;
    case ValueType::kHash:
      SaveHash(*v.As<HashObject>(), out);
      return true;
    case ValueType::kStream:
      return SaveStream(*v.As<StreamObject>(), out);
  }
  return false;
}

bool DumpPayload(const Value& v, std::string* out) {
  out->clear();
  SaveObject(v, out);
  out->push_back(static_cast<char>(kRdbVersion & 0xff));
  out->push_back(static_cast<char>((kRdbVersion >> 8) & 0xff));
  uint64_t crc = Crc64(0, out->data(), out->size());
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  return true;
}

}  // namespace kora::rdb
