"""Golden vectors for bufio2.Reader from CPython 3.13's asyncio.StreamReader.

Run from the module root with CPython 3.13 (the reference implementation):

    $(pyenv root)/versions/3.13.0/bin/python3 bufio2/testdata/golden.py > bufio2/testdata/golden.json

or give the output path as the only argument:

    $(pyenv root)/versions/3.13.0/bin/python3 bufio2/testdata/golden.py bufio2/testdata/golden.json

The output is deterministic (fixed seed, no clock, no hash-order dependence):
bufio2/golden_test.go re-runs this script when CPython 3.13 is installed and
demands byte-identical output, and replays every case against bufio2.Reader.

Each case is a limit, a byte stream and a sequence of operations run on one
asyncio.StreamReader(limit=limit) that was fed ALL of the stream and then
feed_eof() before the first operation, so asyncio always sees the whole
stream at once. Every outcome is recorded exactly, and the sequence goes on
after errors (the reader's state stays well-defined).

Format (version 1). The top-level object holds "format", "version",
"python", "seed" and "cases". Byte strings are standard base64 (with
padding). Each case is one line:

    {"limit": int, "data": b64, "ops": [op, ...], "rest": b64}

"rest" is what read(-1) returns after the last operation. An op is

    {"op": "readline"}
    {"op": "readuntil", "seps": [b64]}             readuntil(sep)
    {"op": "readuntil_tuple", "seps": [b64, ...]}  readuntil((sep1, sep2, ...)), in this order
    {"op": "readexactly", "n": int}                n >= 0
    {"op": "read", "n": int}                       n > 0

plus its outcome in "res":

    "bytes"                the call returned "data" (b64; empty means EOF,
                           except for readexactly(0), which is always empty)
    "IncompleteReadError"  "partial" (b64) and "expected" (int, or null for
                           readuntil)
    "LimitOverrunError"    "consumed" (the exception's consumed) and "found"
                           (true if the message is "Separator is found, but
                           chunk is longer than limit", false if it is
                           "Separator is not found, and chunk exceed the
                           limit")
    "ValueError"           readline's overrun: asyncio's readline turns the
                           LimitOverrunError into ValueError, after it has
                           already discarded data. "consumed" and "found" are
                           those of the LimitOverrunError it wraps (its
                           __context__); "skipped" is how many bytes readline
                           discarded (through the '\\n' if found, else the
                           whole buffer, which here is the rest of the
                           stream).
"""

import asyncio
import base64
import json
import random
import sys

FORMAT = "streamkit/bufio2-golden"
VERSION = 1
SEED = 20241125

# Separators that overlap themselves or each other, multi-byte ones that can
# be split across the limit boundary, and plain one-byte ones.
SEPS = [
    b"\n", b"\r\n", b"\r\n\r\n", b";", b",,", b"ab", b"aa", b"aba",
    b"a", b"b", b"ba", b"aab", b"abab", b"\n\n", b"xyz", b"\x00",
]

# Tuples, many with a shorter and a longer separator that end at the same
# byte ("\n" and "\r\n"; "b" and "ab"), or that overlap each other.
TUPLES = [
    (b"\n", b"\r\n"), (b"\r\n", b"\n"), (b"\r\n\r\n", b"\n\n"),
    (b"\r\n\r\n", b"\n\n", b"\r\n"), (b"\r\n\r\n", b"\n"), (b";", b",,"),
    (b"ab", b"b"), (b"b", b"ab"), (b"aba", b"ba"), (b"ba", b"aba"),
    (b"aa", b"aaa"), (b"abc", b"bc", b"c"), (b"a", b"aa"), (b"ab", b"ba"),
    (b"aba", b"bab"), (b"\n", b"\n"), (b"xyz", b";", b"\r\n"), (b"\n",),
    (b"aab", b"ab", b"b"), (b",,", b",", b";;"), (b"abab", b"bab", b"b"),
]

FILLER = b"xyzc "
LIMITS = list(range(1, 21)) * 4 + [24, 32, 50, 64, 100, 255, 1000]
BIG_LIMITS = [50, 1000, 3000, 4000, 4095, 4096, 4097, 5000, 6000, 9000, 65536, 65536]


def b64(b):
    return base64.b64encode(b).decode("ascii")


def random_tuple(rng):
    if rng.random() < 0.6:
        return rng.choice(TUPLES)
    return tuple(rng.choice(SEPS) for _ in range(rng.randint(1, 4)))


def biased_stream(rng, seps, size):
    """Bytes from a small alphabet biased towards the separators' bytes,
    with whole separators dropped in now and then."""
    sepbytes = sorted(set(b"".join(seps)))
    filler = rng.sample(FILLER, rng.randint(1, 2))
    out = bytearray()
    while len(out) < size:
        r = rng.random()
        if r < 0.2:
            out += rng.choice(seps)
        elif r < 0.75:
            out.append(rng.choice(sepbytes))
        else:
            out.append(rng.choice(filler))
    return bytes(out[:size])


def straddle_stream(rng, seps, limit, size):
    """Runs of filler about as long as the limit, each ended by a
    separator, so that separators start just before, at and just after the
    limit boundary."""
    out = bytearray()
    while len(out) < size:
        run = max(0, limit + rng.randint(-3, 3))
        out += bytes(rng.choice(FILLER) for _ in range(run))
        out += rng.choice(seps)
        if rng.random() < 0.3:
            # A partial separator before the real one.
            sep = rng.choice(seps)
            out[-len(sep):-len(sep)] = sep[: rng.randint(0, len(sep) - 1)]
    return bytes(out[: size + rng.randint(0, 3)])


def lines_stream(rng, limit, size, endings=(b"\n", b"\r\n")):
    """Lines of words whose lengths cluster around the limit."""
    out = bytearray()
    while len(out) < size:
        n = max(0, int(rng.gauss(limit, max(2, limit / 3))))
        out += bytes(rng.choice(b"abcdefghij ") for _ in range(n))
        out += rng.choice(endings)
    if rng.random() < 0.5 and out:
        del out[-rng.randint(1, min(len(out), 4)):]  # a last line without ending
    return bytes(out)


def make_case(rng, big):
    if big:
        limit = rng.choice(BIG_LIMITS)
        size = rng.randint(4000, 10500)
    else:
        limit = rng.choice(LIMITS)
        size = rng.choice([0, 1, 2, 3, rng.randint(0, 40), rng.randint(0, 40),
                           rng.randint(0, 120), rng.randint(0, 120),
                           rng.randint(0, 300)])
    tup = random_tuple(rng)
    sep = rng.choice(SEPS + list(tup))
    seps = list(tup) + [sep, b"\n"]
    kind = rng.random()
    if big:
        if kind < 0.4:
            data = lines_stream(rng, rng.choice([min(limit, 7000), 4096, 3000, 6000]), size)
        elif kind < 0.7:
            data = straddle_stream(rng, seps, min(limit, 6000), size)
        else:
            data = biased_stream(rng, seps, size)
            if rng.random() < 0.5:
                # A long run without any separator byte.
                at = rng.randint(0, len(data))
                data = data[:at] + b"q" * rng.randint(4000, 6000) + data[at:]
    elif kind < 0.45:
        data = biased_stream(rng, seps, size)
    elif kind < 0.7:
        data = straddle_stream(rng, seps, limit, size)
    elif kind < 0.9:
        data = lines_stream(rng, limit, size)
    else:
        data = bytes(rng.randrange(256) for _ in range(size))
    return limit, data, sep, tup


def pick_n(rng, limit, remaining):
    return max(0, rng.choice([
        0, 1, 2, rng.randint(1, 10), rng.randint(1, 10), limit, limit + 1,
        2 * limit + 3, remaining, remaining - 1, remaining + 1,
        rng.randint(0, remaining + 5), 4096, 5000,
    ]))


def pick_op(rng, limit, remaining, sep, tup, last):
    # After an overrun, often do what the caller would: readexactly(consumed).
    if last is not None and last.get("res") == "LimitOverrunError" and rng.random() < 0.5:
        return {"op": "readexactly", "n": last["consumed"]}
    r = rng.random()
    if r < 0.2:
        return {"op": "readline"}
    if r < 0.45:
        r = rng.random()
        s = sep if r < 0.6 else rng.choice(tup) if r < 0.85 else rng.choice(SEPS)
        return {"op": "readuntil", "seps": [s]}
    if r < 0.7:
        t = tup if rng.random() < 0.7 else random_tuple(rng)
        return {"op": "readuntil_tuple", "seps": list(t)}
    if r < 0.87:
        return {"op": "readexactly", "n": pick_n(rng, limit, remaining)}
    return {"op": "read", "n": max(1, pick_n(rng, limit, remaining))}


async def run_op(reader, op):
    """Runs op on reader and returns the JSON record of op and outcome."""
    rec = {"op": op["op"]}
    if "seps" in op:
        rec["seps"] = [b64(s) for s in op["seps"]]
    if "n" in op:
        rec["n"] = op["n"]
    before = len(reader._buffer)  # only to report what readline discarded
    try:
        if op["op"] == "readline":
            got = await reader.readline()
        elif op["op"] == "readuntil":
            got = await reader.readuntil(op["seps"][0])
        elif op["op"] == "readuntil_tuple":
            got = await reader.readuntil(tuple(op["seps"]))
        elif op["op"] == "readexactly":
            got = await reader.readexactly(op["n"])
        elif op["op"] == "read":
            got = await reader.read(op["n"])
        else:
            raise AssertionError(op)
        rec["res"] = "bytes"
        rec["data"] = b64(got)
    except asyncio.IncompleteReadError as e:
        rec["res"] = "IncompleteReadError"
        rec["partial"] = b64(e.partial)
        rec["expected"] = e.expected
    except asyncio.LimitOverrunError as e:
        rec["res"] = "LimitOverrunError"
        rec["consumed"] = e.consumed
        rec["found"] = overrun_found(str(e))
    except ValueError as e:
        assert op["op"] == "readline", (op, e)
        inner = e.__context__
        assert isinstance(inner, asyncio.LimitOverrunError), repr(inner)
        assert str(e) == str(inner)
        rec["res"] = "ValueError"
        rec["consumed"] = inner.consumed
        rec["found"] = overrun_found(str(e))
        rec["skipped"] = before - len(reader._buffer)
    return rec


def overrun_found(msg):
    if msg == "Separator is found, but chunk is longer than limit":
        return True
    if msg == "Separator is not found, and chunk exceed the limit":
        return False
    raise AssertionError("unexpected LimitOverrunError message: %r" % msg)


async def run_case(rng, big):
    limit, data, sep, tup = make_case(rng, big)
    reader = asyncio.StreamReader(limit=limit)
    if data:
        reader.feed_data(data)
    reader.feed_eof()
    nops = rng.randint(1, 16) if not big else rng.randint(10, 40)
    drain = rng.random() < 0.3  # go on until the stream is used up
    ops, last, at_eof = [], None, 0
    while len(ops) < nops or (drain and not reader.at_eof() and len(ops) < 60):
        if reader.at_eof():
            # One or two operations at the end of the stream are enough.
            at_eof += 1
            if at_eof > 2 or at_eof == 2 and rng.random() < 0.5:
                break
        op = pick_op(rng, limit, len(reader._buffer), sep, tup, last)
        last = await run_op(reader, op)
        ops.append(last)
    rest = await reader.read()
    assert reader.at_eof()
    return {"limit": limit, "data": b64(data), "ops": ops, "rest": b64(rest)}


async def generate():
    rng = random.Random(SEED)
    cases = []
    for i in range(4000):
        cases.append(await run_case(rng, big=(i % 100 == 99)))
    return cases


def main():
    if sys.version_info[:2] != (3, 13):
        sys.exit("golden.py: needs CPython 3.13 (the reference), this is %s" % sys.version)
    cases = asyncio.run(generate())
    v = sys.version_info
    head = {
        "format": FORMAT,
        "version": VERSION,
        "python": "%d.%d.%d" % (v.major, v.minor, v.micro),
        "seed": SEED,
    }
    out = json.dumps(head, separators=(",", ":"))[:-1] + ',"cases":[\n'
    out += ",\n".join(json.dumps(c, separators=(",", ":")) for c in cases)
    out += "\n]}\n"
    if len(sys.argv) > 2:
        sys.exit("usage: golden.py [output.json]")
    if len(sys.argv) == 2:
        with open(sys.argv[1], "w", encoding="ascii", newline="\n") as f:
            f.write(out)
    else:
        sys.stdout.write(out)


if __name__ == "__main__":
    main()
