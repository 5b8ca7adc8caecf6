#include "commands/stream_util.h"

#include <cerrno>
#include <cstdlib>

#include "base/strutil.h"
#include "commands/blocking.h"
#include "commands/family_util.h"
#include "commands/service.h"

namespace kora {

namespace {

// Redis's string2ull: canonical integers, else whatever strtoull accepts in full.
bool ParseU64(std::string_view s, uint64_t* v) {
  int64_t ll;
  if (ParseInt64(s, &ll)) {
    if (ll < 0) return false;
    *v = static_cast<uint64_t>(ll);
    return true;
  }
  std::string z(s);
  errno = 0;
  char* end = nullptr;
  unsigned long long r = std::strtoull(z.c_str(), &end, 10);
  if (errno == EINVAL || errno == ERANGE || z.empty() || *end != '\0') return false;
  *v = r;
  return true;
}

}  // namespace

bool ParseStreamId(std::string_view s, StreamId* id, uint64_t missing_seq, bool strict,
                   bool* seq_given) {
  if (s.size() > 127) return false;
  s = s.substr(0, s.find('\0'));  // Redis works on a C string copy
  if (strict && (s == "-" || s == "+")) return false;
  if (seq_given) *seq_given = true;
  if (s == "-") {
    *id = StreamId{};
    return true;
  }
  if (s == "+") {
    *id = StreamId::Max();
    return true;
  }
  size_t dash = s.find('-');
  uint64_t ms, seq;
  if (!ParseU64(s.substr(0, dash), &ms)) return false;
  if (dash == std::string_view::npos) {
    seq = missing_seq;
  } else {
    std::string_view rest = s.substr(dash + 1);
    if (seq_given && rest == "*") {
      seq = 0;
      *seq_given = false;
    } else if (!ParseU64(rest, &seq)) {
      return false;
    }
  }
  *id = StreamId{ms, seq};
  return true;
}

bool ParseIntervalId(std::string_view s, StreamId* id, bool* exclude, uint64_t missing_seq) {
  *exclude = s.size() > 1 && s[0] == '(';
  if (*exclude) return ParseStreamId(s.substr(1), id, missing_seq, /*strict=*/true);
  return ParseStreamId(s, id, missing_seq, /*strict=*/false);
}

std::string CStr(std::string_view s) { return std::string(s.substr(0, s.find('\0'))); }

std::string NoKeyOrGroup(CmdArgs args) {
  return "NOGROUP No such key '" + CStr(args[1]) + "' or consumer group '" + CStr(args[2]) + "'";
}

bool ParseLongLongOrReply(CmdCtx& ctx, std::string_view s, int64_t* v, std::string_view msg) {
  if (ParseInt64(s, v)) return true;
  ctx.rb->Error(msg.empty() ? err::kNotInt : msg);
  return false;
}

StreamObject* FindStream(CmdCtx& ctx, std::string_view key, bool count_stats, bool* wrong) {
  *wrong = false;
  KeyEntry* e = ctx.db().Find(key, ctx.now_ms);
  if (count_stats) {
    ShardStats& st = ctx.shard().stats();
    e ? ++st.keyspace_hits : ++st.keyspace_misses;
  }
  if (e == nullptr) return nullptr;
  if (e->value.type() != ValueType::kStream) {
    *wrong = true;
    ctx.rb->Error(err::kWrongType);
    return nullptr;
  }
  return e->value.As<StreamObject>();
}

StreamObject::NodeLimits StreamNodeLimits(CmdCtx& ctx) {
  struct Cache {
    const ConfigStore* store = nullptr;
    uint64_t generation = ~uint64_t{0};
    StreamObject::NodeLimits limits;
  };
  thread_local Cache cache;
  ConfigStore& c = ctx.svc->config();
  uint64_t gen = c.generation();
  if (cache.store != &c || cache.generation != gen) {
    StreamObject::NodeLimits l;
    if (c.Has("stream-node-max-bytes")) l.max_bytes = c.IntValue("stream-node-max-bytes");
    if (c.Has("stream-node-max-entries")) l.max_entries = c.IntValue("stream-node-max-entries");
    cache.limits = l;
    cache.store = &c;
    cache.generation = gen;
  }
  return cache.limits;
}

void ReplyStreamId(ReplyBuilder& rb, StreamId id) {
  char buf[48];
  int n = std::snprintf(buf, sizeof(buf), "%llu-%llu", static_cast<unsigned long long>(id.ms),
                        static_cast<unsigned long long>(id.seq));
  rb.Bulk(std::string_view(buf, static_cast<size_t>(n)));
}

void ReplyEntry(ReplyBuilder& rb, StreamId id, const StreamObject::Iterator& it) {
  rb.ArrayHeader(2);
  ReplyStreamId(rb, id);
  rb.ArrayHeader(static_cast<int64_t>(it.NumFields() * 2));
  it.ForEachField([&rb](std::string_view f, std::string_view v) {
    rb.Bulk(f);
    rb.Bulk(v);
  });
}

bool ReplyEntryById(ReplyBuilder& rb, const StreamObject& s, StreamId id) {
  StreamObject::Iterator it(s, id, id, false);
  StreamId found;
  if (!it.Next(&found)) return false;
  ReplyEntry(rb, found, it);
  return true;
}

size_t ReplyRange(ReplyBuilder& rb, StreamObject& s, StreamId start, StreamId end, size_t count,
                  bool rev, StreamGroup* group, StreamConsumer* consumer, bool noack,
                  int64_t now_ms) {
  std::string body;
  ReplyBuilder b(&body, rb.resp());
  size_t n = 0;
  StreamObject::Iterator it(s, start, end, rev);
  StreamId id;
  while (it.Next(&id)) {
    if (group) s.Deliver(group, consumer, id, noack, now_ms);
    ReplyEntry(b, id, it);
    if (++n == count) break;
  }
  rb.ArrayHeader(static_cast<int64_t>(n));
  rb.Raw(body);
  return n;
}

size_t ReplyConsumerHistory(ReplyBuilder& rb, StreamObject& s, StreamGroup* group,
                            StreamConsumer* consumer, StreamId start, size_t count,
                            int64_t now_ms) {
  std::string body;
  ReplyBuilder b(&body, rb.resp());
  size_t n = 0;
  for (auto it = consumer->pel.lower_bound(start);
       it != consumer->pel.end() && (count == 0 || n < count); ++it) {
    StreamId id = *it;
    if (ReplyEntryById(b, s, id)) {
      StreamNack& nack = group->pel.find(id)->second;
      nack.delivery_time = now_ms;
      ++nack.delivery_count;
    } else {
      // Deleted from the stream while pending.
      b.ArrayHeader(2);
      ReplyStreamId(b, id);
      b.NullArray();
    }
    ++n;
  }
  rb.ArrayHeader(static_cast<int64_t>(n));
  rb.Raw(body);
  return n;
}

void NotifyStreamAdd(CmdCtx& ctx, std::string_view key) {
  BlockingRegistry& reg = *ctx.svc->local().blocking;
  if (!reg.empty()) reg.Serve(ctx, key);
}

void XReadKeys(CmdArgs args, std::vector<size_t>* out) {
  size_t streams = 0;
  for (size_t i = 1; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (EqualsIgnoreCase(a, "block") || EqualsIgnoreCase(a, "count")) {
      ++i;
    } else if (EqualsIgnoreCase(a, "group")) {
      i += 2;
    } else if (EqualsIgnoreCase(a, "noack")) {
      continue;
    } else if (EqualsIgnoreCase(a, "streams")) {
      streams = i;
      break;
    } else {
      break;
    }
  }
  if (streams == 0) return;
  size_t num = args.size() - streams - 1;
  if (num == 0 || num % 2 != 0) return;
  num /= 2;
  for (size_t i = streams + 1; i < args.size() - num; ++i) out->push_back(i);
}

}  // namespace kora
