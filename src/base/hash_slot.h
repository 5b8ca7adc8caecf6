// Redis Cluster key slots: CRC16 (XMODEM) of the key, or of its {hash tag}, modulo 16384.
#pragma once

#include <cstdint>
#include <string_view>

namespace kora {

constexpr uint32_t kSlotCount = 16384;

uint16_t Crc16(const char* buf, size_t len);
// The slot Redis Cluster assigns to `key`.
uint32_t KeySlot(std::string_view key);

}  // namespace kora
