#!/usr/bin/env python3
"""DUMP/RESTORE interoperability between Kora and Debian's redis-server 7.0.

Builds values of every supported type and encoding on each server, DUMPs them, RESTOREs the
payload on the other server and checks that the value, its encoding and its TTL came through.
Payloads whose bytes are deterministic in Redis (strings, integers, listpacks, intsets) must
also be byte-identical between the two servers. Garbage payloads must be refused, not crash.

Usage: dump_restore_test.py --server build/kora-server [--workers N] [--reference PATH]
Standard library only.
"""
import argparse
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.s.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def _reply(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            return Error(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise ValueError("bad reply %r" % line)

    def cmd(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.s.sendall(b"".join(out))
        return self._reply()


class Error(str):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(argv, port, workdir):
    log = open(os.path.join(workdir, "log"), "w")
    p = subprocess.Popen(argv, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            c = Conn(port)
            if c.cmd("PING") == "PONG":
                return p, c
        except OSError:
            time.sleep(0.05)
    p.kill()
    raise RuntimeError("%s did not start" % argv[0])


def snapshot(c, key):
    """A comparable view of a key: type, encoding, content."""
    t = c.cmd("TYPE", key)
    enc = c.cmd("OBJECT", "ENCODING", key)
    if t == "string":
        enc = None  # RESTORE re-encodes strings (an APPENDed "1234" comes back as an int)
        body = c.cmd("GET", key)
    elif t == "list":
        body = c.cmd("LRANGE", key, 0, -1)
    elif t == "set":
        body = sorted(c.cmd("SMEMBERS", key))
    elif t == "zset":
        body = c.cmd("ZRANGE", key, 0, -1, "WITHSCORES")
    elif t == "hash":
        flat = c.cmd("HGETALL", key)
        body = sorted(zip(flat[0::2], flat[1::2]))
    elif t == "stream":
        groups = c.cmd("XINFO", "GROUPS", key)
        pend = []
        for g in groups:
            gname = g[1]
            xp = c.cmd("XPENDING", key, gname, "-", "+", 1000)
            pend.append([(e[0], e[1], e[3]) for e in xp])  # id, consumer, deliveries
            cons = c.cmd("XINFO", "CONSUMERS", key, gname)
            pend.append([(x[1], x[3]) for x in cons])  # name, pending
        info = c.cmd("XINFO", "STREAM", key)
        info = dict(zip(info[0::2], info[1::2]))
        meta = [info.get(k) for k in (b"length", b"last-generated-id", b"max-deleted-entry-id",
                                      b"entries-added", b"first-entry", b"last-entry")]
        body = (c.cmd("XRANGE", key, "-", "+"), groups, pend, meta)
    else:
        body = None
    return (t, enc, body)


def build_values(rng):
    """(key, [commands]) pairs creating one value each, covering every encoding."""
    vals = []
    big = "x" * 5000
    vals.append(("s_small", [["SET", "s_small", "hello"]]))
    vals.append(("s_empty", [["SET", "s_empty", ""]]))
    for i, n in enumerate([0, 1, -1, 127, -128, 128, 32767, -32768, 32768, 2147483647,
                           -2147483648, 2147483648, 9223372036854775807, -9223372036854775808]):
        vals.append(("s_int%d" % i, [["SET", "s_int%d" % i, n]]))
    vals.append(("s_int_raw", [["SET", "s_int_raw", "12"], ["APPEND", "s_int_raw", "34"]]))
    vals.append(("s_lead0", [["SET", "s_lead0", "007"]]))
    vals.append(("s_compress", [["SET", "s_compress", "abcabcabc" * 40]]))
    vals.append(("s_big", [["SET", "s_big", big]]))
    vals.append(("s_rand", [["SET", "s_rand", bytes(rng.getrandbits(8) for _ in range(300))]]))
    vals.append(("s_bin", [["SET", "s_bin", b"\x00\xff\r\n" * 10]]))
    vals.append(("l_small", [["RPUSH", "l_small", "a", "1", "-5", "bbbbbbbbbbbbbbbbbbbbbbbbbbbb",
                               "70000", "-70000", "5000000000", "x" * 100]]))
    vals.append(("l_big", [["RPUSH", "l_big"] + ["item%d" % i for i in range(3000)]]))
    vals.append(("l_huge_elems", [["RPUSH", "l_huge_elems", big, big, "a", big]]))
    vals.append(("h_small", [["HSET", "h_small", "f1", "v1", "f2", "2", "n", "-300"]]))
    vals.append(("h_big", [["HSET", "h_big"] + sum([["f%d" % i, "v%d" % i]
                                                   for i in range(600)], [])]))
    vals.append(("h_longval", [["HSET", "h_longval", "f", "v" * 100]]))
    vals.append(("set_int", [["SADD", "set_int", 1, 2, 3, -7, 100000]]))
    vals.append(("set_int64", [["SADD", "set_int64", 1, 9000000000]]))
    vals.append(("set_str", [["SADD", "set_str", "a", "b", "c", "1"]]))
    vals.append(("set_bigint", [["SADD", "set_bigint"] + list(range(700))]))
    vals.append(("z_small", [["ZADD", "z_small", 1, "a", 2.5, "b", -3, "c", "inf", "d",
                              "-inf", "e", 1e300, "f", 0, "g"]]))
    vals.append(("z_big", [["ZADD", "z_big"] + sum([[rng.random() * 1000, "m%d" % i]
                                                   for i in range(300)], [])]))
    vals.append(("z_longmember", [["ZADD", "z_longmember", 1, "m" * 100, 2, "b"]]))
    vals.append(("x_plain", [["XADD", "x_plain", "1-1", "a", "1", "b", "2"],
                             ["XADD", "x_plain", "1-2", "a", "3", "b", "4"],
                             ["XADD", "x_plain", "2-0", "c", "5"],
                             ["XADD", "x_plain", "3-0", "a", "x" * 300, "b", "2"]]))
    many = [["XADD", "x_many", "%d-%d" % (1000 + i // 3, i % 3), "field", "value%d" % i,
             "n", i] for i in range(450)]
    vals.append(("x_many", many))
    vals.append(("x_deleted", [["XADD", "x_deleted", "1-0", "f", "v"],
                                          ["XADD", "x_deleted", "5-0", "f", "v"],
                                          ["XADD", "x_deleted", "6-0", "f", "v", "g", "w"],
                                          ["XADD", "x_deleted", "7-0", "f", "v"],
                                          ["XDEL", "x_deleted", "6-0", "7-0"]]))
    vals.append(("x_empty", [["XADD", "x_empty", "5-0", "f", "v"], ["XDEL", "x_empty", "5-0"]]))
    vals.append(("x_groups", [["XADD", "x_groups", "1-0", "f", "v1"],
                              ["XADD", "x_groups", "2-0", "f", "v2"],
                              ["XADD", "x_groups", "3-0", "f", "v3"],
                              ["XGROUP", "CREATE", "x_groups", "g1", "0"],
                              ["XGROUP", "CREATE", "x_groups", "g2", "$"],
                              ["XGROUP", "CREATE", "x_groups", "g3", "0", "ENTRIESREAD", "7"],
                              ["XREADGROUP", "GROUP", "g1", "alice", "COUNT", "2", "STREAMS",
                               "x_groups", ">"],
                              ["XREADGROUP", "GROUP", "g1", "bob", "STREAMS", "x_groups", ">"],
                              ["XCLAIM", "x_groups", "g1", "bob", "0", "1-0"],
                              ["XGROUP", "CREATECONSUMER", "x_groups", "g2", "carol"],
                              ["XACK", "x_groups", "g1", "2-0"],
                              ["XTRIM", "x_groups", "MAXLEN", "2"]]))
    return vals


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--reference", default="/usr/bin/redis-server")
    a = ap.parse_args()
    a.server = os.path.abspath(a.server)
    tmp = tempfile.mkdtemp(prefix="dumptest")
    rport, kport = free_port(), free_port()
    os.mkdir(os.path.join(tmp, "r"))
    os.mkdir(os.path.join(tmp, "k"))
    procs = []
    failures = []

    def check(cond, what):
        if not cond:
            failures.append(what)
            print("FAIL:", what)

    try:
        rp, r = start([a.reference, "--port", str(rport), "--bind", "127.0.0.1", "--save", "",
                       "--appendonly", "no", "--daemonize", "no"], rport, os.path.join(tmp, "r"))
        procs.append(rp)
        kp, k = start([a.server, "--port", str(kport), "--bind", "127.0.0.1",
                       "--workers", str(a.workers)], kport, os.path.join(tmp, "k"))
        procs.append(kp)
        # Same encoding thresholds on both sides.
        for c in (r, k):
            c.cmd("CONFIG", "SET", "hash-max-listpack-entries", "128")
            c.cmd("CONFIG", "SET", "zset-max-listpack-entries", "128")
            c.cmd("CONFIG", "SET", "set-max-intset-entries", "512")
        rng = random.Random(3)
        values = build_values(rng)
        deterministic = {"string", "intset"} | {"listpack"}
        for key, cmds in values:
            for src, dst, name in ((r, k, "redis->kora"), (k, r, "kora->redis")):
                src.cmd("DEL", key)
                dst.cmd("DEL", key)
                for c in cmds:
                    res = src.cmd(*c)
                    check(not isinstance(res, Error), "%s %s setup %s" % (name, key, res))
                src.cmd("PEXPIRE", key, 500000)
                payload = src.cmd("DUMP", key)
                check(isinstance(payload, bytes), "%s DUMP %s: %r" % (name, key, payload))
                res = dst.cmd("RESTORE", key, 0, payload)
                check(res == "OK", "%s RESTORE %s: %r" % (name, key, res))
                check(snapshot(src, key) == snapshot(dst, key),
                      "%s %s differs: %r vs %r" % (name, key, snapshot(src, key)[:2],
                                                   snapshot(dst, key)[:2]))
                res = dst.cmd("RESTORE", key, 0, payload)
                check(res == "BUSYKEY Target key name already exists.",
                      "%s BUSYKEY %s: %r" % (name, key, res))
                res = dst.cmd("RESTORE", key, 100000, payload, "REPLACE")
                ttl = dst.cmd("PTTL", key)
                check(res == "OK" and 90000 < ttl <= 100000, "%s TTL %s: %r %r" %
                      (name, key, res, ttl))
            # Same payload bytes where Redis's own bytes are deterministic.
            enc = r.cmd("OBJECT", "ENCODING", key)
            if (enc in ("int", "embstr", "raw", "listpack", "intset") and key != "s_rand" or
                    key in ("x_plain", "x_many")):
                k.cmd("DEL", key)
                r.cmd("DEL", key)
                for c in cmds:
                    r.cmd(*c)
                    k.cmd(*c)
                pr, pk = r.cmd("DUMP", key), k.cmd("DUMP", key)
                check(pr == pk, "DUMP bytes of %s (%s) differ:\n  redis %r\n  kora  %r" %
                      (key, enc, pr[:80], pk[:80]))
        # Payloads of older Redis versions (ziplist encodings, RDB 9) load as in Redis 7.0.
        for key, p in old_payloads().items():
            res_r = r.cmd("RESTORE", key, 0, p, "REPLACE")
            res_k = k.cmd("RESTORE", key, 0, p, "REPLACE")
            check(res_r == "OK" and res_k == "OK", "old payload %s: redis %r kora %r" %
                  (key, res_r, res_k))
            check(snapshot(r, key) == snapshot(k, key), "old payload %s differs: %r vs %r" %
                  (key, snapshot(r, key), snapshot(k, key)))
        for key in ("x_plain", "x_many", "x_groups", "x_empty"):
            r.cmd("DEL", key)
            for c in dict(values)[key]:
                r.cmd(*c)
            p = stream_v1(r.cmd("DUMP", key))
            res_r = r.cmd("RESTORE", key + "_v1", 0, p, "REPLACE")
            res_k = k.cmd("RESTORE", key + "_v1", 0, p, "REPLACE")
            check(res_r == "OK" and res_k == "OK", "stream v1 %s: redis %r kora %r" %
                  (key, res_r, res_k))
            check(snapshot(r, key + "_v1") == snapshot(k, key + "_v1"),
                  "stream v1 %s differs: %r vs %r" % (key, snapshot(r, key + "_v1"),
                                                       snapshot(k, key + "_v1")))
        # Garbage never crashes the server and gets Redis's errors.
        payload = r.cmd("DUMP", "z_small") or b""
        r.cmd("SET", "probe", "v")
        good = r.cmd("DUMP", "probe")
        for i in range(2000):
            p = bytearray(rng.choice([payload, good]))
            for _ in range(rng.randint(1, 4)):
                op = rng.random()
                if op < 0.5 and p:
                    p[rng.randrange(len(p))] = rng.getrandbits(8)
                elif op < 0.75 and p:
                    del p[rng.randrange(len(p)):]
                else:
                    p.insert(rng.randrange(len(p) + 1), rng.getrandbits(8))
            res = k.cmd("RESTORE", "garbage%d" % i, 0, bytes(p), "REPLACE")
            check(res == "OK" or res in ("ERR DUMP payload version or checksum are wrong",
                                         "ERR Bad data format"), "garbage reply %r" % res)
        check(k.cmd("PING") == "PONG", "kora alive after garbage")
        # Valid checksums around invalid bodies: Bad data format, never a crash.
        sys.path.insert(0, os.path.dirname(__file__))
        for body in (b"\x00", b"\x02\x05", b"\x04\x01\x01a", b"\x0b\x03abc", b"\x11\x05hello",
                     b"\x12\x01\x02\x07\x07\x00\x00\x00\x00\x00\xff", b"\x00\xc3\x05\x7fabc",
                     b"\x05\x81\xff\xff\xff\xff\xff\xff\xff\xff", b"\x13\x00", b"\xff"):
            p = body + b"\x0a\x00"
            p += crc64(p).to_bytes(8, "little")
            res = k.cmd("RESTORE", "bad", 0, p, "REPLACE")
            ref = r.cmd("RESTORE", "bad", 0, p, "REPLACE")
            check(res == "ERR Bad data format", "bad body %r: %r (redis %r)" % (body, res, ref))
        check(k.cmd("PING") == "PONG", "kora alive after bad bodies")
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    print("dump_restore_test: %d failures" % len(failures))
    return 1 if failures else 0


def ziplist(items):
    """A Redis < 7 ziplist of str/int items (the encodings Redis 6 chose)."""
    import struct
    entries = []
    prev = 0
    for it in items:
        if isinstance(it, int):
            if 0 <= it <= 12:
                enc = bytes([0xF1 + it])
            elif -128 <= it <= 127:
                enc = b"\xfe" + struct.pack("<b", it)
            elif -32768 <= it <= 32767:
                enc = b"\xc0" + struct.pack("<h", it)
            elif -(1 << 23) <= it < (1 << 23):
                enc = b"\xf0" + struct.pack("<i", it)[:3]
            elif -(1 << 31) <= it < (1 << 31):
                enc = b"\xd0" + struct.pack("<i", it)
            else:
                enc = b"\xe0" + struct.pack("<q", it)
        else:
            b = it.encode()
            if len(b) < 64:
                enc = bytes([len(b)]) + b
            elif len(b) < 16384:
                enc = bytes([0x40 | (len(b) >> 8), len(b) & 0xff]) + b
            else:
                enc = b"\x80" + struct.pack(">I", len(b)) + b
        pl = bytes([prev]) if prev < 254 else b"\xfe" + struct.pack("<I", prev)
        e = pl + enc
        entries.append(e)
        prev = len(e)
    body = b"".join(entries)
    tail = 10 + len(body) - (len(entries[-1]) if entries else 0)
    total = 10 + len(body) + 1
    return struct.pack("<IIH", total, tail, len(items)) + body + b"\xff"


def rdb_string(b):
    assert len(b) < 16384
    return (bytes([len(b)]) if len(b) < 64 else bytes([0x40 | (len(b) >> 8), len(b) & 0xff])) + b


def old_payloads():
    """Payloads as Redis 6.2 (RDB version 9) wrote them, with ziplist encodings."""
    out = {}
    items = ["a", 1, -300, 70000, 5000000000, "hello", "x" * 100, 12, 0, -1]
    out["zl_list"] = b"\x0a" + rdb_string(ziplist(items))
    out["zl_quicklist"] = b"\x0e\x02" + rdb_string(ziplist(items)) + rdb_string(ziplist(["z"]))
    out["zl_hash"] = b"\x0d" + rdb_string(ziplist(["f1", "v1", "n", 7, "big", "y" * 80]))
    out["zl_zset"] = b"\x0c" + rdb_string(ziplist(["a", 1, "b", "2.5", "c", 300, "d", "inf"]))
    res = {}
    for k, body in out.items():
        p = body + b"\x09\x00"
        res[k] = p + crc64(p).to_bytes(8, "little")
    return res


def stream_v1(payload):
    """Rewrites a Redis 7.0 stream DUMP (type 19) as Redis 6.2 wrote it (type 15, RDB 9): no
    first/max-deleted IDs, entries-added or group entries-read."""
    body, pos, out = payload[:-10], 1, bytearray(b"\x0f")

    def length():
        nonlocal pos
        b = body[pos]
        kind = b >> 6
        if kind == 0:
            n, size = b & 0x3f, 1
        elif kind == 1:
            n, size = ((b & 0x3f) << 8) | body[pos + 1], 2
        elif b == 0x80:
            n, size = int.from_bytes(body[pos + 1:pos + 5], "big"), 5
        elif b == 0x81:
            n, size = int.from_bytes(body[pos + 1:pos + 9], "big"), 9
        else:
            n, size = b, 1  # encoded string marker; caller handles
        raw = body[pos:pos + size]
        pos += size
        return n, raw, kind == 3

    def copy_len(keep=True):
        n, raw, _ = length()
        if keep:
            out.extend(raw)
        return n

    def copy_string():
        nonlocal pos
        n, raw, enc = length()
        out.extend(raw)
        if enc:
            if n in (0, 1, 2):
                out.extend(body[pos:pos + (1 << n)])
                pos += 1 << n
            else:
                clen = copy_len()
                copy_len()
                out.extend(body[pos:pos + clen])
                pos += clen
        else:
            out.extend(body[pos:pos + n])
            pos += n

    for _ in range(copy_len()):
        copy_string()
        copy_string()
    copy_len()  # length
    copy_len()  # last id
    copy_len()
    for _ in range(5):  # first id, max deleted id, entries added
        copy_len(keep=False)
    for _ in range(copy_len()):
        copy_string()
        copy_len()
        copy_len()
        copy_len(keep=False)  # entries read
        for _ in range(copy_len()):
            out.extend(body[pos:pos + 24])
            pos += 24
            copy_len()
        for _ in range(copy_len()):
            copy_string()
            out.extend(body[pos:pos + 8])
            pos += 8
            for _ in range(copy_len()):
                out.extend(body[pos:pos + 16])
                pos += 16
    assert pos == len(body), (pos, len(body))
    out.extend(b"\x09\x00")
    return bytes(out) + crc64(bytes(out)).to_bytes(8, "little")


def crc64(data):
    poly = 0x95AC9329AC4BC9B5
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
    return crc


if __name__ == "__main__":
    sys.exit(main())
