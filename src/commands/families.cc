#include "commands/families.h"

namespace kora {

void RegisterAllFamilies(Service& svc) {
  RegisterConnectionFamily(svc);
  RegisterTransactionFamily(svc);
  RegisterServerFamily(svc);
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
}

}  // namespace kora
