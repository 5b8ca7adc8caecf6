// CLIENT LIST, CLIENT INFO lines and CLIENT KILL. Connections live on the worker that accepted
// them, so LIST and KILL send a task to every worker, which reads (or closes) only its own
// connections, and the caller's worker assembles the reply.
#include <algorithm>
#include <memory>
#include <utility>

#include "base/strutil.h"
#include "commands/client_family.h"
#include "commands/family_util.h"
#include "commands/service.h"

namespace kora {
namespace {

size_t ArgvMem(CmdArgs args) {
  size_t n = 0;
  for (auto a : args) n += a.size();
  return n;
}

struct KillFilter {
  bool old_form = false;
  uint64_t id = 0;  // 0: any
  bool has_type = false;
  ClientType type = ClientType::kNormal;
  std::string addr, laddr;
  bool has_addr = false, has_laddr = false;
  bool skipme = true;
  uint64_t caller = 0;

  bool Matches(const ConnContext& c) const {
    if (has_addr && c.addr != addr) return false;
    if (has_laddr && c.laddr != laddr) return false;
    if (has_type && TypeOf(c) != type) return false;
    if (id != 0 && c.id != id) return false;
    if (c.id == caller && skipme) return false;
    return true;
  }
};

// Parses the arguments of CLIENT KILL; replies and returns false on error.
bool ParseKill(CmdArgs args, CmdCtx& ctx, KillFilter* f) {
  f->caller = ctx.conn->id;
  if (args.size() == 3) {  // old form: CLIENT KILL addr:port
    f->old_form = true;
    f->has_addr = true;
    f->addr = std::string(args[2]);
    f->skipme = false;
    return true;
  }
  for (size_t i = 2; i < args.size(); i += 2) {
    bool more = i + 1 < args.size();
    std::string_view opt = args[i];
    if (EqualsIgnoreCase(opt, "id") && more) {
      int64_t id;
      if (!ParseInt64(args[i + 1], &id) || id < 1) {
        ctx.rb->Error("ERR client-id should be greater than 0");
        return false;
      }
      f->id = static_cast<uint64_t>(id);
    } else if (EqualsIgnoreCase(opt, "type") && more) {
      if (!ParseClientType(args[i + 1], &f->type)) {
        ctx.rb->Error("ERR Unknown client type '" + std::string(args[i + 1]) + "'");
        return false;
      }
      f->has_type = true;
    } else if (EqualsIgnoreCase(opt, "addr") && more) {
      f->has_addr = true;
      f->addr = std::string(args[i + 1]);
    } else if (EqualsIgnoreCase(opt, "laddr") && more) {
      f->has_laddr = true;
      f->laddr = std::string(args[i + 1]);
    } else if (EqualsIgnoreCase(opt, "user") && more) {
      if (args[i + 1] != "default") {  // the only user Kora has
        ctx.rb->Error("ERR No such user '" + std::string(args[i + 1]) + "'");
        return false;
      }
    } else if (EqualsIgnoreCase(opt, "skipme") && more) {
      if (EqualsIgnoreCase(args[i + 1], "yes")) {
        f->skipme = true;
      } else if (EqualsIgnoreCase(args[i + 1], "no")) {
        f->skipme = false;
      } else {
        ctx.rb->Error(err::kSyntax);
        return false;
      }
    } else {
      ctx.rb->Error(err::kSyntax);
      return false;
    }
  }
  return true;
}

using Lines = std::vector<std::pair<uint64_t, std::string>>;

}  // namespace

bool ValidClientName(std::string_view name) {
  for (char ch : name) {
    if (ch < '!' || ch > '~') return false;
  }
  return true;
}

bool ParseClientType(std::string_view name, ClientType* type) {
  if (EqualsIgnoreCase(name, "normal")) {
    *type = ClientType::kNormal;
  } else if (EqualsIgnoreCase(name, "slave") || EqualsIgnoreCase(name, "replica")) {
    *type = ClientType::kReplica;
  } else if (EqualsIgnoreCase(name, "pubsub")) {
    *type = ClientType::kPubSub;
  } else if (EqualsIgnoreCase(name, "master")) {
    *type = ClientType::kMaster;
  } else {
    return false;
  }
  return true;
}

ClientType TypeOf(const ConnContext& c) {
  if (c.subscriptions + c.psubscriptions + c.ssubscriptions > 0) return ClientType::kPubSub;
  return ClientType::kNormal;
}

std::string ClientInfoLine(const ConnContext& c, int64_t now_ms, size_t argv_mem,
                           size_t own_slots) {
  std::string flags;
  if (TypeOf(c) == ClientType::kPubSub) flags += 'P';
  if (c.multi_queued >= 0) flags += 'x';
  if (c.unix_socket) flags += 'U';
  if (c.no_evict) flags += 'e';
  if (flags.empty()) flags = "N";
  size_t qbuf = c.QueryBufferBytes();
  size_t qcap = std::max(c.QueryBufferCapacity(), qbuf);
  size_t obl = c.OutputBufferBytes();
  size_t rbs = c.OutputBufferCapacity();
  std::string s;
  s.reserve(320);
  auto num = [&](const char* key, int64_t v) {
    s += key;
    AppendInt64(&s, v);
  };
  num("id=", static_cast<int64_t>(c.id));
  s += " addr=" + c.addr + " laddr=" + c.laddr;
  num(" fd=", c.fd);
  s += " name=" + c.name;
  num(" age=", (now_ms - c.created_ms) / 1000);
  num(" idle=", (now_ms - c.last_interaction_ms) / 1000);
  s += " flags=" + flags;
  num(" db=", c.db_index);
  num(" sub=", c.subscriptions);
  num(" psub=", c.psubscriptions);
  num(" ssub=", c.ssubscriptions);
  num(" multi=", c.multi_queued);
  num(" qbuf=", static_cast<int64_t>(qbuf));
  num(" qbuf-free=", static_cast<int64_t>(qcap - qbuf));
  num(" argv-mem=", static_cast<int64_t>(argv_mem));
  num(" multi-mem=", 0);
  num(" rbs=", static_cast<int64_t>(rbs));
  num(" rbp=", static_cast<int64_t>(rbs));
  num(" obl=", static_cast<int64_t>(obl));
  size_t oll = c.PendingReplies();
  num(" oll=", static_cast<int64_t>(oll > own_slots ? oll - own_slots : 0));
  num(" omem=", 0);
  num(" tot-mem=", static_cast<int64_t>(qcap + rbs + argv_mem));
  s += obl > 0 ? " events=rw" : " events=r";
  s += " cmd=" + c.last_cmd;
  s += " user=default redir=-1";
  num(" resp=", c.resp);
  s += " lib-name=" + c.lib_name + " lib-ver=" + c.lib_ver;
  return s;
}

void CmdClientList(CmdArgs args, CmdCtx& ctx) {
  bool by_type = false;
  ClientType type = ClientType::kNormal;
  std::vector<uint64_t> ids;
  bool by_id = false;
  if (args.size() == 4 && EqualsIgnoreCase(args[2], "type")) {
    if (!ParseClientType(args[3], &type)) {
      ctx.rb->Error("ERR Unknown client type '" + std::string(args[3]) + "'");
      return;
    }
    by_type = true;
  } else if (args.size() > 3 && EqualsIgnoreCase(args[2], "id")) {
    by_id = true;
    for (size_t j = 3; j < args.size(); ++j) {
      int64_t id;
      if (!ParseInt64(args[j], &id)) {
        ctx.rb->Error("ERR Invalid client ID");
        return;
      }
      ids.push_back(static_cast<uint64_t>(id));
    }
  } else if (args.size() != 2) {
    ctx.rb->Error(err::kSyntax);
    return;
  }
  uint64_t caller = ctx.conn->id;
  size_t caller_argv = ArgvMem(args);
  auto wanted = std::make_shared<const std::vector<uint64_t>>(ids);
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/false);
  ctx.svc->RunOnShards<Lines>(
      ctx, ctx.svc->AllShards(),
      [=](CmdCtx& c) -> Lines {
        Lines out;
        int64_t now = NowUnixMs();
        for (const auto& [id, conn] : c.svc->local().conns) {
          if (by_type && TypeOf(*conn) != type) continue;
          if (by_id && std::find(wanted->begin(), wanted->end(), id) == wanted->end()) continue;
          bool me = id == caller;  // its own reply is pending in one slot
          out.emplace_back(id, ClientInfoLine(*conn, now, me ? caller_argv : 0, me ? 1 : 0));
        }
        return out;
      },
      [pending, by_id, wanted](std::vector<Lines>& parts) {
        Lines all;
        for (auto& p : parts) {
          for (auto& l : p) all.push_back(std::move(l));
        }
        std::sort(all.begin(), all.end());  // creation order, as Redis lists them
        std::string text;
        if (by_id) {  // in the order asked, repeats included
          for (uint64_t id : *wanted) {
            auto it = std::lower_bound(all.begin(), all.end(), id,
                                       [](const auto& l, uint64_t v) { return l.first < v; });
            if (it != all.end() && it->first == id) text += it->second + "\n";
          }
        } else {
          for (const auto& l : all) text += l.second + "\n";
        }
        pending->Finish([&text](ReplyBuilder& rb) { rb.Verbatim(text); });
      });
}

void CmdClientKill(CmdArgs args, CmdCtx& ctx) {
  KillFilter parsed;
  if (!ParseKill(args, ctx, &parsed)) return;
  auto filter = std::make_shared<const KillFilter>(std::move(parsed));
  ConnContext* self = ctx.conn;
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/false);
  ctx.svc->RunOnShards<int64_t>(
      ctx, ctx.svc->AllShards(),
      [filter](CmdCtx& c) -> int64_t {
        std::vector<ConnContext*> victims;
        bool self_hit = false;
        for (const auto& [id, conn] : c.svc->local().conns) {
          if (conn->closing || !filter->Matches(*conn)) continue;
          if (id == filter->caller) {
            self_hit = true;  // closed by the caller after its reply
          } else {
            victims.push_back(conn);
          }
        }
        for (ConnContext* v : victims) v->Kill();
        return static_cast<int64_t>(victims.size()) + (self_hit ? 1 : 0);
      },
      [pending, filter, self](std::vector<int64_t>& counts) {
        int64_t killed = 0;
        for (int64_t n : counts) killed += n;
        // Before Finish: the pending reply's reference keeps `self` alive until then.
        if (!filter->skipme && !self->closing && filter->Matches(*self)) self->CloseAfterReply();
        pending->Finish([&](ReplyBuilder& rb) {
          if (!filter->old_form) {
            rb.Integer(killed);
          } else if (killed == 0) {
            rb.Error("ERR No such client");
          } else {
            rb.Ok();
          }
        });
      });
}

}  // namespace kora
