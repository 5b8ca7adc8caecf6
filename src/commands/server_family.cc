// Server commands.
#include "commands/families.h"
#include "commands/family_util.h"
#include "commands/service.h"

namespace kora {

void RegisterServerFamily(Service& svc) {}

}  // namespace kora
