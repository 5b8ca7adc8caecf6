// The CONFIG parameters Kora knows, with Redis's names, defaults and validation.
#include "commands/config.h"
#include "commands/families.h"
#include "commands/service.h"

namespace kora {

void DefineConfigParams(Service& svc) {
  ConfigStore& c = svc.config();
  using P = ConfigStore::Param;
  const int64_t kMax = INT64_MAX;
  c.Define(P{"requirepass", {}, "", "", ConfigStore::Any(), ConfigStore::kSensitive});
  c.Define(P{"maxclients", {}, "10000", "", ConfigStore::Int(1, 1000000)});
  c.Define(P{"proto-max-bulk-len", {}, "536870912", "", ConfigStore::Memory(1024 * 1024, kMax)});
  c.Define(P{"client-query-buffer-limit", {}, "1073741824", "",
             ConfigStore::Memory(1024 * 1024, kMax)});
  c.Define(P{"databases", {}, "16", "", ConfigStore::Int(1, 16), ConfigStore::kImmutable});
  c.Define(P{"port", {}, "6379", "", ConfigStore::Int(0, 65535), ConfigStore::kImmutable});
  c.Define(P{"bind", {}, "127.0.0.1", "", ConfigStore::Any(), ConfigStore::kImmutable});
  c.Define(P{"unixsocket", {}, "", "", ConfigStore::Any(), ConfigStore::kImmutable});
  c.Define(P{"hz", {}, "10", "", ConfigStore::Int(1, 500)});
  c.Define(P{"timeout", {}, "0", "", ConfigStore::Int(0, INT32_MAX)});
  c.Define(P{"loglevel", {}, "notice", "",
             ConfigStore::Enum({"debug", "verbose", "notice", "warning", "nothing"})});
}

}  // namespace kora
