// CRC-64/Jones as Redis uses it for DUMP payloads and RDB files: polynomial
// 0xad93d23594c935a9, reflected input and output, initial value 0, no final xor
// (check value of "123456789": 0xe9c6d914c4b8d9ca). Table driven, any thread.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kora::rdb {

// Continues `crc` over `n` bytes (start with 0).
uint64_t Crc64(uint64_t crc, const void* data, size_t n);

}  // namespace kora::rdb
