#include "commands/tracking.h"

#include <algorithm>

#include "base/strutil.h"
#include "commands/conn_context.h"
#include "commands/notify.h"
#include "commands/service.h"

namespace kora {
namespace {

absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }

std::string KeyArray(std::string_view key) {
  std::string p = "*1\r\n$";
  p += Int64ToString(static_cast<int64_t>(key.size()));
  p += "\r\n";
  p.append(key);
  p += "\r\n";
  return p;
}

ConnContext* FindConn(Service* svc, int worker, uint64_t id) {
  auto& conns = svc->state_of(worker).conns;
  auto it = conns.find(id);
  return it == conns.end() ? nullptr : it->second;
}

}  // namespace

Tracker::Tracker(Service* svc, int workers) : svc_(svc) {
  for (int i = 0; i < workers; ++i) local_.push_back(std::make_unique<PerWorker>());
}

Tracker::~Tracker() = default;

TrackingClient* Tracker::Find(int worker, uint64_t id) {
  auto& m = local_[worker]->clients;
  auto it = m.find(id);
  return it == m.end() ? nullptr : &it->second;
}

void Tracker::UpdateActive() {
  if (clients_.load() > 0) {
    svc_->keyspace_events().fetch_or(kNotifyTracking);
  } else {
    svc_->keyspace_events().fetch_and(~static_cast<uint32_t>(kNotifyTracking));
  }
}

void Tracker::Enable(ConnContext& c, uint64_t redirect, int redirect_worker, bool bcast,
                     bool optin, bool optout, bool noloop,
                     const std::vector<std::string>& prefixes) {
  auto [it, inserted] = local_[c.home_worker]->clients.try_emplace(c.id);
  if (inserted) {
    clients_.fetch_add(1);
    UpdateActive();
  }
  TrackingClient& t = it->second;
  t.bcast = bcast;
  t.optin = optin;
  t.optout = optout;
  t.noloop = noloop;
  t.broken_redir = false;
  t.redirect = redirect;
  t.redirect_worker = redirect_worker;
  if (!bcast) return;
  std::vector<std::string> add = prefixes;
  if (add.empty()) add.emplace_back();
  std::lock_guard<std::mutex> lk(mu_);
  for (auto& p : add) {
    if (!t.prefixes.insert(p).second) continue;
    bcast_.push_back(Bcast{p, c.id, c.home_worker});
    bcast_count_.fetch_add(1);
  }
}

void Tracker::Disable(int worker, uint64_t id) {
  auto& m = local_[worker]->clients;
  auto it = m.find(id);
  if (it == m.end()) return;
  if (!it->second.prefixes.empty()) {
    std::lock_guard<std::mutex> lk(mu_);
    size_t before = bcast_.size();
    bcast_.erase(std::remove_if(bcast_.begin(), bcast_.end(),
                                [id](const Bcast& b) { return b.id == id; }),
                 bcast_.end());
    bcast_count_.fetch_sub(static_cast<int64_t>(before - bcast_.size()));
  }
  m.erase(it);
  clients_.fetch_sub(1);
  UpdateActive();
}

void Tracker::PrepareCommand(ConnContext& c, const CommandSpec& spec, CmdCtx& ctx) {
  Worker* w = Worker::Current();
  if (w == nullptr || w->id() != c.home_worker || c.is_script) return;
  TrackingClient* t = Find(c.home_worker, c.id);
  if (t == nullptr) return;
  if (!t->bcast && !((t->optin && !t->caching) || (t->optout && t->caching))) {
    ctx.may_track = true;
    if (spec.flags & kCmdReadOnly) ctx.track_reads = true;
  }
  // Redis forgets CLIENT CACHING after the next command, unless that is a CLIENT command or
  // the command runs in (or opens, or runs) a transaction.
  if (t->caching && c.tx_id == 0 && spec.name.compare(0, 6, "client") != 0 &&
      spec.name != "multi" && spec.name != "exec") {
    t->caching = false;
  }
}

void Tracker::Remember(int shard, std::string_view key, uint64_t id, int worker) {
  auto& readers = local_[shard]->keys[AV(key)];
  for (const Reader& r : readers) {
    if (r.id == id) return;
  }
  readers.push_back(Reader{id, worker});
}

void Tracker::RememberKeys(CmdCtx& ctx, CmdArgs args) {
  std::vector<size_t> keys;
  ExtractKeys(*ctx.spec, args, &keys);
  int me = ctx.worker->id();
  Engine& eng = svc_->engine();
  for (size_t k : keys) {
    if (eng.ShardOf(args[k]) != me) {
      std::string key(args[k]);
      uint64_t id = ctx.client_id;
      int cw = ctx.client_worker;
      ctx.worker->Send(eng.ShardOf(args[k]), [this, key = std::move(key), id, cw] {
        Remember(Worker::Current()->id(), key, id, cw);
      });
      continue;
    }
    Remember(me, args[k], ctx.client_id, ctx.client_worker);
  }
}

void Tracker::RememberKeyList(const std::vector<std::string>& keys, uint64_t id, int worker) {
  Worker* w = Worker::Current();
  Engine& eng = svc_->engine();
  for (const auto& key : keys) {
    int s = eng.ShardOf(key);
    if (s == w->id()) {
      Remember(s, key, id, worker);
    } else {
      w->Send(s, [this, key, id, worker] { Remember(Worker::Current()->id(), key, id, worker); });
    }
  }
}

void Tracker::KeyModified(Worker* w, std::string_view key, uint64_t writer) {
  auto& keys = local_[w->id()]->keys;
  auto it = keys.find(AV(key));
  if (it != keys.end()) {
    std::vector<Reader> readers = std::move(it->second);
    keys.erase(it);
    std::string payload = KeyArray(key);
    for (const Reader& r : readers) {
      w->Send(r.worker, [this, r, payload, writer] {
        Deliver(r.worker, r.id, payload, writer, false, false);
      });
    }
  }
  if (bcast_count_.load(std::memory_order_relaxed) == 0) return;
  std::vector<Bcast> hit;
  {
    std::lock_guard<std::mutex> lk(mu_);
    for (const Bcast& b : bcast_) {
      if (key.substr(0, b.prefix.size()) == b.prefix) hit.push_back(b);
    }
  }
  if (hit.empty()) return;
  std::string payload = KeyArray(key);
  for (const Bcast& b : hit) {
    w->Send(b.worker, [this, b, payload, writer] {
      Deliver(b.worker, b.id, payload, writer, false, false);
    });
  }
}

void Tracker::Flushed(Worker* w, uint64_t writer) {
  for (int i = 0; i < static_cast<int>(local_.size()); ++i) {
    w->Send(i, [this, i, writer] {
      local_[i]->keys.clear();
      std::vector<uint64_t> ids;
      for (auto& [id, t] : local_[i]->clients) ids.push_back(id);
      for (uint64_t id : ids) Deliver(i, id, std::string(), writer, false, true);
    });
  }
}

void Tracker::Deliver(int worker, uint64_t id, std::string payload, uint64_t writer,
                      bool reposted, bool is_flush) {
  TrackingClient* t = Find(worker, id);
  if (t == nullptr) return;
  if (!is_flush && t->noloop && writer == id) return;
  if (writer == id && !reposted) {
    // The client's own change: Redis sends it after the command's reply. That reply may still
    // be on its way from the shards (or from a coordinator's last step): bounce off every
    // shard first, so whatever they queued for this worker before has arrived.
    int n = static_cast<int>(local_.size());
    auto left = std::make_shared<int>(n);
    auto shared = std::make_shared<std::string>(std::move(payload));
    Worker* self = Worker::Current();
    for (int i = 0; i < n; ++i) {
      self->Send(i, [this, worker, id, writer, is_flush, left, shared] {
        Worker::Current()->Send(worker, [this, worker, id, writer, is_flush, left, shared] {
          if (--*left > 0) return;
          // One more turn of the home loop: replies delivered in the same batch go first.
          Worker::Current()->Send(worker, [this, worker, id, writer, is_flush, shared] {
            Deliver(worker, id, std::move(*shared), writer, true, is_flush);
          });
        });
      });
    }
    return;
  }
  ConnContext* c = FindConn(svc_, worker, id);
  if (is_flush) {
    if (c == nullptr) return;
    payload = c->resp >= 3 ? "_\r\n" : "$-1\r\n";
  }
  if (t->redirect != 0) {
    uint64_t target = t->redirect;
    int tw = t->redirect_worker;
    Worker::Current()->Send(tw, [this, tw, target, payload = std::move(payload), id, worker] {
      DeliverRedirect(tw, target, payload, id, worker);
    });
    return;
  }
  if (c == nullptr || c->resp < 3) return;
  std::string frame = ">2\r\n$10\r\ninvalidate\r\n";
  frame += payload;
  c->PushMessage(frame);
}

void Tracker::DeliverRedirect(int worker, uint64_t target, std::string payload, uint64_t from,
                              int from_worker) {
  ConnContext* c = FindConn(svc_, worker, target);
  if (c == nullptr) {
    Worker::Current()->Send(from_worker, [this, target, from, from_worker] {
      TrackingClient* t = Find(from_worker, from);
      if (t == nullptr || t->redirect != target) return;
      t->broken_redir = true;
      ConnContext* fc = FindConn(svc_, from_worker, from);
      if (fc == nullptr || fc->resp < 3) return;
      std::string frame = ">2\r\n$21\r\ntracking-redir-broken\r\n:";
      frame += Int64ToString(static_cast<int64_t>(target));
      frame += "\r\n";
      fc->PushMessage(frame);
    });
    return;
  }
  std::string frame;
  if (c->resp >= 3) {
    frame = ">2\r\n$10\r\ninvalidate\r\n";
  } else if (c->subscriptions + c->psubscriptions + c->ssubscriptions > 0) {
    frame = "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n";
  } else {
    return;
  }
  frame += payload;
  c->PushMessage(frame);
}

void TrackingKeyModified(Service* svc, Worker* w, std::string_view key, uint64_t writer) {
  svc->tracker().KeyModified(w, key, writer);
}

}  // namespace kora
