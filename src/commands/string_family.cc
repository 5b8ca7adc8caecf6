// String commands.
#include "commands/families.h"
#include "commands/family_util.h"
#include "commands/service.h"

namespace kora {
namespace {

void CmdGet(CmdArgs args, CmdCtx& ctx) {
  bool wrong;
  KeyEntry* e = FindTyped(ctx, args[1], ValueType::kString, &wrong);
  if (wrong) return;
  if (!e) {
    ++ctx.shard().stats().keyspace_misses;
    ctx.rb->Null();
    return;
  }
  ++ctx.shard().stats().keyspace_hits;
  std::string scratch;
  ctx.rb->Bulk(e->value.StrView(&scratch));
}

void CmdSet(CmdArgs args, CmdCtx& ctx) {
  DbTable& db = ctx.db();
  KeyEntry* e = db.Find(args[1], ctx.now_ms);
  if (e) {
    db.ClearExpire(e);
    e->value = Value::String(args[2]);
  } else {
    db.Insert(args[1], Value::String(args[2]));
  }
  ctx.rb->Ok();
}

}  // namespace

void RegisterStringFamily(Service& svc) {
  svc.Register({
      Cmd("get", 2, kCmdReadOnly | kCmdFast, 1, 1, 1, "read string fast", CmdGet),
      Cmd("set", -3, kCmdWrite | kCmdDenyOom, 1, 1, 1, "write string slow", CmdSet),
  });
}

}  // namespace kora
