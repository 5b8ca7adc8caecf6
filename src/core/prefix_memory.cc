#include "core/prefix_memory.h"

#include <cstring>

namespace kora {

void PrefixMemory::Add(std::string_view key, int64_t bytes, int64_t keys) {
  total_.bytes += bytes;
  total_.keys += keys;
  size_t from = 0;
  for (int level = 0; level < depth_; ++level) {
    const void* hit = from < key.size() ? std::memchr(key.data() + from, sep_, key.size() - from)
                                        : nullptr;
    if (hit == nullptr) return;
    size_t end = static_cast<size_t>(static_cast<const char*>(hit) - key.data()) + 1;
    std::string_view path = key.substr(0, end);
    auto it = nodes_.find(absl::string_view(path.data(), path.size()));
    if (it == nodes_.end()) it = nodes_.emplace(std::string(path), PrefixTotals{}).first;
    it->second.bytes += bytes;
    it->second.keys += keys;
    if (it->second.keys == 0) nodes_.erase(it);
    from = end;
  }
}

}  // namespace kora
