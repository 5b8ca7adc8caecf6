// libFuzzer target: the RDB object decoder behind RESTORE (core/rdb.h). The input is an object
// body (type byte + encoding): it is tried as a full DUMP payload as is, then with a valid
// RDB-version + CRC64 footer appended so the decoder itself is reached. Invariants: no crash,
// no allocation beyond a small multiple of the input, and whatever loads dumps and reloads.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/rdb.h"
#include "core/rdb_crc64.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kora;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  rdb::Limits lim;
  lim.hash_max_listpack_entries = 8;
  lim.set_max_intset_entries = 8;
  lim.zset.max_entries = 8;
  Value v;
  (void)rdb::RestorePayload(in, lim, &v);

  std::string payload(in);
  payload.push_back(static_cast<char>(rdb::kRdbVersion));
  payload.push_back(0);
  uint64_t crc = rdb::Crc64(0, payload.data(), payload.size());
  for (int i = 0; i < 8; ++i) payload.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  Value loaded;
  if (rdb::RestorePayload(payload, lim, &loaded) != rdb::RestoreStatus::kOk) return 0;
  std::string dumped;
  if (!rdb::DumpPayload(loaded, &dumped)) abort();
  Value again;
  if (rdb::RestorePayload(dumped, lim, &again) != rdb::RestoreStatus::kOk) abort();
  return 0;
}
