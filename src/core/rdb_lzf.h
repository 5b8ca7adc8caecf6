// LZF, the compression of RDB strings (Kora's own implementation of the format and of the
// compressor liblzf uses in Redis: 3-byte hashing into a 2^16-slot table, literal runs of up to
// 32 bytes, back references of up to 264 bytes within 8 KiB), so Kora's DUMP payloads match
// Redis's byte for byte and either side decompresses the other's.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace kora::rdb {

// Compresses `in` into at most `out_max` bytes appended to *out. Returns the compressed size,
// or 0 (appending nothing) when it does not fit.
size_t LzfCompress(std::string_view in, size_t out_max, std::string* out);

// Decompresses `in`, which must expand to exactly `out_len` bytes, into *out. False on any
// malformed input (never reads or writes out of bounds).
bool LzfDecompress(std::string_view in, size_t out_len, std::string* out);

}  // namespace kora::rdb
