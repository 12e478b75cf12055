// Package postgres is a small PostgreSQL client on a netx pair: the v3
// wire protocol's startup, trust authentication, and the simple query
// protocol, with rows in text format and server errors as [*Error].
//
// It shows how frame reads and writes a protocol whose first message is
// framed apart from the rest. The startup message is a length that counts
// itself and a body; every message after it, both ways, adds a type byte
// in front:
//
//	startup (client, once):   00 00 00 2a | 00 03 00 00 | "user\x00streamkit\x00database\x00postgres\x00\x00"
//	                          length 42     protocol 3.0  parameters, then an empty name
//	                          frame.LengthPrefixed{Adjust: -4}
//
//	typed (both ways):        'Q' 00 00 00 0d "SELECT 1\x00"
//	                          type length 13  body (13 - 4 bytes)
//	                          frame.LengthPrefixed{Offset: 1, Adjust: -4, Max: MaxMessage}
//
// The client writes both on one [frame.Writer], in order: the startup
// message with [frame.Writer.WriteFrameWith] and its own codec, then
// Query ('Q') and Terminate ('X') with [frame.Writer.WriteTyped], which
// needs no placeholder bytes and does not allocate. It reads the server's
// messages with [frame.Reader.NextTyped] over the pair's bufio2.Reader: a
// type byte and a body that points into the connection's buffer, so a
// message costs no allocation and no copy. A session:
//
//	client                                server
//	startup (user, database)      ->
//	                              <-      'R' AuthenticationOk (trust)
//	                              <-      'S' ParameterStatus ... (server_version, TimeZone, ...)
//	                              <-      'K' BackendKeyData (process id, secret key)
//	                              <-      'Z' ReadyForQuery 'I'
//	'Q' "SELECT 1; SELECT 2"      ->
//	                              <-      'T' RowDescription, 'D' DataRow, 'C' CommandComplete "SELECT 1"
//	                              <-      'T', 'D', 'C' (the second statement)
//	                              <-      'Z' ReadyForQuery 'I'
//	'X' Terminate                 ->      (closes)
//
// An ErrorResponse ('E') is turned into an [*Error], which carries the
// SQLSTATE code and is matched with errors.As; after it the server still
// sends ReadyForQuery, so the connection goes on. A NoticeResponse ('N')
// goes to [Conn.Notice], or is dropped.
//
// # Limits
//
// A message's body may be at most [Config.MaxMessage] bytes, the Max of
// the typed codec, which the client sets explicitly: [DefaultMaxMessage]
// is 64 MiB, eight times frame's [frame.DefaultMaxFrame], so that a row of
// 10 MiB (a DataRow is one message) is read whole. A larger message fails
// with *errs.FrameTooLargeError from its header alone, before it is
// buffered; a length that the server does not follow with as many bytes
// costs only the bytes that came. Either breaks the Conn: it is out of
// step with the server, and every later call returns an error wrapping
// [ErrBroken].
//
// [Conn.QueryFunc] hands each row to a function as views into the
// connection's buffer, and allocates nothing for a query whose result has
// the same columns as the last; [Conn.Query] copies the results.
package postgres
