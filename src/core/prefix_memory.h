// Memory by key prefix (STATS.MEMORY, the dashboard, kora_memory_prefix_bytes).
//
// A prefix trie over the separator-delimited segments of key names: the node for "user:" holds
// the bytes (MEMORY USAGE, summed) and the number of the keys whose names start with "user:";
// "user:42:" is its child, and so on down to `depth` segments. Nodes exist only for prefixes
// that end with the separator: "user:42" counts under "user:" only, and keys without a
// separator under no node. The nodes are kept in one hash table keyed by their whole path, so a
// lookup costs one hash of the prefix (O(prefix length)) and an update one per level.
//
// One per database (DbTable), fed by it on every size change of a key (db_table.h). Owned by
// one shard; not thread-safe.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace kora {

struct PrefixTotals {
  int64_t bytes = 0;
  int64_t keys = 0;
};

class PrefixMemory {
 public:
  PrefixMemory(char separator, int depth) : sep_(separator), depth_(depth) {}

  char separator() const { return sep_; }
  int depth() const { return depth_; }

  // Adds `bytes` (negative: frees) and `keys` to every tracked prefix of `key`.
  void Add(std::string_view key, int64_t bytes, int64_t keys);
  // Totals of the keys under `prefix`, which ends with the separator (the empty prefix: every
  // key); zero if none.
  PrefixTotals Get(std::string_view prefix) const {
    if (prefix.empty()) return total_;
    auto it = nodes_.find(absl::string_view(prefix.data(), prefix.size()));
    return it == nodes_.end() ? PrefixTotals{} : it->second;
  }
  // Calls fn(prefix, totals) for every node `level` segments deep (1: the top level).
  template <class Fn>
  void ForEachAtLevel(int level, Fn&& fn) const {
    for (const auto& [path, t] : nodes_) {
      if (Level(path) == level) fn(std::string_view(path), t);
    }
  }
  size_t node_count() const { return nodes_.size(); }
  void Clear() {
    nodes_.clear();
    total_ = PrefixTotals{};
  }

 private:
  int Level(std::string_view path) const {
    int n = 0;
    for (char c : path) n += c == sep_;
    return n;
  }

  char sep_;
  int depth_;
  PrefixTotals total_;  // the root: every key
  absl::flat_hash_map<std::string, PrefixTotals> nodes_;
};

}  // namespace kora
