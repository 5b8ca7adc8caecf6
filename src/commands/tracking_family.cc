// CLIENT TRACKING, CLIENT CACHING, CLIENT GETREDIR, CLIENT TRACKINGINFO (Redis 7.0's
// networking.c), on top of commands/tracking.h.
#include "commands/tracking_family.h"

#include <memory>

#include "base/strutil.h"
#include "commands/family_util.h"
#include "commands/service.h"
#include "commands/tracking.h"
#include "commands/conn_context.h"

namespace kora {
namespace {

bool PrefixOverlap(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size());
  return a.substr(0, n) == b.substr(0, n);
}

}  // namespace

void CmdClientTracking(CmdArgs args, CmdCtx& ctx) {
  ConnContext* c = ctx.conn;
  Tracker& tr = ctx.svc->tracker();
  int64_t redir = 0;
  bool has_redir = false;
  bool bcast = false, optin = false, optout = false, noloop = false;
  std::vector<std::string> prefixes;
  // Redis looks the REDIRECT target up while parsing: an error after it is reported only
  // when the target exists.
  std::string error;
  for (size_t j = 3; j < args.size() && error.empty(); ++j) {
    bool more = j + 1 < args.size();
    std::string opt = ToLower(args[j]);
    if (opt == "redirect" && more) {
      ++j;
      if (has_redir) {
        error = "ERR A client can only redirect to a single other client";
      } else if (!ParseInt64(args[j], &redir)) {
        error = err::kNotInt;
      } else {
        has_redir = true;
      }
    } else if (opt == "bcast") {
      bcast = true;
    } else if (opt == "optin") {
      optin = true;
    } else if (opt == "optout") {
      optout = true;
    } else if (opt == "noloop") {
      noloop = true;
    } else if (opt == "prefix" && more) {
      ++j;
      prefixes.emplace_back(args[j]);
    } else {
      error = err::kSyntax;
    }
  }
  std::string mode = ToLower(args[2]);
  auto finish = [c, trp = &tr, redir, bcast, optin, optout, noloop, mode, prefixes, error](
                    ReplyBuilder& rb, int redir_worker) {
    if (!error.empty()) {
      rb.Error(error);
      return;
    }
    if (mode == "off") {
      trp->Disable(c->home_worker, c->id);
      rb.Ok();
      return;
    }
    if (mode != "on") {
      rb.Error(err::kSyntax);
      return;
    }
    if (!bcast && !prefixes.empty()) {
      rb.Error("ERR PREFIX option requires BCAST mode to be enabled");
      return;
    }
    TrackingClient* t = trp->Find(c->home_worker, c->id);
    if (t != nullptr && t->bcast != bcast) {
      rb.Error(
          "ERR You can't switch BCAST mode on/off before disabling tracking for this client, "
          "and then re-enabling it with a different mode.");
      return;
    }
    if (bcast && (optin || optout)) {
      rb.Error("ERR OPTIN and OPTOUT are not compatible with BCAST");
      return;
    }
    if (optin && optout) {
      rb.Error("ERR You can't specify both OPTIN mode and OPTOUT mode");
      return;
    }
    if (t != nullptr && ((optin && t->optout) || (optout && t->optin))) {
      rb.Error(
          "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, "
          "and then re-enabling it with a different mode.");
      return;
    }
    if (bcast) {
      for (size_t i = 0; i < prefixes.size(); ++i) {
        if (t != nullptr) {
          for (const std::string& old : t->prefixes) {
            if (PrefixOverlap(old, prefixes[i])) {
              rb.Error("ERR Prefix '" + prefixes[i] + "' overlaps with an existing prefix '" +
                       old + "'. Prefixes for a single client must not overlap.");
              return;
            }
          }
        }
        for (size_t j = i + 1; j < prefixes.size(); ++j) {
          if (PrefixOverlap(prefixes[i], prefixes[j])) {
            rb.Error("ERR Prefix '" + prefixes[i] + "' overlaps with another provided prefix '" +
                     prefixes[j] + "'. Prefixes for a single client must not overlap.");
            return;
          }
        }
      }
    }
    trp->Enable(*c, static_cast<uint64_t>(redir), redir_worker, bcast, optin, optout, noloop,
              prefixes);
    rb.Ok();
  };
  if (!has_redir) {
    finish(*ctx.rb, -1);
    return;
  }
  // The REDIRECT target must exist now; find its worker.
  auto* pending = new PendingReply(c, /*barrier=*/true);
  uint64_t target = static_cast<uint64_t>(redir);
  ctx.svc->RunOnShards<int>(
      ctx, ctx.svc->AllShards(),
      [target](CmdCtx& x) -> int {
        auto& conns = x.svc->state_of(x.worker->id()).conns;
        return conns.contains(target) ? 1 : 0;
      },
      [pending, finish](std::vector<int>& found) {
        int w = -1;
        for (size_t i = 0; i < found.size(); ++i) {
          if (found[i]) w = static_cast<int>(i);
        }
        pending->Finish([&](ReplyBuilder& rb) {
          if (w < 0) {
            rb.Error("ERR The client ID you want redirect to does not exist");
          } else {
            finish(rb, w);
          }
        });
      });
}

void CmdClientCaching(CmdArgs args, CmdCtx& ctx) {
  TrackingClient* t = ctx.svc->tracker().Find(ctx.conn->home_worker, ctx.conn->id);
  if (t == nullptr) {
    ctx.rb->Error(
        "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN "
        "or OPTOUT mode enabled");
    return;
  }
  std::string opt = ToLower(args[2]);
  if (opt == "yes") {
    if (!t->optin) {
      ctx.rb->Error("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
      return;
    }
  } else if (opt == "no") {
    if (!t->optout) {
      ctx.rb->Error("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
      return;
    }
  } else {
    ctx.rb->Error(err::kSyntax);
    return;
  }
  t->caching = true;
  ctx.rb->Ok();
}

void CmdClientGetRedir(CmdArgs, CmdCtx& ctx) {
  TrackingClient* t = ctx.svc->tracker().Find(ctx.conn->home_worker, ctx.conn->id);
  ctx.rb->Integer(t ? static_cast<int64_t>(t->redirect) : -1);
}

void CmdClientTrackingInfo(CmdArgs, CmdCtx& ctx) {
  TrackingClient* t = ctx.svc->tracker().Find(ctx.conn->home_worker, ctx.conn->id);
  ReplyBuilder& rb = *ctx.rb;
  rb.MapHeader(3);
  rb.Bulk("flags");
  std::vector<std::string_view> flags;
  flags.push_back(t ? "on" : "off");
  if (t) {
    if (t->bcast) flags.push_back("bcast");
    if (t->optin) {
      flags.push_back("optin");
      if (t->caching) flags.push_back("caching-yes");
    }
    if (t->optout) {
      flags.push_back("optout");
      if (t->caching) flags.push_back("caching-no");
    }
    if (t->noloop) flags.push_back("noloop");
    if (t->broken_redir) flags.push_back("broken_redirect");
  }
  rb.SetHeader(static_cast<int64_t>(flags.size()));
  for (auto f : flags) rb.Bulk(f);
  rb.Bulk("redirect");
  rb.Integer(t ? static_cast<int64_t>(t->redirect) : -1);
  rb.Bulk("prefixes");
  if (t == nullptr) {
    rb.ArrayHeader(0);
  } else {
    rb.ArrayHeader(static_cast<int64_t>(t->prefixes.size()));
    for (const auto& p : t->prefixes) rb.Bulk(p);
  }
}

void TrackingOnFlush(CmdCtx& ctx) {
  if (ctx.svc->tracker().clients() == 0) return;
  ctx.svc->tracker().Flushed(ctx.worker, ctx.client_id);
}

void TrackingOnClose(Service& svc, ConnContext& c) {
  if (svc.tracker().clients() == 0) return;
  svc.tracker().Disable(c.home_worker, c.id);
}

}  // namespace kora
