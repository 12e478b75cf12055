"""An asyncio echo server for netx's CPython peer test.

Usage: asyncio_server.py [PATH]

Serves with asyncio.start_server on 127.0.0.1 and an ephemeral port, which it
prints on the first line of stdout; with PATH, with asyncio.start_unix_server
on a Unix socket at PATH, which it prints instead. Each connection's lines are
echoed (readline, write, drain) until the client half-closes; then the server
answers "bye N" with the number of lines it echoed, and closes. When stdin
ends, it stops and prints "served LINES BYTES".
"""

import asyncio
import sys

lines = 0
nbytes = 0


async def handle(reader, writer):
    global lines, nbytes
    n = 0
    while True:
        data = await reader.readline()
        if not data:
            break
        writer.write(data)
        await writer.drain()
        n += 1
        lines += 1
        nbytes += len(data)
    writer.write(b"bye %d\n" % n)
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def main():
    if len(sys.argv) > 1:
        server = await asyncio.start_unix_server(handle, sys.argv[1])
        print(sys.argv[1], flush=True)
    else:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        print(server.sockets[0].getsockname()[1], flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()
    await server.wait_closed()
    print("served %d %d" % (lines, nbytes), flush=True)


asyncio.run(main())
