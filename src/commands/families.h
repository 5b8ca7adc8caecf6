// Registration of every command family into a Service.
#pragma once

namespace kora {

class Service;

void RegisterAllFamilies(Service& svc);

void RegisterStringFamily(Service& svc);
void RegisterBitmapFamily(Service& svc);
void RegisterKeyFamily(Service& svc);
void RegisterListFamily(Service& svc);
void RegisterHashFamily(Service& svc);
void RegisterSetFamily(Service& svc);
void RegisterZSetFamily(Service& svc);
void RegisterStreamFamily(Service& svc);
void RegisterHllFamily(Service& svc);
void RegisterSortFamily(Service& svc);
void RegisterGeoFamily(Service& svc);
void RegisterDumpFamily(Service& svc);
void RegisterMemoryFamily(Service& svc);
void RegisterServerFamily(Service& svc);
// Observability: STATS.*, LATENCY, SLOWLOG (stats_family.cc, latency_family.cc,
// slowlog_family.cc).
void RegisterStatsFamily(Service& svc);
void RegisterLatencyFamily(Service& svc);
void RegisterSlowlogFamily(Service& svc);
void RegisterConnectionFamily(Service& svc);
void RegisterTransactionFamily(Service& svc);
void RegisterScriptFamily(Service& svc);
void RegisterFunctionFamily(Service& svc);
void RegisterPubSubFamily(Service& svc);

// Defines the CONFIG parameters with their defaults (called by the Service constructor).
void DefineConfigParams(Service& svc);

}  // namespace kora
