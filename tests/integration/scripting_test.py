#!/usr/bin/python3
"""Lua scripts as popular libraries use them, run against Debian's redis-server and kora.

Every test runs twice: once against the reference redis-server, once against kora
(--workers N, default 4, so declared keys spread over shards). Results of the deterministic
scripts must be identical; the concurrent ones check invariants:
  * lock release (check-and-delete, and redis-py's Lock class which uses Lua scripts);
  * a sliding-window rate limiter over a sorted set (ZREMRANGEBYSCORE, ZCARD, ZADD, PEXPIRE);
  * a BullMQ-like job queue (add job, move to active with LMOVE + HSET, complete);
  * transfers between accounts on different shards by scripts (declared and undeclared keys)
    keep the total constant while readers sum every account (MGET and a script);
  * a long script answers BUSY to others after busy-reply-threshold and SCRIPT KILL stops it.
Prints `scripting: N passed, N failed` and exits non-zero on failure.
"""
import os
import random
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "clients"))
import serverutil  # noqa: E402
import redis  # noqa: E402

REFERENCE = "/usr/bin/redis-server"
SERVERS = {}  # name -> serverutil.Server
DURATION = 2.0

LOCK_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
else
  return 0
end"""

RATE_LIMIT = """
local key, now, window, limit, id = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]),
    tonumber(ARGV[3]), ARGV[4]
redis.call('zremrangebyscore', key, 0, now - window)
local n = redis.call('zcard', key)
if n < limit then
  redis.call('zadd', key, now, id)
  redis.call('pexpire', key, window)
  return {1, limit - n - 1}
end
return {0, 0}"""

ADD_JOB = """
local id = redis.call('incr', KEYS[1])
redis.call('hset', KEYS[2] .. id, 'name', ARGV[1], 'data', ARGV[2], 'timestamp', ARGV[3])
redis.call('lpush', KEYS[3], id)
return tostring(id)"""

# Like BullMQ's moveToActive: take the next waiting job, mark it active, return its data.
MOVE_TO_ACTIVE = """
local id = redis.call('lmove', KEYS[1], KEYS[2], 'RIGHT', 'LEFT')
if not id then return nil end
local jobkey = KEYS[3] .. id
redis.call('hset', jobkey, 'processedOn', ARGV[1])
redis.call('hincrby', jobkey, 'attemptsMade', 1)
return {id, redis.call('hgetall', jobkey)}"""

COMPLETE = """
if redis.call('lrem', KEYS[1], -1, ARGV[1]) == 0 then
  return redis.error_reply('ERR job ' .. ARGV[1] .. ' is not active')
end
redis.call('hset', KEYS[2] .. ARGV[1], 'finishedOn', ARGV[2], 'returnvalue', ARGV[3])
redis.call('zadd', KEYS[3], ARGV[2], ARGV[1])
return redis.call('zcard', KEYS[3])"""

TRANSFER = """
local from = tonumber(redis.call('get', KEYS[1]))
local amount = tonumber(ARGV[1])
if from < amount then return 0 end
redis.call('decrby', KEYS[1], amount)
redis.call('incrby', KEYS[2], amount)
return 1"""

# The same transfer without declaring its keys (they come in ARGV): still atomic.
TRANSFER_UNDECLARED = """
local from = tonumber(redis.call('get', ARGV[1]))
local amount = tonumber(ARGV[3])
if from < amount then return 0 end
redis.call('decrby', ARGV[1], amount)
redis.call('incrby', ARGV[2], amount)
return 1"""

SUM = """
local total = 0
for _, v in ipairs(redis.call('mget', unpack(KEYS))) do total = total + tonumber(v) end
return total"""


def run_threads(targets):
    threads = [threading.Thread(target=t) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


class ScriptsBase:
    server_name = None

    @property
    def port(self):
        return SERVERS[self.server_name].port

    def client(self, **kw):
        return redis.Redis(port=self.port, decode_responses=True, **kw)

    def setUp(self):
        self.r = self.client()
        self.r.flushall()
        self.r.script_flush()

    def test_lock_release(self):
        r = self.r
        release = r.register_script(LOCK_RELEASE)
        self.assertTrue(r.set("lock:res", "token-1", nx=True, px=10000))
        self.assertFalse(r.set("lock:res", "token-2", nx=True, px=10000))
        self.assertEqual(release(keys=["lock:res"], args=["token-2"]), 0)
        self.assertEqual(r.get("lock:res"), "token-1")
        self.assertEqual(release(keys=["lock:res"], args=["token-1"]), 1)
        self.assertIsNone(r.get("lock:res"))
        self.assertEqual(release(keys=["lock:res"], args=["token-1"]), 0)
        # redis-py's Lock: acquire/extend/reacquire/release are Lua scripts (EVALSHA + EVAL).
        lock = r.lock("lock:py", timeout=5)
        self.assertTrue(lock.acquire(blocking=False))
        self.assertFalse(r.lock("lock:py", timeout=5).acquire(blocking=False))
        self.assertTrue(lock.extend(5))
        self.assertTrue(lock.reacquire())
        self.assertGreater(r.pttl("lock:py"), 4000)
        lock.release()
        self.assertEqual(r.exists("lock:py"), 0)
        with self.assertRaises(redis.exceptions.LockError):
            lock.release()

    def test_rate_limiter(self):
        limit = self.r.register_script(RATE_LIMIT)
        out = []
        for i, now in enumerate([1000, 1100, 1200, 1300, 1550, 2050, 2100, 2101, 2102, 2500]):
            out.append(limit(keys=["rl:user1"], args=[now, 500, 3, "req%d" % i]))
        self.assertEqual(out, [[1, 2], [1, 1], [1, 0], [0, 0], [1, 0], [1, 2], [1, 1],
                               [1, 0], [0, 0], [0, 0]])
        self.assertEqual(self.r.zrange("rl:user1", 0, -1, withscores=True),
                         [("req5", 2050.0), ("req6", 2100.0), ("req7", 2101.0)])
        self.assertGreater(self.r.pttl("rl:user1"), 0)
        return out

    def test_job_queue(self):
        r = self.r
        add = r.register_script(ADD_JOB)
        move = r.register_script(MOVE_TO_ACTIVE)
        complete = r.register_script(COMPLETE)
        q = "bull:{emails}:"
        ids = [add(keys=[q + "id", q, q + "wait"], args=["send", "payload%d" % i, 1000 + i])
               for i in range(5)]
        self.assertEqual(ids, ["1", "2", "3", "4", "5"])
        got = move(keys=[q + "wait", q + "active", q], args=[2000])
        self.assertEqual(got[0], "1")
        fields = dict(zip(got[1][::2], got[1][1::2]))
        self.assertEqual(fields["data"], "payload0")
        self.assertEqual(fields["processedOn"], "2000")
        self.assertEqual(fields["attemptsMade"], "1")
        self.assertEqual(complete(keys=[q + "active", q, q + "completed"], args=["1", 3000, "ok"]),
                         1)
        with self.assertRaises(redis.exceptions.ResponseError) as cm:
            complete(keys=[q + "active", q, q + "completed"], args=["1", 3001, "ok"])
        self.assertIn("job 1 is not active", str(cm.exception))
        for _ in range(4):
            move(keys=[q + "wait", q + "active", q], args=[2100])
        self.assertIsNone(move(keys=[q + "wait", q + "active", q], args=[2200]))
        self.assertEqual(r.lrange(q + "active", 0, -1), ["5", "4", "3", "2"])
        self.assertEqual(r.hget(q + "3", "processedOn"), "2100")

    def test_job_queue_concurrent_workers(self):
        # Several workers take jobs at once: every job is taken exactly once.
        r = self.r
        add = r.register_script(ADD_JOB)
        q = "bull:{jobs}:"
        for i in range(200):
            add(keys=[q + "id", q, q + "wait"], args=["n", "d%d" % i, i])
        taken = []
        lock = threading.Lock()

        def worker():
            c = self.client()
            m = c.register_script(MOVE_TO_ACTIVE)
            while True:
                got = m(keys=[q + "wait", q + "active", q], args=[1])
                if got is None:
                    return
                with lock:
                    taken.append(got[0])

        run_threads([worker] * 4)
        self.assertEqual(sorted(taken, key=int), [str(i) for i in range(1, 201)])
        self.assertEqual(r.llen(q + "active"), 200)

    def transfer_invariant(self, script, declared):
        accounts = ["acct:%d" % i for i in range(12)]  # spread over every shard
        self.r.mset({a: 100 for a in accounts})
        total = 100 * len(accounts)
        errors = []
        moves = []
        stop = time.time() + DURATION

        def mover(seed):
            rnd = random.Random(seed)
            c = self.client()
            t = c.register_script(script)
            while time.time() < stop:
                a, b = rnd.sample(accounts, 2)
                amount = rnd.randint(1, 30)
                try:
                    if declared:
                        t(keys=[a, b], args=[amount])
                    else:
                        t(keys=[], args=[a, b, amount])
                    moves.append(1)
                except redis.exceptions.RedisError as e:
                    errors.append(("transfer", str(e)))

        def reader():
            c = self.client()
            s = c.register_script(SUM)
            while time.time() < stop:
                v = sum(int(x) for x in c.mget(accounts))
                if v != total:
                    errors.append(("mget", v))
                v = s(keys=accounts)
                if v != total:
                    errors.append(("script", v))

        run_threads([lambda i=i: mover(i) for i in range(4)] + [reader, reader])
        self.assertEqual(errors[:5], [])
        self.assertGreater(len(moves), 100)
        self.assertEqual(sum(int(x) for x in self.r.mget(accounts)), total)
        self.assertTrue(all(int(x) >= 0 for x in self.r.mget(accounts)))

    def test_transfer_declared_keys_keeps_total(self):
        self.transfer_invariant(TRANSFER, True)

    def test_transfer_undeclared_keys_keeps_total(self):
        self.transfer_invariant(TRANSFER_UNDECLARED, False)

    def test_busy_and_script_kill(self):
        r = self.r
        r.config_set("busy-reply-threshold", 200)
        try:
            result = {}

            def spin():
                c = self.client()
                try:
                    c.eval("local i = 0 while true do i = i + 1 end", 0)
                except redis.exceptions.ResponseError as e:
                    result["err"] = str(e)

            t = threading.Thread(target=spin)
            t.start()
            deadline = time.time() + 10
            busy = None
            while time.time() < deadline:
                try:
                    r.ping()
                    time.sleep(0.02)
                except redis.exceptions.BusyLoadingError:
                    raise
                except redis.exceptions.ResponseError as e:
                    busy = str(e)
                    break
            self.assertIsNotNone(busy)
            self.assertTrue(busy.startswith("BUSY Redis is busy running a script"), busy)
            with self.assertRaises(redis.exceptions.ResponseError) as cm:
                r.execute_command("FUNCTION", "KILL")
            self.assertIn("SCRIPT KILL", str(cm.exception))
            self.assertTrue(r.script_kill())
            t.join(10)
            self.assertFalse(t.is_alive())
            self.assertIn("Script killed by user with SCRIPT KILL", result.get("err", ""))
            self.assertTrue(r.ping())
            with self.assertRaises(redis.exceptions.ResponseError) as cm:
                r.script_kill()
            self.assertIn("NOTBUSY", str(cm.exception))
        finally:
            self.client().config_set("busy-reply-threshold", 5000)

    def test_functions(self):
        r = self.r
        r.function_flush()
        lib = ("#!lua name=locks\n"
               "redis.register_function('release', function(keys, args)\n"
               "  if redis.call('get', keys[1]) == args[1] then return redis.call('del', keys[1]) end\n"
               "  return 0 end)\n"
               "redis.register_function{function_name='peek', flags={'no-writes'},\n"
               "  callback=function(keys) return redis.call('get', keys[1]) end}\n")
        self.assertEqual(r.function_load(lib), "locks")
        r.set("l", "t")
        self.assertEqual(r.fcall_ro("peek", 1, "l"), "t")
        self.assertEqual(r.fcall("release", 1, "l", "x"), 0)
        self.assertEqual(r.fcall("release", 1, "l", "t"), 1)
        with self.assertRaises(redis.exceptions.ResponseError):
            r.fcall_ro("release", 1, "l", "t")
        r.function_flush()


    def test_info_memory_scripting_fields(self):
        r = self.r
        r.function_flush()
        info = r.info("memory")
        self.assertEqual(info["number_of_cached_scripts"], 0)
        self.assertEqual(info["number_of_functions"], 0)
        self.assertEqual(info["number_of_libraries"], 0)
        sha1 = r.script_load("return 1")
        r.script_load("return 2")
        r.eval("return redis.call('set', KEYS[1], 'v')", 1, "k")  # a third script, run
        r.evalsha(sha1, 0)
        r.function_load("#!lua name=lib\n"
                        "redis.register_function('f1', function() return 1 end)\n"
                        "redis.register_function('f2', function() return 2 end)\n")
        self.assertEqual(r.fcall("f1", 0), 1)
        info = r.info("memory")
        self.assertEqual(info["number_of_cached_scripts"], 3)
        self.assertEqual(info["number_of_functions"], 2)
        self.assertEqual(info["number_of_libraries"], 1)
        for f in ("used_memory_lua", "used_memory_vm_eval", "used_memory_vm_functions",
                  "used_memory_scripts_eval", "used_memory_functions"):
            self.assertGreater(info[f], 0, f)
        self.assertEqual(info["used_memory_vm_total"],
                         info["used_memory_vm_eval"] + info["used_memory_vm_functions"])
        self.assertEqual(info["used_memory_scripts"],
                         info["used_memory_scripts_eval"] + info["used_memory_functions"])
        r.script_flush()
        r.function_flush()
        info = r.info("memory")
        self.assertEqual(info["number_of_cached_scripts"], 0)
        self.assertEqual(info["number_of_functions"], 0)
        self.assertEqual(info["number_of_libraries"], 0)


class RedisScripts(ScriptsBase, unittest.TestCase):
    server_name = "redis"


class KoraScripts(ScriptsBase, unittest.TestCase):
    server_name = "kora"


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("-k", dest="name_filter", default=None)
    args = ap.parse_args()
    classes = []
    if os.path.exists(REFERENCE):
        SERVERS["redis"] = serverutil.Server(REFERENCE)
        classes.append(RedisScripts)
    SERVERS["kora"] = serverutil.Server(args.server, workers=args.workers)
    classes.append(KoraScripts)
    for s in SERVERS.values():
        s.start()
    try:
        rc = serverutil.run_tests("scripting", classes, name_filter=args.name_filter)
    finally:
        for s in SERVERS.values():
            s.stop()
    sys.exit(rc)


if __name__ == "__main__":
    main()
