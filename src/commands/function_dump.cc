// FUNCTION DUMP and FUNCTION RESTORE. The payload is Redis 7's: for each library the opcode
// RDB_OPCODE_FUNCTION2 (245) and its code as an RDB string (LZF-compressed when that saves
// space, as Redis does), then the RDB version (2 bytes, little endian) and the CRC64 of all
// that (8 bytes, little endian), so payloads move between Redis and Kora both ways.
#include "base/strutil.h"
#include "commands/families.h"
#include "commands/family_util.h"
#include "commands/script_runner.h"
#include "core/rdb.h"
#include "core/rdb_crc64.h"
#include "core/rdb_lzf.h"

namespace kora {
namespace {

constexpr uint8_t kOpcodeFunction2 = 245;

void SaveLen(std::string* out, uint64_t len) {
  if (len < 64) {
    out->push_back(static_cast<char>(len));
  } else if (len < 16384) {
    out->push_back(static_cast<char>(0x40 | (len >> 8)));
    out->push_back(static_cast<char>(len & 0xff));
  } else if (len <= 0xffffffffULL) {
    out->push_back(static_cast<char>(0x80));
    for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>((len >> (8 * i)) & 0xff));
  } else {
    out->push_back(static_cast<char>(0x81));
    for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((len >> (8 * i)) & 0xff));
  }
}

// Redis's rdbSaveRawString for a string that is not a small integer.
void SaveString(std::string* out, std::string_view s) {
  if (s.size() > 20) {
    std::string packed;
    size_t n = rdb::LzfCompress(s, s.size() - 4, &packed);
    if (n > 0) {
      out->push_back(static_cast<char>(0xC3));
      SaveLen(out, n);
      SaveLen(out, s.size());
      out->append(packed, 0, n);
      return;
    }
  }
  SaveLen(out, s.size());
  out->append(s);
}

bool LoadLen(std::string_view* in, uint64_t* len, bool* encoded) {
  if (in->empty()) return false;
  uint8_t b = static_cast<uint8_t>((*in)[0]);
  in->remove_prefix(1);
  *encoded = false;
  switch (b >> 6) {
    case 0:
      *len = b & 0x3f;
      return true;
    case 1:
      if (in->empty()) return false;
      *len = (uint64_t{b & 0x3fu} << 8) | static_cast<uint8_t>((*in)[0]);
      in->remove_prefix(1);
      return true;
    case 3:
      *encoded = true;
      *len = b & 0x3f;
      return true;
    default: {
      int n = b == 0x80 ? 4 : b == 0x81 ? 8 : 0;
      if (n == 0 || in->size() < static_cast<size_t>(n)) return false;
      uint64_t v = 0;
      for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>((*in)[i]);
      in->remove_prefix(n);
      *len = v;
      return true;
    }
  }
}

bool LoadString(std::string_view* in, std::string* out) {
  uint64_t len;
  bool encoded;
  if (!LoadLen(in, &len, &encoded)) return false;
  if (!encoded) {
    if (in->size() < len) return false;
    out->assign(in->substr(0, len));
    in->remove_prefix(len);
    return true;
  }
  if (len <= 2) {  // an integer stored in 1, 2 or 4 bytes
    size_t n = size_t{1} << len;
    if (in->size() < n) return false;
    int64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= int64_t{static_cast<uint8_t>((*in)[i])} << (8 * i);
    if (n == 1) v = static_cast<int8_t>(v);
    if (n == 2) v = static_cast<int16_t>(v);
    if (n == 4) v = static_cast<int32_t>(v);
    in->remove_prefix(n);
    *out = std::to_string(v);
    return true;
  }
  if (len != 3) return false;
  uint64_t clen, ulen;
  if (!LoadLen(in, &clen, &encoded) || encoded || !LoadLen(in, &ulen, &encoded) || encoded) {
    return false;
  }
  if (in->size() < clen || ulen > (uint64_t{1} << 32)) return false;
  out->clear();
  if (!rdb::LzfDecompress(in->substr(0, clen), ulen, out)) return false;
  in->remove_prefix(clen);
  return true;
}

void CmdFunctionDump(CmdArgs, CmdCtx& ctx) {
  Scripting& sc = GetScripting(*ctx.svc);
  std::string out;
  {
    std::lock_guard<std::mutex> lk(sc.fn_mu());
    for (const auto& [name, lib] : sc.libraries()) {
      out.push_back(static_cast<char>(kOpcodeFunction2));
      SaveString(&out, lib.code);
    }
  }
  out.push_back(static_cast<char>(rdb::kRdbVersion & 0xff));
  out.push_back(static_cast<char>(rdb::kRdbVersion >> 8));
  uint64_t crc = rdb::Crc64(0, out.data(), out.size());
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  ctx.rb->Bulk(out);
}

void CmdFunctionRestore(CmdArgs args, CmdCtx& ctx) {
  if (args.size() > 4) {
    ctx.rb->Error("ERR unknown subcommand or wrong number of arguments for '" +
                  std::string(args[1].substr(0, 128)) + "'. Try FUNCTION HELP.");
    return;
  }
  enum { kAppend, kReplace, kFlush } policy = kAppend;
  if (args.size() == 4) {
    if (EqualsIgnoreCase(args[3], "append")) {
      policy = kAppend;
    } else if (EqualsIgnoreCase(args[3], "replace")) {
      policy = kReplace;
    } else if (EqualsIgnoreCase(args[3], "flush")) {
      policy = kFlush;
    } else {
      ctx.rb->Error(
          "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
      return;
    }
  }
  std::string_view p = args[2];
  bool ok = p.size() >= 10;
  if (ok) {
    int ver = static_cast<uint8_t>(p[p.size() - 10]) | (static_cast<uint8_t>(p[p.size() - 9]) << 8);
    uint64_t want = 0;
    for (int i = 0; i < 8; ++i) want |= uint64_t{static_cast<uint8_t>(p[p.size() - 8 + i])} << (8 * i);
    ok = ver <= rdb::kRdbVersion && rdb::Crc64(0, p.data(), p.size() - 8) == want;
  }
  if (!ok) {
    ctx.rb->Error("ERR DUMP payload version or checksum are wrong");
    return;
  }
  std::string_view data = p.substr(0, p.size() - 10);
  std::vector<LibraryInfo> libs;
  while (!data.empty()) {
    uint8_t type = static_cast<uint8_t>(data[0]);
    data.remove_prefix(1);
    if (type != kOpcodeFunction2) {
      ctx.rb->Error("ERR given type is not a function");
      return;
    }
    std::string code, err;
    if (!LoadString(&data, &code)) {
      ctx.rb->Error("ERR failed loading the given functions payload");
      return;
    }
    LibraryInfo lib;
    if (!CompileLibrary(code, &lib, &err)) {
      ctx.rb->Error(err);
      return;
    }
    for (const auto& other : libs) {
      if (other.name == lib.name) {
        ctx.rb->Error("ERR Library " + lib.name + " already exists");
        return;
      }
    }
    libs.push_back(std::move(lib));
  }
  Scripting& sc = GetScripting(*ctx.svc);
  std::lock_guard<std::mutex> lk(sc.fn_mu());
  std::string err;
  if (policy == kFlush) {
    auto saved_libs = std::move(sc.libraries());
    auto saved_fns = std::move(sc.functions());
    sc.libraries().clear();
    sc.functions().clear();
    if (!InstallLibraries(sc, std::move(libs), false, &err)) {
      sc.libraries() = std::move(saved_libs);
      sc.functions() = std::move(saved_fns);
      ctx.rb->Error(err);
      return;
    }
    ctx.rb->Ok();
    return;
  }
  if (policy == kAppend) {
    for (const auto& lib : libs) {
      if (sc.libraries().contains(lib.name)) {
        ctx.rb->Error("ERR Library " + lib.name + " already exists");
        return;
      }
    }
  }
  if (!InstallLibraries(sc, std::move(libs), policy == kReplace, &err)) {
    ctx.rb->Error(err);
    return;
  }
  ctx.rb->Ok();
}

}  // namespace

std::vector<CommandSpec> FunctionDumpCommands() {
  const uint32_t k = kCmdConn | kCmdNoScript;
  return {
      Cmd("function|dump", 2, k, 0, 0, 0, "slow scripting", CmdFunctionDump),
      Cmd("function|restore", -3, k | kCmdWrite | kCmdDenyOom, 0, 0, 0, "write slow scripting",
          CmdFunctionRestore),
  };
}

}  // namespace kora
