// COMMAND GETKEYS / GETKEYSANDFLAGS with Redis 7.0's rules: the key specs when they are
// reliable, else the command's own key extraction (Redis's getkeys procs for SET, BITFIELD,
// SORT and SORT_RO, or the routing extractor a family registered).
#include <vector>

#include "base/strutil.h"
#include "commands/command_meta.h"
#include "commands/server_command.h"
#include "commands/service.h"

namespace kora {
namespace {

struct KeyRef {
  size_t pos;
  std::string_view flags;
};

bool HasWord(std::string_view flags, std::string_view word) {
  size_t i = 0;
  while (i < flags.size()) {
    size_t sp = flags.find(' ', i);
    if (sp == std::string_view::npos) sp = flags.size();
    if (flags.substr(i, sp - i) == word) return true;
    i = sp + 1;
  }
  return false;
}

// Redis's getKeysUsingKeySpecs. Returns false for an unusable spec (unknown or out of range).
bool KeysFromSpecs(const std::vector<MetaKeySpec>& specs, CmdArgs argv, int arity,
                   std::vector<KeyRef>* out) {
  int argc = static_cast<int>(argv.size());
  for (const auto& spec : specs) {
    if (HasWord(spec.flags, "not_key")) continue;
    int first = 0;
    if (spec.begin == MetaKeySpec::kIndex) {
      first = spec.begin_pos;
    } else if (spec.begin == MetaKeySpec::kKeyword) {
      int start = spec.begin_pos > 0 ? spec.begin_pos : argc + spec.begin_pos;
      int end = spec.begin_pos > 0 ? argc - 1 : 1;
      for (int i = start; i != end; i = start <= end ? i + 1 : i - 1) {
        if (i >= argc || i < 1) break;
        if (EqualsIgnoreCase(argv[i], spec.keyword ? spec.keyword : "")) {
          first = i + 1;
          break;
        }
      }
      if (first == 0) continue;  // keyword absent: no keys from this spec
    } else {
      return false;
    }
    int last, step;
    if (spec.find == MetaKeySpec::kRange) {
      step = spec.b;
      if (spec.a >= 0) {
        last = first + spec.a;
      } else if (spec.c == 0) {
        last = argc + spec.a;
      } else {
        last = first + ((argc - first) / spec.c + spec.a);
      }
    } else if (spec.find == MetaKeySpec::kKeynum) {
      step = spec.c;
      if (first + spec.a >= argc) return false;
      int64_t numkeys;
      if (!ParseInt64(argv[first + spec.a], &numkeys) || numkeys < 0) return false;
      first += spec.b;
      last = first + static_cast<int>(numkeys) - 1;
    } else {
      return false;
    }
    if (last >= argc || last < first || first >= argc) return false;
    if (step <= 0) step = 1;
    for (int i = first; i <= last; i += step) {
      if (i >= argc || i < first) {
        if (arity < 0) continue;
        return false;
      }
      out->push_back(KeyRef{static_cast<size_t>(i), spec.flags});
    }
  }
  return true;
}

// Redis's getkeys procs for the foundation commands whose key specs are not enough.
bool NativeKeys(std::string_view name, CmdArgs argv, std::vector<KeyRef>* out) {
  size_t argc = argv.size();
  if (name == "set") {  // setGetKeys: a GET option makes the key read too
    for (size_t i = 3; i < argc; ++i) {
      if (EqualsIgnoreCase(argv[i], "get")) {
        out->push_back({1, "RW access update"});
        return true;
      }
    }
    out->push_back({1, "OW update"});
    return true;
  }
  if (name == "bitfield") {  // bitfieldGetKeys: read-only unless SET/INCRBY (or bad syntax)
    bool readonly = true;
    for (size_t i = 2; i < argc; ++i) {
      size_t rem = argc - i - 1;
      if (EqualsIgnoreCase(argv[i], "get") && rem >= 2) {
        i += 2;
      } else if ((EqualsIgnoreCase(argv[i], "set") || EqualsIgnoreCase(argv[i], "incrby")) &&
                 rem >= 3) {
        readonly = false;
        break;
      } else if (EqualsIgnoreCase(argv[i], "overflow") && rem >= 1) {
        i += 1;
      } else {
        readonly = false;
        break;
      }
    }
    out->push_back({1, readonly ? "RO access" : "RW access update"});
    return true;
  }
  if (name == "sort") {  // sortGetKeys: the sorted key, and the last STORE destination
    out->push_back({1, "RO access"});
    size_t store = 0;
    for (size_t i = 2; i < argc; ++i) {
      if (EqualsIgnoreCase(argv[i], "limit")) {
        i += 2;
      } else if (EqualsIgnoreCase(argv[i], "get") || EqualsIgnoreCase(argv[i], "by")) {
        i += 1;
      } else if (EqualsIgnoreCase(argv[i], "store") && i + 1 < argc) {
        store = i + 1;
      }
    }
    if (store) out->push_back({store, "OW update"});
    return true;
  }
  if (name == "sort_ro") {
    out->push_back({1, "RO access"});
    return true;
  }
  return false;
}

bool HasNativeKeys(std::string_view name) {
  return name == "set" || name == "bitfield" || name == "sort" || name == "sort_ro";
}

void GetKeys(CmdArgs args, CmdCtx& ctx, bool with_flags) {
  CmdArgs argv = args.subspan(2);
  const CommandSpec* spec = LookupCommand(*ctx.svc, argv);
  if (spec == nullptr) {
    ctx.rb->Error("ERR Invalid command specified");
    return;
  }
  std::vector<MetaKeySpec> specs = KeySpecsOf(*spec);
  bool has_keyspec = false, has_varflags = false;
  for (const auto& k : specs) {
    has_keyspec = has_keyspec || !HasWord(k.flags, "not_key");
    has_varflags = has_varflags || HasWord(k.flags, "variable_flags");
  }
  bool native = HasNativeKeys(spec->name);
  if (!native && spec->getkeys == nullptr && !has_keyspec) {
    ctx.rb->Error("ERR The command has no key arguments");
    return;
  }
  int argc = static_cast<int>(argv.size());
  if ((spec->arity > 0 && spec->arity != argc) || argc < -spec->arity) {
    ctx.rb->Error("ERR Invalid number of arguments specified for command");
    return;
  }
  std::vector<KeyRef> keys;
  bool done = false;
  if (has_keyspec && !has_varflags) {
    done = KeysFromSpecs(specs, argv, spec->arity, &keys);
    if (!done) keys.clear();
  }
  if (!done && native) {
    NativeKeys(spec->name, argv, &keys);
  } else if (!done && spec->getkeys != nullptr) {
    std::vector<size_t> pos;
    ExtractKeys(*spec, argv, &pos);
    for (size_t i = 0; i < pos.size(); ++i) {
      std::string_view flags = specs.empty() ? "" : specs[i == 0 ? 0 : specs.size() - 1].flags;
      keys.push_back({pos[i], flags});
    }
  }
  if (keys.empty()) {
    if (spec->flags & kCmdNoMandatoryKeys) {
      ctx.rb->ArrayHeader(0);
    } else {
      ctx.rb->Error("ERR Invalid arguments specified for command");
    }
    return;
  }
  ctx.rb->ArrayHeader(static_cast<int64_t>(keys.size()));
  for (const auto& k : keys) {
    if (with_flags) {
      ctx.rb->ArrayHeader(2);
      ctx.rb->Bulk(argv[k.pos]);
      ReplyKeySpecFlags(*ctx.rb, k.flags);
    } else {
      ctx.rb->Bulk(argv[k.pos]);
    }
  }
}

}  // namespace

void CmdCommandGetKeys(CmdArgs args, CmdCtx& ctx) { GetKeys(args, ctx, false); }
void CmdCommandGetKeysAndFlags(CmdArgs args, CmdCtx& ctx) { GetKeys(args, ctx, true); }

}  // namespace kora
