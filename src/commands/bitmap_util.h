// Helpers shared by the bitmap commands (bitmap_family.cc, bitmap_bitop.cc,
// bitmap_bitfield.cc).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "commands/string_util.h"

namespace kora {

// Redis's getBitOffsetFromArgument: a bit offset below proto-max-bulk-len * 8. With `hash`
// and bits > 0, "#N" means N * bits (BITFIELD). False after an error reply.
bool ParseBitOffset(CmdCtx& ctx, std::string_view arg, bool hash, int bits, uint64_t* out);

// Redis's lookupStringForBitCommand: the string at `key`, created or zero-padded so that bit
// `max_bit` exists, and left raw encoded. nullptr after a WRONGTYPE reply. *dirty tells whether
// the key was created or grown.
std::string* StringForBitWrite(CmdCtx& ctx, std::string_view key, uint64_t max_bit, bool* dirty);

// Set bits in p[0, count).
uint64_t Popcount(const uint8_t* p, size_t count);
// Redis's redisBitpos: position of the first bit equal to `bit` in p[0, count); when there is
// none, -1 for bit 1 and count * 8 for bit 0.
int64_t Bitpos(const uint8_t* p, size_t count, int bit);

std::vector<CommandSpec> BitmapBitopCommands();     // bitmap_bitop.cc
std::vector<CommandSpec> BitmapBitfieldCommands();  // bitmap_bitfield.cc

}  // namespace kora
