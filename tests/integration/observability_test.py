#!/usr/bin/python3
"""Observability end to end: exact counters under a scripted load (checked against Debian's
redis-server running the same script), latency histogram sanity, the slow log's entry shape,
hot-key accuracy (10 keys with half of the traffic among 1M keys), `promtool check metrics` on
a live scrape, and the dashboard page rendered by headless Chromium.

Prints `observability: N passed, N failed` and exits non-zero on failure.
"""
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "clients"))
import resp  # noqa: E402
import serverutil  # noqa: E402

ARGS = None
KORA = None    # (proc, port, metrics_port, workdir)
REDIS = None   # serverutil.Server


def val(r):
    """A Reply as plain Python values (maps as lists of pairs, errors as Exception)."""
    if r.kind == "-":
        return Exception(r.value.decode())
    if r.kind in "*~>":
        return None if r.value is None else [val(x) for x in r.value]
    if r.kind in "%|":
        return [(val(k), val(v)) for k, v in r.value]
    return r.value


def conn(port):
    return resp.Conn(port=port, timeout=30)


def info_section(c, section):
    text = val(c.cmd("INFO", section)).decode()
    out = {}
    for line in text.split("\r\n"):
        if line and not line.startswith("#") and ":" in line:
            k, v = line.split(":", 1)
            out[k] = v
    return out


def start_kora(workers):
    port, mport = serverutil.free_port(), serverutil.free_port()
    workdir = tempfile.mkdtemp(prefix="kora-observe-")
    log = open(os.path.join(workdir, "server.log"), "wb")
    proc = subprocess.Popen([os.path.abspath(ARGS.server), "--port", str(port), "--bind",
                             "127.0.0.1", "--workers", str(workers), "--metrics-port", str(mport)],
                            cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 15
    while time.time() < deadline:
        try:
            with conn(port) as c:
                if c.cmd("PING").value == b"PONG":
                    return proc, port, mport, workdir
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("kora-server did not start")


def http_get(port, path):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10) as r:
        return r.status, r.headers.get("Content-Type"), r.read()


def scripted_load(port):
    """A fixed script of commands: successes, misses, wrong types, wrong arity, unknown
    commands, cross-shard multi-key commands and subcommands."""
    with conn(port) as c:
        for i in range(300):
            c.send("SET", "k%d" % i, "v")
        for i in range(400):
            c.send("GET", "k%d" % (i % 350))  # 300 hits, 100 misses... of the first 350
        for i in range(50):
            c.send("MGET", "k1", "k2", "nosuch%d" % i, "k%d" % i)
        for i in range(20):
            c.send("LPUSH", "k%d" % i, "x")  # WRONGTYPE: failed calls
        for i in range(10):
            c.send("GET")  # wrong arity: rejected calls
        for i in range(5):
            c.send("NOSUCHCOMMAND", "a")
        for i in range(7):
            c.send("CLIENT", "GETNAME")
        c.send("DEL", "k1", "k2", "k3")
        for _ in range(300 + 400 + 50 + 20 + 10 + 5 + 7 + 1):
            c.read()


class Observability(unittest.TestCase):
    def test_counters_exact_and_equal_to_redis(self):
        stats = []
        for port in (KORA[1], REDIS.port):
            with conn(port) as c:
                c.cmd("FLUSHALL")
                c.cmd("CONFIG", "RESETSTAT")
            scripted_load(port)
            with conn(port) as c:
                cs = info_section(c, "commandstats")
                st = info_section(c, "stats")
                es = info_section(c, "errorstats")
            calls = {}
            for k, v in cs.items():
                f = dict(kv.split("=") for kv in v.split(","))
                calls[k] = (int(f["calls"]), int(f["rejected_calls"]), int(f["failed_calls"]))
            keep = ("total_commands_processed", "keyspace_hits", "keyspace_misses",
                    "total_error_replies")
            stats.append((calls, {k: int(st[k]) for k in keep}, es))
        kora, redis = stats
        self.assertEqual(kora[0]["cmdstat_set"], (300, 0, 0))
        self.assertEqual(kora[0]["cmdstat_get"], (400, 10, 0))
        self.assertEqual(kora[0]["cmdstat_lpush"], (20, 0, 20))
        for k in ("cmdstat_set", "cmdstat_get", "cmdstat_mget", "cmdstat_lpush", "cmdstat_del",
                  "cmdstat_client|getname"):
            self.assertEqual(kora[0].get(k), redis[0].get(k), k)
        # INFO itself is counted after its reply was built, in both servers alike.
        self.assertEqual(kora[1], redis[1])
        self.assertEqual(kora[2], redis[2])

    def test_latency_histograms(self):
        with conn(KORA[1]) as c:
            c.cmd("CONFIG", "RESETSTAT")
            for i in range(1000):
                c.send("SET", "h%d" % i, "v")
            for _ in range(1000):
                c.read()
            h = val(c.cmd("LATENCY", "HISTOGRAM", "set"))
            self.assertEqual(h[0], b"set")
            body = dict((k.decode(), v) for k, v in zip(h[1][::2], h[1][1::2]))
            self.assertEqual(body["calls"], 1000)
            cdf = body["histogram_usec"]
            keys, counts = cdf[::2], cdf[1::2]
            self.assertEqual(keys, sorted(keys))
            self.assertEqual(counts, sorted(counts))
            self.assertEqual(counts[-1], 1000)
            for k in keys:  # Redis's power-of-two bucket keys
                self.assertIn(k, [((1 << (3 + i)) * 129 - 1) // 1000 for i in range(40)])
            s = val(c.cmd("STATS.LATENCY", "set"))
            d = dict((k.decode(), v) for k, v in zip(s[::2], s[1::2]))
            self.assertEqual(d["count"], 1000)
            ps = [float(d[k]) for k in ("p50", "p90", "p99", "p99.9", "max")]
            self.assertEqual(ps, sorted(ps))
            self.assertGreater(ps[-1], 0)
            p = val(c.cmd("STATS.LATENCY", "set", "50", "100"))
            self.assertEqual(float(p[1]), ps[-1])
            li = info_section(c, "latencystats")
            self.assertRegex(li["latency_percentiles_usec_set"],
                             r"^p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}$")

    def test_slowlog_entries_match_redis(self):
        entries = []
        for port in (KORA[1], REDIS.port):
            with conn(port) as c:
                c.cmd("CLIENT", "SETNAME", "slowpoke")
                c.cmd("SLOWLOG", "RESET")
                c.cmd("CONFIG", "SET", "slowlog-log-slower-than", "0")
                c.cmd("SET", "big", "x" * 300)
                c.cmd("SADD", "s", *["m%d" % i for i in range(40)])
                c.cmd("CONFIG", "SET", "slowlog-log-slower-than", "10000")
                got = val(c.cmd("SLOWLOG", "GET", "-1"))
                me = val(c.cmd("CLIENT", "INFO")).decode()
                c.cmd("SLOWLOG", "RESET")
                entries.append((got, re.search(r"addr=(\S+)", me).group(1)))
        (kora, kaddr), (redis, _) = entries
        self.assertEqual(len(kora), len(redis))
        self.assertEqual([e[3] for e in kora], [e[3] for e in redis])  # truncated arguments
        for e in kora:
            self.assertEqual(len(e), 6)
            self.assertEqual(e[4].decode(), kaddr)
            self.assertEqual(e[5], b"slowpoke")
            self.assertLessEqual(abs(e[1] - time.time()), 5)
            self.assertGreaterEqual(e[2], 0)
        ids = [e[0] for e in kora]
        self.assertEqual(ids, sorted(ids, reverse=True))
        self.assertEqual(len(set(ids)), len(ids))

    def test_hot_keys_ten_among_a_million(self):
        port = KORA[1]
        rng = random.Random(42)
        truth = {}
        with conn(port) as c:
            c.cmd("FLUSHALL")
            c.cmd("CONFIG", "SET", "kora-hotkeys-decay-seconds", "0")
            c.cmd("CONFIG", "SET", "kora-hotkeys-sample-rate", "8")  # the default: sampled
            c.cmd("CONFIG", "RESETSTAT")
        total, batch = 1200000, 40000
        with conn(port) as c:
            for start in range(0, total, batch):
                out = []
                for _ in range(batch):
                    if rng.random() < 0.5:
                        k = "hot:%d" % rng.randrange(10)
                        truth[k] = truth.get(k, 0) + 1
                    else:
                        k = "cold:%d" % rng.randrange(1000000)
                    out.append(b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" % (len(k), k.encode()))
                c.sock.sendall(b"".join(out))
                need = 5 * batch  # every reply is "$-1\r\n"
                got = 0
                while got < need:
                    got += len(c.sock.recv(1 << 20))
            top = val(c.cmd("STATS.HOTKEYS", "10"))
            c.cmd("CONFIG", "SET", "kora-hotkeys-decay-seconds", "60")
        self.assertEqual(len(top), 10)
        for key, hits in top:
            key = key.decode()
            self.assertIn(key, truth)
            self.assertLessEqual(abs(hits - truth[key]), 0.05 * truth[key], (key, hits))

    def test_memory_by_prefix_agrees_with_memory_usage(self):
        """STATS.MEMORY agrees within 1% with MEMORY USAGE summed over the prefix's keys, for
        every data type, after overwrites, appends, deletes, expiry, RENAME, MOVE, SWAPDB and a
        change of depth."""
        rnd = random.Random(11)
        with conn(KORA[1]) as c:
            c.cmd("SELECT", "9")
            c.cmd("FLUSHDB")
            n = 0
            for i in range(2000):
                c.send("SET", "mp:str:%d" % i, "x" * rnd.randint(1, 300))
                c.send("HSET", "mp:hash:%d:h" % (i % 40), "f%d" % i, "v" * rnd.randint(1, 80))
                c.send("RPUSH", "mp:list:%d" % (i % 20), "e" * rnd.randint(1, 60))
                c.send("SADD", "mp:set:%d" % (i % 30), str(i), "m%d" % i)
                c.send("ZADD", "mp:zset:%d" % (i % 10), str(i), "m%d" % i)
                c.send("XADD", "mp:stream:%d" % (i % 5), "*", "f", str(i))
                c.send("SET", "other:%d" % i, str(i))
                n += 7
            for i in range(0, 2000, 3):
                c.send("DEL", "mp:str:%d" % i)
                c.send("APPEND", "mp:str:%d" % (i + 1), "y" * 500)
                n += 2
            for i in range(0, 300, 7):
                c.send("RENAME", "mp:str:%d" % (i + 2), "mp:renamed:%d" % i)
                c.send("MOVE", "mp:str:%d" % (i + 4), "10")
                c.send("SET", "mp:ttl:%d" % i, "t", "PX", "50")
                c.send("ZUNIONSTORE", "mp:str:%d" % (i + 5), "1", "mp:zset:%d" % (i % 10))
                n += 4
            for _ in range(n):
                c.read()
            time.sleep(0.2)  # the short deadlines pass
            c.cmd("GET", "mp:ttl:0")  # one lazy expiry

            def truth(prefix):
                total, cursor = 0, b"0"
                while True:
                    cursor, keys = val(c.cmd("SCAN", cursor, "MATCH", prefix + "*", "COUNT", "500"))
                    for k in keys:
                        u = val(c.cmd("MEMORY", "USAGE", k))
                        total += u or 0  # None: expired meanwhile
                    if cursor == b"0":
                        return total

            prefixes = ["mp:", "mp:str:", "mp:hash:", "mp:list:", "mp:set:", "mp:zset:",
                        "mp:stream:", "mp:renamed:", "other:", ""]
            got = val(c.cmd("STATS.MEMORY", *prefixes))
            self.assertEqual(len(got), len(prefixes))
            for p, g in zip(prefixes, got):
                t = truth(p)
                self.assertGreater(t, 0, p)
                self.assertLessEqual(abs(g - t), t / 100, "%r: STATS.MEMORY %d, MEMORY USAGE %d" % (p, g, t))
            self.assertEqual(val(c.cmd("STATS.MEMORY", "mp")), got[:1])  # "mp" means "mp:"
            self.assertEqual(val(c.cmd("STATS.MEMORY", "nosuchprefix:")), [0])
            self.assertIsInstance(val(c.cmd("STATS.MEMORY", "a:b:c:")), Exception)  # depth 2
            self.assertIsInstance(val(c.cmd("STATS.MEMORY")), Exception)  # arity
            # SWAPDB: the totals follow the data.
            self.assertEqual(val(c.cmd("SWAPDB", "9", "10")), b"OK")
            self.assertEqual(val(c.cmd("STATS.MEMORY", "other:"))[0], 0)
            c.cmd("SELECT", "10")
            self.assertEqual(val(c.cmd("STATS.MEMORY", "other:")), [got[prefixes.index("other:")]])
            c.cmd("SWAPDB", "9", "10")
            c.cmd("SELECT", "9")
            # Depth 3 tracks one level more; depth 0 turns the command off.
            c.cmd("CONFIG", "SET", "kora-memory-prefix-depth", "3")
            try:
                self.assertEqual(val(c.cmd("STATS.MEMORY", "mp:hash:7:", "mp:")),
                                 [truth("mp:hash:7:"), truth("mp:")])
                c.cmd("CONFIG", "SET", "kora-memory-prefix-depth", "0")
                self.assertIsInstance(val(c.cmd("STATS.MEMORY", "mp:")), Exception)
            finally:
                c.cmd("CONFIG", "SET", "kora-memory-prefix-depth", "2")
            self.assertEqual(val(c.cmd("STATS.MEMORY", "mp:")), [truth("mp:")])
            c.cmd("FLUSHDB")
            self.assertEqual(val(c.cmd("STATS.MEMORY", "mp:", "")), [0, 0])
            c.cmd("SELECT", "10")
            c.cmd("FLUSHDB")

    def test_promtool_accepts_live_scrape(self):
        with conn(KORA[1]) as c:
            c.cmd("SET", "p", "1")
            c.cmd("GET", "p")
            c.cmd("SET", "scrape:prefix:1", "x" * 100)
        time.sleep(1.3)  # workers publish a snapshot every second
        status, ctype, body = http_get(KORA[2], "/metrics")
        self.assertEqual(status, 200)
        self.assertIn("version=0.0.4", ctype)
        text = body.decode()
        for name in ("redis_commands_total{cmd=\"get\"}", "redis_connected_clients",
                     "redis_memory_used_bytes", "redis_keyspace_hits_total",
                     "redis_db_keys{db=\"db0\"}", "kora_command_latency_seconds_bucket{cmd=\"get\",",
                     "kora_memory_prefix_bytes{prefix=\"scrape:\"}"):
            self.assertIn(name, text)
        if shutil.which("promtool") is None:
            self.skipTest("promtool not installed")
        p = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_dashboard_in_headless_chromium(self):
        with conn(KORA[1]) as c:
            for _ in range(50):
                c.cmd("GET", "dash:hotkey")
            c.cmd("SET", "dashprefix:1", "x" * 1000)
        time.sleep(1.3)
        status, ctype, page = http_get(KORA[2], "/")
        self.assertEqual(status, 200)
        self.assertNotRegex(page.decode(), r"(src|href)=\"?https?://")  # self-contained
        browser = shutil.which("chromium") or shutil.which("chromium-browser")
        if browser is None:
            self.skipTest("chromium not installed")
        profile = tempfile.mkdtemp(prefix="kora-chromium-")
        try:
            p = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                                "--user-data-dir=" + profile, "--virtual-time-budget=5000",
                                "--dump-dom", "http://127.0.0.1:%d/" % KORA[2]],
                               capture_output=True, timeout=60)
        finally:
            shutil.rmtree(profile, ignore_errors=True)
        dom = p.stdout.decode("utf-8", "replace")
        self.assertIn("dash:hotkey", dom)  # the hot keys table was filled from /api/stats
        self.assertIn('<tr class="cmd"><td>get</td>', dom)  # and the latency table
        self.assertIn("<td>dashprefix:</td>", dom)  # and memory by prefix
        self.assertIn(">live<", dom)


def main():
    global ARGS, KORA, REDIS
    ARGS = serverutil.parse_common_args(__doc__)
    KORA = start_kora(ARGS.workers)
    REDIS = serverutil.Server("/usr/bin/redis-server").start()
    try:
        code = serverutil.run_tests("observability", [Observability], verbose=not ARGS.quiet,
                                    name_filter=ARGS.name_filter)
    finally:
        KORA[0].terminate()
        try:
            KORA[0].wait(timeout=10)
        except subprocess.TimeoutExpired:
            KORA[0].kill()
        shutil.rmtree(KORA[3], ignore_errors=True)
        REDIS.stop()
    sys.exit(code)


if __name__ == "__main__":
    main()
