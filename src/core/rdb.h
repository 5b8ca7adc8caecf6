// Redis's RDB object serialization (RDB version 10, Redis 7.0), used by DUMP/RESTORE and, later,
// by snapshots. A DUMP payload is: the object type byte, the object, the RDB version (2 bytes,
// little endian) and the CRC64 (core/rdb_crc64.h) of all that (8 bytes, little endian).
//
// Written encodings follow Redis 7.0 exactly: strings as integers, raw or LZF-compressed
// (core/rdb_lzf.h); lists as a quicklist of listpacks (type 18); sets as an intset (11) or a
// plain member list (2); sorted sets as a listpack (17) or members with binary scores from the
// highest (5); hashes as a listpack (16) or field/value pairs (4); streams as listpacks with
// their consumer groups (19). The reader also accepts what older Redis versions wrote: the
// plain list (1), sorted sets with string scores (3), ziplist lists, sorted sets and hashes
// (10, 12, 13), quicklists of ziplists (14) and 5.0-6.2 streams (15); not zipmaps (9). Every length
// is checked against the bytes present before anything is allocated, so garbage input is rejected,
// never trusted. Any thread; no state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/value.h"
#include "core/zset_object.h"

namespace kora::rdb {

inline constexpr int kRdbVersion = 10;

// Redis's object type bytes.
enum Type : uint8_t {
  kTypeString = 0,
  kTypeList = 1,
  kTypeSet = 2,
  kTypeZSet = 3,
  kTypeHash = 4,
  kTypeZSet2 = 5,
  kTypeHashZipmap = 9,
  kTypeListZiplist = 10,
  kTypeSetIntset = 11,
  kTypeZSetZiplist = 12,
  kTypeHashZiplist = 13,
  kTypeListQuicklist = 14,
  kTypeStreamListpacks = 15,
  kTypeHashListpack = 16,
  kTypeZSetListpack = 17,
  kTypeListQuicklist2 = 18,
  kTypeStreamListpacks2 = 19,
};

// Encoding thresholds the loaded object must respect (the server's CONFIG values).
struct Limits {
  size_t hash_max_listpack_entries = 128;
  size_t hash_max_listpack_value = 64;
  size_t set_max_intset_entries = 512;
  ZLimits zset;
  int64_t stream_node_max_bytes = 4096;  // 0: no limit
  int64_t stream_node_max_entries = 100;
};

// Appends the type byte and the serialized object.
bool SaveObject(const Value& v, std::string* out);

// Loads one object of `type` from the front of *in (advancing it). False when malformed, empty
// or unsupported.
bool LoadObject(uint8_t type, std::string_view* in, const Limits& lim, Value* out);

// DUMP: the full payload of `v`.
bool DumpPayload(const Value& v, std::string* out);

enum class RestoreStatus { kOk, kBadChecksum, kBadFormat };
// RESTORE: checks the footer (version <= 10 and CRC64), then loads the object.
RestoreStatus RestorePayload(std::string_view payload, const Limits& lim, Value* out);

}  // namespace kora::rdb
