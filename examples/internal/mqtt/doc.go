// Package mqtt is a small MQTT 3.1.1 client on a netx pair: CONNECT and
// CONNACK, SUBSCRIBE and SUBACK, PUBLISH at QoS 0 and 1 (PUBACK both
// ways), PINGREQ and PINGRESP, DISCONNECT.
//
// It shows frame's [frame.Uvarint] codec with Offset 1, which exists for
// MQTT's fixed header: a byte of packet type and flags, then the
// "remaining length", a varint of one to four bytes that counts the bytes
// after it (MQTT 3.1.1, section 2.2). A PUBLISH of "hello" to "a/b" at
// QoS 0, then a PINGREQ:
//
//	30 0a 00 03 'a' '/' 'b' 'h' 'e' 'l' 'l' 'o'   c0 00
//	+--+--+-----+-----------+-------------------+ +--+--+
//	|30|0a|00 03|   "a/b"   |      "hello"      | |c0|00|
//	+--+--+-----+-----------+-------------------+ +--+--+
//	type  topic length       payload                PINGREQ
//	  remaining length 10
//
//	remaining length          varint
//	0 to 127                  00 to 7f
//	128 to 16 383             80 01 to ff 7f
//	16 384 to 2 097 151       80 80 01 to ff ff 7f
//	2 097 152 to 268 435 455  80 80 80 01 to ff ff ff 7f
//
// The client writes every packet with [frame.Writer.WriteTyped] (the type
// byte and the body; the codec writes the varint, the shortest one) on
// frame.Uvarint{Offset: 1, Strip: frame.KeepHeader, Max: MaxPacket}, and
// reads each with [frame.Reader.Next], which returns the whole packet,
// header included, as a view into the connection's buffer. It keeps the
// header so that it can check what frame leaves to the protocol: frame's
// Uvarint, protobuf's varint, takes up to ten bytes, and MQTT allows four,
// so a fifth byte is a [*ProtocolError]. (A length that needs a fifth
// byte is over [MaxRemaining] and so over any MaxPacket: frame rejects it
// from the header alone, with *errs.FrameTooLargeError.) frame.Uvarint's
// MaxLen field, 4 for MQTT, now makes the codec reject a fifth byte
// itself, as *errs.MalformedFrameError; the client keeps its own check, so
// that its errors stay *ProtocolError.
//
// # Limits
//
// [Config.MaxPacket] bounds the packets the client reads, and is the
// codec's Max: [DefaultMaxPacket] is 16 MiB, twice frame's
// [frame.DefaultMaxFrame], which the client raises explicitly. A packet
// over it fails from its header, before it is buffered, and a length that
// the server does not follow with as many bytes costs only the bytes that
// came. Either breaks the Client: every later call returns an error
// wrapping [ErrBroken].
//
// # One goroutine
//
// The Client starts no goroutine, and is not safe for concurrent use. A
// PUBLISH that arrives while a call waits for its SUBACK, PUBACK or
// PINGRESP is kept, up to [MaxQueued] of them, for [Client.ReadMessage].
// Nothing sends PINGREQ by itself: with a [Config.KeepAlive], a caller
// that has nothing else to send calls [Client.Ping] in time.
package mqtt
