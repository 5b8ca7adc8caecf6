// Stream entries: append, trim, delete, iteration and radix tree statistics.
#include "core/stream_object.h"

#include <array>
#include <vector>

namespace kora {

namespace {

constexpr size_t kListpackMaxSize = size_t{1} << 30;  // STREAM_LISTPACK_MAX_SIZE

using RaxKey = std::array<uint8_t, 16>;

RaxKey EncodeId(StreamId id) {
  RaxKey k;
  for (int i = 0; i < 8; ++i) {
    k[i] = static_cast<uint8_t>(id.ms >> (56 - 8 * i));
    k[8 + i] = static_cast<uint8_t>(id.seq >> (56 - 8 * i));
  }
  return k;
}

// Nodes of a Redis radix tree (rax.c) holding keys[lo, hi) below depth `d` (all sorted,
// distinct, 16 bytes). A chain of single-child positions is one compressed node; a position
// where keys diverge is one node with a child per byte; each key ends in a leaf node.
size_t CountRaxNodes(const std::vector<RaxKey>& keys, size_t lo, size_t hi, size_t d) {
  if (d == 16) return 1;
  size_t common = 0;
  while (d + common < 16 && keys[lo][d + common] == keys[hi - 1][d + common]) ++common;
  if (common > 0) return 1 + CountRaxNodes(keys, lo, hi, d + common);
  size_t n = 1;
  for (size_t i = lo; i < hi;) {
    size_t j = i + 1;
    while (j < hi && keys[j][d] == keys[i][d]) ++j;
    n += CountRaxNodes(keys, i, j, d + 1);
    i = j;
  }
  return n;
}

}  // namespace

StreamObject::AddStatus StreamObject::Add(std::span<const std::string_view> fv,
                                          const StreamId* use_id, bool seq_given,
                                          int64_t now_ms, const NodeLimits& limits,
                                          StreamId* added) {
  StreamId id;
  if (use_id != nullptr) {
    if (seq_given) {
      id = *use_id;
    } else if (last_id_.ms == use_id->ms) {
      // The sequence is generated: the last one plus one, never past its maximum. (Redis 7.0
      // reports this case with its "too large" error, as it leaves errno unset.)
      if (last_id_.seq == UINT64_MAX) return AddStatus::kTooLarge;
      id = last_id_;
      ++id.seq;
    } else {
      id = *use_id;
    }
  } else {
    auto ms = static_cast<uint64_t>(now_ms);
    if (ms > last_id_.ms) {
      id = {ms, 0};
    } else {
      id = last_id_;
      id.Incr();
    }
  }
  if (id <= last_id_) return AddStatus::kIdTooSmall;

  size_t totelelen = 0;
  for (auto s : fv) totelelen += s.size();
  if (totelelen > kListpackMaxSize) return AddStatus::kTooLarge;

  StreamNode* node = nullptr;
  if (!nodes_.empty()) {
    StreamNode& tail = nodes_.rbegin()->second;
    size_t max_bytes = static_cast<size_t>(limits.max_bytes);
    if (max_bytes == 0 || max_bytes > kListpackMaxSize) max_bytes = kListpackMaxSize;
    bool full = tail.lp_bytes() + totelelen >= max_bytes;
    if (!full && limits.max_entries > 0) {
      // Deleted entries count too.
      full = static_cast<int64_t>(tail.live() + tail.deleted()) >= limits.max_entries;
    }
    if (!full) node = &tail;
  }
  if (node == nullptr) node = &nodes_.emplace_hint(nodes_.end(), id, StreamNode(id, fv))->second;
  node->Append(id, fv);
  ++length_;
  ++entries_added_;
  last_id_ = id;
  if (length_ == 1) first_id_ = id;
  *added = id;
  return AddStatus::kOk;
}

int64_t StreamObject::Trim(const StreamTrimArgs& args) {
  if (args.strategy == StreamTrimArgs::kNone) return 0;
  bool by_len = args.strategy == StreamTrimArgs::kMaxLen;
  auto maxlen = static_cast<uint64_t>(args.maxlen);
  int64_t deleted = 0;
  auto it = nodes_.begin();
  while (it != nodes_.end()) {
    if (by_len && length_ <= maxlen) break;
    StreamNode& node = it->second;
    int64_t entries = node.live();
    // Bounded work: stop before a node that would take us past the limit.
    if (args.limit && deleted + entries > args.limit) break;
    bool remove_node;
    if (by_len) {
      remove_node = length_ - static_cast<uint64_t>(entries) >= maxlen;
    } else {
      // The node's last entry, tombstone or not.
      StreamId last = node.size() ? node.IdAt(node.size() - 1) : StreamId{};
      remove_node = last < args.minid;
    }
    if (remove_node) {
      length_ -= static_cast<uint64_t>(entries);
      deleted += entries;
      it = nodes_.erase(it);
      continue;
    }
    // Approximate trimming removes whole nodes only.
    if (args.approx) break;
    for (size_t i = 0; i < node.size(); ++i) {
      bool stop = by_len ? length_ <= maxlen : node.IdAt(i) >= args.minid;
      if (stop) break;
      if (!node.DeletedAt(i)) {
        node.MarkDeleted(i);
        --length_;
        ++deleted;
      }
    }
    break;
  }
  if (length_ == 0) {
    first_id_ = StreamId{};
  } else if (deleted) {
    first_id_ = EdgeId(true, true);
  }
  return deleted;
}

bool StreamObject::Locate(StreamId id, Nodes::iterator* node, size_t* idx) {
  auto it = nodes_.upper_bound(id);
  if (it == nodes_.begin()) return false;
  --it;
  size_t i = it->second.LowerBound(id);
  if (i == it->second.size() || it->second.IdAt(i) != id) return false;
  *node = it;
  *idx = i;
  return true;
}

bool StreamObject::Delete(StreamId id) {
  Nodes::iterator it;
  size_t i;
  if (!Locate(id, &it, &i) || it->second.DeletedAt(i)) return false;
  if (it->second.live() == 1) {
    nodes_.erase(it);  // its last live entry: the node goes (tombstones with it)
  } else {
    it->second.MarkDeleted(i);
  }
  --length_;
  if (id > max_deleted_id_) max_deleted_id_ = id;
  return true;
}

int64_t StreamObject::DeleteIds(std::span<const StreamId> ids) {
  int64_t deleted = 0;
  bool first = false;
  for (StreamId id : ids) {
    if (!Delete(id)) continue;
    if (id == first_id_) first = true;
    ++deleted;
  }
  if (deleted) {
    if (length_ == 0) {
      first_id_ = StreamId{};
    } else if (first) {
      first_id_ = EdgeId(true, true);
    }
  }
  return deleted;
}

bool StreamObject::Exists(StreamId id) const {
  auto* self = const_cast<StreamObject*>(this);
  Nodes::iterator it;
  size_t i;
  return self->Locate(id, &it, &i) && !it->second.DeletedAt(i);
}

StreamId StreamObject::EdgeId(bool first, bool skip_tombstones) const {
  if (first) {
    for (const auto& [master, node] : nodes_) {
      for (size_t i = 0; i < node.size(); ++i) {
        if (!skip_tombstones || !node.DeletedAt(i)) return node.IdAt(i);
      }
    }
    return StreamId::Max();
  }
  for (auto it = nodes_.rbegin(); it != nodes_.rend(); ++it) {
    for (size_t i = it->second.size(); i-- > 0;) {
      if (!skip_tombstones || !it->second.DeletedAt(i)) return it->second.IdAt(i);
    }
  }
  return StreamId{};
}

bool StreamObject::LastValidId(StreamId* id) const {
  if (length_ == 0) return false;
  *id = EdgeId(false, true);
  return true;
}

size_t StreamObject::RaxNodes() const {
  if (nodes_.empty()) return 1;
  std::vector<RaxKey> keys;
  keys.reserve(nodes_.size());
  for (const auto& kv : nodes_) keys.push_back(EncodeId(kv.first));
  return CountRaxNodes(keys, 0, keys.size(), 0);
}

// ---- Iterator

StreamObject::Iterator::Iterator(const StreamObject& s, StreamId start, StreamId end, bool rev)
    : nodes_(s.nodes_), start_(start), end_(end), rev_(rev) {
  if (!rev) {
    node_ = nodes_.upper_bound(start);
    if (node_ != nodes_.begin()) --node_;
    idx_ = node_ == nodes_.end() ? 0 : node_->second.LowerBound(start);
  } else {
    node_ = nodes_.upper_bound(end);
    if (node_ == nodes_.begin()) {
      done_ = true;
      return;
    }
    --node_;
    idx_ = node_->second.UpperBound(end);
  }
}

bool StreamObject::Iterator::Next(StreamId* id) {
  if (done_) return false;
  if (!rev_) {
    if (started_) ++idx_;
    started_ = true;
    for (; node_ != nodes_.end(); ++node_, idx_ = 0) {
      const StreamNode& n = node_->second;
      for (; idx_ < n.size(); ++idx_) {
        if (n.DeletedAt(idx_)) continue;
        StreamId cur = n.IdAt(idx_);
        if (cur > end_) {
          done_ = true;
          return false;
        }
        if (cur >= start_) {
          *id = cur;
          return true;
        }
      }
    }
    done_ = true;
    return false;
  }
  while (true) {
    const StreamNode& n = node_->second;
    while (idx_ > 0) {
      --idx_;
      if (n.DeletedAt(idx_)) continue;
      StreamId cur = n.IdAt(idx_);
      if (cur < start_) {
        done_ = true;
        return false;
      }
      if (cur <= end_) {
        *id = cur;
        return true;
      }
    }
    if (node_ == nodes_.begin()) {
      done_ = true;
      return false;
    }
    --node_;
    idx_ = node_->second.size();
  }
}

}  // namespace kora
