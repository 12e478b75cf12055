"""CPython asyncio baselines for BASELINES.md.

Usage:

    python3 internal/baselines/asyncio_baselines.py [flags]

Measures, with the standard library only, the CPython rows of BASELINES.md:

  lines   asyncio.StreamReader.readuntil(b"\\n"), readline() and
          readuntil(b"\\r\\n") over --lines-mib MiB of lines (default 64) of
          random length, 1 to 125 bytes with the terminator ("\\n"; one more
          byte with "\\r\\n"), mean 63 bytes: the lines of bufio2's
          BenchmarkLines. The data is fed in memory, feed_data in chunks of
          64 KiB and then feed_eof, by a task that yields after each chunk,
          as a transport would. MB/s over the bytes read.
  frames  readexactly(4) + readexactly(n): frames of a 4-byte big-endian
          length and a payload of 16 B, 1 KiB and 64 KiB, --frames-mib MiB
          (default 64) of each, fed the same way. MB/s counts the 4 header
          bytes, as frame's BenchmarkLengthPrefixedNext does.
  echo    an asyncio start_server echo server (readline, write, drain:
          netx/testdata/asyncio_server.py, the server of netx's
          BenchmarkVsAsyncio) in a child process, on TCP 127.0.0.1 and on a
          Unix socket in a temporary directory, driven from this process by
          a pipelined client: on each connection it writes batches of 256
          64-byte lines, up to 64 KiB in flight, while it reads the echoes,
          for --echo-seconds seconds (default 5), then half-closes and
          reads the rest. Messages
          per second, for 1 and 64 connections on TCP and 1 on Unix.

Each figure is the median of --runs runs (default 3). --only picks the
groups (lines,frames,echo). A quick run takes about 10 s:

    python3 internal/baselines/asyncio_baselines.py --lines-mib 8 --frames-mib 4 --echo-seconds 1 --runs 1

No address but 127.0.0.1 and Unix sockets is used. MB = 10^6 bytes.
"""

import argparse
import asyncio
import os
import platform
import random
import selectors
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

CHUNK = 64 << 10
ECHO_LINE = b"x" * 63 + b"\n"
ECHO_BATCH = 256
ECHO_WINDOW = 64 << 10  # bytes in flight per connection, at most
SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      "..", "..", "netx", "testdata", "asyncio_server.py")


def make_lines(size):
    """Returns about size bytes of lines ending in b"\\n", and the same
    lines ending in b"\\r\\n"."""
    rng = random.Random(1)
    pool = bytes(rng.randrange(32, 127) for _ in range(1 << 16))
    parts, total = [], 0
    while total < size:
        n = rng.randrange(1, 126)  # terminator included
        off = rng.randrange(0, len(pool) - n)
        parts.append(pool[off:off + n - 1])
        total += n
    lf = b"\n".join(parts) + b"\n"
    return lf, lf.replace(b"\n", b"\r\n")


def make_frames(payload, size):
    frame = struct.pack(">I", payload) + b"p" * payload
    return frame * max(16, size // len(frame))


async def feed(reader, data):
    view = memoryview(data)
    for i in range(0, len(data), CHUNK):
        reader.feed_data(view[i:i + CHUNK])
        await asyncio.sleep(0)
    reader.feed_eof()


async def read_until(reader, sep):
    n = 0
    while True:
        try:
            n += len(await reader.readuntil(sep))
        except asyncio.IncompleteReadError as e:
            return n + len(e.partial)


async def read_line(reader):
    n = 0
    while True:
        line = await reader.readline()
        if not line:
            return n
        n += len(line)


async def read_frames(reader):
    n = 0
    while True:
        try:
            hdr = await reader.readexactly(4)
        except asyncio.IncompleteReadError:
            return n
        body = await reader.readexactly(struct.unpack(">I", hdr)[0])
        n += 4 + len(body)


def mbps(data, consume):
    """Feeds data to a fresh StreamReader while consume(reader) reads it;
    returns MB/s."""
    async def run():
        reader = asyncio.StreamReader()
        t0 = time.perf_counter()
        feeder = asyncio.create_task(feed(reader, data))
        n = await consume(reader)
        await feeder
        elapsed = time.perf_counter() - t0
        if n != len(data):
            raise AssertionError("read %d bytes, want %d" % (n, len(data)))
        return len(data) / elapsed / 1e6
    return asyncio.run(run())


class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.out = None
        self.sent = 0      # lines written
        self.received = 0  # bytes read
        self.tail = b""
        self.writing = True
        self.waiting = False  # for echoes, with the window full

    def in_flight(self):
        return self.sent * len(ECHO_LINE) - self.received


def pipelined(family, addr, conns, seconds):
    """Drives the echo server at addr with a pipelined client on conns
    connections for seconds seconds; returns messages per second."""
    batch = ECHO_LINE * ECHO_BATCH
    sel = selectors.DefaultSelector()
    cs = []
    for _ in range(conns):
        s = socket.socket(family, socket.SOCK_STREAM)
        s.connect(addr)
        if family == socket.AF_INET:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.setblocking(False)
        c = Conn(s)
        cs.append(c)
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
    open_conns = conns
    t0 = time.perf_counter()
    deadline = t0 + seconds
    while open_conns:
        for key, events in sel.select(timeout=10):
            c = key.data
            if events & selectors.EVENT_WRITE and c.writing:
                if c.out is None:
                    if time.perf_counter() >= deadline:
                        c.writing = False
                        c.sock.shutdown(socket.SHUT_WR)
                        sel.modify(c.sock, selectors.EVENT_READ, c)
                        continue
                    if c.in_flight() + len(batch) > ECHO_WINDOW:
                        c.waiting = True
                        sel.modify(c.sock, selectors.EVENT_READ, c)
                        continue
                    c.out = memoryview(batch)
                    c.sent += ECHO_BATCH
                c.out = c.out[c.sock.send(c.out):]
                if not c.out:
                    c.out = None
            if events & selectors.EVENT_READ:
                data = c.sock.recv(1 << 16)
                if data:
                    c.received += len(data)
                    c.tail = (c.tail + data)[-32:]
                    if c.waiting and c.in_flight() + len(batch) <= ECHO_WINDOW:
                        c.waiting = False
                        sel.modify(c.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
                    continue
                sel.unregister(c.sock)
                c.sock.close()
                open_conns -= 1
    elapsed = time.perf_counter() - t0
    sel.close()
    total = 0
    for c in cs:
        bye = b"bye %d\n" % c.sent
        if c.received != c.sent * len(ECHO_LINE) + len(bye) or not c.tail.endswith(bye):
            raise AssertionError("%d bytes back for %d lines, ending %r" % (c.received, c.sent, c.tail))
        total += c.sent
    return total / elapsed


def echo(unix_path, conns, seconds):
    """Starts the asyncio server (on TCP, or on unix_path) and measures it."""
    args = [sys.executable, SERVER] + ([unix_path] if unix_path else [])
    server = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        first = server.stdout.readline().strip().decode()
        if unix_path:
            return pipelined(socket.AF_UNIX, first, conns, seconds)
        return pipelined(socket.AF_INET, ("127.0.0.1", int(first)), conns, seconds)
    finally:
        server.stdin.close()  # the server stops when its stdin ends
        server.stdout.read()
        server.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lines-mib", type=float, default=64, help="MiB of lines (default 64)")
    ap.add_argument("--frames-mib", type=float, default=64, help="MiB of frames per payload size (default 64)")
    ap.add_argument("--echo-seconds", type=float, default=5, help="seconds per echo run (default 5)")
    ap.add_argument("--runs", type=int, default=3, help="runs per figure; the median is shown (default 3)")
    ap.add_argument("--only", default="lines,frames,echo", help="groups to run, comma-separated")
    args = ap.parse_args()
    only = set(args.only.split(","))
    print("CPython %s, %s, %d CPUs" % (platform.python_version(), platform.platform(), os.cpu_count()))
    print("each figure: median of %d runs; MB = 10^6 bytes" % args.runs)

    def report(name, unit, f):
        v = statistics.median(f() for _ in range(args.runs))
        print("%-40s %12.1f %s" % (name, v, unit), flush=True)

    if "lines" in only:
        lf, crlf = make_lines(int(args.lines_mib * (1 << 20)))
        print("lines: %d bytes, %d lines, mean %.1f bytes" % (len(lf), lf.count(b"\n"), len(lf) / lf.count(b"\n")))
        report("StreamReader.readuntil(b'\\n')", "MB/s", lambda: mbps(lf, lambda r: read_until(r, b"\n")))
        report("StreamReader.readline()", "MB/s", lambda: mbps(lf, read_line))
        report("StreamReader.readuntil(b'\\r\\n')", "MB/s", lambda: mbps(crlf, lambda r: read_until(r, b"\r\n")))
    if "frames" in only:
        for payload, name in ((16, "16 B"), (1 << 10, "1 KiB"), (64 << 10, "64 KiB")):
            data = make_frames(payload, int(args.frames_mib * (1 << 20)))
            report("readexactly(4) + readexactly(n), %s" % name, "MB/s", lambda: mbps(data, read_frames))
    if "echo" in only:
        with tempfile.TemporaryDirectory(prefix="asyncio") as d:
            report("echo, TCP, 1 conn", "msgs/s", lambda: echo(None, 1, args.echo_seconds))
            report("echo, TCP, 64 conns", "msgs/s", lambda: echo(None, 64, args.echo_seconds))
            report("echo, Unix, 1 conn", "msgs/s", lambda: echo(os.path.join(d, "s"), 1, args.echo_seconds))


if __name__ == "__main__":
    main()
