"""Echo clients for netx's CPython peer test.

Usage: asyncio_clients.py HOST PORT CLIENTS LINES

Each client opens a connection with asyncio.open_connection, writes LINES
lines (write + drain) while a second task reads the echoes with readline and
checks them, then half-closes and expects the end of the stream. Prints
"ok CLIENTS LINES BYTES" and exits 0 when every byte came back in order.
"""

import asyncio
import sys


def line(client, i):
    return b"%d:%d:%s\n" % (client, i, b"y" * ((client * 7 + i * 13) % 50))


async def client(host, port, cid, lines):
    reader, writer = await asyncio.open_connection(host, port)
    sent = 0

    async def send():
        nonlocal sent
        for i in range(lines):
            data = line(cid, i)
            writer.write(data)
            sent += len(data)
            if i % 50 == 49:
                await writer.drain()
        await writer.drain()
        writer.write_eof()

    sender = asyncio.create_task(send())
    received = 0
    for i in range(lines):
        got = await reader.readline()
        want = line(cid, i)
        if got != want:
            raise AssertionError("client %d line %d: got %r, want %r" % (cid, i, got, want))
        received += len(got)
    rest = await reader.read()
    if rest != b"":
        raise AssertionError("client %d: %r after the last echo" % (cid, rest))
    await sender
    writer.close()
    await writer.wait_closed()
    if received != sent:
        raise AssertionError("client %d: sent %d bytes, received %d" % (cid, sent, received))
    return received


async def main():
    host, port, clients, lines = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    totals = await asyncio.gather(*(client(host, port, c, lines) for c in range(clients)))
    print("ok %d %d %d" % (clients, lines, sum(totals)), flush=True)


asyncio.run(main())
