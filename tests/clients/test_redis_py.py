#!/usr/bin/python3
"""Client compatibility tests with redis-py (Debian python3-redis 4.3.4, RESP2) + unittest.

Usage: /usr/bin/python3 tests/clients/test_redis_py.py --server PATH [--workers N] [-k FILTER] [-q]
Starts the server itself on free loopback ports (one plain server with a unix socket, one with a
password), runs the tests, stops the servers. Final line: "redis-py: N passed, N failed"; the
exit status is nonzero on any failure.
Reference: Debian redis-server 7.0.15 (run with --server /usr/bin/redis-server).
"""
import collections
import os
import random
import sys
import threading
import time
import unittest

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serverutil import Server, parse_common_args, run_tests  # noqa: E402

import redis  # noqa: E402  (python3-redis, importable from /usr/bin/python3)
from redis import exceptions as rex  # noqa: E402

ARGS = None
PASSWORD = "Pw-for-tests!"
MAIN = None   # Server with TCP + unix socket, no password
AUTHSRV = None  # Server with a password


def client(db=0, **kw):
    kw.setdefault("socket_timeout", 10)
    return redis.Redis(host="127.0.0.1", port=MAIN.port, db=db, **kw)


class Base(unittest.TestCase):
    def setUp(self):
        self.r = client()
        self.r.flushall()

    def tearDown(self):
        self.r.close()


# ---------------------------------------------------------------------------------------------
class StringTests(Base):
    def test_set_get_basic(self):
        r = self.r
        self.assertTrue(r.set("k", "v"))
        self.assertEqual(r.get("k"), b"v")
        self.assertIsNone(r.get("missing"))
        self.assertEqual(r.strlen("k"), 1)
        self.assertEqual(r.getset("k", "w"), b"v")
        self.assertEqual(r.getdel("k"), b"w")
        self.assertIsNone(r.get("k"))

    def test_set_ex_px(self):
        r = self.r
        self.assertTrue(r.set("ex", "1", ex=100))
        self.assertIn(r.ttl("ex"), (99, 100))
        self.assertTrue(r.set("px", "1", px=50000))
        self.assertTrue(49000 < r.pttl("px") <= 50000)
        r.set("short", "1", px=100)
        time.sleep(0.25)
        self.assertIsNone(r.get("short"))
        self.assertEqual(r.exists("short"), 0)
        with self.assertRaises(rex.ResponseError) as cm:
            r.set("bad", "1", ex=0)
        self.assertIn("invalid expire time", str(cm.exception))

    def test_set_nx_xx(self):
        r = self.r
        self.assertIsNone(r.set("k", "1", xx=True))
        self.assertIsNone(r.get("k"))
        self.assertTrue(r.set("k", "1", nx=True))
        self.assertIsNone(r.set("k", "2", nx=True))
        self.assertEqual(r.get("k"), b"1")
        self.assertTrue(r.set("k", "3", xx=True))
        self.assertEqual(r.get("k"), b"3")
        self.assertEqual(r.setnx("k", "4"), False)
        self.assertEqual(r.setnx("k2", "4"), True)

    def test_set_keepttl_and_get(self):
        r = self.r
        r.set("k", "1", ex=100)
        self.assertTrue(r.set("k", "2", keepttl=True))
        self.assertIn(r.ttl("k"), (99, 100))
        r.set("k", "3")  # a plain SET clears the TTL
        self.assertEqual(r.ttl("k"), -1)
        self.assertEqual(r.set("k", "4", get=True), b"3")
        self.assertIsNone(r.set("new", "x", get=True))
        self.assertEqual(r.get("new"), b"x")
        r.rpush("list", "a")
        with self.assertRaises(rex.ResponseError) as cm:
            r.set("list", "x", get=True)
        self.assertTrue(str(cm.exception).startswith("WRONGTYPE"))

    def test_mset_mget_many(self):
        r = self.r
        data = {"mk:%d" % i: "val-%d" % i for i in range(1000)}
        self.assertTrue(r.mset(data))
        keys = list(data)
        random.Random(1).shuffle(keys)
        probe = keys[:500] + ["mk:missing:%d" % i for i in range(20)] + keys[500:]
        got = r.mget(probe)
        expect = [data[k].encode() if k in data else None for k in probe]
        self.assertEqual(got, expect)
        self.assertEqual(r.dbsize(), 1000)
        self.assertEqual(r.msetnx({"mk:1": "x", "fresh": "y"}), False)
        self.assertIsNone(r.get("fresh"))
        self.assertEqual(r.msetnx({"fresh": "y", "fresh2": "z"}), True)

    def test_incr_family(self):
        r = self.r
        self.assertEqual(r.incr("c"), 1)
        self.assertEqual(r.incr("c", 10), 11)
        self.assertEqual(r.decr("c"), 10)
        self.assertEqual(r.decr("c", 20), -10)
        r.set("big", str(2**63 - 1))
        with self.assertRaises(rex.ResponseError) as cm:
            r.incr("big")
        self.assertEqual(str(cm.exception), "increment or decrement would overflow")
        r.set("s", "abc")
        with self.assertRaises(rex.ResponseError) as cm:
            r.incr("s")
        self.assertEqual(str(cm.exception), "value is not an integer or out of range")
        self.assertEqual(r.incrbyfloat("f", 1.5), 1.5)
        self.assertEqual(r.incrbyfloat("f", 0.25), 1.75)
        self.assertEqual(r.get("f"), b"1.75")
        r.set("f2", "10")
        self.assertEqual(r.incrbyfloat("f2", -0.5), 9.5)
        self.assertEqual(r.incrbyfloat("f3", 3), 3.0)
        self.assertEqual(r.get("f3"), b"3")
        with self.assertRaises(rex.ResponseError) as cm:
            r.incrbyfloat("s", 1)
        self.assertEqual(str(cm.exception), "value is not a valid float")

    def test_append_getrange_setrange(self):
        r = self.r
        self.assertEqual(r.append("a", "Hello"), 5)
        self.assertEqual(r.append("a", " World"), 11)
        self.assertEqual(r.get("a"), b"Hello World")
        self.assertEqual(r.getrange("a", 0, 4), b"Hello")
        self.assertEqual(r.getrange("a", -5, -1), b"World")
        self.assertEqual(r.getrange("a", 5, 3), b"")
        self.assertEqual(r.getrange("a", 0, 1000), b"Hello World")
        self.assertEqual(r.getrange("nokey", 0, 10), b"")
        self.assertEqual(r.setrange("a", 6, "Redis"), 11)
        self.assertEqual(r.get("a"), b"Hello Redis")
        self.assertEqual(r.setrange("pad", 5, "x"), 6)
        self.assertEqual(r.get("pad"), b"\x00\x00\x00\x00\x00x")
        self.assertEqual(r.substr("a", 0, 4), b"Hello")

    def test_bitmaps(self):
        r = self.r
        self.assertEqual(r.setbit("b", 7, 1), 0)
        self.assertEqual(r.setbit("b", 7, 1), 1)
        self.assertEqual(r.getbit("b", 7), 1)
        self.assertEqual(r.getbit("b", 100), 0)
        self.assertEqual(r.get("b"), b"\x01")
        r.setbit("b", 100, 1)
        self.assertEqual(r.strlen("b"), 13)
        self.assertEqual(r.bitcount("b"), 2)
        r.set("fb", "foobar")
        self.assertEqual(r.bitcount("fb"), 26)
        self.assertEqual(r.bitcount("fb", 0, 0), 4)
        self.assertEqual(r.bitcount("fb", 1, 1), 6)
        self.assertEqual(r.bitcount("fb", -2, -1), 7)
        r.set("bp", b"\xff\xf0\x00")
        self.assertEqual(r.bitpos("bp", 0), 12)
        r.set("bp2", b"\x00\xff\xf0")
        self.assertEqual(r.bitpos("bp2", 1, 0), 8)
        self.assertEqual(r.bitpos("bp2", 1, 2), 16)
        r.set("zero", b"\x00\x00\x00")
        self.assertEqual(r.bitpos("zero", 1), -1)
        self.assertEqual(r.bitpos("nokey", 0), 0)
        r.set("x", b"\xf0\x0f")
        r.set("y", b"\xff")
        self.assertEqual(r.bitop("AND", "dand", "x", "y"), 2)
        self.assertEqual(r.get("dand"), b"\xf0\x00")
        self.assertEqual(r.bitop("OR", "dor", "x", "y"), 2)
        self.assertEqual(r.get("dor"), b"\xff\x0f")
        self.assertEqual(r.bitop("XOR", "dxor", "x", "y"), 2)
        self.assertEqual(r.get("dxor"), b"\x0f\x0f")
        self.assertEqual(r.bitop("NOT", "dnot", "x"), 2)
        self.assertEqual(r.get("dnot"), b"\x0f\xf0")

    def test_bitfield(self):
        r = self.r
        res = (r.bitfield("bf")
               .set("u8", 0, 255)
               .get("u8", 0)
               .incrby("u8", 0, 10)
               .overflow("SAT")
               .incrby("u8", 0, 300)
               .overflow("FAIL")
               .incrby("u8", 0, 1)
               .set("i16", "#1", -5)
               .get("i16", "#1")
               .execute())
        self.assertEqual(res, [0, 255, 9, 255, None, 0, -5])
        self.assertEqual(r.execute_command("BITFIELD_RO", "bf", "GET", "u4", "0"), [15])


# ---------------------------------------------------------------------------------------------
class KeyTests(Base):
    def test_delete_many_exists(self):
        r = self.r
        keys = ["del:%d" % i for i in range(500)]
        r.mset({k: "1" for k in keys})
        self.assertEqual(r.exists(*keys[:100]), 100)
        self.assertEqual(r.exists("del:1", "del:1", "nope"), 2)
        self.assertEqual(r.delete(*(keys + ["nope1", "nope2"])), 500)
        self.assertEqual(r.exists(*keys), 0)
        self.assertEqual(r.delete("nope"), 0)
        r.set("u", "1")
        self.assertEqual(r.unlink("u", "nope"), 1)

    def test_expire_ttl_persist(self):
        r = self.r
        self.assertEqual(r.ttl("nokey"), -2)
        self.assertEqual(r.pttl("nokey"), -2)
        self.assertFalse(r.expire("nokey", 10))
        r.set("k", "v")
        self.assertEqual(r.ttl("k"), -1)
        self.assertTrue(r.expire("k", 100))
        self.assertIn(r.ttl("k"), (99, 100))
        self.assertTrue(r.pexpire("k", 200000))
        self.assertTrue(199000 < r.pttl("k") <= 200000)
        self.assertTrue(r.persist("k"))
        self.assertFalse(r.persist("k"))
        self.assertEqual(r.ttl("k"), -1)
        self.assertTrue(r.expireat("k", int(time.time()) + 1000))
        self.assertTrue(990 <= r.ttl("k") <= 1000)
        r.pexpire("k", 100)
        time.sleep(0.25)
        self.assertIsNone(r.get("k"))
        self.assertEqual(r.ttl("k"), -2)
        # negative expire deletes
        r.set("n", "v")
        self.assertTrue(r.expire("n", -1))
        self.assertEqual(r.exists("n"), 0)

    def test_rename_copy(self):
        r = self.r
        r.set("a", "1", ex=100)
        self.assertTrue(r.rename("a", "b"))
        self.assertIsNone(r.get("a"))
        self.assertEqual(r.get("b"), b"1")
        self.assertIn(r.ttl("b"), (99, 100))
        with self.assertRaises(rex.ResponseError) as cm:
            r.rename("nokey", "x")
        self.assertEqual(str(cm.exception), "no such key")
        r.set("c", "2")
        self.assertFalse(r.renamenx("b", "c"))
        self.assertTrue(r.renamenx("b", "d"))
        self.assertTrue(r.copy("c", "e"))
        self.assertEqual(r.get("e"), b"2")
        self.assertFalse(r.copy("d", "e"))
        self.assertTrue(r.copy("d", "e", replace=True))
        self.assertEqual(r.get("e"), b"1")
        self.assertTrue(r.copy("c", "c_db3", destination_db=3))
        self.assertEqual(client(db=3).get("c_db3"), b"2")
        r.rpush("l", "x", "y")
        self.assertTrue(r.copy("l", "l2"))
        self.assertEqual(r.lrange("l2", 0, -1), [b"x", b"y"])

    def test_scan_iter_5000(self):
        r = self.r
        expect = set()
        pipe = r.pipeline(transaction=False)
        for i in range(5000):
            k = "scan:%d" % i
            expect.add(k.encode())
            pipe.set(k, i)
        pipe.execute()
        got = list(r.scan_iter(count=100))
        self.assertEqual(set(got), expect)
        self.assertEqual(r.dbsize(), 5000)
        got = set(r.scan_iter(match="scan:1*", count=500))
        self.assertEqual(got, {k for k in expect if k.startswith(b"scan:1")})
        r.rpush("scanlist", "a")
        got = set(r.scan_iter(_type="list"))
        self.assertEqual(got, {b"scanlist"})
        # SCAN with a huge COUNT in one call
        cursor, keys = r.scan(0, count=100000)
        while cursor != 0:
            cursor, more = r.scan(cursor, count=100000)
            keys += more
        self.assertEqual(set(keys), expect | {b"scanlist"})

    def test_keys_type_dbsize_flushdb(self):
        r = self.r
        r.mset({"user:1": "a", "user:2": "b", "user:10": "c", "other": "d"})
        self.assertEqual(sorted(r.keys("user:*")), [b"user:1", b"user:10", b"user:2"])
        self.assertEqual(sorted(r.keys("user:?")), [b"user:1", b"user:2"])
        self.assertEqual(sorted(r.keys("user:[12]")), [b"user:1", b"user:2"])
        self.assertEqual(len(r.keys("*")), 4)
        r.rpush("l", "x")
        r.hset("h", "f", "v")
        r.sadd("s", "m")
        r.zadd("z", {"m": 1})
        self.assertEqual(r.type("other"), b"string")
        self.assertEqual(r.type("l"), b"list")
        self.assertEqual(r.type("h"), b"hash")
        self.assertEqual(r.type("s"), b"set")
        self.assertEqual(r.type("z"), b"zset")
        self.assertEqual(r.type("nokey"), b"none")
        self.assertEqual(r.dbsize(), 8)
        r1 = client(db=1)
        r1.set("keep", "me")
        self.assertTrue(r.flushdb())
        self.assertEqual(r.dbsize(), 0)
        self.assertEqual(r1.dbsize(), 1)
        self.assertEqual(r1.get("keep"), b"me")

    def test_select_two_clients_swapdb_move(self):
        r0, r1 = client(db=0), client(db=1)
        r0.set("k", "in-db0")
        r1.set("k", "in-db1")
        r1.set("only1", "x")
        self.assertEqual(r0.get("k"), b"in-db0")
        self.assertEqual(r1.get("k"), b"in-db1")
        self.assertIsNone(r0.get("only1"))
        self.assertEqual(r0.dbsize(), 1)
        self.assertEqual(r1.dbsize(), 2)
        self.assertTrue(r0.swapdb(0, 1))
        # existing connections see the swapped data
        self.assertEqual(r0.get("k"), b"in-db1")
        self.assertEqual(r0.get("only1"), b"x")
        self.assertEqual(r1.get("k"), b"in-db0")
        self.assertEqual(r0.dbsize(), 2)
        self.assertEqual(r1.dbsize(), 1)
        # MOVE: fails when the key exists in the target db, succeeds otherwise
        self.assertFalse(r0.move("k", 1))
        self.assertTrue(r0.move("only1", 1))
        self.assertIsNone(r0.get("only1"))
        self.assertEqual(r1.get("only1"), b"x")
        self.assertFalse(r0.move("nokey", 1))
        with self.assertRaises(rex.ResponseError):
            client(db=16).ping()


# ---------------------------------------------------------------------------------------------
class PipelineTests(Base):
    def test_pipeline_1000_mixed(self):
        r = self.r
        rnd = random.Random(42)
        model = {}
        pipe = r.pipeline(transaction=False)
        expected = []
        for i in range(1000):
            k = "p:%d" % rnd.randrange(40)
            op = rnd.randrange(7)
            cur = model.get(k)
            if op == 0:
                v = "v%d" % i
                pipe.set(k, v)
                model[k] = v.encode()
                expected.append(True)
            elif op == 1:
                pipe.get(k)
                expected.append(cur)
            elif op == 2:
                pipe.incr(k)
                if cur is None or cur.lstrip(b"-").isdigit():
                    n = int(cur or 0) + 1
                    model[k] = str(n).encode()
                    expected.append(n)
                else:
                    expected.append("ERR")
            elif op == 3:
                pipe.append(k, "x")
                model[k] = (cur or b"") + b"x"
                expected.append(len(model[k]))
            elif op == 4:
                pipe.delete(k)
                expected.append(1 if k in model else 0)
                model.pop(k, None)
            elif op == 5:
                pipe.exists(k)
                expected.append(1 if k in model else 0)
            else:
                pipe.strlen(k)
                expected.append(len(cur) if cur is not None else 0)
        results = pipe.execute(raise_on_error=False)
        self.assertEqual(len(results), 1000)
        for i, (got, exp) in enumerate(zip(results, expected)):
            if exp == "ERR":
                self.assertIsInstance(got, rex.ResponseError, "reply %d" % i)
            else:
                self.assertEqual(got, exp, "reply %d" % i)
        for k, v in model.items():
            self.assertEqual(r.get(k), v)

    def test_pipeline_across_types(self):
        r = self.r
        pipe = r.pipeline(transaction=False)
        pipe.rpush("l", *range(10)).lrange("l", 0, -1).hset("h", mapping={"a": 1, "b": 2})
        pipe.hgetall("h").sadd("s", "x", "y").scard("s").zadd("z", {"a": 1.5}).zscore("z", "a")
        pipe.mset({"m1": 1, "m2": 2}).mget("m1", "m2", "m3").ping().echo("hi")
        self.assertEqual(pipe.execute(), [
            10, [str(i).encode() for i in range(10)], 2, {b"a": b"1", b"b": b"2"}, 2, 2, 1, 1.5,
            True, [b"1", b"2", None], True, b"hi"])

    def test_transaction_pipeline(self):
        r = self.r
        pipe = r.pipeline(transaction=True)
        pipe.set("t1", "a").set("t2", "b").mget("t1", "t2").incr("tc")
        self.assertEqual(pipe.execute(), [True, True, [b"a", b"b"], 1])


# ---------------------------------------------------------------------------------------------
class BinaryTests(Base):
    def test_binary_keys_values(self):
        r = self.r
        key = b"bin\x00key\xff\r\n end"
        val = bytes(range(256)) * 4 + b"\x00\xff"
        self.assertTrue(r.set(key, val))
        self.assertEqual(r.get(key), val)
        self.assertEqual(r.strlen(key), len(val))
        self.assertEqual(r.exists(key), 1)
        self.assertIn(key, r.keys("*"))
        self.assertIn(key, set(r.scan_iter()))
        keys = [b"\x00" * i + b"\xff" for i in range(1, 20)]
        r.mset({k: k * 3 for k in keys})
        self.assertEqual(r.mget(keys), [k * 3 for k in keys])
        self.assertEqual(r.append(key, b"\x00\x00"), len(val) + 2)
        self.assertTrue(r.rename(key, b"\xff\xfe\x00"))
        self.assertEqual(r.get(b"\xff\xfe\x00"), val + b"\x00\x00")
        r.hset(b"h\x00", b"f\x00\xff", b"v\x00\xff")
        self.assertEqual(r.hgetall(b"h\x00"), {b"f\x00\xff": b"v\x00\xff"})
        self.assertEqual(r.echo(b"\x00\xff\r\n"), b"\x00\xff\r\n")
        empty = b""
        self.assertTrue(r.set(empty, empty))
        self.assertEqual(r.get(empty), empty)
        self.assertEqual(r.exists(empty), 1)

    def test_large_value(self):
        r = self.r
        val = os.urandom(3 * 1024 * 1024)
        self.assertTrue(r.set("large", val))
        self.assertEqual(r.get("large"), val)


# ---------------------------------------------------------------------------------------------
class ServerTests(Base):
    def test_ping_echo(self):
        r = self.r
        self.assertTrue(r.ping())
        self.assertEqual(r.echo("hello"), b"hello")
        self.assertEqual(r.echo(b"\x00\xffbin"), b"\x00\xffbin")

    def test_client_name_id_list(self):
        r = client()
        self.assertIsNone(r.client_getname())
        self.assertTrue(r.client_setname("py-client-1"))
        self.assertEqual(r.client_getname(), "py-client-1")  # redis-py decodes it
        cid = r.client_id()
        self.assertIsInstance(cid, int)
        self.assertGreater(cid, 0)
        other = client(db=2)
        other.client_setname("py-client-2")
        other_id = other.client_id()
        self.assertNotEqual(cid, other_id)
        entries = r.client_list()
        self.assertIsInstance(entries, list)
        by_id = {int(e["id"]): e for e in entries}
        self.assertIn(cid, by_id)
        self.assertIn(other_id, by_id)
        me = by_id[cid]
        for field in ("id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db",
                      "sub", "psub", "multi", "qbuf", "obl", "oll", "omem", "events", "cmd",
                      "user", "resp"):
            self.assertIn(field, me, "CLIENT LIST lacks field %r: %r" % (field, me))
        self.assertEqual(me["name"], "py-client-1")
        self.assertEqual(me["db"], "0")
        self.assertEqual(me["cmd"], "client|list")
        self.assertEqual(me["user"], "default")
        self.assertEqual(me["resp"], "2")
        self.assertEqual(by_id[other_id]["name"], "py-client-2")
        self.assertEqual(by_id[other_id]["db"], "2")
        # addr is the client's own socket address
        conn = r.connection_pool.get_connection("PING")
        try:
            local = conn._sock.getsockname()
        finally:
            r.connection_pool.release(conn)
        self.assertEqual(me["addr"], "%s:%d" % local)
        self.assertEqual(me["laddr"], "127.0.0.1:%d" % MAIN.port)
        # CLIENT LIST ID filter
        only = r.client_list(client_id=[str(other_id)])
        self.assertEqual([int(e["id"]) for e in only], [other_id])
        # CLIENT INFO describes the calling connection
        info = r.client_info()
        self.assertEqual(int(info["id"]), cid)
        self.assertEqual(info["name"], "py-client-1")
        other.close()
        r.close()

    def test_info(self):
        r = self.r
        r.set("a", "1")
        r.set("b", "2", ex=1000)
        info = r.info()
        self.assertIn("redis_version", info)
        self.assertRegex(str(info["redis_version"]), r"^\d+\.\d+\.\d+")
        for field in ("tcp_port", "uptime_in_seconds", "connected_clients", "used_memory",
                      "total_commands_processed", "total_connections_received"):
            self.assertIn(field, info)
        self.assertEqual(info["tcp_port"], MAIN.port)
        self.assertGreaterEqual(info["connected_clients"], 1)
        self.assertIsInstance(info["used_memory"], int)
        ks = r.info("keyspace")
        self.assertIn("db0", ks)
        self.assertEqual(ks["db0"]["keys"], 2)
        self.assertEqual(ks["db0"]["expires"], 1)
        self.assertIn("redis_version", r.info("server"))
        self.assertIn("connected_clients", r.info("clients"))
        self.assertIn("used_memory", r.info("memory"))

    def test_config_get(self):
        r = self.r
        self.assertEqual(r.config_get("maxmemory"), {"maxmemory": "0"})
        self.assertEqual(r.config_get("no-such-parameter-xyz"), {})

    def test_dbsize_time(self):
        r = self.r
        self.assertEqual(r.dbsize(), 0)
        secs, usecs = r.time()
        self.assertLess(abs(secs - time.time()), 5)
        self.assertTrue(0 <= usecs < 1000000)

    def test_unknown_command(self):
        r = self.r
        with self.assertRaises(rex.ResponseError) as cm:
            r.execute_command("NOSUCHCOMMAND", "a", "b")
        self.assertEqual(str(cm.exception),
                         "unknown command 'NOSUCHCOMMAND', with args beginning with: 'a' 'b' ")
        with self.assertRaises(rex.ResponseError) as cm:
            r.execute_command("GET")
        self.assertEqual(str(cm.exception), "wrong number of arguments for 'get' command")


# ---------------------------------------------------------------------------------------------
class ConcurrencyTests(Base):
    def test_threaded_incr_exact(self):
        nthreads, nops, nkeys = 8, 2000, 50
        expected = collections.Counter()
        plans = []
        for t in range(nthreads):
            rnd = random.Random(t)
            plan = ["ctr:%d" % rnd.randrange(nkeys) for _ in range(nops)]
            expected.update(plan)
            plans.append(plan)
        shared = client(max_connections=nthreads)  # one pool shared by all threads
        errors = []

        def worker(plan):
            try:
                for k in plan:
                    shared.incr(k)
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))

        threads = [threading.Thread(target=worker, args=(p,)) for p in plans]
        for th in threads:
            th.start()
        for th in threads:
            th.join(120)
        self.assertEqual(errors, [])
        keys = sorted(expected)
        got = dict(zip(keys, (int(v) for v in self.r.mget(keys))))
        self.assertEqual(got, dict(expected))
        self.assertEqual(sum(got.values()), nthreads * nops)
        shared.close()

    def test_unix_socket_concurrent(self):
        self.assertTrue(MAIN.unix_socket)
        errors = []

        def worker(t):
            try:
                c = redis.Redis(unix_socket_path=MAIN.unix_socket, socket_timeout=10)
                c.client_setname("unix-%d" % t)
                for i in range(300):
                    k = "unix:%d:%d" % (t, i % 20)
                    c.set(k, i)
                    if c.get(k) != str(i).encode():
                        errors.append("thread %d: wrong value for %s" % (t, k))
                        return
                c.incr("unix:shared", 1)
                c.close()
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))

        threads = [threading.Thread(target=worker, args=(t,)) for t in range(6)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
        self.assertEqual(errors, [])
        # TCP and unix socket clients see the same data
        self.assertEqual(self.r.get("unix:shared"), b"6")
        self.assertEqual(self.r.get("unix:3:19"), b"299")
        u = redis.Redis(unix_socket_path=MAIN.unix_socket, db=5)
        u.set("udb", "x")
        self.assertEqual(client(db=5).get("udb"), b"x")
        self.assertTrue(u.ping())
        u.close()


# ---------------------------------------------------------------------------------------------
class AuthTests(unittest.TestCase):
    def c(self, **kw):
        r = redis.Redis(host="127.0.0.1", port=AUTHSRV.port, socket_timeout=10, **kw)
        self.addCleanup(r.close)
        return r

    def test_noauth_before_auth(self):
        r = self.c()
        with self.assertRaises((rex.AuthenticationError, rex.ResponseError)) as cm:
            r.get("x")
        self.assertIsInstance(cm.exception, rex.AuthenticationError)  # "NOAUTH ..." prefix
        self.assertIn("Authentication required", str(cm.exception))

    def test_wrong_password(self):
        r = self.c(password="definitely-wrong")
        # Redis 7 answers WRONGPASS, which redis-py 4.3.4 surfaces as ResponseError
        # (AuthenticationError in other redis-py versions): accept either, check the text.
        with self.assertRaises((rex.AuthenticationError, rex.ResponseError)) as cm:
            r.ping()
        self.assertIn("WRONGPASS", str(cm.exception))
        self.assertIn("invalid username-password pair or user is disabled", str(cm.exception))

    def test_right_password(self):
        r = self.c(password=PASSWORD)
        self.assertTrue(r.ping())
        self.assertTrue(r.set("authed", "yes"))
        self.assertEqual(r.get("authed"), b"yes")
        r2 = self.c(username="default", password=PASSWORD)
        self.assertEqual(r2.get("authed"), b"yes")

    def test_auth_command_after_connect(self):
        r = self.c(single_connection_client=True)
        with self.assertRaises(rex.AuthenticationError):
            r.ping()
        self.assertTrue(r.execute_command("AUTH", PASSWORD))
        self.assertTrue(r.ping())

    def test_config_get_never_returns_password_to_unauthed(self):
        r = self.c()
        with self.assertRaises(rex.AuthenticationError):
            r.config_get("requirepass")


def main():
    global ARGS, MAIN, AUTHSRV
    ARGS = parse_common_args(__doc__)
    MAIN = Server(ARGS.server, workers=ARGS.workers, with_unix_socket=True)
    AUTHSRV = Server(ARGS.server, workers=ARGS.workers, password=PASSWORD)
    try:
        MAIN.start()
        AUTHSRV.start()
        rc = run_tests("redis-py",
                       [StringTests, KeyTests, PipelineTests, BinaryTests, ServerTests,
                        ConcurrencyTests, AuthTests],
                       verbose=not ARGS.quiet, name_filter=ARGS.name_filter)
        for s in (MAIN, AUTHSRV):
            if not s.alive():
                print("server died during the tests; log tail:\n" + s.log_tail())
                rc = 1
    except Exception as e:  # noqa: BLE001
        print("setup failed: %s" % e)
        print("redis-py: 0 passed, 1 failed")
        rc = 1
    finally:
        MAIN.stop()
        AUTHSRV.stop()
    return rc


if __name__ == "__main__":
    sys.exit(main())
