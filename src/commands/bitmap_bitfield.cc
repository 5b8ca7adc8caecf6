// BITFIELD and BITFIELD_RO: integer fields of 1..64 bits (unsigned up to 63) at any bit offset.
#include <algorithm>
#include <cstring>

#include "commands/notify.h"
#include "commands/bitmap_util.h"

namespace kora {
namespace {

enum class FieldOp : uint8_t { kGet, kSet, kIncrBy };
enum class Overflow : uint8_t { kWrap, kSat, kFail };

struct FieldCmd {
  uint64_t offset;
  int64_t value;  // SET value or INCRBY increment
  FieldOp op;
  Overflow overflow;
  int bits;
  bool is_signed;
};

uint64_t GetUnsigned(const uint8_t* p, uint64_t offset, int bits) {
  uint64_t value = 0;
  for (int j = 0; j < bits; ++j, ++offset) {
    uint64_t bit = (p[offset >> 3] >> (7 - (offset & 7))) & 1;
    value = (value << 1) | bit;
  }
  return value;
}

int64_t GetSigned(const uint8_t* p, uint64_t offset, int bits) {
  uint64_t u = GetUnsigned(p, offset, bits);
  if (bits < 64 && (u & (uint64_t{1} << (bits - 1)))) u |= ~uint64_t{0} << bits;
  return static_cast<int64_t>(u);
}

void SetField(uint8_t* p, uint64_t offset, int bits, uint64_t value) {
  for (int j = 0; j < bits; ++j, ++offset) {
    uint64_t bitval = (value >> (bits - 1 - j)) & 1;
    uint8_t& byte = p[offset >> 3];
    int bit = 7 - static_cast<int>(offset & 7);
    byte = static_cast<uint8_t>((byte & ~(1 << bit)) | (bitval << bit));
  }
}

// Redis's checkUnsignedBitfieldOverflow: nonzero on overflow, with *limit the wrapped or
// saturated value for WRAP / SAT.
int CheckUnsigned(uint64_t value, int64_t incr, int bits, Overflow ow, uint64_t* limit) {
  uint64_t max = (bits == 64) ? UINT64_MAX : ((uint64_t{1} << bits) - 1);
  int64_t maxincr = static_cast<int64_t>(max - value);
  int64_t minincr = static_cast<int64_t>(0 - value);
  auto wrap = [&] {
    *limit = (value + static_cast<uint64_t>(incr)) & ~(~uint64_t{0} << bits);
    return 1;
  };
  if (value > max || (incr > 0 && incr > maxincr)) {
    if (ow == Overflow::kWrap) return wrap();
    if (ow == Overflow::kSat) *limit = max;
    return 1;
  }
  if (incr < 0 && incr < minincr) {
    if (ow == Overflow::kWrap) return wrap();
    if (ow == Overflow::kSat) *limit = 0;
    return -1;
  }
  return 0;
}

// Redis's checkSignedBitfieldOverflow.
int CheckSigned(int64_t value, int64_t incr, int bits, Overflow ow, int64_t* limit) {
  int64_t max = (bits == 64) ? INT64_MAX : ((int64_t{1} << (bits - 1)) - 1);
  int64_t min = -max - 1;
  int64_t maxincr = static_cast<int64_t>(static_cast<uint64_t>(max) - value);
  int64_t minincr = static_cast<int64_t>(static_cast<uint64_t>(min) - value);
  auto wrap = [&] {
    uint64_t c = static_cast<uint64_t>(value) + static_cast<uint64_t>(incr);
    if (bits < 64) {
      uint64_t mask = ~uint64_t{0} << bits;
      c = (c & (uint64_t{1} << (bits - 1))) ? (c | mask) : (c & ~mask);
    }
    *limit = static_cast<int64_t>(c);
    return 1;
  };
  if (value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr)) {
    if (ow == Overflow::kWrap) return wrap();
    if (ow == Overflow::kSat) *limit = max;
    return 1;
  }
  if (value < min || (bits != 64 && incr < minincr) || (value < 0 && incr < 0 && incr < minincr)) {
    if (ow == Overflow::kWrap) return wrap();
    if (ow == Overflow::kSat) *limit = min;
    return -1;
  }
  return 0;
}

// Redis's getBitfieldTypeFromArgument: i1..i64 or u1..u63.
bool ParseFieldType(CmdCtx& ctx, std::string_view arg, bool* is_signed, int* bits) {
  constexpr std::string_view kErr =
      "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but "
      "i64 is.";
  std::string_view a = arg.substr(0, arg.find('\0'));
  int64_t n = 0;
  bool ok = !a.empty() && (a[0] == 'i' || a[0] == 'u') && ParseInt64(a.substr(1), &n);
  if (ok) {
    *is_signed = a[0] == 'i';
    ok = n >= 1 && n <= (*is_signed ? 64 : 63);
  }
  if (!ok) {
    ctx.rb->Error(kErr);
    return false;
  }
  *bits = static_cast<int>(n);
  return true;
}

bool OptIs(std::string_view arg, std::string_view name) {
  return EqualsIgnoreCase(arg.substr(0, arg.find('\0')), name);
}

// Parses every operation first (any error means nothing runs), then applies them in order.
void BitfieldGeneric(CmdArgs args, CmdCtx& ctx, bool read_only_cmd) {
  std::vector<FieldCmd> ops;
  Overflow overflow = Overflow::kWrap;
  bool read_only = true;
  uint64_t highest_write = 0;
  for (size_t j = 2; j < args.size(); ++j) {
    size_t remaining = args.size() - j - 1;
    FieldOp op;
    if (OptIs(args[j], "get") && remaining >= 2) {
      op = FieldOp::kGet;
    } else if (OptIs(args[j], "set") && remaining >= 3) {
      op = FieldOp::kSet;
    } else if (OptIs(args[j], "incrby") && remaining >= 3) {
      op = FieldOp::kIncrBy;
    } else if (OptIs(args[j], "overflow") && remaining >= 1) {
      std::string_view type = args[++j];
      if (OptIs(type, "wrap")) {
        overflow = Overflow::kWrap;
      } else if (OptIs(type, "sat")) {
        overflow = Overflow::kSat;
      } else if (OptIs(type, "fail")) {
        overflow = Overflow::kFail;
      } else {
        return ctx.rb->Error("ERR Invalid OVERFLOW type specified");
      }
      continue;
    } else {
      return ctx.rb->Error(err::kSyntax);
    }
    FieldCmd f{0, 0, op, overflow, 0, false};
    if (!ParseFieldType(ctx, args[j + 1], &f.is_signed, &f.bits)) return;
    if (!ParseBitOffset(ctx, args[j + 2], true, f.bits, &f.offset)) return;
    if (op != FieldOp::kGet) {
      read_only = false;
      highest_write = std::max(highest_write, f.offset + f.bits - 1);
      if (!ParseIntOrReply(args[j + 3], &f.value, ctx.rb)) return;
    }
    ops.push_back(f);
    j += (op == FieldOp::kGet) ? 2 : 3;
  }

  std::string* str = nullptr;  // the string for writes
  std::string_view view;       // the string for reads
  IntDigits digits;
  if (read_only) {
    KeyEntry* e = ctx.db().Find(args[1], ctx.now_ms);
    if (e) {
      ++ctx.shard().stats().keyspace_hits;
      if (!e->value.is_string()) return ctx.rb->Error(err::kWrongType);
      view = StrBytes(e->value, &digits);
    } else {
      ++ctx.shard().stats().keyspace_misses;
    }
  } else {
    if (read_only_cmd) return ctx.rb->Error("ERR BITFIELD_RO only supports the GET subcommand");
    bool dirty;
    str = StringForBitWrite(ctx, args[1], highest_write, &dirty);
    if (str == nullptr) return;
  }

  ctx.rb->ArrayHeader(static_cast<int64_t>(ops.size()));
  int changes = 0;
  for (const FieldCmd& f : ops) {
    if (f.op == FieldOp::kGet) {
      if (str) view = *str;
      // Copy up to 9 bytes so a 64-bit field at the string's end reads zero padding.
      uint8_t buf[9] = {};
      uint64_t byte = f.offset >> 3;
      for (uint64_t i = 0; i < 9 && byte + i < view.size(); ++i) buf[i] = view[byte + i];
      uint64_t rel = f.offset - byte * 8;
      if (f.is_signed) {
        ctx.rb->Integer(GetSigned(buf, rel, f.bits));
      } else {
        ctx.rb->Integer(static_cast<int64_t>(GetUnsigned(buf, rel, f.bits)));
      }
      continue;
    }
    auto* p = reinterpret_cast<uint8_t*>(str->data());
    int overflowed;
    uint64_t store;
    int64_t reply;
    if (f.is_signed) {
      int64_t old = GetSigned(p, f.offset, f.bits), next, wrapped = 0;
      if (f.op == FieldOp::kIncrBy) {
        overflowed = CheckSigned(old, f.value, f.bits, f.overflow, &wrapped);
        next = overflowed ? wrapped : static_cast<int64_t>(static_cast<uint64_t>(old) + f.value);
        reply = next;
      } else {
        overflowed = CheckSigned(f.value, 0, f.bits, f.overflow, &wrapped);
        next = overflowed ? wrapped : f.value;
        reply = old;
      }
      store = static_cast<uint64_t>(next);
    } else {
      uint64_t old = GetUnsigned(p, f.offset, f.bits), next, wrapped = 0;
      if (f.op == FieldOp::kIncrBy) {
        overflowed = CheckUnsigned(old, f.value, f.bits, f.overflow, &wrapped);
        next = overflowed ? wrapped : old + static_cast<uint64_t>(f.value);
        reply = static_cast<int64_t>(next);
      } else {
        overflowed = CheckUnsigned(static_cast<uint64_t>(f.value), 0, f.bits, f.overflow, &wrapped);
        next = overflowed ? wrapped : static_cast<uint64_t>(f.value);
        reply = static_cast<int64_t>(old);
      }
      store = next;
    }
    if (overflowed && f.overflow == Overflow::kFail) {
      ctx.rb->Null();
    } else {
      ctx.rb->Integer(reply);
      SetField(p, f.offset, f.bits, store);
      ++changes;
    }
  }
  if (changes) NotifyKeyspaceEvent(ctx, kNotifyString, "setbit", args[1]);
}

void CmdBitfield(CmdArgs args, CmdCtx& ctx) { BitfieldGeneric(args, ctx, false); }
void CmdBitfieldRo(CmdArgs args, CmdCtx& ctx) { BitfieldGeneric(args, ctx, true); }

}  // namespace

std::vector<CommandSpec> BitmapBitfieldCommands() {
  return {
      Cmd("bitfield", -2, kCmdWrite | kCmdDenyOom, 1, 1, 1, "write bitmap slow", CmdBitfield),
      Cmd("bitfield_ro", -2, kCmdReadOnly | kCmdFast, 1, 1, 1, "read bitmap fast", CmdBitfieldRo),
  };
}

}  // namespace kora
