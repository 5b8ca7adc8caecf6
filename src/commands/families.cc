#include "commands/families.h"

namespace kora {

void RegisterAllFamilies(Service& svc) {
  RegisterConnectionFamily(svc);
  RegisterTransactionFamily(svc);
  RegisterScriptFamily(svc);
  RegisterFunctionFamily(svc);
  RegisterServerFamily(svc);
  RegisterStatsFamily(svc);
  RegisterLatencyFamily(svc);
  RegisterSlowlogFamily(svc);
  RegisterStringFamily(svc);
  RegisterBitmapFamily(svc);
  RegisterKeyFamily(svc);
  RegisterListFamily(svc);
  RegisterHashFamily(svc);
  RegisterSetFamily(svc);
  RegisterZSetFamily(svc);
  RegisterStreamFamily(svc);
  RegisterHllFamily(svc);
  RegisterSortFamily(svc);
  RegisterGeoFamily(svc);
  RegisterDumpFamily(svc);
  RegisterMemoryFamily(svc);
  RegisterPubSubFamily(svc);
}

}  // namespace kora
