// Blocking sorted-set pops: BZPOPMIN BZPOPMAX BZMPOP (see blocking.h; list_blocking.cc is the
// model). On the first attempt a key of another type ends the command with WRONGTYPE; once
// blocked, such a key simply does not serve the waiter.
#include "base/strutil.h"
#include "commands/blocking.h"
#include "commands/zset_util.h"

namespace kora {

void NotifyZSetAdd(CmdCtx& ctx, std::string_view key) {
  BlockingRegistry& reg = *ctx.svc->local().blocking;
  if (!reg.empty()) reg.Serve(ctx, key);
}

namespace {

bool ZSetReady(CmdCtx& c, std::string_view key) {
  KeyEntry* e = c.db().Find(key, c.now_ms);
  return e != nullptr && e->value.type() == ValueType::kZSet;
}

std::string ZSetTypeError(CmdCtx& c, std::string_view key) {
  KeyEntry* e = c.db().Find(key, c.now_ms);
  if (e && e->value.type() != ValueType::kZSet) return std::string(err::kWrongType);
  return std::string();
}

// A waiter popping from one end: BZPOPMIN/BZPOPMAX reply [key, member, score]; BZMPOP (`mpop`)
// replies [key, [[member, score]...]] with up to `count` elements.
BlockTicket* PopTicket(bool max, int64_t count, bool mpop, int resp) {
  auto* t = new BlockTicket;
  t->ready = ZSetReady;
  t->first_error = ZSetTypeError;
  t->serve = [max, count, mpop, resp](CmdCtx& c, std::string_view key, std::string* out) {
    ReplyBuilder rb(out, resp);
    ZSetObject* z = c.db().Find(key, c.now_ms)->value.As<ZSetObject>();
    zset::Elems v = zset::PopElems(c, key, z, max, count);
    if (mpop) return zset::ReplyMPop(rb, key, v);
    rb.ArrayHeader(3);
    rb.Bulk(key);
    rb.Bulk(v[0].first);
    zset::ReplyScore(rb, v[0].second);
  };
  return t;
}

void BZPop(CmdArgs args, CmdCtx& ctx, bool max) {
  int64_t deadline;
  std::string error;
  if (!ParseBlockTimeout(args.back(), ctx.now_ms, &deadline, &error)) {
    return ctx.rb->Error(error);
  }
  BlockTicket* t = PopTicket(max, 1, false, ctx.conn->resp);
  for (size_t i = 1; i + 1 < args.size(); ++i) t->keys.emplace_back(args[i]);
  t->deadline_ms = deadline;
  BlockClient(ctx, t);
}

void CmdBZPopMin(CmdArgs a, CmdCtx& c) { BZPop(a, c, false); }
void CmdBZPopMax(CmdArgs a, CmdCtx& c) { BZPop(a, c, true); }

// BZMPOP timeout numkeys key... MIN|MAX [COUNT n]: the arguments are checked before the timeout.
void CmdBZMPop(CmdArgs args, CmdCtx& ctx) {
  zset::MPopArgs o;
  // ParseMPop reads numkeys at index 1: skip the command name so the timeout sits at 0.
  if (std::string e = zset::ParseMPop(args.subspan(1), &o); !e.empty()) {
    return ctx.rb->Error(e);
  }
  int64_t deadline;
  std::string error;
  if (!ParseBlockTimeout(args[1], ctx.now_ms, &deadline, &error)) return ctx.rb->Error(error);
  BlockTicket* t = PopTicket(o.max, o.count, true, ctx.conn->resp);
  for (int64_t k = 0; k < o.numkeys; ++k) t->keys.emplace_back(args[3 + k]);
  t->deadline_ms = deadline;
  BlockClient(ctx, t);
}

void BZMPopGetKeys(CmdArgs args, std::vector<size_t>* keys) {
  zset::NumKeysGetKeys(args, 0, 2, keys);
}

}  // namespace

std::vector<CommandSpec> ZSetBlockingCommands() {
  const uint32_t kB = kCmdWrite | kCmdBlocking | kCmdConn;
  const char* acl = "write sortedset fast blocking";
  CommandSpec min = Cmd("bzpopmin", -3, kB | kCmdFast, 1, -2, 1, acl, CmdBZPopMin);
  min.key_specs = {KeySpec{"RW access delete", 1, nullptr, false, -2, 1, 0}};
  CommandSpec max = Cmd("bzpopmax", -3, kB | kCmdFast, 1, -2, 1, acl, CmdBZPopMax);
  max.key_specs = min.key_specs;
  CommandSpec mpop = Cmd("bzmpop", -5, kB, 0, 0, 0, "write sortedset slow blocking", CmdBZMPop);
  mpop.getkeys = BZMPopGetKeys;
  mpop.key_specs = {KeySpec{"RW access delete", 2, nullptr, true, 0, 1, 1}};
  return {std::move(min), std::move(max), std::move(mpop)};
}

}  // namespace kora
