"""Minimal RESP2/RESP3 client over a raw socket (stdlib only), for protocol-level tests."""
import socket


class Reply:
    """A parsed reply: kind is the RESP type byte as a str ('+', '-', ':', '$', '*', '%', '~',
    ',', '_', '#', '>', '=', '(', '!', '|'); value is the Python value (bytes, int, list,
    list of (k, v) pairs for maps, None for nulls); raw is the exact bytes of the frame."""

    def __init__(self, kind, value, raw):
        self.kind = kind
        self.value = value
        self.raw = raw

    def __repr__(self):
        return "Reply(%r, %r)" % (self.kind, self.value)

    # helpers for maps
    def as_dict(self):
        assert self.kind == "%" or self.kind == "|", "not a map: %r" % (self,)
        return {k.value: v for k, v in self.value}


class Conn:
    def __init__(self, host="127.0.0.1", port=None, unix_path=None, timeout=5.0):
        if unix_path:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            self.sock.connect(unix_path)
        else:
            self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @staticmethod
    def encode(*args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            if isinstance(a, str):
                a = a.encode()
            elif isinstance(a, int):
                a = str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def send(self, *args):
        self.sock.sendall(self.encode(*args))

    def send_raw(self, data):
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed by server")
        self.buf += chunk

    def _line(self, pos):
        while True:
            i = self.buf.find(b"\r\n", pos)
            if i >= 0:
                return self.buf[pos:i], i + 2
            self._fill()

    def _need(self, end):
        while len(self.buf) < end:
            self._fill()

    def _parse(self, pos):
        line, pos = self._line(pos)
        if not line:
            raise ValueError("empty frame header")
        kind, rest = chr(line[0]), line[1:]
        if kind in "+-":
            return Reply(kind, rest, None), pos
        if kind == ":":
            return Reply(kind, int(rest), None), pos
        if kind == "(":
            return Reply(kind, int(rest), None), pos
        if kind == ",":
            return Reply(kind, rest, None), pos  # keep the textual form of the double
        if kind == "#":
            return Reply(kind, rest == b"t", None), pos
        if kind == "_":
            return Reply(kind, None, None), pos
        if kind in "$=!":
            n = int(rest)
            if n < 0:
                return Reply(kind, None, None), pos
            self._need(pos + n + 2)
            data = self.buf[pos:pos + n]
            if self.buf[pos + n:pos + n + 2] != b"\r\n":
                raise ValueError("bulk not terminated by CRLF")
            return Reply(kind, data, None), pos + n + 2
        if kind in "*~>":
            n = int(rest)
            if n < 0:
                return Reply(kind, None, None), pos
            items = []
            for _ in range(n):
                r, pos = self._parse(pos)
                items.append(r)
            return Reply(kind, items, None), pos
        if kind in "%|":
            n = int(rest)
            pairs = []
            for _ in range(n):
                k, pos = self._parse(pos)
                v, pos = self._parse(pos)
                pairs.append((k, v))
            return Reply(kind, pairs, None), pos
        raise ValueError("unknown RESP type byte %r" % kind)

    def read(self):
        reply, end = self._parse(0)
        reply.raw = self.buf[:end]
        self.buf = self.buf[end:]
        return reply

    def cmd(self, *args):
        self.send(*args)
        return self.read()
