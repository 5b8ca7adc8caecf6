// COMMAND [COUNT | INFO | DOCS | LIST | GETKEYS | GETKEYSANDFLAGS | HELP], answered from the
// Service's command table plus the Redis metadata table, so every registered command appears.
#include "commands/server_command.h"

#include "base/glob.h"
#include "base/strutil.h"
#include "commands/command_meta.h"
#include "commands/family_util.h"
#include "commands/server_family.h"
#include "commands/service.h"

namespace kora {

const CommandSpec* LookupCommand(const Service& svc, CmdArgs argv) {
  if (argv.empty()) return nullptr;
  const CommandSpec* base = svc.Find(argv[0]);
  if (base == nullptr || argv.size() == 1 || base->subcommands.empty()) return base;
  return FindSubcommand(*base, argv[1]);
}

const CommandSpec* FindSubcommand(const CommandSpec& container, std::string_view sub) {
  std::string full = container.name + "|" + ToLower(sub);
  for (const auto& s : container.subcommands) {
    if (s.name == full) return &s;
  }
  return nullptr;
}

const CommandSpec* LookupCommandByFullName(const Service& svc, std::string_view name) {
  size_t bar = name.find('|');
  if (bar == std::string_view::npos) return svc.Find(name);
  const CommandSpec* base = svc.Find(name.substr(0, bar));
  if (base == nullptr || base->subcommands.empty()) return nullptr;
  return FindSubcommand(*base, name.substr(bar + 1));
}

void ReplyKeySpecFlags(ReplyBuilder& rb, std::string_view flags) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < flags.size()) {
    size_t sp = flags.find(' ', i);
    if (sp == std::string_view::npos) sp = flags.size();
    if (sp > i) words.push_back(flags.substr(i, sp - i));
    i = sp + 1;
  }
  rb.SetHeader(static_cast<int64_t>(words.size()));
  for (auto w : words) rb.SimpleString(w);
}

namespace {

void ReplyWords(ReplyBuilder& rb, std::string_view s, bool status, std::string_view prefix) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < s.size()) {
    size_t sp = s.find(' ', i);
    if (sp == std::string_view::npos) sp = s.size();
    if (sp > i) words.push_back(s.substr(i, sp - i));
    i = sp + 1;
  }
  rb.SetHeader(static_cast<int64_t>(words.size()));
  for (auto w : words) {
    std::string item = std::string(prefix) + std::string(w);
    status ? rb.SimpleString(item) : rb.Bulk(item);
  }
}

void ReplyKeySpecs(ReplyBuilder& rb, const std::vector<MetaKeySpec>& specs) {
  rb.SetHeader(static_cast<int64_t>(specs.size()));  // Redis 7.0 sends a set here
  for (const auto& k : specs) {
    rb.MapHeader(k.notes ? 4 : 3);
    if (k.notes) {
      rb.Bulk("notes");
      rb.Bulk(k.notes);
    }
    rb.Bulk("flags");
    ReplyKeySpecFlags(rb, k.flags);
    rb.Bulk("begin_search");
    rb.MapHeader(2);
    rb.Bulk("type");
    if (k.begin == MetaKeySpec::kIndex) {
      rb.Bulk("index");
      rb.Bulk("spec");
      rb.MapHeader(1);
      rb.Bulk("index");
      rb.Integer(k.begin_pos);
    } else if (k.begin == MetaKeySpec::kKeyword) {
      rb.Bulk("keyword");
      rb.Bulk("spec");
      rb.MapHeader(2);
      rb.Bulk("keyword");
      rb.Bulk(k.keyword ? k.keyword : "");
      rb.Bulk("startfrom");
      rb.Integer(k.begin_pos);
    } else {
      rb.Bulk("unknown");
      rb.Bulk("spec");
      rb.MapHeader(0);
    }
    rb.Bulk("find_keys");
    rb.MapHeader(2);
    rb.Bulk("type");
    if (k.find == MetaKeySpec::kRange) {
      rb.Bulk("range");
      rb.Bulk("spec");
      rb.MapHeader(3);
      rb.Bulk("lastkey");
      rb.Integer(k.a);
      rb.Bulk("keystep");
      rb.Integer(k.b);
      rb.Bulk("limit");
      rb.Integer(k.c);
    } else if (k.find == MetaKeySpec::kKeynum) {
      rb.Bulk("keynum");
      rb.Bulk("spec");
      rb.MapHeader(3);
      rb.Bulk("keynumidx");
      rb.Integer(k.a);
      rb.Bulk("firstkey");
      rb.Integer(k.b);
      rb.Bulk("keystep");
      rb.Integer(k.c);
    } else {
      rb.Bulk("unknown");
      rb.Bulk("spec");
      rb.MapHeader(0);
    }
  }
}

void ReplyCommandInfo(ReplyBuilder& rb, const CommandSpec& spec) {
  rb.ArrayHeader(10);
  rb.Bulk(spec.name);
  rb.Integer(spec.arity);
  auto flags = FlagWordsOf(spec);
  rb.SetHeader(static_cast<int64_t>(flags.size()));
  for (auto f : flags) rb.SimpleString(f);
  rb.Integer(spec.first_key);
  rb.Integer(spec.last_key);
  rb.Integer(spec.step);
  auto cats = OrderedAclCategories(spec.acl);
  rb.SetHeader(static_cast<int64_t>(cats.size()));
  for (auto c : cats) rb.SimpleString("@" + std::string(c));
  ReplyWords(rb, spec.tips, /*status=*/false, "");
  ReplyKeySpecs(rb, KeySpecsOf(spec));
  rb.SetHeader(static_cast<int64_t>(spec.subcommands.size()));  // a set too, as in Redis 7.0
  for (const auto& sub : spec.subcommands) ReplyCommandInfo(rb, sub);
}

// Redis's documentation group of a command, guessed from its ACL categories.
std::string_view GroupFromAcl(std::string_view acl) {
  static constexpr std::pair<std::string_view, std::string_view> kGroups[] = {
      {"string", "string"},       {"list", "list"},         {"hash", "hash"},
      {"set", "set"},             {"sortedset", "sorted-set"}, {"bitmap", "bitmap"},
      {"hyperloglog", "hyperloglog"}, {"geo", "geo"},       {"stream", "stream"},
      {"pubsub", "pubsub"},       {"scripting", "scripting"}, {"transaction", "transactions"},
      {"connection", "connection"}, {"keyspace", "generic"}, {"admin", "server"}};
  auto cats = OrderedAclCategories(acl);
  for (const auto& [cat, group] : kGroups) {
    for (auto c : cats) {
      if (c == cat) return group;
    }
  }
  return "generic";
}

void ReplyCommandDocs(ReplyBuilder& rb, const CommandSpec& spec) {
  const CommandDoc* d = FindCommandDoc(spec.name);
  if (d == nullptr) {  // a command without a documentation row still has a group
    rb.MapHeader(spec.subcommands.empty() ? 1 : 2);
    rb.Bulk("group");
    rb.Bulk(GroupFromAcl(spec.acl));
  } else {
    int64_t n = 3 + (d->complexity != nullptr) + (*d->doc_flags != '\0') +
                (d->deprecated_since != nullptr) + (d->replaced_by != nullptr) +
                !spec.subcommands.empty();
    rb.MapHeader(n);
    rb.Bulk("summary");
    rb.Bulk(d->summary);
    rb.Bulk("since");
    rb.Bulk(d->since);
    rb.Bulk("group");
    rb.Bulk(d->group);
    if (d->complexity) {
      rb.Bulk("complexity");
      rb.Bulk(d->complexity);
    }
    if (*d->doc_flags) {
      rb.Bulk("doc_flags");
      ReplyWords(rb, d->doc_flags, /*status=*/true, "");
    }
    if (d->deprecated_since) {
      rb.Bulk("deprecated_since");
      rb.Bulk(d->deprecated_since);
    }
    if (d->replaced_by) {
      rb.Bulk("replaced_by");
      rb.Bulk(d->replaced_by);
    }
  }
  if (!spec.subcommands.empty()) {
    rb.Bulk("subcommands");
    rb.MapHeader(static_cast<int64_t>(spec.subcommands.size()));
    for (const auto& sub : spec.subcommands) {
      rb.Bulk(sub.name);
      ReplyCommandDocs(rb, sub);
    }
  }
}

void CmdCommand(CmdArgs, CmdCtx& ctx) {
  const auto& cmds = ctx.svc->commands();
  ctx.rb->ArrayHeader(static_cast<int64_t>(cmds.size()));
  for (const auto& c : cmds) ReplyCommandInfo(*ctx.rb, *c);
}

void CmdCommandCount(CmdArgs, CmdCtx& ctx) {
  ctx.rb->Integer(static_cast<int64_t>(ctx.svc->commands().size()));
}

void CmdCommandInfo(CmdArgs args, CmdCtx& ctx) {
  if (args.size() == 2) {
    CmdCommand(args, ctx);
    return;
  }
  ctx.rb->ArrayHeader(static_cast<int64_t>(args.size() - 2));
  for (size_t i = 2; i < args.size(); ++i) {
    const CommandSpec* spec = LookupCommandByFullName(*ctx.svc, args[i]);
    if (spec) {
      ReplyCommandInfo(*ctx.rb, *spec);
    } else {
      ctx.rb->Null();
    }
  }
}

void CmdCommandDocs(CmdArgs args, CmdCtx& ctx) {
  std::vector<const CommandSpec*> found;
  if (args.size() == 2) {
    for (const auto& c : ctx.svc->commands()) found.push_back(c.get());
  } else {
    for (size_t i = 2; i < args.size(); ++i) {
      if (const CommandSpec* spec = LookupCommandByFullName(*ctx.svc, args[i])) {
        found.push_back(spec);
      }
    }
  }
  ctx.rb->MapHeader(static_cast<int64_t>(found.size()));
  for (const CommandSpec* spec : found) {
    ctx.rb->Bulk(spec->name);
    ReplyCommandDocs(*ctx.rb, *spec);
  }
}

void CmdCommandList(CmdArgs args, CmdCtx& ctx) {
  enum { kAll, kModule, kAclCat, kPattern } filter = kAll;
  std::string arg;
  if (args.size() == 5 && EqualsIgnoreCase(args[2], "filterby")) {
    arg = std::string(args[4]);
    if (EqualsIgnoreCase(args[3], "module")) {
      filter = kModule;
    } else if (EqualsIgnoreCase(args[3], "aclcat")) {
      filter = kAclCat;
    } else if (EqualsIgnoreCase(args[3], "pattern")) {
      filter = kPattern;
    } else {
      ctx.rb->Error(err::kSyntax);
      return;
    }
  } else if (args.size() != 2) {
    ctx.rb->Error(err::kSyntax);
    return;
  }
  std::vector<std::string_view> names;
  auto visit = [&](const CommandSpec& s) {
    bool keep = true;
    if (filter == kModule) {
      keep = false;  // Kora has no modules
    } else if (filter == kAclCat) {
      keep = false;
      for (auto c : OrderedAclCategories(s.acl)) keep = keep || EqualsIgnoreCase(c, arg);
    } else if (filter == kPattern) {
      keep = arg == "*" || GlobMatch(arg, s.name, /*nocase=*/true);
    }
    if (keep) names.push_back(s.name);
  };
  for (const auto& c : ctx.svc->commands()) {
    visit(*c);
    for (const auto& sub : c->subcommands) visit(sub);
  }
  ctx.rb->ArrayHeader(static_cast<int64_t>(names.size()));
  for (auto n : names) ctx.rb->Bulk(n);
}

void CmdCommandHelp(CmdArgs args, CmdCtx& ctx) {
  ReplyHelp(ctx, args[0],
            {"(no subcommand)", "    Return details about all Redis commands.", "COUNT",
             "    Return the total number of commands in this Redis server.", "LIST",
             "    Return a list of all commands in this Redis server.", "INFO [<command-name> ...]",
             "    Return details about multiple Redis commands.",
             "    If no command names are given, documentation details for all",
             "    commands are returned.", "DOCS [<command-name> ...]",
             "    Return documentation details about multiple Redis commands.",
             "    If no command names are given, documentation details for all",
             "    commands are returned.", "GETKEYS <full-command>",
             "    Return the keys from a full Redis command.", "GETKEYSANDFLAGS <full-command>",
             "    Return the keys and the access flags from a full Redis command."});
}

CommandSpec Sub(const char* name, int arity, CmdHandler h) {
  return Cmd(name, arity, kCmdConn, 0, 0, 0, "", h);
}

}  // namespace

void RegisterCommandCommands(Service& svc) {
  CommandSpec command = Cmd("command", -1, kCmdConn, 0, 0, 0, "", CmdCommand);
  command.subcommands = {
      Sub("command|count", 2, CmdCommandCount),
      Sub("command|info", -2, CmdCommandInfo),
      Sub("command|docs", -2, CmdCommandDocs),
      Sub("command|list", -2, CmdCommandList),
      Sub("command|getkeys", -4, CmdCommandGetKeys),
      Sub("command|getkeysandflags", -4, CmdCommandGetKeysAndFlags),
      Sub("command|help", 2, CmdCommandHelp),
  };
  svc.Register({std::move(command)});
}

}  // namespace kora
