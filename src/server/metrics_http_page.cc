// The live dashboard served at GET / by MetricsHttpServer: one self-contained page (inline CSS,
// JS and SVG, no external URL) that polls /api/stats every second and draws throughput and
// memory over time, per-command latency percentiles, hot keys and the shards.
#include "server/metrics_http.h"

namespace kora {

const std::string& DashboardHtml() {
  static const std::string kPage = R"HTML(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Kora dashboard</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#0f1419;color:#e6e6e6}
header{padding:12px 20px;background:#1a2129;display:flex;gap:28px;align-items:baseline;flex-wrap:wrap}
header h1{font-size:18px;margin:0;color:#7fd1b9}
.kpi b{display:block;font-size:20px;color:#fff}.kpi span{color:#8a96a3;font-size:12px}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:16px;padding:16px}
section{background:#1a2129;border-radius:8px;padding:12px 16px}
h2{font-size:14px;margin:0 0 8px;color:#9fb3c8;text-transform:uppercase;letter-spacing:.05em}
table{width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums}
td,th{padding:3px 6px;text-align:right;border-bottom:1px solid #26303a}
td:first-child,th:first-child{text-align:left;font-family:monospace;word-break:break-all}
.bar{height:8px;background:#7fd1b9;border-radius:4px}
svg{width:100%;height:160px;background:#131a20;border-radius:4px}
.muted{color:#8a96a3}
</style></head><body>
<header><h1>Kora</h1>
<div class="kpi"><b id="k-ops">-</b><span>ops/sec</span></div>
<div class="kpi"><b id="k-clients">-</b><span>clients</span></div>
<div class="kpi"><b id="k-keys">-</b><span>keys</span></div>
<div class="kpi"><b id="k-mem">-</b><span>used memory</span></div>
<div class="kpi"><b id="k-hit">-</b><span>hit ratio</span></div>
<div class="kpi"><b id="k-up">-</b><span>uptime</span></div>
<div class="kpi"><b id="k-status" class="muted">connecting</b><span>status</span></div>
</header>
<main>
<section><h2>Throughput (commands/s)</h2><svg id="g-ops" viewBox="0 0 600 160" preserveAspectRatio="none"></svg></section>
<section><h2>Memory (bytes)</h2><svg id="g-mem" viewBox="0 0 600 160" preserveAspectRatio="none"></svg></section>
<section><h2>Hot keys (estimated hits)</h2><table id="t-hot"><thead><tr><th>key</th><th>hits</th><th style="width:40%"></th></tr></thead><tbody></tbody></table></section>
<section><h2>Command latency (&micro;s)</h2><table id="t-lat"><thead><tr><th>command</th><th>calls</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr></thead><tbody></tbody></table></section>
<section><h2>Memory by key prefix</h2><table id="t-prefix"><thead><tr><th>prefix</th><th>bytes</th></tr></thead><tbody></tbody></table><p id="p-prefix" class="muted"></p></section>
<section><h2>Shards</h2><table id="t-shards"><thead><tr><th>shard</th><th>keys</th><th>commands</th><th>ops/sec</th><th>clients</th></tr></thead><tbody></tbody></table></section>
</main>
<script>
"use strict";
const hist = {t: [], ops: [], mem: []};
let last = null;
function fmtBytes(n){const u=["B","KB","MB","GB","TB"];let i=0;while(n>=1024&&i<4){n/=1024;i++;}return n.toFixed(i?2:0)+" "+u[i];}
function fmtNum(n){return Number(n).toLocaleString("en-US");}
function esc(s){return String(s).replace(/[&<>"]/g,c=>({"&":"&amp;","<":"&lt;",">":"&gt;","\"":"&quot;"}[c]));}
function rows(id, html){document.querySelector("#"+id+" tbody").innerHTML = html;}
function line(id, ys){
  const svg = document.getElementById(id);
  if (ys.length < 2) { svg.innerHTML = ""; return; }
  const max = Math.max(1, ...ys), n = ys.length;
  const pts = ys.map((y,i)=>(i*600/(n-1)).toFixed(1)+","+(155-(y/max)*145).toFixed(1)).join(" ");
  svg.innerHTML = '<polyline fill="none" stroke="#7fd1b9" stroke-width="2" points="'+pts+'"/>'+
    '<text x="4" y="14" fill="#8a96a3" font-size="12">max '+fmtNum(Math.round(max))+'</text>';
}
function render(s){
  const now = s.time_ms;
  let ops = s.instantaneous_ops_per_sec;
  if (last && now > last.time_ms) ops = (s.total_commands_processed - last.total_commands_processed) * 1000 / (now - last.time_ms);
  last = s;
  hist.t.push(now); hist.ops.push(Math.max(0, ops)); hist.mem.push(s.used_memory);
  for (const k of ["t","ops","mem"]) if (hist[k].length > 120) hist[k].shift();
  document.getElementById("k-ops").textContent = fmtNum(Math.round(ops));
  document.getElementById("k-clients").textContent = fmtNum(s.connected_clients);
  document.getElementById("k-keys").textContent = fmtNum(s.keys);
  document.getElementById("k-mem").textContent = fmtBytes(s.used_memory);
  const lookups = s.keyspace_hits + s.keyspace_misses;
  document.getElementById("k-hit").textContent = lookups ? (100*s.keyspace_hits/lookups).toFixed(1)+"%" : "-";
  document.getElementById("k-up").textContent = s.uptime_seconds + " s";
  document.getElementById("k-status").textContent = "live";
  line("g-ops", hist.ops); line("g-mem", hist.mem);
  const top = s.hot_keys.length ? s.hot_keys[0].hits : 1;
  rows("t-hot", s.hot_keys.map(h=>'<tr class="hotkey"><td>'+esc(h.key)+'</td><td>'+fmtNum(h.hits)+
    '</td><td><div class="bar" style="width:'+(100*h.hits/top).toFixed(1)+'%"></div></td></tr>').join(""));
  const cmds = s.commands.filter(c=>c.calls>0).sort((a,b)=>b.calls-a.calls);
  rows("t-lat", cmds.map(c=>'<tr class="cmd"><td>'+esc(c.name)+'</td><td>'+fmtNum(c.calls)+'</td><td>'+c.p50_us+
    '</td><td>'+c.p90_us+'</td><td>'+c.p99_us+'</td><td>'+c.p999_us+'</td><td>'+c.max_us+'</td></tr>').join(""));
  rows("t-prefix", s.memory_by_prefix.map(p=>'<tr><td>'+esc(p.prefix)+'</td><td>'+fmtBytes(p.bytes)+'</td></tr>').join(""));
  document.getElementById("p-prefix").textContent = s.memory_by_prefix.length ? "" : "no keys with a prefix in db 0";
  rows("t-shards", s.shards.map(x=>'<tr><td>'+x.shard+'</td><td>'+fmtNum(x.keys)+'</td><td>'+fmtNum(x.commands)+
    '</td><td>'+fmtNum(x.ops_per_sec)+'</td><td>'+x.clients+'</td></tr>').join(""));
}
async function poll(){
  try { const r = await fetch("/api/stats", {cache: "no-store"}); render(await r.json()); }
  catch (e) { document.getElementById("k-status").textContent = "offline"; }
  setTimeout(poll, 1000);
}
poll();
</script></body></html>
)HTML";
  return kPage;
}

}  // namespace kora
