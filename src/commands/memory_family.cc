// MEMORY USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE, HELP with Redis 7.0's reply shapes.
//
// Sizes are Kora's real ones: a key costs its table entry (KeyEntry, with short keys inline),
// a heap block for a long key, the value's heap blocks (strings beyond the inline buffer,
// collections as their MemoryUsage() counts them) and one bucket pointer, each rounded to the
// chunk glibc really hands out. Collections keep their byte counts up to date as they change,
// so the size is exact whatever SAMPLES says (SAMPLES is validated as Redis does).
#include <cstdio>

#include "base/strutil.h"
#include "commands/families.h"
#include "commands/family_util.h"
#include "commands/memory_family.h"
#include "commands/service.h"
#include "core/memory.h"

namespace kora {
namespace {

void CmdMemoryUsage(CmdArgs args, CmdCtx& ctx) {
  for (size_t j = 3; j < args.size(); ++j) {
    if (EqualsIgnoreCase(args[j], "samples") && j + 1 < args.size()) {
      int64_t n = 0;
      if (!ParseInt64(args[j + 1], &n)) {
        ctx.rb->Error(err::kNotInt);
        return;
      }
      if (n < 0) {
        ctx.rb->Error(err::kSyntax);
        return;
      }
      ++j;
    } else {
      ctx.rb->Error(err::kSyntax);
      return;
    }
  }
  // Like Redis's dictFind: no expiry check, not an access.
  KeyEntry* e = ctx.db().dict().Find(args[2]);
  if (e == nullptr) {
    ctx.rb->Null();
    return;
  }
  ctx.rb->Integer(static_cast<int64_t>(KeyMemoryUsage(*e)));
}

// Everything MEMORY STATS / DOCTOR need from one shard (gathered on its thread).
struct ShardMemStats {
  uint64_t clients_normal = 0;
  uint64_t clients = 0;
  struct Db {
    uint64_t keys = 0, main = 0, expires = 0;
  };
  Db dbs[kNumDatabases];
};

ShardMemStats CollectShard(CmdCtx& ctx) {
  ShardMemStats s;
  for (const auto& [id, conn] : ctx.svc->local().conns) {
    s.clients_normal += ConnectionMemory(*conn);
    ++s.clients;
  }
  for (int d = 0; d < kNumDatabases; ++d) {
    DbTable& db = ctx.shard().db(d);
    s.dbs[d].keys = db.size();
    DbOverhead(db, &s.dbs[d].main, &s.dbs[d].expires);
  }
  return s;
}

// Redis's getMemoryOverheadData, from the shards' reports.
struct Overhead {
  uint64_t used = 0, peak = 0, startup = 0, clients_normal = 0, clients = 0, total = 0;
  uint64_t keys = 0, dataset = 0, bytes_per_key = 0, rss = 0;
  float dataset_perc = 0, peak_perc = 0;
  memory::AllocatorInfo alloc;
  ShardMemStats::Db dbs[kNumDatabases];
};

Overhead ComputeOverhead(Service& svc, const std::vector<ShardMemStats>& shards) {
  Overhead o;
  o.used = memory::UsedMemory();
  o.peak = NotePeakMemory(svc, o.used);
  o.startup = svc.memory_guard().startup_bytes();
  o.total = o.startup;
  for (const auto& s : shards) {
    o.clients_normal += s.clients_normal;
    o.clients += s.clients;
    for (int d = 0; d < kNumDatabases; ++d) {
      o.dbs[d].keys += s.dbs[d].keys;
      o.dbs[d].main += s.dbs[d].main;
      o.dbs[d].expires += s.dbs[d].expires;
    }
  }
  o.total += o.clients_normal;
  for (const auto& d : o.dbs) {
    o.keys += d.keys;
    if (d.keys != 0) o.total += d.main + d.expires;
  }
  o.dataset = o.used > o.total ? o.used - o.total : 0;
  o.peak_perc = static_cast<float>(o.used) * 100 / static_cast<float>(o.peak ? o.peak : 1);
  uint64_t net = o.used > o.startup ? o.used - o.startup : 1;
  o.dataset_perc = static_cast<float>(o.dataset) * 100 / static_cast<float>(net);
  o.bytes_per_key = o.keys ? net / o.keys : 0;
  o.alloc = memory::GetAllocatorInfo();
  o.rss = o.alloc.resident;
  return o;
}

float Ratio(uint64_t a, uint64_t b) { return static_cast<float>(a) / static_cast<float>(b ? b : 1); }
int64_t Diff(uint64_t a, uint64_t b) { return static_cast<int64_t>(a) - static_cast<int64_t>(b); }

void ReplyStats(ReplyBuilder& rb, const Overhead& o) {
  int ndb = 0;
  for (const auto& d : o.dbs) ndb += d.keys != 0;
  rb.MapHeader(27 + ndb);
  auto num = [&rb](const char* k, int64_t v) {
    rb.Bulk(k);
    rb.Integer(v);
  };
  auto dbl = [&rb](const char* k, float v) {
    rb.Bulk(k);
    rb.Double(static_cast<double>(v));
  };
  num("peak.allocated", static_cast<int64_t>(o.peak));
  num("total.allocated", static_cast<int64_t>(o.used));
  num("startup.allocated", static_cast<int64_t>(o.startup));
  num("replication.backlog", 0);
  num("clients.slaves", 0);
  num("clients.normal", static_cast<int64_t>(o.clients_normal));
  num("cluster.links", 0);
  num("aof.buffer", 0);
  num("lua.caches", 0);
  num("functions.caches", 0);
  for (int d = 0; d < kNumDatabases; ++d) {
    if (o.dbs[d].keys == 0) continue;
    rb.Bulk("db." + std::to_string(d));
    rb.MapHeader(3);
    num("overhead.hashtable.main", static_cast<int64_t>(o.dbs[d].main));
    num("overhead.hashtable.expires", static_cast<int64_t>(o.dbs[d].expires));
    num("overhead.hashtable.slot-to-keys", 0);
  }
  num("overhead.total", static_cast<int64_t>(o.total));
  num("keys.count", static_cast<int64_t>(o.keys));
  num("keys.bytes-per-key", static_cast<int64_t>(o.bytes_per_key));
  num("dataset.bytes", static_cast<int64_t>(o.dataset));
  dbl("dataset.percentage", o.dataset_perc);
  dbl("peak.percentage", o.peak_perc);
  const memory::AllocatorInfo& a = o.alloc;
  num("allocator.allocated", static_cast<int64_t>(a.allocated));
  num("allocator.active", static_cast<int64_t>(a.active));
  num("allocator.resident", static_cast<int64_t>(a.resident));
  dbl("allocator-fragmentation.ratio", Ratio(a.active, a.allocated));
  num("allocator-fragmentation.bytes", Diff(a.active, a.allocated));
  dbl("allocator-rss.ratio", Ratio(a.resident, a.active));
  num("allocator-rss.bytes", Diff(a.resident, a.active));
  dbl("rss-overhead.ratio", Ratio(o.rss, a.resident));
  num("rss-overhead.bytes", Diff(o.rss, a.resident));
  dbl("fragmentation", Ratio(o.rss, o.used));
  num("fragmentation.bytes", Diff(o.rss, o.used));
}

// Redis's getMemoryDoctorReport, word for word.
std::string DoctorReport(const Overhead& o) {
  bool empty = false, big_peak = false, high_frag = false, high_alloc_frag = false;
  bool high_alloc_rss = false, high_proc_rss = false, big_client_buf = false;
  int reports = 0;
  const memory::AllocatorInfo& a = o.alloc;
  if (o.used < 5 * 1024 * 1024) {
    empty = true;
    ++reports;
  } else {
    if (Ratio(o.peak, o.used) > 1.5f) big_peak = true, ++reports;
    if (Ratio(o.rss, o.used) > 1.4f && Diff(o.rss, o.used) > (10 << 20)) {
      high_frag = true, ++reports;
    }
    if (Ratio(a.active, a.allocated) > 1.1f && Diff(a.active, a.allocated) > (10 << 20)) {
      high_alloc_frag = true, ++reports;
    }
    if (Ratio(a.resident, a.active) > 1.1f && Diff(a.resident, a.active) > (10 << 20)) {
      high_alloc_rss = true, ++reports;
    }
    if (Ratio(o.rss, a.resident) > 1.1f && Diff(o.rss, a.resident) > (10 << 20)) {
      high_proc_rss = true, ++reports;
    }
    if (o.clients != 0 && o.clients_normal / o.clients > 1024 * 200) big_client_buf = true, ++reports;
  }
  if (reports == 0) {
    return "Hi Sam, I can't find any memory issue in your instance. I can only account for what "
           "occurs on this base.\n";
  }
  if (empty) {
    return "Hi Sam, this instance is empty or is using very little memory, my issues detector "
           "can't be used in these conditions. Please, leave for your mission on Earth and fill "
           "it with some data. The new Sam and I will be back to our programming as soon as I "
           "finished rebooting.\n";
  }
  std::string s = "Sam, I detected a few issues in this Redis instance memory implants:\n\n";
  if (big_peak) {
    s += " * Peak memory: In the past this instance used more than 150% the memory that is "
         "currently using. The allocator is normally not able to release memory after a peak, so "
         "you can expect to see a big fragmentation ratio, however this is actually harmless and "
         "is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is "
         "currently bigger than expected, the memory will be used as soon as you fill the Redis "
         "instance with more data. If the memory peak was only occasional and you want to try to "
         "reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is "
         "to shutdown and restart the instance.\n\n";
  }
  if (high_frag) {
    s += " * High total RSS: This instance has a memory fragmentation and RSS overhead greater "
         "than 1.4 (this means that the Resident Set Size of the Redis process is much larger "
         "than the sum of the logical allocations Redis performed). This problem is usually due "
         "either to a large peak memory (check if there is a peak memory entry above in the "
         "report) or may result from a workload that causes the allocator to fragment memory a "
         "lot. If the problem is a large peak memory, then there is no issue. Otherwise, make "
         "sure you are using the Jemalloc allocator and not the default libc malloc. Note: The "
         "currently used allocator is \"libc\".\n\n";
  }
  if (high_alloc_frag) {
    s += " * High allocator fragmentation: This instance has an allocator external "
         "fragmentation greater than 1.1. This problem is usually due either to a large peak "
         "memory (check if there is a peak memory entry above in the report) or may result from "
         "a workload that causes the allocator to fragment memory a lot. You can try enabling "
         "'activedefrag' config option.\n\n";
  }
  if (high_alloc_rss) {
    s += " * High allocator RSS overhead: This instance has an RSS memory overhead is greater "
         "than 1.1 (this means that the Resident Set Size of the allocator is much larger than "
         "the sum what the allocator actually holds). This problem is usually due to a large "
         "peak memory (check if there is a peak memory entry above in the report), you can try "
         "the MEMORY PURGE command to reclaim it.\n\n";
  }
  if (high_proc_rss) {
    s += " * High process RSS overhead: This instance has non-allocator RSS memory overhead is "
         "greater than 1.1 (this means that the Resident Set Size of the Redis process is much "
         "larger than the RSS the allocator holds). This problem may be due to Lua scripts or "
         "Modules.\n\n";
  }
  if (big_client_buf) {
    s += " * Big client buffers: The clients output buffers in this instance are greater than "
         "200K per client (on average). This may result from different causes, like Pub/Sub "
         "clients subscribed to channels bot not receiving data fast enough, so that data piles "
         "on the Redis instance output buffer, or clients sending commands with large replies or "
         "very large sequences of commands in the same pipeline. Please use the CLIENT LIST "
         "command in order to investigate the issue if it causes problems in your instance, or "
         "to understand better why certain clients are using a big amount of memory.\n\n";
  }
  s += "I'm here to keep you safe, Sam. I want to help you.\n";
  return s;
}

// STATS and DOCTOR: gather every shard's numbers, then reply on the connection's worker.
template <class Write>
void WithOverhead(CmdCtx& ctx, Write write) {
  auto* pending = new PendingReply(ctx.conn, false);
  Service* svc = ctx.svc;
  svc->RunOnShards<ShardMemStats>(
      ctx, svc->AllShards(), CollectShard,
      [pending, svc, write](std::vector<ShardMemStats>& shards) {
        Overhead o = ComputeOverhead(*svc, shards);
        pending->Finish([&](ReplyBuilder& rb) { write(rb, o); });
      });
}

void CmdMemoryStats(CmdArgs, CmdCtx& ctx) {
  WithOverhead(ctx, [](ReplyBuilder& rb, const Overhead& o) { ReplyStats(rb, o); });
}

void CmdMemoryDoctor(CmdArgs, CmdCtx& ctx) {
  WithOverhead(ctx, [](ReplyBuilder& rb, const Overhead& o) { rb.Verbatim(DoctorReport(o)); });
}

void CmdMemoryMallocStats(CmdArgs, CmdCtx& ctx) { ctx.rb->Verbatim(memory::MallocStatsText()); }

void CmdMemoryPurge(CmdArgs, CmdCtx& ctx) {
  memory::Purge();
  ctx.rb->Ok();
}

void CmdMemoryHelp(CmdArgs, CmdCtx& ctx) {
  static constexpr const char* kLines[] = {
      "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DOCTOR",
      "    Return memory problems reports.",
      "MALLOC-STATS",
      "    Return internal statistics report from the memory allocator.",
      "PURGE",
      "    Attempt to purge dirty pages for reclamation by the allocator.",
      "STATS",
      "    Return information about the memory usage of the server.",
      "USAGE <key> [SAMPLES <count>]",
      "    Return memory in bytes used by <key> and its value. Nested values are",
      "    sampled up to <count> times (default: 5, 0 means sample all).",
      "HELP",
      "    Prints this help.",
  };
  ctx.rb->ArrayHeader(std::size(kLines));
  for (const char* l : kLines) ctx.rb->SimpleString(l);
}

}  // namespace

size_t KeyMemoryUsage(const KeyEntry& e) { return EntryMemoryUsage(e); }

void DbOverhead(DbTable& db, uint64_t* main, uint64_t* expires) {
  *main = db.dict().bucket_count() * sizeof(KeyEntry*) +
          db.size() * memory::ChunkBytes(sizeof(KeyEntry));
  *expires = db.volatile_entries().capacity() * sizeof(KeyEntry*);
}

uint64_t ConnectionMemory(const ConnContext& c) {
  // The connection object itself is not visible from here; count its buffers as Redis counts
  // a client's query and output buffers.
  return c.QueryBufferCapacity() + c.OutputBufferCapacity();
}

uint64_t NotePeakMemory(Service& svc, uint64_t used) {
  uint64_t peak = svc.memory_peak().load();
  while (used > peak && !svc.memory_peak().compare_exchange_weak(peak, used)) {
  }
  return peak > used ? peak : used;
}

void RegisterMemoryFamily(Service& svc) {
  CommandSpec memory = Cmd("memory", -2, 0, 0, 0, 0, "slow", nullptr);
  memory.subcommands = {
      Cmd("memory|doctor", 2, kCmdConn, 0, 0, 0, "slow", CmdMemoryDoctor),
      Cmd("memory|help", 2, kCmdConn | kCmdLoading | kCmdStale, 0, 0, 0, "slow", CmdMemoryHelp),
      Cmd("memory|malloc-stats", 2, kCmdConn, 0, 0, 0, "slow", CmdMemoryMallocStats),
      Cmd("memory|purge", 2, kCmdConn, 0, 0, 0, "slow", CmdMemoryPurge),
      Cmd("memory|stats", 2, kCmdConn, 0, 0, 0, "slow", CmdMemoryStats),
      Cmd("memory|usage", -3, kCmdReadOnly, 2, 2, 1, "read slow", CmdMemoryUsage),
  };
  svc.Register({std::move(memory)});
}

}  // namespace kora
