// Package netx dials and serves TCP, Unix and TLS connections as
// reader/writer pairs: asyncio's open_connection and start_server, with a
// [bufio2.Reader] for the read side and a [Writer] with asyncio's flow
// control for the write side.
//
// # Map
//
//	asyncio                                netx
//	open_connection, open_unix_connection  Dial, Dialer.Dial        (*bufio2.Reader, *Writer)
//	open_connection(sock=...)              Wrap
//	start_server, start_unix_server        Listen, Server.Listen, Server.Serve
//	client_connected_cb(reader, writer)    Handler(ctx, r, w)
//	server.close() + wait_closed()         Server.Shutdown(ctx)   (graceful, bounded by ctx)
//	                                       Server.Close()         (abort every connection)
//	server.sockets[0].getsockname()        Server.Addr
//	StreamWriter.write, writelines         Writer.Write, Writer.WriteLines
//	StreamWriter.drain                     Writer.Drain(ctx)
//	transport.set_write_buffer_limits      Writer.SetWriteBufferLimits
//	transport.get_write_buffer_size        Writer.Buffered
//	can_write_eof, write_eof               Writer.CanWriteEOF, Writer.WriteEOF
//	close + wait_closed                    Writer.Close
//	transport.abort                        Writer.Abort
//	start_tls                              Writer.StartTLS, Writer.StartTLSServer
//	get_extra_info('socket'/'sockname'/'peername')  Writer.Conn, LocalAddr, RemoteAddr
//
// # Writing
//
// A [Writer] buffers what is written and sends it promptly without Drain,
// as asyncio's transport does, but it coalesces: many small writes issued
// back to back go out in few system calls. Three things move bytes to the
// kernel:
//
//   - the read side: before the pair's Reader blocks in the connection's
//     Read, it hands the pending bytes to the kernel. A handler that reads a
//     request, writes the reply and reads again therefore sends every reply
//     produced from one read in one system call, and a client that writes
//     and then reads sends before it waits. On plain TCP and Unix
//     connections (Linux) this send never blocks: what the kernel does not
//     take goes to a flusher, so reads never wait for writes.
//   - a flusher goroutine, for bytes that no read follows (a server pushing
//     messages, a handler that writes and then waits on a channel, a client
//     whose reader goroutine is blocked in a read). It starts when bytes
//     are pending and none runs, and exits as soon as the buffer is empty,
//     so an idle connection owns no goroutine (and no write buffer). When
//     the bytes are written while the reader is between reads, no goroutine
//     starts at first: the reader will send them itself. If it has not
//     after 1 to 2 ms (the handler went on to wait for something else),
//     a process-wide sweeper goroutine starts the flusher, and that Writer
//     stops waiting for its reader until the reader sends something again.
//     The sweeper runs only while some Writer is waiting and exits 50 ms
//     after the last one; it is the package's only goroutine not owned by a Server or a
//     Writer.
//   - the writer itself, for large writes: a Write of 16 KiB or more with
//     nothing pending is offered to the kernel straight from the caller's
//     slice (plain TCP and Unix connections on Linux), and a Write that
//     takes the buffer past the high-water mark blocks and writes from the
//     caller's slice, together with what was pending, in one vectored
//     write.
//
// Write never blocks below the high-water mark (64 KiB by default); above
// it, it blocks until the buffer drains to the low-water mark (16 KiB), the
// connection fails, or the connection's write deadline passes. Errors are
// sticky. Close sends what was written, bounded by [DefaultCloseTimeout].
//
// # Serving
//
// A [Server] runs each connection's Handler in its own goroutine with a
// context that is cancelled when the connection is aborted or fails. When
// the handler returns, panics (recovered, logged through the Server's
// slog.Logger) or calls runtime.Goexit, the connection is flushed and
// closed, and only that connection.
//
// Shutdown stops accepting, closes [Server.Closing], and closes at once
// every connection whose handler waits in a read with nothing buffered
// (its read returns an error matching [ErrServerClosed]; the peer receives
// what was written, then the end of the stream, never a reset: before the
// socket is closed, what the peer still sends is read and dropped until it
// closes its side, for 20 ms if it sends nothing, 500 ms at most if it
// keeps sending). It waits for the other
// handlers, those in the middle of a message, and aborts them when its
// context ends; Close aborts at once. Both return once every goroutine
// the server started has returned.
//
// Four bounds keep a client from holding a connection, side by side:
//
//	ReadTimeout   one read call on the Reader, start to return: a peer that dribbles bytes (slowloris)
//	WriteTimeout  one call that waits on a peer that does not read (Write, Drain, WriteEOF, the flush after the handler)
//	IdleTimeout   one wait for data inside a read: a silent peer
//	MaxConns      connections served at once; more wait in the listen backlog
//
// A handler's own deadlines ([Writer.SetReadDeadline],
// [Writer.SetWriteDeadline]) compose with the server's: each read or write
// waits until the earliest of them. The handler's own deadline fails only
// the call it ends; the server's end the connection. [Server.Stats]
// counts connections by how they ended, bytes and failed handshakes;
// [Server.ConnState] sees each connection go new, active, idle, closed.
//
// Unix sockets are handled with care: a stale socket file is replaced, a
// live socket or any other file at the path is left alone and makes Listen
// fail, and the file is removed on close only if it is still the one the
// server created.
//
// # Differences from asyncio
//
//   - Calls that wait take a context or obey the connection's deadlines.
//   - Write blocks above the high-water mark, where asyncio's write never
//     blocks and only drain waits: a writer that never drains cannot grow
//     the buffer without bound.
//   - After a connection error, every later write returns it (asyncio
//     ignores writes to a closing transport after logging a warning).
//   - Abort closes the socket without SO_LINGER, as asyncio's abort does:
//     bytes already in the kernel still go out.
package netx
