// Loading values from Redis's RDB object encodings (see rdb.h). Every read is bounds checked;
// counts never size an allocation beyond the bytes actually present.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <utility>
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

namespace kora::rdb {
namespace {

using detail::Reader;

using Elems = std::vector<std::pair<std::string, double>>;

// Builds a sorted set from unordered elements; false on a duplicate member or a NaN score.
// A set that would be a listpack by `entries` and `max_len` against `lim` becomes one.
bool MakeZSet(Elems& elems, size_t max_len, const ZLimits& lim, Value* out) {
  if (elems.empty()) return false;
  for (const auto& [m, s] : elems) {
    if (std::isnan(s)) return false;
  }
  std::sort(elems.begin(), elems.end(), [](const auto& a, const auto& b) {
    return a.second < b.second || (a.second == b.second && a.first < b.first);
  });
  std::vector<std::string_view> names;
  names.reserve(elems.size());
  for (const auto& e : elems) names.emplace_back(e.first);
  std::sort(names.begin(), names.end());
  if (std::adjacent_find(names.begin(), names.end()) != names.end()) return false;
  std::unique_ptr<ZSetObject> z = ZSetObject::Create(elems.size(), max_len, lim);
  for (const auto& [m, s] : elems) z->AppendSorted(m, s, lim);
  *out = Value::Collection(std::move(z));
  return true;
}

bool LoadList(Reader& r, uint8_t type, Value* out) {
  auto list = std::make_unique<ListObject>();
  if (type == kTypeListZiplist) {
    std::string blob;
    if (!r.String(&blob)) return false;
    bool ok = ZiplistForEach(blob, [&](std::string_view v) {
      list->PushBack(v);
      return true;
    });
    if (!ok || list->size() == 0) return false;
    *out = Value::Collection(std::move(list));
    return true;
  }
  uint64_t n;
  if (!r.Count(&n) || n == 0) return false;
  std::string s;
  auto push = [&](std::string_view v) {
    list->PushBack(v);
    return true;
  };
  for (uint64_t i = 0; i < n; ++i) {
    if (type == kTypeListQuicklist) {  // Redis 3.2-6.2: nodes are ziplists
      if (!r.String(&s) || !ZiplistForEach(s, push)) return false;
      continue;
    }
    if (type == kTypeList) {
      if (!r.String(&s)) return false;
      list->PushBack(s);
      continue;
    }
    uint64_t container;
    if (!r.Len(&container) || !r.String(&s)) return false;
    if (container == 1) {  // plain node: one element
      list->PushBack(s);
    } else if (container == 2) {  // packed node: a listpack
      bool ok = ListpackForEach(s, [&](std::string_view v) {
        list->PushBack(v);
        return true;
      });
      if (!ok) return false;
    } else {
      return false;
    }
  }
  if (list->size() == 0) return false;
  *out = Value::Collection(std::move(list));
  return true;
}

bool LoadSet(Reader& r, uint8_t type, const Limits& lim, Value* out) {
  auto set = std::make_unique<SetObject>();
  if (type == kTypeSetIntset) {
    std::string blob;
    std::vector<int64_t> ints;
    if (!r.String(&blob) || !DecodeIntset(blob, &ints) || ints.empty()) return false;
    std::string m;
    for (int64_t v : ints) {
      m.clear();
      AppendInt64(&m, v);
      set->Add(m, lim.set_max_intset_entries);
    }
  } else {
    uint64_t n;
    if (!r.Count(&n) || n == 0) return false;
    std::string m;
    for (uint64_t i = 0; i < n; ++i) {
      if (!r.String(&m)) return false;
      if (!set->Add(m, lim.set_max_intset_entries)) return false;  // duplicate member
    }
  }
  *out = Value::Collection(std::move(set));
  return true;
}

bool LoadZSet(Reader& r, uint8_t type, const Limits& lim, Value* out) {
  Elems elems;
  if (type == kTypeZSetListpack || type == kTypeZSetZiplist) {
    std::string blob;
    if (!r.String(&blob)) return false;
    bool member_turn = true;
    auto each = type == kTypeZSetListpack ? ListpackForEach : ZiplistForEach;
    bool ok = each(blob, [&](std::string_view v) {
      if (member_turn) {
        elems.emplace_back(std::string(v), 0.0);
      } else {
        // Redis's zzlGetScore: strtod over the text.
        char buf[128];
        size_t n = std::min(v.size(), sizeof(buf) - 1);
        std::memcpy(buf, v.data(), n);
        buf[n] = '\0';
        elems.back().second = std::strtod(buf, nullptr);
      }
      member_turn = !member_turn;
      return true;
    });
    if (!ok || !member_turn) return false;
    ZLimits pack_lim = lim.zset;
    pack_lim.max_value = SIZE_MAX;  // Redis keeps a loaded listpack whatever its lengths
    return MakeZSet(elems, 0, pack_lim, out);
  }
  uint64_t n;
  if (!r.Count(&n) || n == 0) return false;
  size_t max_len = 0;
  for (uint64_t i = 0; i < n; ++i) {
    std::string m;
    double score;
    if (!r.String(&m)) return false;
    if (!(type == kTypeZSet2 ? r.BinaryDouble(&score) : r.StringDouble(&score))) return false;
    max_len = std::max(max_len, m.size());
    elems.emplace_back(std::move(m), score);
  }
  return MakeZSet(elems, max_len, lim.zset, out);
}

bool LoadHash(Reader& r, uint8_t type, const Limits& lim, Value* out) {
  auto hash = std::make_unique<HashObject>();
  if (type == kTypeHashListpack || type == kTypeHashZiplist) {
    std::string blob;
    if (!r.String(&blob)) return false;
    std::string field;
    bool field_turn = true, dup = false;
    auto each = type == kTypeHashListpack ? ListpackForEach : ZiplistForEach;
    bool ok = each(blob, [&](std::string_view v) {
      if (field_turn) {
        field.assign(v);
      } else if (!hash->Set(field, v, lim.hash_max_listpack_entries)) {
        dup = true;
        return false;
      }
      field_turn = !field_turn;
      return true;
    });
    if (!ok || dup || !field_turn || hash->size() == 0) return false;
  } else {
    uint64_t n;
    if (!r.Count(&n) || n == 0) return false;
    std::string f, v;
    for (uint64_t i = 0; i < n; ++i) {
      if (!r.String(&f) || !r.String(&v)) return false;
      if (!hash->Set(f, v, lim.hash_max_listpack_entries, lim.hash_max_listpack_value)) {
        return false;  // duplicate field
      }
    }
  }
  *out = Value::Collection(std::move(hash));
  return true;
}

}  // namespace

bool LoadObject(uint8_t type, std::string_view* in, const Limits& lim, Value* out) {
  Reader r(in);
  switch (type) {
    case kTypeString: {
      std::string s;
      if (!r.String(&s)) return false;
      *out = Value::String(s);
      return true;
    }
    case kTypeList:
    case kTypeListZiplist:
    case kTypeListQuicklist:
    case kTypeListQuicklist2:
      return LoadList(r, type, out);
    case kTypeSet:
    case kTypeSetIntset:
      return LoadSet(r, type, lim, out);
    case kTypeZSet:
    case kTypeZSet2:
    case kTypeZSetZiplist:
    case kTypeZSetListpack:
      return LoadZSet(r, type, lim, out);
    case kTypeHash:
    case kTypeHashZiplist:
    case kTypeHashListpack:
      return LoadHash(r, type, lim, out);
    case kTypeStreamListpacks:
    case kTypeStreamListpacks2:
      return LoadStream(r, lim, type == kTypeStreamListpacks2, out);
    default:
      return false;  // zipmap hashes (Redis < 2.6), modules
  }
}

RestoreStatus RestorePayload(std::string_view payload, const Limits& lim, Value* out) {
  size_t n = payload.size();
  if (n < 10) return RestoreStatus::kBadChecksum;
  const auto* p = reinterpret_cast<const unsigned char*>(payload.data());
  int version = p[n - 10] | (p[n - 9] << 8);
  if (version > kRdbVersion) return RestoreStatus::kBadChecksum;
  uint64_t crc = 0;
  for (int i = 7; i >= 0; --i) crc = (crc << 8) | p[n - 8 + i];
  if (Crc64(0, p, n - 8) != crc) return RestoreStatus::kBadChecksum;
  std::string_view body = payload.substr(0, n - 10);
  if (body.empty()) return RestoreStatus::kBadFormat;
  uint8_t type = static_cast<uint8_t>(body[0]);
  body.remove_prefix(1);
  if (!LoadObject(type, &body, lim, out)) return RestoreStatus::kBadFormat;
  return RestoreStatus::kOk;
}

}  // namespace kora::rdb
