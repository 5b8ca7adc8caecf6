// Pub/sub commands: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE SSUBSCRIBE SUNSUBSCRIBE
// PUBLISH SPUBLISH PUBSUB. They run on the connection's worker (kCmdConn); the registry and the
// delivery across workers are in pubsub_hub.cc. See docs/design/pubsub.md.
#include "base/strutil.h"
#include "commands/families.h"
#include "commands/family_util.h"
#include "commands/notify.h"
#include "commands/pubsub_hub.h"
#include "commands/server_family.h"
#include "commands/service.h"

namespace kora {
namespace {

const char* kSubscribeMsg[3] = {"subscribe", "psubscribe", "ssubscribe"};
const char* kUnsubscribeMsg[3] = {"unsubscribe", "punsubscribe", "sunsubscribe"};

// The connection that subscribes. Inside EXEC commands run through a stand-in connection;
// subscriptions belong to the real one (same id, same worker).
ConnContext* Subscriber(CmdCtx& ctx) {
  ConnContext* c = ctx.conn;
  if (c->tx_id == 0) return c;
  auto& conns = ctx.svc->state_of(ctx.worker->id()).conns;
  auto it = conns.find(c->id);
  return it == conns.end() ? nullptr : it->second;
}

// Redis's type.subscriptionCount: channels and patterns together; shard channels apart.
int64_t SubCount(const ConnContext* c, SubKind kind) {
  if (kind == SubKind::kShard) return c->ssubscriptions;
  return c->subscriptions + c->psubscriptions;
}

void ReplySubscription(ReplyBuilder& rb, const char* what, const std::string_view* name,
                       int64_t count) {
  rb.PushHeader(3);
  rb.Bulk(what);
  name ? rb.Bulk(*name) : rb.Null();
  rb.Integer(count);
}

void SubscribeGeneric(CmdArgs args, CmdCtx& ctx, SubKind kind) {
  ConnContext* c = Subscriber(ctx);
  if (c == nullptr) {
    ctx.rb->Error("ERR " + ToUpper(args[0]) + " isn't allowed for a DENY BLOCKING client");
    return;
  }
  PubSubHub& hub = ctx.svc->pubsub();
  int k = static_cast<int>(kind);
  for (size_t i = 1; i < args.size(); ++i) {
    hub.Subscribe(c, kind, args[i]);
    ReplySubscription(*ctx.rb, kSubscribeMsg[k], &args[i], SubCount(c, kind));
  }
}

void UnsubscribeGeneric(CmdArgs args, CmdCtx& ctx, SubKind kind) {
  ConnContext* c = Subscriber(ctx);
  if (c == nullptr) {
    ctx.rb->Error("ERR " + ToUpper(args[0]) + " isn't allowed for a DENY BLOCKING client");
    return;
  }
  PubSubHub& hub = ctx.svc->pubsub();
  const char* what = kUnsubscribeMsg[static_cast<int>(kind)];
  if (args.size() > 1) {
    for (size_t i = 1; i < args.size(); ++i) {
      hub.Unsubscribe(c, kind, args[i]);
      ReplySubscription(*ctx.rb, what, &args[i], SubCount(c, kind));
    }
    return;
  }
  std::vector<std::string> all = hub.SubscriptionsOf(c, kind);
  if (all.empty()) {
    ReplySubscription(*ctx.rb, what, nullptr, SubCount(c, kind));
    return;
  }
  for (const auto& name : all) {
    hub.Unsubscribe(c, kind, name);
    std::string_view v(name);
    ReplySubscription(*ctx.rb, what, &v, SubCount(c, kind));
  }
}

void CmdSubscribe(CmdArgs args, CmdCtx& ctx) { SubscribeGeneric(args, ctx, SubKind::kChannel); }
void CmdPSubscribe(CmdArgs args, CmdCtx& ctx) { SubscribeGeneric(args, ctx, SubKind::kPattern); }
void CmdSSubscribe(CmdArgs args, CmdCtx& ctx) { SubscribeGeneric(args, ctx, SubKind::kShard); }
void CmdUnsubscribe(CmdArgs args, CmdCtx& ctx) {
  UnsubscribeGeneric(args, ctx, SubKind::kChannel);
}
void CmdPUnsubscribe(CmdArgs args, CmdCtx& ctx) {
  UnsubscribeGeneric(args, ctx, SubKind::kPattern);
}
void CmdSUnsubscribe(CmdArgs args, CmdCtx& ctx) {
  UnsubscribeGeneric(args, ctx, SubKind::kShard);
}

// PUBLISH: local subscribers get the message at once, other workers through one task each;
// then the reply waits for their receiver counts.
void PublishGeneric(CmdArgs args, CmdCtx& ctx, bool shard) {
  auto* cell = new PendingReply*(nullptr);  // filled below, read by the completion task
  int64_t n = ctx.svc->pubsub().Publish(ctx.worker, shard, args[1], args[2],
                                        [cell](int64_t total) {
                                          (*cell)->Finish([total](ReplyBuilder& rb) {
                                            rb.Integer(total);
                                          });
                                          delete cell;
                                        });
  if (n >= 0) {
    delete cell;
    ctx.rb->Integer(n);
  } else {
    *cell = new PendingReply(ctx.conn, /*barrier=*/false);
  }
}

void CmdPublish(CmdArgs args, CmdCtx& ctx) { PublishGeneric(args, ctx, false); }
void CmdSPublish(CmdArgs args, CmdCtx& ctx) { PublishGeneric(args, ctx, true); }

void ReplyChannels(CmdArgs args, CmdCtx& ctx, SubKind kind) {
  if (args.size() > 3) {
    ReplySubcommandSyntaxError(ctx, args);
    return;
  }
  std::string_view pattern = args.size() == 3 ? args[2] : std::string_view();
  if (pattern == "*") pattern = {};
  auto names = ctx.svc->pubsub().Channels(kind, pattern);
  ctx.rb->ArrayHeader(static_cast<int64_t>(names.size()));
  for (const auto& n : names) ctx.rb->Bulk(n);
}

void ReplyNumSub(CmdArgs args, CmdCtx& ctx, SubKind kind) {
  ctx.rb->ArrayHeader(static_cast<int64_t>(args.size() - 2) * 2);
  for (size_t i = 2; i < args.size(); ++i) {
    ctx.rb->Bulk(args[i]);
    ctx.rb->Integer(ctx.svc->pubsub().NumSub(kind, args[i]));
  }
}

void CmdPubSubChannels(CmdArgs args, CmdCtx& ctx) { ReplyChannels(args, ctx, SubKind::kChannel); }
void CmdPubSubShardChannels(CmdArgs args, CmdCtx& ctx) {
  ReplyChannels(args, ctx, SubKind::kShard);
}
void CmdPubSubNumSub(CmdArgs args, CmdCtx& ctx) { ReplyNumSub(args, ctx, SubKind::kChannel); }
void CmdPubSubShardNumSub(CmdArgs args, CmdCtx& ctx) { ReplyNumSub(args, ctx, SubKind::kShard); }
void CmdPubSubNumPat(CmdArgs, CmdCtx& ctx) {
  ctx.rb->Integer(ctx.svc->pubsub().Count(SubKind::kPattern));
}

void CmdPubSubHelp(CmdArgs args, CmdCtx& ctx) {
  ReplyHelp(ctx, args[0],
            {"CHANNELS [<pattern>]",
             "    Return the currently active channels matching a <pattern> (default: '*').",
             "NUMPAT",
             "    Return number of subscriptions to patterns.",
             "NUMSUB [<channel> ...]",
             "    Return the number of subscribers for the specified channels, excluding",
             "    pattern subscriptions(default: no channels).",
             "SHARDCHANNELS [<pattern>]",
             "    Return the currently active shard level channels matching a <pattern> "
             "(default: '*').",
             "SHARDNUMSUB [<shardchannel> ...]",
             "    Return the number of subscribers for the specified shard level channel(s)"});
}

CommandSpec Conn(const char* name, int arity, int first, int last, CmdHandler h) {
  return Cmd(name, arity, kCmdConn, first, last, first > 0 ? 1 : 0, "", h);
}

}  // namespace

bool PubSubContextAllows(const CommandSpec& spec) {
  static constexpr std::string_view kAllowed[] = {
      "ping", "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe",
      "psubscribe", "punsubscribe", "quit", "reset"};
  for (auto n : kAllowed) {
    if (spec.name == n) return true;
  }
  return false;
}

void RegisterPubSubFamily(Service& svc) {
  InstallKeyspaceObservers(svc);
  // Flags, ACL categories and key specs come from the metadata table (command_meta_table.cc).
  CommandSpec pubsub = Conn("pubsub", -2, 0, 0, nullptr);
  pubsub.subcommands = {
      Conn("pubsub|channels", -2, 0, 0, CmdPubSubChannels),
      Conn("pubsub|numsub", -2, 0, 0, CmdPubSubNumSub),
      Conn("pubsub|numpat", 2, 0, 0, CmdPubSubNumPat),
      Conn("pubsub|shardchannels", -2, 0, 0, CmdPubSubShardChannels),
      Conn("pubsub|shardnumsub", -2, 0, 0, CmdPubSubShardNumSub),
      Conn("pubsub|help", 2, 0, 0, CmdPubSubHelp),
  };
  svc.Register({
      Conn("subscribe", -2, 0, 0, CmdSubscribe),
      Conn("unsubscribe", -1, 0, 0, CmdUnsubscribe),
      Conn("psubscribe", -2, 0, 0, CmdPSubscribe),
      Conn("punsubscribe", -1, 0, 0, CmdPUnsubscribe),
      Conn("ssubscribe", -2, 1, -1, CmdSSubscribe),
      Conn("sunsubscribe", -1, 1, -1, CmdSUnsubscribe),
      Conn("publish", 3, 0, 0, CmdPublish),
      Conn("spublish", 3, 1, 1, CmdSPublish),
      std::move(pubsub),
  });
}

}  // namespace kora
