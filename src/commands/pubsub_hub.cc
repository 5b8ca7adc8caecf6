#include "commands/pubsub_hub.h"

#include <algorithm>

#include "base/glob.h"
#include "commands/config.h"
#include "commands/conn_context.h"
#include "core/db_table.h"
#include "protocol/reply_builder.h"
#include "shard/engine.h"

namespace kora {
namespace {

// Debian's Abseil keeps its own string_view type; heterogeneous lookups take that one.
absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// "normal H S T slave H S T pubsub H S T" (the normalised config value).
void ParseLimits(const std::string& v, OutputLimit out[3]) {
  std::vector<int64_t> nums;
  size_t i = 0;
  while (i < v.size()) {
    size_t j = v.find(' ', i);
    if (j == std::string::npos) j = v.size();
    std::string tok = v.substr(i, j - i);
    if (!tok.empty() && (tok[0] >= '0' && tok[0] <= '9')) nums.push_back(std::stoll(tok));
    i = j + 1;
  }
  if (nums.size() != 9) return;
  for (int c = 0; c < 3; ++c) out[c] = OutputLimit{nums[c * 3], nums[c * 3 + 1], nums[c * 3 + 2]};
}

// The message frames of one delivery, built on first use for each protocol.
class Frames {
 public:
  Frames(const char* kind, std::string_view channel, std::string_view message)
      : kind_(kind), channel_(channel), message_(message) {}
  const std::string& For(int resp, std::string_view pattern) {
    std::string& f = resp == 3 ? resp3_ : resp2_;
    if (f.empty()) {
      ReplyBuilder rb(&f, resp);
      rb.PushHeader(pattern.empty() ? 3 : 4);
      rb.Bulk(kind_);
      if (!pattern.empty()) rb.Bulk(pattern);
      rb.Bulk(channel_);
      rb.Bulk(message_);
    }
    return f;
  }

 private:
  const char* kind_;
  std::string_view channel_, message_;
  std::string resp2_, resp3_;
};

}  // namespace

PubSubHub::PubSubHub(int workers, ConfigStore* config) : config_(config) {
  for (int i = 0; i < workers; ++i) local_.push_back(std::make_unique<Local>());
  for (auto& a : active_) {
    a.reset(new std::atomic<int64_t>[workers]);
    for (int i = 0; i < workers; ++i) a[i].store(0);
  }
}

PubSubHub::~PubSubHub() = default;

void PubSubHub::Count(ConnContext* c, SubKind kind, int delta) {
  switch (kind) {
    case SubKind::kChannel: c->subscriptions += delta; break;
    case SubKind::kPattern: c->psubscriptions += delta; break;
    case SubKind::kShard: c->ssubscriptions += delta; break;
  }
  int which = kind == SubKind::kShard ? 1 : 0;
  active_[which][c->home_worker].fetch_add(delta, std::memory_order_seq_cst);
}

void PubSubHub::AddGlobal(SubKind kind, const std::string& name, int delta) {
  std::lock_guard<std::mutex> lk(mu_);
  auto& m = counts_[static_cast<int>(kind)];
  int64_t& n = m[name];
  n += delta;
  if (n <= 0) m.erase(name);
}

bool PubSubHub::Subscribe(ConnContext* c, SubKind kind, std::string_view name) {
  Local& l = *local_[c->home_worker];
  int k = static_cast<int>(kind);
  auto [it, fresh] = l.clients[c].names[k].emplace(AV(name));
  if (!fresh) return false;
  l.subs[k][*it].insert(c);
  AddGlobal(kind, *it, 1);
  Count(c, kind, 1);
  return true;
}

bool PubSubHub::Unsubscribe(ConnContext* c, SubKind kind, std::string_view name) {
  Local& l = *local_[c->home_worker];
  int k = static_cast<int>(kind);
  auto cit = l.clients.find(c);
  if (cit == l.clients.end()) return false;
  auto& mine = cit->second.names[k];
  auto nit = mine.find(AV(name));
  if (nit == mine.end()) return false;
  std::string key = std::move(mine.extract(nit).value());
  auto sit = l.subs[k].find(key);
  if (sit != l.subs[k].end()) {
    sit->second.erase(c);
    if (sit->second.empty()) l.subs[k].erase(sit);
  }
  AddGlobal(kind, key, -1);
  Count(c, kind, -1);
  const ClientSubs& cs = cit->second;
  if (cs.names[0].empty() && cs.names[1].empty() && cs.names[2].empty()) l.clients.erase(cit);
  return true;
}

std::vector<std::string> PubSubHub::SubscriptionsOf(ConnContext* c, SubKind kind) {
  Local& l = *local_[c->home_worker];
  auto it = l.clients.find(c);
  if (it == l.clients.end()) return {};
  const auto& s = it->second.names[static_cast<int>(kind)];
  return std::vector<std::string>(s.begin(), s.end());
}

void PubSubHub::RemoveAll(ConnContext* c) {
  for (int k = 0; k < 3; ++k) {
    for (const auto& name : SubscriptionsOf(c, static_cast<SubKind>(k))) {
      Unsubscribe(c, static_cast<SubKind>(k), name);
    }
  }
}

int64_t PubSubHub::DeliverLocal(int worker, bool shard, std::string_view channel,
                                std::string_view message) {
  Local& l = *local_[worker];
  int64_t receivers = 0;
  Frames direct(shard ? "smessage" : "message", channel, message);
  auto& chans = l.subs[static_cast<int>(shard ? SubKind::kShard : SubKind::kChannel)];
  if (!chans.empty()) {
    auto it = chans.find(AV(channel));
    if (it != chans.end()) {
      // Copy first: a push may close a client that overran its output buffer limit.
      l.receivers.assign(it->second.begin(), it->second.end());
      for (ConnContext* c : l.receivers) {
        c->PushMessage(direct.For(c->resp, {}));
        ++receivers;
      }
    }
  }
  if (shard) return receivers;
  auto& pats = l.subs[static_cast<int>(SubKind::kPattern)];
  for (auto& [pattern, conns] : pats) {
    if (!GlobMatch(pattern, channel)) continue;
    Frames pm("pmessage", channel, message);
    l.receivers.assign(conns.begin(), conns.end());
    for (ConnContext* c : l.receivers) {
      c->PushMessage(pm.For(c->resp, pattern));
      ++receivers;
    }
  }
  return receivers;
}

int64_t PubSubHub::Publish(Worker* from, bool shard, std::string_view channel,
                           std::string_view message, absl::AnyInvocable<void(int64_t)> done) {
  int src = from->id();
  int n = static_cast<int>(local_.size());
  auto& active = active_[shard ? 1 : 0];
  int64_t local = active[src].load(std::memory_order_seq_cst) > 0
                      ? DeliverLocal(src, shard, channel, message)
                      : 0;
  std::vector<int> others;
  for (int w = 0; w < n; ++w) {
    if (w != src && active[w].load(std::memory_order_seq_cst) > 0) others.push_back(w);
  }
  if (others.empty()) return local;
  struct Join {
    int64_t total;
    size_t remaining;
    absl::AnyInvocable<void(int64_t)> done;
  };
  Join* j = done ? new Join{local, others.size(), std::move(done)} : nullptr;
  auto payload = std::make_shared<const std::pair<std::string, std::string>>(
      std::string(channel), std::string(message));
  for (int w : others) {
    from->Send(w, [this, w, src, shard, payload, j] {
      int64_t got = DeliverLocal(w, shard, payload->first, payload->second);
      if (j == nullptr) return;
      Worker::Current()->Send(src, [j, got] {
        j->total += got;
        if (--j->remaining == 0) {
          j->done(j->total);
          delete j;
        }
      });
    });
  }
  return -1;
}

std::vector<std::string> PubSubHub::Channels(SubKind kind, std::string_view pattern) {
  std::vector<std::string> out;
  std::lock_guard<std::mutex> lk(mu_);
  for (const auto& [name, n] : counts_[static_cast<int>(kind)]) {
    if (pattern.empty() || GlobMatch(pattern, name)) out.push_back(name);
  }
  return out;
}

int64_t PubSubHub::NumSub(SubKind kind, std::string_view name) {
  std::lock_guard<std::mutex> lk(mu_);
  const auto& m = counts_[static_cast<int>(kind)];
  auto it = m.find(AV(name));
  return it == m.end() ? 0 : it->second;
}

int64_t PubSubHub::Count(SubKind kind) {
  std::lock_guard<std::mutex> lk(mu_);
  return static_cast<int64_t>(counts_[static_cast<int>(kind)].size());
}

const OutputLimit& PubSubHub::Limit(int worker, int cls) {
  Local& l = *local_[worker];
  uint64_t gen = config_->generation();
  if (gen != l.config_gen) {
    l.config_gen = gen;
    ParseLimits(config_->Value("client-output-buffer-limit"), l.limits);
  }
  return l.limits[cls];
}

}  // namespace kora
