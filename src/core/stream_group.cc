// Stream consumer groups: PEL bookkeeping, read counters and lag (Redis 7.0's t_stream.c),
// plus cloning and memory accounting of the whole stream.
#include "core/stream_object.h"

namespace kora {

namespace {

// Approximate heap cost of one std::map / std::set node beyond its payload.
constexpr size_t kTreeNodeOverhead = 32;

}  // namespace

StreamConsumer* StreamGroup::FindConsumer(std::string_view name) const {
  auto it = consumers.find(name);
  return it == consumers.end() ? nullptr : it->second.get();
}

StreamConsumer* StreamGroup::CreateConsumer(std::string_view name, int64_t now_ms) {
  auto [it, inserted] = consumers.try_emplace(std::string(name));
  if (!inserted) return nullptr;
  it->second = std::make_unique<StreamConsumer>();
  it->second->name = std::string(name);
  it->second->seen_time = now_ms;
  return it->second.get();
}

size_t StreamGroup::DeleteConsumer(StreamConsumer* c) {
  size_t pending = c->pel.size();
  for (StreamId id : c->pel) pel.erase(id);
  consumers.erase(c->name);
  return pending;
}

StreamGroup* StreamObject::FindGroup(std::string_view name) const {
  auto it = groups_.find(name);
  return it == groups_.end() ? nullptr : it->second.get();
}

StreamGroup* StreamObject::CreateGroup(std::string_view name, StreamId last_id,
                                       int64_t entries_read) {
  auto [it, inserted] = groups_.try_emplace(std::string(name));
  if (!inserted) return nullptr;
  it->second = std::make_unique<StreamGroup>();
  it->second->last_id = last_id;
  it->second->entries_read = entries_read;
  return it->second.get();
}

bool StreamObject::DestroyGroup(std::string_view name) {
  auto it = groups_.find(name);
  if (it == groups_.end()) return false;
  groups_.erase(it);
  return true;
}

void StreamObject::Deliver(StreamGroup* g, StreamConsumer* c, StreamId id, bool noack,
                           int64_t now_ms) {
  if (id > g->last_id) {
    if (g->entries_read != StreamGroup::kInvalidEntriesRead &&
        !RangeHasTombstones(id, StreamId::Max())) {
      // A valid counter and no tombstones ahead: keep counting.
      ++g->entries_read;
    } else if (entries_added_) {
      g->entries_read = EstimateDistance(id);
    }
    g->last_id = id;
  }
  if (noack) return;
  auto [it, inserted] = g->pel.try_emplace(id);
  StreamNack& nack = it->second;
  if (!inserted) {
    // Already pending (the group's last ID was moved back): the entry changes hands.
    nack.consumer->pel.erase(id);
  }
  nack.consumer = c;
  nack.delivery_time = now_ms;
  nack.delivery_count = 1;
  c->pel.insert(id);
}

bool StreamObject::RangeHasTombstones(StreamId start, StreamId end) const {
  if (length_ == 0 || max_deleted_id_.IsZero()) return false;
  if (first_id_ > max_deleted_id_) return false;  // the latest tombstone is before the first
  return start <= max_deleted_id_ && max_deleted_id_ <= end;
}

int64_t StreamObject::EstimateDistance(StreamId id) const {
  // The counter of any ID in an empty, never-used stream is 0.
  if (!entries_added_) return 0;
  auto added = static_cast<int64_t>(entries_added_);
  // In an emptied stream an ID up to the last one has read everything.
  if (!length_ && id <= last_id_) return added;
  if (id == last_id_) return added;
  if (id > last_id_) return StreamGroup::kInvalidEntriesRead;  // a future ID
  if (max_deleted_id_.IsZero() || max_deleted_id_ < first_id_) {
    // No fragmentation ahead.
    if (id < first_id_) return added - static_cast<int64_t>(length_);
    if (id == first_id_) return added - static_cast<int64_t>(length_) + 1;
  }
  return StreamGroup::kInvalidEntriesRead;
}

std::optional<int64_t> StreamObject::Lag(const StreamGroup& g) const {
  auto added = static_cast<int64_t>(entries_added_);
  if (!entries_added_) return 0;
  if (g.entries_read != StreamGroup::kInvalidEntriesRead &&
      !RangeHasTombstones(g.last_id, StreamId::Max())) {
    return added - g.entries_read;
  }
  int64_t read = EstimateDistance(g.last_id);
  if (read == StreamGroup::kInvalidEntriesRead) return std::nullopt;
  return added - read;
}

std::unique_ptr<CollectionObject> StreamObject::Clone() const {
  auto s = std::make_unique<StreamObject>();
  s->nodes_ = nodes_;
  s->length_ = length_;
  s->last_id_ = last_id_;
  s->first_id_ = first_id_;
  s->max_deleted_id_ = max_deleted_id_;
  s->entries_added_ = entries_added_;
  for (const auto& [name, g] : groups_) {
    StreamGroup* ng = s->CreateGroup(name, g->last_id, g->entries_read);
    for (const auto& [cname, c] : g->consumers) {
      StreamConsumer* nc = ng->CreateConsumer(cname, c->seen_time);
      nc->pel = c->pel;
    }
    for (const auto& [id, nack] : g->pel) {
      StreamNack n = nack;
      n.consumer = ng->FindConsumer(nack.consumer->name);
      ng->pel.emplace(id, n);
    }
  }
  return s;
}

size_t StreamObject::MemoryUsage() const {
  size_t total = sizeof(*this);
  for (const auto& kv : nodes_) total += kTreeNodeOverhead + kv.second.MemoryUsage();
  for (const auto& [name, g] : groups_) {
    total += kTreeNodeOverhead + name.capacity() + sizeof(StreamGroup);
    total += g->pel.size() * (kTreeNodeOverhead + sizeof(StreamId) + sizeof(StreamNack));
    for (const auto& [cname, c] : g->consumers) {
      total += kTreeNodeOverhead + cname.capacity() + sizeof(StreamConsumer) + c->name.capacity();
      total += c->pel.size() * (kTreeNodeOverhead + sizeof(StreamId));
    }
  }
  return total;
}

}  // namespace kora
