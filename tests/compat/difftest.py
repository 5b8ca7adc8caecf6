#!/usr/bin/python3
"""Differential test: run the same scripted cases against Debian's redis-server
(the reference) and a server under test, and compare the raw reply bytes.

Usage:
  /usr/bin/python3 tests/compat/difftest.py --server PATH [--workers N]
      [--filter SUBSTR] [--verbose] [cases files or dirs ...]

Stdlib only. The case file format is documented in tests/compat/README.md.
The last line printed is always `difftest: N passed, N failed`.
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CASES = os.path.join(HERE, "cases")
REPLY_TIMEOUT = 30.0         # seconds to wait for one reply (PFSELFTEST takes ~5 s under TSan)
DRAIN_TIMEOUT = 1.0          # idle seconds that end a !drain / !rawclose
START_TIMEOUT = 10.0         # seconds for a server to answer PING


class CaseSyntaxError(Exception):
    pass


# ---------------------------------------------------------------------------
# Argument splitting: a byte-exact port of Redis's sdssplitargs() (the rules
# redis-cli and inline commands use).
# ---------------------------------------------------------------------------

_SPACE = b" \t\n\v\f\r"
_HEX = b"0123456789abcdefABCDEF"


def split_args(line):
    """Split bytes `line` into a list of bytes args; raises CaseSyntaxError."""
    out = []
    p = 0
    n = len(line)

    def at(i):
        return line[i:i + 1]

    while True:
        while p < n and line[p] in _SPACE:
            p += 1
        if p >= n:
            return out
        inq = insq = False
        done = False
        cur = bytearray()
        while not done:
            c = at(p)
            if inq:
                if c == b"\\" and at(p + 1) == b"x" and at(p + 2) and at(p + 2) in _HEX \
                        and at(p + 3) and at(p + 3) in _HEX:
                    cur.append(int(line[p + 2:p + 4], 16))
                    p += 3
                elif c == b"\\" and at(p + 1):
                    p += 1
                    e = at(p)
                    cur += {b"n": b"\n", b"r": b"\r", b"t": b"\t",
                            b"b": b"\b", b"a": b"\a"}.get(e, e)
                elif c == b'"':
                    if at(p + 1) and at(p + 1) not in _SPACE:
                        raise CaseSyntaxError("closing quote must be followed by a space")
                    done = True
                elif not c:
                    raise CaseSyntaxError("unbalanced double quotes")
                else:
                    cur += c
            elif insq:
                if c == b"\\" and at(p + 1) == b"'":
                    p += 1
                    cur += b"'"
                elif c == b"'":
                    if at(p + 1) and at(p + 1) not in _SPACE:
                        raise CaseSyntaxError("closing quote must be followed by a space")
                    done = True
                elif not c:
                    raise CaseSyntaxError("unbalanced single quotes")
                else:
                    cur += c
            else:
                if not c or c in b" \n\r\t\0":
                    done = True
                elif c == b'"':
                    inq = True
                elif c == b"'":
                    insq = True
                else:
                    cur += c
            if p < n:
                p += 1
        out.append(bytes(cur))


def encode_command(args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(parts)


# ---------------------------------------------------------------------------
# RESP2 + RESP3 reply reader
# ---------------------------------------------------------------------------

class Closed(Exception):
    pass


class BadReply(Exception):
    pass


class Node:
    """One parsed reply. kind is the type byte (b'+', b'*', ...); raw the
    exact bytes; children the element nodes of an aggregate (maps flattened
    to k1 v1 k2 v2 ...); value the payload of a scalar (None for nulls)."""
    __slots__ = ("kind", "raw", "children", "value")

    def __init__(self, kind, raw, children=None, value=None):
        self.kind, self.raw, self.children, self.value = kind, raw, children, value


class Conn:
    def __init__(self, port, timeout=REPLY_TIMEOUT):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.buf = bytearray()
        self.eof = False
        self.closed_by_us = False
        self.timed_out = False

    def close(self):
        self.closed_by_us = True
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, timeout):
        if self.eof:
            raise Closed()
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(1 << 16)
        except ConnectionResetError:
            data = b""
        if not data:
            self.eof = True
            raise Closed()
        self.buf += data

    # Parsing works on self.buf with an offset; the buffer only grows during
    # the parse of one reply, so offsets stay valid.
    def _line(self, pos):
        while True:
            i = self.buf.find(b"\r\n", pos)
            if i >= 0:
                return bytes(self.buf[pos:i]), i + 2
            self._fill(self.timeout)

    def _need(self, end):
        while len(self.buf) < end:
            self._fill(self.timeout)

    def _parse(self, pos):
        self._need(pos + 1)
        kind = bytes(self.buf[pos:pos + 1])
        start = pos
        if kind in b"+-:_,#(" and kind:
            line, pos = self._line(pos + 1)
            return Node(kind, None, None, None if kind == b"_" else line), pos
        if kind in (b"$", b"=", b"!"):
            line, pos = self._line(pos + 1)
            try:
                ln = int(line)
            except ValueError:
                raise BadReply("bad bulk length %r" % line)
            if ln < 0:
                return Node(kind, None, None, None), pos
            self._need(pos + ln + 2)
            if self.buf[pos + ln:pos + ln + 2] != b"\r\n":
                raise BadReply("bulk not terminated by CRLF")
            return Node(kind, None, None, bytes(self.buf[pos:pos + ln])), pos + ln + 2
        if kind in (b"*", b"~", b">", b"%", b"|"):
            line, pos = self._line(pos + 1)
            try:
                cnt = int(line)
            except ValueError:
                raise BadReply("bad aggregate length %r" % line)
            if cnt < 0:
                return Node(kind, None, None, None), pos
            if kind in (b"%", b"|"):
                cnt *= 2
            children = []
            for _ in range(cnt):
                child, end = self._parse(pos)
                child.raw = bytes(self.buf[pos:end])
                children.append(child)
                pos = end
            if kind == b"|":
                # attribute: the real reply follows; keep attribute bytes in raw
                real, end = self._parse(pos)
                real.raw = bytes(self.buf[pos:end])
                return real, end
            return Node(kind, None, children, None), pos
        raise BadReply("unknown reply type byte %r" % kind)

    def read_reply(self):
        node, end = self._parse(0)
        node.raw = bytes(self.buf[:end])
        del self.buf[:end]
        return node

    def drain(self, idle):
        """Read until EOF or `idle` seconds without data. -> (bytes, closed)."""
        closed = self.eof
        while not closed:
            try:
                self._fill(idle)
            except Closed:
                closed = True
            except (socket.timeout, TimeoutError):
                break
            except OSError:
                closed = True
        data = bytes(self.buf)
        self.buf.clear()
        return data, closed


# ---------------------------------------------------------------------------
# Case files
# ---------------------------------------------------------------------------

MODIFIERS = {"~sorted": 0, "~deepsorted": 0, "~sortedpairs": 0, "~type": 0, "~any": 0,
             "~range": 2, "~error": 0, "~noread": 0, "~expect": 0}


class Step:
    """One executable step of a case.
    op: 'cmd' (send args, read a reply unless ~noread), 'pipeline' (items),
        'raw' (send bytes, read n replies), 'send' (send bytes only),
        'drain', 'sleep', 'conn', 'read' (read n pending replies)."""

    def __init__(self, op, lineno, text, **kw):
        self.op, self.lineno, self.text = op, lineno, text
        self.mods = kw.pop("mods", [])
        self.args = kw.pop("args", None)
        self.data = kw.pop("data", None)
        self.n = kw.pop("n", 1)
        self.seconds = kw.pop("seconds", 0.0)
        self.name = kw.pop("name", None)
        self.items = kw.pop("items", None)
        assert not kw, kw


class Case:
    def __init__(self, name, path, lineno):
        self.name, self.path, self.lineno = name, path, lineno
        self.steps = []

    @property
    def where(self):
        return "%s:%d" % (os.path.relpath(self.path), self.lineno)


def _parse_mods(line, path, lineno):
    mods = []
    while line.startswith(b"~"):
        parts = line.split(None, 1)
        word = parts[0].decode("latin-1")
        if word not in MODIFIERS:
            raise CaseSyntaxError("%s:%d: unknown modifier %s" % (path, lineno, word))
        rest = parts[1] if len(parts) > 1 else b""
        params = []
        for _ in range(MODIFIERS[word]):
            pp = rest.split(None, 1)
            if not pp:
                raise CaseSyntaxError("%s:%d: %s needs %d numbers" % (path, lineno, word,
                                                                       MODIFIERS[word]))
            try:
                params.append(int(pp[0]))
            except ValueError:
                raise CaseSyntaxError("%s:%d: %s: %r is not an integer" % (path, lineno,
                                                                             word, pp[0]))
            rest = pp[1] if len(pp) > 1 else b""
        mods.append((word, params))
        line = rest.lstrip()
    return mods, line


def _take_expect(mods, args, path, lineno):
    """`~expect "BYTES"`: the literal expected reply is the first argument."""
    out = []
    for name, params in mods:
        if name == "~expect":
            if not args:
                raise CaseSyntaxError("%s:%d: ~expect \"REPLY\" COMMAND..." % (path, lineno))
            params = [args.pop(0)]
        out.append((name, params))
    return out


def _one_arg(rest, path, lineno, what):
    try:
        a = split_args(rest)
    except CaseSyntaxError as e:
        raise CaseSyntaxError("%s:%d: %s" % (path, lineno, e))
    if len(a) != 1:
        raise CaseSyntaxError("%s:%d: %s takes exactly one quoted argument" % (path, lineno,
                                                                                what))
    return a[0]


def parse_file(path):
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    cases = []
    case = None
    pipe = None
    for idx, raw in enumerate(lines):
        lineno = idx + 1
        line = raw.rstrip(b"\r").strip()
        text = line.decode("utf-8", "replace")
        if not line or line.startswith(b"#"):
            continue
        if line.startswith(b"==="):
            if pipe is not None:
                raise CaseSyntaxError("%s:%d: !pipeline not closed with !end" % (path, lineno))
            name = line[3:].strip().decode("utf-8", "replace")
            if not name:
                raise CaseSyntaxError("%s:%d: case without a name" % (path, lineno))
            case = Case(name, path, lineno)
            cases.append(case)
            continue
        if case is None:
            raise CaseSyntaxError("%s:%d: command outside a case (start one with '=== name')"
                                  % (path, lineno))
        if line.startswith(b"!"):
            parts = line.split(None, 1)
            d = parts[0].decode("latin-1").lower()
            rest = parts[1] if len(parts) > 1 else b""
            if pipe is not None and d not in ("!end", "!inline"):
                raise CaseSyntaxError("%s:%d: %s not allowed inside !pipeline" % (path, lineno, d))
            if d == "!sleep":
                try:
                    secs = float(rest)
                except ValueError:
                    raise CaseSyntaxError("%s:%d: !sleep SECONDS" % (path, lineno))
                case.steps.append(Step("sleep", lineno, text, seconds=secs))
            elif d == "!pipeline":
                pipe = Step("pipeline", lineno, text, items=[])
            elif d == "!end":
                if pipe is None:
                    raise CaseSyntaxError("%s:%d: !end without !pipeline" % (path, lineno))
                if not pipe.items:
                    raise CaseSyntaxError("%s:%d: empty !pipeline" % (path, lineno))
                case.steps.append(pipe)
                pipe = None
            elif d == "!inline":
                mods, rest = _parse_mods(rest, path, lineno)
                a = split_args(rest)
                mods = _take_expect(mods, a, path, lineno)
                if len(a) != 1:
                    raise CaseSyntaxError("%s:%d: !inline takes one quoted argument" % (path,
                                                                                      lineno))
                data = a[0] + b"\r\n"
                st = Step("raw", lineno, text, data=data, mods=mods)
                (pipe.items if pipe is not None else case.steps).append(st)
            elif d in ("!raw", "!rawn", "!rawrep"):
                mods, rest = _parse_mods(rest, path, lineno)
                n = 1
                if d in ("!rawn", "!rawrep"):
                    pp = rest.split(None, 1)
                    try:
                        n = int(pp[0])
                    except (ValueError, IndexError):
                        raise CaseSyntaxError("%s:%d: !rawn N \"bytes\"" % (path, lineno))
                    rest = pp[1] if len(pp) > 1 else b""
                try:
                    a = split_args(rest)
                except CaseSyntaxError as e:
                    raise CaseSyntaxError("%s:%d: %s" % (path, lineno, e))
                if d == "!rawrep" and len(a) == 2:
                    try:
                        reads = int(a.pop())
                    except ValueError:
                        raise CaseSyntaxError("%s:%d: !rawrep N \"bytes\" [REPLIES]"
                                              % (path, lineno))
                else:
                    reads = n
                if len(a) != 1:
                    raise CaseSyntaxError("%s:%d: %s takes one quoted argument" % (path, lineno,
                                                                                  d))
                data = a[0] * n if d == "!rawrep" else a[0]
                case.steps.append(Step("raw", lineno, text, data=data, n=reads, mods=mods))
            elif d == "!send":
                data = _one_arg(rest, path, lineno, d)
                case.steps.append(Step("send", lineno, text, data=data))
            elif d == "!rawclose":
                data = _one_arg(rest, path, lineno, d)
                case.steps.append(Step("send", lineno, text, data=data))
                case.steps.append(Step("drain", lineno, text, seconds=DRAIN_TIMEOUT))
            elif d == "!drain":
                secs = DRAIN_TIMEOUT
                if rest.strip():
                    try:
                        secs = float(rest)
                    except ValueError:
                        raise CaseSyntaxError("%s:%d: !drain [SECONDS]" % (path, lineno))
                case.steps.append(Step("drain", lineno, text, seconds=secs))
            elif d == "!read":
                mods, rest = _parse_mods(rest, path, lineno)
                n = int(rest) if rest.strip() else 1
                case.steps.append(Step("read", lineno, text, n=n, mods=mods))
            elif d == "!conn":
                name = rest.strip().decode("latin-1")
                if not name:
                    raise CaseSyntaxError("%s:%d: !conn NAME" % (path, lineno))
                case.steps.append(Step("conn", lineno, text, name=name))
            elif d == "!resp3":
                st = Step("cmd", lineno, text, args=[b"HELLO", b"3"], mods=[("~any", [])])
                case.steps.append(st)
            else:
                raise CaseSyntaxError("%s:%d: unknown directive %s" % (path, lineno, d))
            continue
        mods, line = _parse_mods(line, path, lineno)
        try:
            args = split_args(line)
        except CaseSyntaxError as e:
            raise CaseSyntaxError("%s:%d: %s" % (path, lineno, e))
        mods = _take_expect(mods, args, path, lineno)
        if not args:
            raise CaseSyntaxError("%s:%d: empty command" % (path, lineno))
        st = Step("cmd", lineno, text, args=args, mods=mods)
        if pipe is not None:
            if any(m[0] == "~noread" for m in mods):
                raise CaseSyntaxError("%s:%d: ~noread inside !pipeline" % (path, lineno))
            pipe.items.append(st)
        else:
            case.steps.append(st)
    if pipe is not None:
        raise CaseSyntaxError("%s: !pipeline not closed with !end" % path)
    for c in cases:
        if not c.steps:
            raise CaseSyntaxError("%s: empty case" % c.where)
    return cases


def collect_files(paths):
    files = []
    for p in paths:
        if os.path.isdir(p):
            for root, _, names in os.walk(p):
                for nm in sorted(names):
                    if nm.endswith(".txt"):
                        files.append(os.path.join(root, nm))
        elif os.path.isfile(p):
            files.append(p)
        else:
            raise SystemExit("difftest: no such case file or directory: %s" % p)
    return sorted(files)


# ---------------------------------------------------------------------------
# Servers
# ---------------------------------------------------------------------------

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    def __init__(self, label, path, workers, extra, tmp):
        self.label, self.path, self.workers, self.extra = label, path, workers, extra
        self.dir = os.path.join(tmp, label)
        os.makedirs(self.dir, exist_ok=True)
        self.proc = None
        self.port = None
        self.log = None
        self.admin = None
        self.restarts = 0

    def is_redis(self):
        return "redis" in os.path.basename(self.path)

    def argv(self):
        if self.is_redis():
            return [self.path, "--port", str(self.port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--dir", self.dir,
                    "--daemonize", "no"] + self.extra
        return [self.path, "--port", str(self.port), "--bind", "127.0.0.1",
                "--workers", str(self.workers)] + self.extra

    def start(self):
        self.port = free_port()
        logpath = os.path.join(self.dir, "server.log")
        self.log = open(logpath, "ab")
        argv = self.argv()
        try:
            self.proc = subprocess.Popen(argv, cwd=self.dir, stdin=subprocess.DEVNULL,
                                         stdout=self.log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        except OSError as e:
            raise SystemExit("difftest: cannot start %s (%s): %s" % (self.label,
                                                                      " ".join(argv), e))
        deadline = time.time() + START_TIMEOUT
        last = "no answer"
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit("difftest: %s exited with code %s during start-up: %s\n%s"
                                 % (self.label, self.proc.returncode, " ".join(argv),
                                    self.log_tail()))
            try:
                c = Conn(self.port, timeout=1.0)
                c.send(b"*1\r\n$4\r\nPING\r\n")
                r = c.read_reply()
                c.close()
                if r.raw == b"+PONG\r\n":
                    self.admin = Conn(self.port)
                    return
                last = "PING answered %r" % r.raw
            except (OSError, Closed, BadReply, socket.timeout) as e:
                last = str(e) or e.__class__.__name__
            time.sleep(0.05)
        self.stop()
        raise SystemExit("difftest: %s did not answer PING on port %d within %.0f s (%s): %s\n%s"
                         % (self.label, self.port, START_TIMEOUT, last, " ".join(argv),
                            self.log_tail()))

    def log_tail(self, n=20):
        try:
            with open(os.path.join(self.dir, "server.log"), "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            return "\n".join("  | " + l for l in lines[-n:])
        except OSError:
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.admin:
            self.admin.close()
            self.admin = None
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        if self.log:
            self.log.close()
            self.log = None

    def flushall(self):
        """FLUSHALL on the admin connection; reconnects once if needed."""
        for attempt in (0, 1):
            try:
                if self.admin is None:
                    self.admin = Conn(self.port)
                self.admin.send(b"*1\r\n$8\r\nFLUSHALL\r\n")
                r = self.admin.read_reply()
                return r.raw
            except (OSError, Closed, BadReply, socket.timeout):
                if self.admin:
                    self.admin.close()
                self.admin = None
        return None


# ---------------------------------------------------------------------------
# Running a case on one server. Each step yields result records:
#   (step_label, mods, outcome); outcome is one of
#   ("reply", node) | ("timeout", partial) | ("closed", partial) |
#   ("badreply", msg) | ("stream", bytes, closed)
# ---------------------------------------------------------------------------

class Runner:
    def __init__(self, server):
        self.server = server

    def _open(self):
        c = Conn(self.server.port)
        c.send(encode_command([b"SELECT", b"0"]))
        c.read_reply()
        return c

    def _read(self, conn):
        if conn.timed_out:
            # after one missing reply the stream is out of step: do not wait again
            return ("skipped", b"")
        try:
            return ("reply", conn.read_reply())
        except (socket.timeout, TimeoutError):
            conn.timed_out = True
            return ("timeout", bytes(conn.buf))
        except Closed:
            return ("closed", bytes(conn.buf))
        except OSError:
            return ("closed", bytes(conn.buf))
        except BadReply as e:
            return ("badreply", "%s (buffer %r)" % (e, bytes(conn.buf[:200])))

    def run(self, case):
        results = []
        conns = {}
        pending = {}     # conn name -> list of (label, mods) sent with ~noread
        cur = "main"
        err = None
        try:
            conns[cur] = self._open()
            pending[cur] = []
            for st in case.steps:
                conn = conns[cur]
                if st.op == "sleep":
                    time.sleep(st.seconds)
                elif st.op == "conn":
                    cur = st.name
                    if cur not in conns:
                        conns[cur] = self._open()
                        pending[cur] = []
                elif st.op == "cmd":
                    if not self._send(conn, encode_command(st.args)):
                        results.append((st, ("closed", b"(send failed)")))
                        continue
                    if any(m[0] == "~noread" for m in st.mods):
                        pending[cur].append(st)
                    else:
                        results.append((st, self._read(conn)))
                elif st.op == "read":
                    for _ in range(st.n):
                        if pending[cur]:
                            src = pending[cur].pop(0)
                        else:
                            src = st
                        results.append((src, self._read(conn)))
                elif st.op == "raw":
                    if not self._send(conn, st.data):
                        results.extend((st, ("closed", b"(send failed)")) for _ in range(st.n))
                        continue
                    for _ in range(st.n):
                        results.append((st, self._read(conn)))
                elif st.op == "send":
                    self._send(conn, st.data)   # a failure shows up in the next read
                elif st.op == "drain":
                    data, closed = conn.drain(st.seconds)
                    results.append((st, ("stream", data, closed)))
                elif st.op == "pipeline":
                    data = b"".join(encode_command(it.args) if it.op == "cmd" else it.data
                                    for it in st.items)
                    if not self._send(conn, data):
                        results.extend((it, ("closed", b"(send failed)")) for it in st.items)
                        continue
                    for it in st.items:
                        results.append((it, self._read(conn)))
        except (OSError, Closed, BadReply, socket.timeout) as e:
            err = "connection setup failed: %s" % (str(e) or e.__class__.__name__)
        finally:
            for c in conns.values():
                c.close()
        return results, err

    @staticmethod
    def _send(conn, data):
        try:
            conn.send(data)
            return True
        except OSError:
            return False


# ---------------------------------------------------------------------------
# Comparison
# ---------------------------------------------------------------------------

def _short(b, limit):
    r = repr(b)
    if limit and len(r) > limit:
        r = r[:limit] + "...(%d bytes)" % len(b)
    return r


def describe(outcome, limit=600):
    k = outcome[0]
    if k == "reply":
        return _short(outcome[1].raw, limit)
    if k == "timeout":
        return "<no reply within %.0f s; partial %s>" % (REPLY_TIMEOUT, _short(outcome[1], limit))
    if k == "closed":
        return "<connection closed; partial %s>" % _short(outcome[1], limit)
    if k == "skipped":
        return "<not read: an earlier reply on this connection timed out>"
    if k == "badreply":
        return "<malformed reply: %s>" % outcome[1]
    if k == "stream":
        return "%s + %s" % (_short(outcome[1], limit),
                            "<closed>" if outcome[2] else "<still open>")
    return repr(outcome)


def _is_agg(node):
    return node.kind in (b"*", b"~", b">", b"%") and node.children is not None


def _deepkey(node):
    if node.children is None:
        return node.raw
    head = node.raw.split(b"\r\n", 1)[0]
    return head + b"\x00" + b"\x00".join(sorted(_deepkey(c) for c in node.children))


def compare(mods, exp, got, selftest=False):
    """Return None when equal, else a short reason. In self-test mode (the
    tested server is a redis-server too) ~expect falls back to a plain
    comparison with the reference, since redis 7.0 lacks those behaviours."""
    if selftest:
        mods = [m for m in mods if m[0] != "~expect"]
    names = [m[0] for m in mods]
    if "~expect" in names:
        # the reference is ignored (the behaviour is newer than redis 7.0)
        exp = ("reply", Node(b"+", b""))
        if got[0] != "reply":
            return "different outcome"
    if exp[0] != "reply" or got[0] != "reply":
        if exp[0] == got[0] and exp[1:] == got[1:]:
            return None
        if "~any" in names and exp[0] == got[0]:
            return None
        return "different outcome"
    e, g = exp[1], got[1]
    if "~expect" in names:
        want = dict(mods)["~expect"][0]
        return None if g.raw == want else "reply differs from the ~expect literal %r" % want
    if "~any" in names:
        return None
    if "~range" in names:
        lo, hi = dict(mods)["~range"]
        for who, n in (("reference", e), ("tested", g)):
            if n.kind != b":":
                return "%s reply is not an integer" % who
            v = int(n.value)
            if not lo <= v <= hi:
                return "%s reply %d outside [%d, %d]" % (who, v, lo, hi)
        return None
    if "~type" in names:
        if e.kind != g.kind:
            return "reply types differ"
        if e.children is not None or g.children is not None:
            if (e.children is None) != (g.children is None) or \
                    len(e.children) != len(g.children):
                return "aggregate sizes differ"
        return None
    if "~error" in names:
        if e.kind not in (b"-", b"!") or g.kind not in (b"-", b"!"):
            return "expected error replies on both sides"
        return None
    if "~sorted" in names or "~sortedpairs" in names or "~deepsorted" in names:
        if e.kind != g.kind:
            return "reply types differ"
        if e.children is None or g.children is None:
            return None if e.raw == g.raw else "replies differ"
        if len(e.children) != len(g.children):
            return "aggregate sizes differ"
        if "~deepsorted" in names:
            return None if _deepkey(e) == _deepkey(g) else "elements differ (deep-sorted)"
        if "~sortedpairs" in names:
            def pairs(n):
                c = [x.raw for x in n.children]
                return sorted(zip(c[0::2], c[1::2]))
            return None if pairs(e) == pairs(g) else "field/value pairs differ (sorted)"
        return None if sorted(x.raw for x in e.children) == sorted(x.raw for x in g.children) \
            else "elements differ (sorted)"
    return None if e.raw == g.raw else "replies differ"


def step_label(st):
    return "line %d: %s" % (st.lineno, st.text)


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description="Differential test against redis-server.")
    ap.add_argument("--server", required=True, help="server under test (binary path)")
    ap.add_argument("--reference", default="/usr/bin/redis-server",
                    help="reference server (default /usr/bin/redis-server)")
    ap.add_argument("--workers", type=int, default=4, help="--workers for the tested server")
    ap.add_argument("--server-arg", action="append", default=[],
                    help="extra argument for the tested server (repeatable)")
    ap.add_argument("--filter", default=None,
                    help="run only cases whose name or file contains SUBSTR")
    ap.add_argument("--verbose", "-v", action="store_true",
                    help="print every case and the reference replies")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    ap.add_argument("paths", nargs="*", default=[DEFAULT_CASES])
    opt = ap.parse_args()

    try:
        cases = []
        for f in collect_files(opt.paths):
            cases.extend(parse_file(f))
    except CaseSyntaxError as e:
        print("difftest: case syntax error: %s" % e)
        print("difftest: 0 passed, 1 failed")
        return 1
    if opt.filter:
        cases = [c for c in cases if opt.filter in c.name or opt.filter in c.path]
    names = {}
    for c in cases:
        if c.name in names:
            print("difftest: warning: duplicate case name %r (%s and %s)"
                  % (c.name, names[c.name], c.where))
        names[c.name] = c.where
    if opt.list:
        for c in cases:
            print("%s  %s" % (c.where, c.name))
        return 0
    server_path = opt.server
    if os.sep not in server_path:
        server_path = shutil.which(server_path) or server_path
    server_path = os.path.abspath(server_path)
    if not os.access(server_path, os.X_OK):
        print("difftest: server binary not found or not executable: %s" % opt.server)
        print("difftest: 0 passed, 1 failed")
        return 1

    tmp = tempfile.mkdtemp(prefix="difftest-")
    ref = Server("reference", opt.reference, 1, [], tmp)
    dut = Server("tested", server_path, opt.workers, opt.server_arg, tmp)
    passed = failed = 0
    ncmds = 0
    t0 = time.time()

    def on_signal(signum, frame):
        raise KeyboardInterrupt()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        ref.start()
        dut.start()
        for case in cases:
            for s in (ref, dut):
                if not s.alive():
                    print("difftest: %s server is not running (exit code %s) before case %r;"
                          " restarting it" % (s.label, s.proc.returncode, case.name))
                    s.stop()
                    s.restarts += 1
                    s.start()
            problems = []
            for s in (ref, dut):
                r = s.flushall()
                if r != b"+OK\r\n":
                    problems.append("FLUSHALL on %s answered %r" % (s.label, r))
            out = {}

            def work(s):
                out[s.label] = Runner(s).run(case)
            th = [threading.Thread(target=work, args=(s,), daemon=True) for s in (ref, dut)]
            for t in th:
                t.start()
            for t in th:
                t.join()
            (rres, rerr), (dres, derr) = out["reference"], out["tested"]
            if rerr:
                problems.append("reference: %s" % rerr)
            if derr:
                problems.append("tested: %s" % derr)
            if len(rres) != len(dres):
                problems.append("different number of replies: reference %d, tested %d"
                                % (len(rres), len(dres)))
            ncmds += len(rres)
            last_shown, repeats = None, 0
            for (st, eo), (_, go) in zip(rres, dres):
                why = compare(st.mods, eo, go, selftest=dut.is_redis())
                if opt.verbose:
                    shown = "    %-60s %s" % (step_label(st)[:60], describe(eo, 200))
                    if shown == last_shown:
                        repeats += 1
                    else:
                        if repeats:
                            print("    ... same reply %d more times" % repeats)
                        print(shown)
                        last_shown, repeats = shown, 0
                if why:
                    md = dict(st.mods)
                    exp_text = _short(md["~expect"][0], 600) + " (~expect literal)" \
                        if "~expect" in md and not dut.is_redis() else describe(eo)
                    problems.append("%s\n      (%s)\n      expected: %s\n      got:      %s"
                                    % (step_label(st), why, exp_text, describe(go)))
            if opt.verbose and repeats:
                print("    ... same reply %d more times" % repeats)
            if not dut.alive() and ref.alive():
                problems.append("tested server died during this case (exit code %s); "
                                "its log ends with:\n%s" % (dut.proc.returncode, dut.log_tail()))
            if problems:
                failed += 1
                print("FAIL %s  (%s)" % (case.name, case.where))
                for p in problems:
                    print("    " + p)
            else:
                passed += 1
                if opt.verbose:
                    print("ok   %s" % case.name)
    except KeyboardInterrupt:
        print("difftest: interrupted")
        failed += 1
    except SystemExit as e:
        # a server could not be started (or restarted): report and still end
        # with the summary line CI looks for
        print(e.code if isinstance(e.code, str) else "difftest: aborted")
        failed += 1
    finally:
        ref.stop()
        dut.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print("difftest: %d replies compared in %.1f s" % (ncmds, time.time() - t0))
    print("difftest: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
