#!/usr/bin/python3
"""Randomized differential test: the same random command sequence, drawn from a grammar that
covers strings, keys, lists, hashes, sets and sorted sets (including the commands that convert
encodings), runs against Debian's redis-server and the server under test; every reply must be
byte-identical (order-free replies such as SMEMBERS are compared as sorted multisets).

Usage:
  /usr/bin/python3 tests/compat/random_model.py --server PATH [--workers N]
      [--seeds 1,2,3] [--ops 3000]

Deterministic for a given seed. On a mismatch it prints the seed, the step, the command, both
replies and the commands that led there, so the failure can be replayed with redis-cli.
The last line printed is `random_model: N passed, N failed`.
"""

import argparse
import os
import random
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import difftest  # noqa: E402  (Conn, Server, encode_command)

KEYS = ["k1", "k2", "k3", "k4", "k5", "{t}a", "{t}b", "{t}c"]
# Lexicographic ranges are defined only when all scores are equal: these keys only ever get
# score 0 (the other commands never pick them).
LEX_KEYS = ["lex1", "{t}lex"]
# Commands whose reply is a set in disguise: compare the elements sorted.
UNORDERED = {"SMEMBERS", "SINTER", "SUNION", "SDIFF", "HKEYS", "HVALS", "KEYS"}
UNORDERED_PAIRS = {"HGETALL"}
FAR_FUTURE = 4102444800  # 2100-01-01, so EXPIRETIME replies are deterministic


class Gen:
    def __init__(self, rnd):
        self.r = rnd

    def key(self):
        return self.r.choice(KEYS)

    def member(self):
        r = self.r.random()
        if r < 0.45:
            return str(self.r.randint(-20, 60))
        if r < 0.9:
            return self.r.choice("abcdefghij") * self.r.randint(1, 3)
        return "long-" + "x" * self.r.randint(60, 80)  # past the listpack value limit

    def members(self, lo=1, hi=4):
        n = self.r.randint(lo, hi)
        if self.r.random() < 0.03:
            n = self.r.randint(120, 140)  # past the 128-entry listpack/intset thresholds
        return [self.member() for _ in range(n)]

    def score(self):
        r = self.r.random()
        if r < 0.7:
            return str(self.r.randint(-5, 20))
        if r < 0.85:
            return "%.2f" % self.r.uniform(-10, 10)
        return self.r.choice(["inf", "-inf", "+inf", "1e3", "0.5"])

    def idx(self):
        return str(self.r.randint(-8, 8))

    def num(self):
        return str(self.r.randint(-100, 100))

    def score_range(self):
        def bound():
            b = self.r.choice(["-inf", "+inf", "(", ""]) if self.r.random() < 0.3 else ""
            if b in ("-inf", "+inf"):
                return b
            return b + str(self.r.randint(-5, 20))
        return [bound(), bound()]

    def lex_range(self):
        def bound():
            c = self.r.random()
            if c < 0.15:
                return "-"
            if c < 0.3:
                return "+"
            return self.r.choice("[(") + self.r.choice("abcdefghij")
        return [bound(), bound()]

    # ---- command families -------------------------------------------------------------
    def string_cmd(self):
        k, r = self.key(), self.r
        c = r.randint(0, 21)
        if c == 0:
            return ["SET", k, self.member()] + r.choice([[], ["NX"], ["XX"], ["GET"], ["KEEPTTL"]])
        if c == 1:
            return ["GET", k]
        if c == 2:
            return ["APPEND", k, self.member()]
        if c == 3:
            return ["INCR", k]
        if c == 4:
            return ["INCRBY", k, self.num()]
        if c == 5:
            return ["DECRBY", k, self.num()]
        if c == 6:
            return ["INCRBYFLOAT", k, r.choice(["1.5", "-0.25", "3", "1e2", "abc"])]
        if c == 7:
            return ["STRLEN", k]
        if c == 8:
            return ["GETRANGE", k, self.idx(), self.idx()]
        if c == 9:
            return ["SETRANGE", k, str(r.randint(0, 10)), self.member()]
        if c == 10:
            return ["GETDEL", k]
        if c == 11:
            return ["GETSET", k, self.member()]
        if c == 12:
            a, b = self.key(), self.key()
            return ["MSET", a, self.member(), b, self.member()]
        if c == 13:
            return ["MGET"] + [self.key() for _ in range(r.randint(1, 4))]
        if c == 14:
            return ["SETNX", k, self.member()]
        if c == 15:
            return ["SETBIT", k, str(r.randint(0, 40)), str(r.randint(0, 1))]
        if c == 16:
            return ["GETBIT", k, str(r.randint(0, 40))]
        if c == 17:
            return ["BITCOUNT", k] + ([self.idx(), self.idx()] if r.random() < 0.5 else [])
        if c == 18:
            return ["BITPOS", k, str(r.randint(0, 1))]
        if c == 19:
            return ["MSETNX", self.key(), self.member(), self.key(), self.member()]
        if c == 20:
            return ["DECR", k]
        return ["GETEX", k, "PERSIST"]

    def key_cmd(self):
        k, r = self.key(), self.r
        c = r.randint(0, 13)
        if c == 0:
            return ["DEL"] + [self.key() for _ in range(r.randint(1, 3))]
        if c == 1:
            return ["EXISTS"] + [self.key() for _ in range(r.randint(1, 3))]
        if c == 2:
            return ["TYPE", k]
        if c == 3:
            return ["RENAME", k, self.key()]
        if c == 4:
            return ["RENAMENX", k, self.key()]
        if c == 5:
            return ["COPY", k, self.key()] + (["REPLACE"] if r.random() < 0.5 else [])
        if c == 6:
            return ["EXPIREAT", k, str(FAR_FUTURE + r.randint(0, 100))] + \
                r.choice([[], ["NX"], ["XX"], ["GT"], ["LT"]])
        if c == 7:
            return ["PERSIST", k]
        if c == 8:
            return ["EXPIRETIME", k]
        if c == 9:
            return ["OBJECT", "ENCODING", k]
        if c == 10:
            return ["UNLINK", k]
        if c == 11:
            return ["DBSIZE"]
        if c == 12:
            return ["TOUCH", k, self.key()]
        return ["KEYS", r.choice(["*", "k*", "{t}*", "k[1-3]"])]

    def list_cmd(self):
        k, r = self.key(), self.r
        c = r.randint(0, 17)
        if c == 0:
            return ["LPUSH", k] + self.members()
        if c == 1:
            return ["RPUSH", k] + self.members()
        if c == 2:
            return [r.choice(["LPUSHX", "RPUSHX"]), k] + self.members()
        if c == 3:
            return [r.choice(["LPOP", "RPOP"]), k] + ([str(r.randint(0, 4))] if r.random() < 0.5
                                                      else [])
        if c == 4:
            return ["LRANGE", k, self.idx(), self.idx()]
        if c == 5:
            return ["LINDEX", k, self.idx()]
        if c == 6:
            return ["LSET", k, self.idx(), self.member()]
        if c == 7:
            return ["LINSERT", k, r.choice(["BEFORE", "AFTER"]), self.member(), self.member()]
        if c == 8:
            return ["LREM", k, str(r.randint(-2, 2)), self.member()]
        if c == 9:
            return ["LTRIM", k, self.idx(), self.idx()]
        if c == 10:
            return ["LLEN", k]
        if c == 11:
            return ["LPOS", k, self.member()] + r.choice([[], ["RANK", "-1"], ["COUNT", "0"],
                                                         ["MAXLEN", "3"]])
        if c == 12:
            return ["LMOVE", k, self.key(), r.choice(["LEFT", "RIGHT"]),
                    r.choice(["LEFT", "RIGHT"])]
        if c == 13:
            return ["RPOPLPUSH", k, self.key()]
        if c == 14:
            return ["LMPOP", "2", k, self.key(), r.choice(["LEFT", "RIGHT"]), "COUNT",
                    str(r.randint(1, 3))]
        if c == 15:
            return ["LRANGE", k, "0", "-1"]
        if c == 16:
            return ["OBJECT", "ENCODING", k]
        return ["SORT", k, "ALPHA"] + (["DESC"] if r.random() < 0.5 else [])

    def hash_cmd(self):
        k, r = self.key(), self.r
        c = r.randint(0, 13)
        if c == 0:
            args = ["HSET", k]
            for m in self.members():
                args += [m, self.member()]
            return args
        if c == 1:
            return ["HSETNX", k, self.member(), self.member()]
        if c == 2:
            return ["HGET", k, self.member()]
        if c == 3:
            return ["HDEL", k] + self.members(1, 3)
        if c == 4:
            return ["HLEN", k]
        if c == 5:
            return ["HEXISTS", k, self.member()]
        if c == 6:
            return ["HINCRBY", k, self.member(), self.num()]
        if c == 7:
            return ["HINCRBYFLOAT", k, self.member(), r.choice(["1.5", "-2", "0.1"])]
        if c == 8:
            return ["HMGET", k] + self.members(1, 3)
        if c == 9:
            return ["HGETALL", k]
        if c == 10:
            return [r.choice(["HKEYS", "HVALS"]), k]
        if c == 11:
            return ["HSTRLEN", k, self.member()]
        if c == 12:
            return ["OBJECT", "ENCODING", k]
        return ["HSET", k, self.member(), self.member()]

    def set_cmd(self):
        k, r = self.key(), self.r
        c = r.randint(0, 12)
        if c == 0:
            return ["SADD", k] + self.members()
        if c == 1:
            return ["SREM", k] + self.members(1, 3)
        if c == 2:
            return ["SCARD", k]
        if c == 3:
            return ["SISMEMBER", k, self.member()]
        if c == 4:
            return ["SMISMEMBER", k] + self.members(1, 3)
        if c == 5:
            return ["SMEMBERS", k]
        if c == 6:
            return [r.choice(["SINTER", "SUNION", "SDIFF"]), k, self.key()]
        if c == 7:
            return [r.choice(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), self.key(), k,
                    self.key()]
        if c == 8:
            return ["SMOVE", k, self.key(), self.member()]
        if c == 9:
            return ["SINTERCARD", "2", k, self.key()]
        if c == 10:
            return ["OBJECT", "ENCODING", k]
        if c == 11:
            return ["SADD", k] + [str(r.randint(0, 300)) for _ in range(r.randint(1, 5))]
        return ["SORT", k]

    def zset_cmd(self):
        k, r = self.key(), self.r
        c = r.randint(0, 21)
        if c == 0:
            args = ["ZADD", k]
            args += r.choice([[], [], ["NX"], ["XX"], ["GT"], ["LT"], ["CH"], ["GT", "CH"]])
            for m in self.members():
                args += [self.score(), m]
            return args
        if c == 1:
            return ["ZADD", k, "INCR", self.score(), self.member()]
        if c == 2:
            return ["ZREM", k] + self.members(1, 3)
        if c == 3:
            return ["ZSCORE", k, self.member()]
        if c == 4:
            return ["ZINCRBY", k, self.score(), self.member()]
        if c == 5:
            return ["ZCARD", k]
        if c == 6:
            return ["ZCOUNT", k] + self.score_range()
        if c == 7:
            args = ["ZRANGE", k, self.idx(), self.idx()]
            if r.random() < 0.3:
                args.append("REV")
            if r.random() < 0.5:
                args.append("WITHSCORES")
            return args
        if c == 8:
            args = ["ZRANGE", k] + self.score_range() + ["BYSCORE"]
            if r.random() < 0.3:
                args.append("REV")
            if r.random() < 0.4:
                args += ["LIMIT", str(r.randint(0, 3)), str(r.randint(-1, 4))]
            if r.random() < 0.5:
                args.append("WITHSCORES")
            return args
        if c == 9:
            return self.lex_cmd()
        if c == 10:
            return [r.choice(["ZRANK", "ZREVRANK"]), k, self.member()]
        if c == 11:
            return [r.choice(["ZPOPMIN", "ZPOPMAX"]), k] + ([str(r.randint(1, 3))]
                                                          if r.random() < 0.5 else [])
        if c == 12:
            args = [r.choice(["ZUNIONSTORE", "ZINTERSTORE"]), self.key(), "2", k, self.key()]
            if r.random() < 0.4:
                args += ["WEIGHTS", str(r.randint(-2, 3)), str(r.randint(0, 3))]
            if r.random() < 0.4:
                args += ["AGGREGATE", r.choice(["SUM", "MIN", "MAX"])]
            return args
        if c == 13:
            return ["ZDIFFSTORE", self.key(), "2", k, self.key()]
        if c == 14:
            return ["ZRANGESTORE", self.key(), k, self.idx(), self.idx()]
        if c == 15:
            return ["ZMSCORE", k] + self.members(1, 3)
        if c == 16:
            return self.lex_cmd()
        if c == 17:
            return ["ZREMRANGEBYRANK", k, self.idx(), self.idx()]
        if c == 18:
            return ["ZREMRANGEBYSCORE", k] + self.score_range()
        if c == 19:
            return ["OBJECT", "ENCODING", k]
        if c == 20:
            return ["ZRANGE", k, "0", "-1", "WITHSCORES"]
        return [r.choice(["ZUNION", "ZINTER", "ZDIFF"]), "2", k, self.key(), "WITHSCORES"]

    def lex_cmd(self):
        k, r = self.r.choice(LEX_KEYS), self.r
        c = r.randint(0, 6)
        if c <= 1:
            args = ["ZADD", k]
            for m in self.members():
                args += ["0", m]
            return args
        if c == 2:
            return ["ZLEXCOUNT", k] + self.lex_range()
        if c == 3:
            return [r.choice(["ZRANGEBYLEX", "ZREVRANGEBYLEX"]), k] + self.lex_range() + \
                (["LIMIT", str(r.randint(0, 3)), str(r.randint(-1, 4))] if r.random() < 0.4
                 else [])
        if c == 4:
            return ["ZREMRANGEBYLEX", k] + self.lex_range()
        if c == 5:
            return ["ZRANGE", k] + self.lex_range() + ["BYLEX"] + (["REV"] if r.random() < 0.3
                                                                 else [])
        return ["ZRANGESTORE", self.r.choice(LEX_KEYS), k] + self.lex_range() + ["BYLEX"]

    def command(self):
        fam = self.r.choices([self.string_cmd, self.key_cmd, self.list_cmd, self.hash_cmd,
                              self.set_cmd, self.zset_cmd], weights=[3, 2, 3, 3, 3, 4])[0]
        return fam()


def canonical(cmd, node):
    name = cmd[0].upper()
    if node.children is not None and name in UNORDERED:
        return node.kind + b"".join(sorted(c.raw for c in node.children))
    if node.children is not None and name in UNORDERED_PAIRS:
        ch = node.children
        pairs = sorted(ch[i].raw + ch[i + 1].raw for i in range(0, len(ch), 2))
        return node.kind + b"".join(pairs)
    return node.raw


def run_seed(seed, ops, ref, sut):
    gen = Gen(random.Random(seed))
    a = difftest.Conn(ref.port)
    b = difftest.Conn(sut.port)
    history = []
    try:
        for conn in (a, b):
            conn.send(difftest.encode_command([b"FLUSHALL"]))
            conn.read_reply()
        for step in range(ops):
            cmd = gen.command()
            history.append(cmd)
            wire = difftest.encode_command([x.encode() for x in cmd])
            a.send(wire)
            b.send(wire)
            ra = a.read_reply()
            rb = b.read_reply()
            if canonical(cmd, ra) != canonical(cmd, rb):
                print("random_model: seed %d step %d: %s" % (seed, step, " ".join(cmd)))
                print("  redis: %r" % ra.raw[:400])
                print("  ours : %r" % rb.raw[:400])
                print("  the commands before it:")
                for h in history[-25:-1]:
                    print("    " + " ".join(h))
                return False
        return True
    finally:
        a.close()
        b.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--redis", default="/usr/bin/redis-server")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--seeds", default="1,2,3,4,5")
    ap.add_argument("--ops", type=int, default=3000)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="kora-random-")
    ref = difftest.Server("redis", args.redis, 1, [], tmp)
    sut = difftest.Server("kora", args.server, args.workers, [], tmp)
    passed = failed = 0
    try:
        ref.start()
        sut.start()
        for seed in [int(s) for s in args.seeds.split(",") if s]:
            if run_seed(seed, args.ops, ref, sut):
                passed += 1
            else:
                failed += 1
    finally:
        ref.stop()
        sut.stop()
    print("random_model: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
