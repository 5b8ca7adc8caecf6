// Streams in RDB_TYPE_STREAM_LISTPACKS_2 (Redis 7.0): the entries as listpacks keyed by their
// master ID, the stream's metadata, then each consumer group with its pending entries list and
// its consumers. Kora writes the live entries in nodes cut as Redis cuts them (by
// stream-node-max-bytes / -entries), so a stream never trimmed or XDELed dumps byte for byte
// as Redis dumps it; tombstones are not written.
#include <memory>
#include <vector>

#include "core/rdb.h"
#include "core/rdb_io.h"
#include "core/rdb_listpack.h"
#include "core/stream_object.h"

namespace kora::rdb {
namespace {

using detail::Reader;
using detail::SaveLen;
using detail::SaveString;

constexpr int64_t kFlagDeleted = 1, kFlagSameFields = 2;

void PutId(std::string* out, StreamId id) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((id.ms >> (8 * i)) & 0xff));
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((id.seq >> (8 * i)) & 0xff));
}

bool GetId(std::string_view raw, StreamId* id) {
  if (raw.size() != 16) return false;
  id->ms = id->seq = 0;
  for (int i = 0; i < 8; ++i) id->ms = (id->ms << 8) | static_cast<uint8_t>(raw[i]);
  for (int i = 8; i < 16; ++i) id->seq = (id->seq << 8) | static_cast<uint8_t>(raw[i]);
  return true;
}

void PutMs(std::string* out, int64_t ms) {
  auto u = static_cast<uint64_t>(ms);
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((u >> (8 * i)) & 0xff));
}

bool GetMs(Reader& r, int64_t* ms) {
  std::string_view v;
  if (!r.Bytes(8, &v)) return false;
  uint64_t u = 0;
  for (int i = 7; i >= 0; --i) u = (u << 8) | static_cast<uint8_t>(v[i]);
  *ms = static_cast<int64_t>(u);
  return true;
}

struct Entry {
  StreamId id;
  std::vector<std::string> fv;  // field, value, ...
};

// One node's listpack, as Redis's streamAppendItem builds it.
class NodeWriter {
 public:
  explicit NodeWriter(const Entry& first) : master_(first.id) {
    for (size_t i = 0; i < first.fv.size(); i += 2) fields_.push_back(first.fv[i]);
  }
  StreamId master() const { return master_; }
  size_t count() const { return entries_.size(); }
  // The listpack size Redis compares with stream-node-max-bytes before appending.
  size_t Bytes() const { return Build().size(); }
  void Add(const Entry* e) { entries_.push_back(e); }

  std::string Build() const {
    ListpackWriter lp;
    lp.AppendInt(static_cast<int64_t>(entries_.size()));
    lp.AppendInt(0);
    lp.AppendInt(static_cast<int64_t>(fields_.size()));
    for (const std::string& f : fields_) lp.Append(f);
    lp.AppendInt(0);
    for (const Entry* e : entries_) {
      size_t nf = e->fv.size() / 2;
      bool same = nf == fields_.size();
      for (size_t i = 0; same && i < nf; ++i) same = e->fv[2 * i] == fields_[i];
      lp.AppendInt(same ? kFlagSameFields : 0);
      lp.AppendInt(static_cast<int64_t>(e->id.ms - master_.ms));
      lp.AppendInt(static_cast<int64_t>(e->id.seq - master_.seq));
      if (!same) lp.AppendInt(static_cast<int64_t>(nf));
      for (size_t i = 0; i < nf; ++i) {
        if (!same) lp.Append(e->fv[2 * i]);
        lp.Append(e->fv[2 * i + 1]);
      }
      lp.AppendInt(static_cast<int64_t>(nf + 3 + (same ? 0 : nf + 1)));
    }
    return lp.Finish();
  }

 private:
  StreamId master_;
  std::vector<std::string> fields_;
  std::vector<const Entry*> entries_;
};

}  // namespace

bool SaveStream(const StreamObject& s, std::string* out) {
  std::vector<Entry> entries;
  StreamObject::Iterator it(s, StreamId{0, 0}, StreamId::Max(), false);
  StreamId id;
  while (it.Next(&id)) {
    Entry e;
    e.id = id;
    it.ForEachField([&](std::string_view f, std::string_view v) {
      e.fv.emplace_back(f);
      e.fv.emplace_back(v);
    });
    entries.push_back(std::move(e));
  }
  // Cut nodes as Redis's streamAppendItem does with the default limits.
  std::vector<NodeWriter> nodes;
  for (const Entry& e : entries) {
    bool fresh = nodes.empty();
    if (!fresh) {
      size_t totelelen = 0;
      for (const std::string& x : e.fv) totelelen += x.size();
      fresh = nodes.back().Bytes() + totelelen >= 4096 || nodes.back().count() >= 100;
    }
    if (fresh) nodes.emplace_back(e);
    nodes.back().Add(&e);
  }
  out->push_back(static_cast<char>(kTypeStreamListpacks2));
  SaveLen(out, nodes.size());
  for (const NodeWriter& n : nodes) {
    std::string key;
    PutId(&key, n.master());
    SaveString(out, key);
    SaveString(out, n.Build());
  }
  SaveLen(out, s.length());
  SaveLen(out, s.last_id().ms);
  SaveLen(out, s.last_id().seq);
  SaveLen(out, s.first_id().ms);
  SaveLen(out, s.first_id().seq);
  SaveLen(out, s.max_deleted_id().ms);
  SaveLen(out, s.max_deleted_id().seq);
  SaveLen(out, s.entries_added());
  SaveLen(out, s.groups().size());
  for (const auto& [name, g] : s.groups()) {
    SaveString(out, name);
    SaveLen(out, g->last_id.ms);
    SaveLen(out, g->last_id.seq);
    SaveLen(out, static_cast<uint64_t>(g->entries_read));
    SaveLen(out, g->pel.size());
    for (const auto& [pid, nack] : g->pel) {
      PutId(out, pid);
      PutMs(out, nack.delivery_time);
      SaveLen(out, nack.delivery_count);
    }
    SaveLen(out, g->consumers.size());
    for (const auto& [cname, c] : g->consumers) {
      SaveString(out, cname);
      PutMs(out, c->seen_time);
      SaveLen(out, c->pel.size());
      for (StreamId pid : c->pel) PutId(out, pid);
    }
  }
  return true;
}

namespace {

// Parses one node listpack and appends its live entries to `s`.
bool LoadNode(StreamId master, std::string_view lp, const StreamObject::NodeLimits& nl,
              StreamObject* s) {
  std::vector<std::string> items;
  if (!ListpackForEach(lp, [&](std::string_view v) {
        items.emplace_back(v);
        return true;
      })) {
    return false;
  }
  size_t pos = 0;
  auto next_int = [&](int64_t* v) { return pos < items.size() && ParseInt64(items[pos++], v); };
  int64_t count, deleted, nmaster;
  if (!next_int(&count) || !next_int(&deleted) || !next_int(&nmaster)) return false;
  if (count < 0 || deleted < 0 || nmaster < 0 || static_cast<size_t>(nmaster) > items.size()) {
    return false;
  }
  if (count + deleted == 0) return false;  // Redis never writes an empty node
  if (static_cast<size_t>(nmaster) > items.size() - pos) return false;
  std::vector<std::string> fields(items.begin() + pos, items.begin() + pos + nmaster);
  pos += nmaster;
  int64_t zero;
  if (!next_int(&zero) || zero != 0) return false;
  int64_t live = 0, dead = 0;
  std::vector<std::string_view> fv;
  while (pos < items.size()) {
    int64_t flags, dms, dseq, nf;
    if (!next_int(&flags) || !next_int(&dms) || !next_int(&dseq)) return false;
    bool same = flags & kFlagSameFields;
    if (same) {
      nf = nmaster;
    } else if (!next_int(&nf) || nf < 0) {
      return false;
    }
    size_t need = static_cast<size_t>(nf) * (same ? 1 : 2);
    if (need > items.size() - pos) return false;
    fv.clear();
    for (int64_t i = 0; i < nf; ++i) {
      if (same) {
        fv.emplace_back(fields[i]);
        fv.emplace_back(items[pos++]);
      } else {
        fv.emplace_back(items[pos]);
        fv.emplace_back(items[pos + 1]);
        pos += 2;
      }
    }
    int64_t lp_count;
    if (!next_int(&lp_count) || lp_count != nf + 3 + (same ? 0 : nf + 1)) return false;
    if (flags & kFlagDeleted) {
      ++dead;
      continue;
    }
    ++live;
    StreamId id{master.ms + static_cast<uint64_t>(dms), master.seq + static_cast<uint64_t>(dseq)};
    StreamId added;
    if (nf == 0 || s->Add(fv, &id, true, 0, nl, &added) != StreamObject::AddStatus::kOk) {
      return false;
    }
  }
  return live == count && dead == deleted;
}

}  // namespace

bool LoadStream(Reader& r, const Limits& lim, bool v2, Value* out) {
  auto s = std::make_unique<StreamObject>();
  StreamObject::NodeLimits nl;
  nl.max_bytes = lim.stream_node_max_bytes;
  nl.max_entries = lim.stream_node_max_entries;
  uint64_t nodes;
  if (!r.Count(&nodes)) return false;
  std::string key, lp;
  for (uint64_t i = 0; i < nodes; ++i) {
    StreamId master;
    if (!r.String(&key) || !GetId(key, &master) || !r.String(&lp)) return false;
    if (!LoadNode(master, lp, nl, s.get())) return false;
  }
  // last ID, then (v2) first ID, max deleted ID and entries added.
  uint64_t length, v[7] = {0, 0, 0, 0, 0, 0, 0};
  if (!r.Len(&length)) return false;
  for (int i = 0; i < (v2 ? 7 : 2); ++i) {
    if (!r.Len(&v[i])) return false;
  }
  if (length != s->length()) return false;
  if (!v2) v[6] = length;
  StreamId last{v[0], v[1]}, max_deleted{v[4], v[5]};
  if (last < s->last_id()) return false;
  s->SetLastId(last);
  s->SetMaxDeletedId(max_deleted);
  s->SetEntriesAdded(v[6]);
  uint64_t ngroups;
  if (!r.Count(&ngroups)) return false;
  std::string name;
  for (uint64_t i = 0; i < ngroups; ++i) {
    uint64_t ms, seq, entries_read, npel;
    if (!r.String(&name) || !r.Len(&ms) || !r.Len(&seq)) return false;
    if (v2) {
      if (!r.Len(&entries_read)) return false;
    } else {  // as Redis 7.0 upgrades a 6.x group
      entries_read = static_cast<uint64_t>(s->EstimateDistance(StreamId{ms, seq}));
    }
    StreamGroup* g = s->CreateGroup(name, StreamId{ms, seq}, static_cast<int64_t>(entries_read));
    if (g == nullptr || !r.Count(&npel)) return false;
    for (uint64_t j = 0; j < npel; ++j) {
      std::string_view raw;
      StreamId pid;
      StreamNack nack;
      uint64_t count;
      if (!r.Bytes(16, &raw) || !GetId(raw, &pid) || !GetMs(r, &nack.delivery_time) ||
          !r.Len(&count)) {
        return false;
      }
      nack.delivery_count = count;
      if (!g->pel.emplace(pid, nack).second) return false;
    }
    uint64_t nconsumers;
    if (!r.Count(&nconsumers)) return false;
    for (uint64_t j = 0; j < nconsumers; ++j) {
      int64_t seen;
      uint64_t n;
      if (!r.String(&name) || !GetMs(r, &seen) || !r.Count(&n)) return false;
      StreamConsumer* c = g->CreateConsumer(name, seen);
      if (c == nullptr) return false;
      c->seen_time = seen;
      for (uint64_t k = 0; k < n; ++k) {
        std::string_view raw;
        StreamId pid;
        if (!r.Bytes(16, &raw) || !GetId(raw, &pid)) return false;
        auto it = g->pel.find(pid);
        if (it == g->pel.end() || it->second.consumer != nullptr) return false;
        it->second.consumer = c;
        c->pel.insert(pid);
      }
    }
    for (const auto& [pid, nack] : g->pel) {
      if (nack.consumer == nullptr) return false;  // a pending entry nobody owns
    }
  }
  *out = Value::Collection(std::move(s));
  return true;
}

}  // namespace kora::rdb
