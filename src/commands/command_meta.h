// Redis 7.0's command metadata (COMMAND INFO / COMMAND DOCS facts), keyed by command name.
//
// Families register routing rows (name, arity, key positions, handler); this table adds what
// Redis reports about each command: flags, ACL categories, tips, key specifications and the
// documentation fields. Service::Register applies it to every spec it registers (see
// ApplyCommandMeta), so a family need not repeat it. The tables are immutable after first use
// and safe to read from any thread.
#pragma once

#include <string_view>
#include <vector>

#include "commands/command.h"

namespace kora {

// One Redis 7 key specification, with the forms KeySpec cannot express (unknown, notes).
struct MetaKeySpec {
  enum Begin : uint8_t { kIndex, kKeyword, kBeginUnknown };
  enum Find : uint8_t { kRange, kKeynum, kFindUnknown };

  const char* flags = "";       // Redis's key-spec flags in reply order, e.g. "RW access update"
  const char* notes = nullptr;  // free text shown as "notes", or none
  Begin begin = kIndex;
  int begin_pos = 0;              // kIndex: the index; kKeyword: startfrom
  const char* keyword = nullptr;  // kKeyword
  Find find = kRange;
  int a = 0, b = 0, c = 0;  // kRange: lastkey keystep limit; kKeynum: keynumidx firstkey keystep
};

struct CommandMeta {
  const char* name;   // lower case; "container|sub" for subcommands
  const char* flags;  // Redis's command flags, space-separated, in Redis's reply order
  const char* acl;    // ACL categories without '@', in Redis's order
  const char* tips;   // command tips, space-separated
  std::vector<MetaKeySpec> key_specs;
};

struct CommandDoc {
  const char* name;
  const char* summary;
  const char* since;
  const char* group;
  const char* complexity;      // nullptr: not documented
  const char* doc_flags = "";  // "deprecated", "syscmd"
  const char* deprecated_since = nullptr;
  const char* replaced_by = nullptr;
};

// nullptr when the command has no entry.
const CommandMeta* FindCommandMeta(std::string_view name);
// Every row of the tables (tests check them against each other).
const std::vector<CommandMeta>& AllCommandMeta();
const std::vector<CommandDoc>& AllCommandDocs();
const CommandDoc* FindCommandDoc(std::string_view name);

// Overwrites the Redis-facing metadata of `spec` (Redis flag bits, ACL categories, tips, key
// specs) with the table's entry, keeping Kora's execution-mode bits. No-op without an entry.
void ApplyCommandMeta(CommandSpec* spec);

// The key specs of a spec: the table's when it has an entry, else derived from the spec's own
// key_specs or (first, last, step).
std::vector<MetaKeySpec> KeySpecsOf(const CommandSpec& spec);

// Redis's flag words of a spec (the table's when present, else derived from the bits).
std::vector<std::string_view> FlagWordsOf(const CommandSpec& spec);

// Categories of `acl` ("write string slow") in Redis's canonical order, without '@'.
std::vector<std::string_view> OrderedAclCategories(std::string_view acl);

}  // namespace kora
