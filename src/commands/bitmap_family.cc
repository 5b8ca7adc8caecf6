// Bitmap commands: SETBIT GETBIT BITCOUNT BITPOS here; BITOP in bitmap_bitop.cc, BITFIELD and
// BITFIELD_RO in bitmap_bitfield.cc.
#include <cstring>

#include "commands/notify.h"
#include "commands/bitmap_util.h"
#include "commands/families.h"

namespace kora {

bool ParseBitOffset(CmdCtx& ctx, std::string_view arg, bool hash, int bits, uint64_t* out) {
  constexpr std::string_view kErr = "ERR bit offset is not an integer or out of range";
  bool use_hash = hash && bits > 0 && !arg.empty() && arg[0] == '#';
  int64_t v;
  if (!ParseInt64(arg.substr(use_hash ? 1 : 0), &v)) {
    ctx.rb->Error(kErr);
    return false;
  }
  if (use_hash) v = static_cast<int64_t>(static_cast<uint64_t>(v) * static_cast<uint64_t>(bits));
  if (v < 0 || ((v >> 3) >= kMinProtoMaxBulkLen && (v >> 3) >= ProtoMaxBulkLen(ctx))) {
    ctx.rb->Error(kErr);
    return false;
  }
  *out = static_cast<uint64_t>(v);
  return true;
}

std::string* StringForBitWrite(CmdCtx& ctx, std::string_view key, uint64_t max_bit, bool* dirty) {
  size_t need = (max_bit >> 3) + 1;
  DbTable& db = ctx.db();
  KeyEntry* e = db.Find(key, ctx.now_ms);
  if (e == nullptr) {
    e = db.Insert(key, Value::RawString(std::string(need, '\0')));
    *dirty = true;
    return &e->value.MutableRaw();
  }
  if (!e->value.is_string()) {
    ctx.rb->Error(err::kWrongType);
    return nullptr;
  }
  std::string* s = &e->value.MutableRaw();
  *dirty = s->size() < need;
  if (*dirty) s->resize(need, '\0');
  return s;
}

uint64_t Popcount(const uint8_t* p, size_t count) {
  uint64_t bits = 0;
  size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    bits += __builtin_popcountll(w);
  }
  for (; i < count; ++i) bits += __builtin_popcount(p[i]);
  return bits;
}

int64_t Bitpos(const uint8_t* p, size_t count, int bit) {
  size_t i = 0;
  const uint64_t skip = bit ? 0 : ~uint64_t{0};
  for (; i + 8 <= count; i += 8) {  // skip whole words that cannot hold the bit
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    if (w != skip) break;
  }
  for (; i < count; ++i) {
    unsigned b = bit ? p[i] : static_cast<uint8_t>(~p[i]);
    if (b) return static_cast<int64_t>(i * 8) + __builtin_clz(b) - 24;
  }
  return bit ? -1 : static_cast<int64_t>(count * 8);
}

namespace {

void CmdSetBit(CmdArgs args, CmdCtx& ctx) {
  constexpr std::string_view kErr = "ERR bit is not an integer or out of range";
  uint64_t offset;
  if (!ParseBitOffset(ctx, args[2], false, 0, &offset)) return;
  int64_t on;
  if (!ParseIntOrReply(args[3], &on, ctx.rb, kErr)) return;
  if (on & ~int64_t{1}) return ctx.rb->Error(kErr);
  bool dirty;
  std::string* s = StringForBitWrite(ctx, args[1], offset, &dirty);
  if (s == nullptr) return;
  uint8_t& byte = reinterpret_cast<uint8_t&>((*s)[offset >> 3]);
  int bit = 7 - static_cast<int>(offset & 7);
  int old = (byte >> bit) & 1;
  byte = static_cast<uint8_t>((byte & ~(1 << bit)) | (on << bit));
  NotifyKeyspaceEvent(ctx, kNotifyString, "setbit", args[1]);
  ctx.rb->Integer(old);
}

void CmdGetBit(CmdArgs args, CmdCtx& ctx) {
  uint64_t offset;
  if (!ParseBitOffset(ctx, args[2], false, 0, &offset)) return;
  KeyEntry* e = ctx.db().Find(args[1], ctx.now_ms);
  if (e == nullptr) {
    ++ctx.shard().stats().keyspace_misses;
    return ctx.rb->Integer(0);
  }
  ++ctx.shard().stats().keyspace_hits;
  if (!e->value.is_string()) return ctx.rb->Error(err::kWrongType);
  IntDigits d;
  std::string_view s = StrBytes(e->value, &d);
  uint64_t byte = offset >> 3;
  int bit = 0;
  if (byte < s.size()) bit = (static_cast<uint8_t>(s[byte]) >> (7 - (offset & 7))) & 1;
  ctx.rb->Integer(bit);
}

// Parses "BIT" / "BYTE" (case-insensitive, as a C string). False after a syntax error reply.
bool ParseUnit(CmdCtx& ctx, std::string_view arg, bool* is_bit) {
  std::string_view a = arg.substr(0, arg.find('\0'));
  if (EqualsIgnoreCase(a, "bit")) {
    *is_bit = true;
  } else if (EqualsIgnoreCase(a, "byte")) {
    *is_bit = false;
  } else {
    ctx.rb->Error(err::kSyntax);
    return false;
  }
  return true;
}

// Clamps [start, end] to a string of `total` units the way Redis does for BITCOUNT/BITPOS.
void ClampRange(int64_t total, int64_t* start, int64_t* end) {
  if (*start < 0) *start += total;
  if (*end < 0) *end += total;
  if (*start < 0) *start = 0;
  if (*end < 0) *end = 0;
  if (*end >= total) *end = total - 1;
}

void CmdBitCount(CmdArgs args, CmdCtx& ctx) {
  KeyEntry* e = ctx.db().Find(args[1], ctx.now_ms);
  if (e == nullptr) {
    ++ctx.shard().stats().keyspace_misses;
    return ctx.rb->Integer(0);
  }
  ++ctx.shard().stats().keyspace_hits;
  if (!e->value.is_string()) return ctx.rb->Error(err::kWrongType);
  IntDigits d;
  std::string_view s = StrBytes(e->value, &d);
  const uint8_t* p = reinterpret_cast<const uint8_t*>(s.data());
  int64_t len = static_cast<int64_t>(s.size());
  int64_t start = 0, end = len - 1;
  uint8_t first_mask = 0, last_mask = 0;
  if (args.size() == 4 || args.size() == 5) {
    if (!ParseIntOrReply(args[2], &start, ctx.rb) || !ParseIntOrReply(args[3], &end, ctx.rb)) {
      return;
    }
    if (start < 0 && end < 0 && start > end) return ctx.rb->Integer(0);
    bool is_bit = false;
    if (args.size() == 5 && !ParseUnit(ctx, args[4], &is_bit)) return;
    ClampRange(is_bit ? len * 8 : len, &start, &end);
    if (is_bit && start <= end) {
      first_mask = static_cast<uint8_t>(~((1 << (8 - (start & 7))) - 1));
      last_mask = static_cast<uint8_t>((1 << (7 - (end & 7))) - 1);
      start >>= 3;
      end >>= 3;
    }
  } else if (args.size() != 2) {
    return ctx.rb->Error(err::kSyntax);
  }
  if (start > end) return ctx.rb->Integer(0);
  int64_t count = static_cast<int64_t>(Popcount(p + start, end - start + 1));
  // Bits of the edge bytes outside a BIT range were counted: take them back out.
  count -= __builtin_popcount(p[start] & first_mask) + __builtin_popcount(p[end] & last_mask);
  ctx.rb->Integer(count);
}

void CmdBitPos(CmdArgs args, CmdCtx& ctx) {
  int64_t bit;
  if (!ParseIntOrReply(args[2], &bit, ctx.rb)) return;
  if (bit != 0 && bit != 1) return ctx.rb->Error("ERR The bit argument must be 1 or 0.");
  KeyEntry* e = ctx.db().Find(args[1], ctx.now_ms);
  if (e == nullptr) {
    ++ctx.shard().stats().keyspace_misses;
    return ctx.rb->Integer(bit ? -1 : 0);
  }
  ++ctx.shard().stats().keyspace_hits;
  if (!e->value.is_string()) return ctx.rb->Error(err::kWrongType);
  IntDigits d;
  std::string_view s = StrBytes(e->value, &d);
  const uint8_t* p = reinterpret_cast<const uint8_t*>(s.data());
  int64_t len = static_cast<int64_t>(s.size());
  int64_t start = 0, end = len - 1;
  bool end_given = false;
  uint8_t first_mask = 0, last_mask = 0;
  size_t argc = args.size();
  if (argc >= 4 && argc <= 6) {
    if (!ParseIntOrReply(args[3], &start, ctx.rb)) return;
    bool is_bit = false;
    if (argc == 6 && !ParseUnit(ctx, args[5], &is_bit)) return;
    if (argc >= 5) {
      if (!ParseIntOrReply(args[4], &end, ctx.rb)) return;
      end_given = true;
    }
    ClampRange(is_bit ? len * 8 : len, &start, &end);
    if (is_bit && start <= end) {
      first_mask = static_cast<uint8_t>(~((1 << (8 - (start & 7))) - 1));
      last_mask = static_cast<uint8_t>((1 << (7 - (end & 7))) - 1);
      start >>= 3;
      end >>= 3;
    }
  } else if (argc != 3) {
    return ctx.rb->Error(err::kSyntax);
  }
  if (start > end) return ctx.rb->Integer(-1);

  // Redis's algorithm: the partial first byte, the whole bytes, then the partial last byte.
  int64_t bytes = end - start + 1;
  int64_t pos = -1;
  uint8_t tmp;
  auto masked = [&](uint8_t v, uint8_t mask) -> uint8_t {
    return bit ? static_cast<uint8_t>(v & ~mask) : static_cast<uint8_t>(v | mask);
  };
  bool done = false;
  if (first_mask) {
    tmp = masked(p[start], first_mask);
    if (last_mask && bytes == 1) tmp = masked(tmp, last_mask);
    pos = Bitpos(&tmp, 1, static_cast<int>(bit));
    if (bytes == 1 || (pos != -1 && pos != 8)) {
      done = true;
    } else {
      ++start;
      --bytes;
    }
  }
  if (!done) {
    int64_t cur = bytes - (last_mask ? 1 : 0);
    if (cur > 0) {
      pos = Bitpos(p + start, cur, static_cast<int>(bit));
      if (bytes == cur || (pos != -1 && pos != cur * 8)) {
        done = true;
      } else {
        start += cur;
        bytes -= cur;
      }
    }
  }
  if (!done) {
    tmp = masked(p[end], last_mask);
    pos = Bitpos(&tmp, 1, static_cast<int>(bit));
  }
  // With an explicit end, a clear bit past the range is not in the range.
  if (end_given && bit == 0 && pos == bytes * 8) return ctx.rb->Integer(-1);
  if (pos != -1) pos += start * 8;
  ctx.rb->Integer(pos);
}

}  // namespace

void RegisterBitmapFamily(Service& svc) {
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom;
  std::vector<CommandSpec> rows = {
      Cmd("setbit", 4, kW, 1, 1, 1, "write bitmap slow", CmdSetBit),
      Cmd("getbit", 3, kCmdReadOnly | kCmdFast, 1, 1, 1, "read bitmap fast", CmdGetBit),
      Cmd("bitcount", -2, kCmdReadOnly, 1, 1, 1, "read bitmap slow", CmdBitCount),
      Cmd("bitpos", -3, kCmdReadOnly, 1, 1, 1, "read bitmap slow", CmdBitPos),
  };
  for (auto part : {BitmapBitopCommands, BitmapBitfieldCommands}) {
    for (auto& row : part()) rows.push_back(std::move(row));
  }
  svc.Register(std::move(rows));
}

}  // namespace kora
