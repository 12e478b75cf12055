package mqtt

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/frame"
	"github.com/streamkit/streamkit/netx"
)

const (
	// MaxRemaining is the largest remaining length MQTT's four-byte
	// varint holds: 268 435 455 bytes (256 MiB).
	MaxRemaining = 1<<28 - 1
	// DefaultMaxPacket is the largest packet body a Client reads when
	// [Config.MaxPacket] is zero: 16 MiB.
	DefaultMaxPacket = 16 << 20
	// MaxQueued is how many PUBLISH packets a Client keeps that arrive
	// while it waits for an acknowledgement; one more breaks it.
	MaxQueued = 1024
)

// The packet types: the high four bits of the fixed header's first byte.
const (
	typeConnect     = 1
	typeConnack     = 2
	typePublish     = 3
	typePuback      = 4
	typeSubscribe   = 8
	typeSuback      = 9
	typePingreq     = 12
	typePingresp    = 13
	typeDisconnect  = 14
	protocolLevel   = 4 // MQTT 3.1.1
	subscribeFlags  = 0x2
	publishRetain   = 0x1
	publishQoSShift = 1
)

// Config says how a Client connects.
type Config struct {
	// ClientID identifies the client to the server. If empty, the server
	// assigns one (which it refuses for a Persistent session).
	ClientID string
	// Persistent asks the server to keep the session (subscriptions,
	// QoS 1 messages) after a disconnect: CONNECT's Clean Session flag
	// unset. If false, the session is clean.
	Persistent bool
	// KeepAlive is the longest the client may be silent before the
	// server disconnects it, in whole seconds up to 65 535. If zero, the
	// server does not expect the client to speak.
	KeepAlive time.Duration
	// Username and Password, if not empty, are sent in CONNECT.
	Username, Password string
	// MaxPacket is the largest packet body (remaining length) the Client
	// reads, at most MaxRemaining. If zero, DefaultMaxPacket is used.
	MaxPacket int
	// ProtocolLevel is CONNECT's protocol level. If zero, 4 (MQTT 3.1.1)
	// is used; anything else is for testing the server's refusal.
	ProtocolLevel byte
}

// Message is an application message: a PUBLISH received.
type Message struct {
	Topic   []byte
	Payload []byte
	QoS     byte
	Retain  bool
	Dup     bool   // the server sent it before (QoS 1)
	ID      uint16 // the packet identifier of a QoS 1 message, which the Client acknowledges
}

// Client is a connection to an MQTT server. It is not safe for concurrent
// use.
type Client struct {
	w       *netx.Writer
	fw      *frame.Writer
	fr      *frame.Reader
	session bool // CONNACK's Session Present

	id     uint16    // the last packet identifier used
	wbuf   []byte    // the body of the packet being written, reused
	queue  []Message // PUBLISH packets kept while waiting; the caller's
	err    error     // sticky: the connection is out of step
	closed bool
}

// Dial connects to the server at address and sends CONNECT; ctx bounds
// the connection and the wait for CONNACK.
func Dial(ctx context.Context, network, address string, cfg Config) (*Client, error) {
	r, w, err := netx.Dial(ctx, network, address)
	if err != nil {
		return nil, err
	}
	c, err := New(ctx, r, w, cfg)
	if err != nil {
		w.Close()
		return nil, err
	}
	return c, nil
}

// New sends CONNECT over a netx pair and reads CONNACK. A refusal is a
// *ConnectError with the server's return code. If New fails, the pair is
// the caller's to close.
func New(ctx context.Context, r *bufio2.Reader, w *netx.Writer, cfg Config) (*Client, error) {
	max := cfg.MaxPacket
	if max == 0 {
		max = DefaultMaxPacket
	}
	if max < 0 || max > MaxRemaining {
		panic(fmt.Sprintf("mqtt: Config.MaxPacket is %d, want 0 to MaxRemaining", cfg.MaxPacket))
	}
	keep := cfg.KeepAlive / time.Second
	if keep < 0 || keep > 0xffff {
		panic(fmt.Sprintf("mqtt: Config.KeepAlive is %v, want 0 to 65535 s", cfg.KeepAlive))
	}
	codec := frame.Uvarint{Offset: 1, Strip: frame.KeepHeader, Max: max}
	c := &Client{w: w, fw: frame.NewWriter(w, codec), fr: frame.NewReader(r, codec)}

	level := cfg.ProtocolLevel
	if level == 0 {
		level = protocolLevel
	}
	var flags byte
	if !cfg.Persistent {
		flags |= 0x02
	}
	if cfg.Username != "" {
		flags |= 0x80
	}
	if cfg.Password != "" {
		flags |= 0x40
	}
	b := appendString(nil, "MQTT")
	b = append(b, level, flags)
	b = binary.BigEndian.AppendUint16(b, uint16(keep))
	b = appendString(b, cfg.ClientID)
	if cfg.Username != "" {
		b = appendString(b, cfg.Username)
	}
	if cfg.Password != "" {
		b = appendString(b, cfg.Password)
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("mqtt: %w", context.Cause(ctx))
	}
	if err := c.send(typeConnect<<4, b); err != nil {
		return nil, err
	}
	stop := c.watch(ctx)
	body, err := c.expect(typeConnack)
	if stop() {
		err = fmt.Errorf("mqtt: %w", context.Cause(ctx))
	}
	if err != nil {
		return nil, err
	}
	if len(body) != 2 {
		return nil, &ProtocolError{fmt.Sprintf("CONNACK of %d bytes", len(body))}
	}
	if body[1] != 0 {
		return nil, &ConnectError{Code: body[1]}
	}
	c.session = body[0]&1 != 0
	return c, nil
}

// SessionPresent reports CONNACK's Session Present flag: the server had
// kept a session for this ClientID.
func (c *Client) SessionPresent() bool { return c.session }

// Subscribe subscribes to the messages of topic (a filter, with + and #
// wildcards) at a QoS of at most qos, 0 or 1, and returns the QoS that
// the server granted. A refusal (SUBACK's 0x80) is a *SubscribeError.
func (c *Client) Subscribe(ctx context.Context, topic string, qos byte) (granted byte, err error) {
	if qos > 1 {
		panic("mqtt: Subscribe: this client takes QoS 0 and 1")
	}
	id := c.nextID()
	b := binary.BigEndian.AppendUint16(c.wbuf[:0], id)
	b = append(appendString(b, topic), qos)
	c.wbuf = b
	body, err := c.call(ctx, typeSubscribe<<4|subscribeFlags, b, typeSuback, id)
	if err != nil {
		return 0, err
	}
	if len(body) != 3 {
		return 0, c.fail(&ProtocolError{fmt.Sprintf("SUBACK of %d bytes for one topic", len(body))})
	}
	switch g := body[2]; {
	case g == 0x80:
		return 0, &SubscribeError{Topic: topic}
	case g > qos:
		return 0, c.fail(&ProtocolError{fmt.Sprintf("SUBACK grants QoS %d for %d asked", g, qos)})
	default:
		return g, nil
	}
}

// Publish sends payload to topic at QoS 0 or 1. At QoS 0 it returns once
// the packet is written; at QoS 1 once the server's PUBACK arrives. The
// Client does not keep topic or payload after Publish returns.
func (c *Client) Publish(ctx context.Context, topic string, payload []byte, qos byte, retain bool) error {
	if qos > 1 {
		panic("mqtt: Publish: this client takes QoS 0 and 1")
	}
	typ := byte(typePublish<<4) | qos<<publishQoSShift
	if retain {
		typ |= publishRetain
	}
	b := appendString(c.wbuf[:0], topic)
	var id uint16
	if qos == 1 {
		id = c.nextID()
		b = binary.BigEndian.AppendUint16(b, id)
	}
	b = append(b, payload...)
	c.wbuf = b
	if qos == 0 {
		if err := c.ready(ctx); err != nil {
			return err
		}
		return c.send(typ, b)
	}
	_, err := c.call(ctx, typ, b, typePuback, id)
	return err
}

// Ping sends PINGREQ and waits for PINGRESP.
func (c *Client) Ping(ctx context.Context) error {
	_, err := c.call(ctx, typePingreq<<4, nil, typePingresp, 0)
	return err
}

// ReadMessage returns the next message, which is the caller's to keep:
// one kept while an earlier call waited, else the next PUBLISH to arrive.
// It acknowledges a QoS 1 message with PUBACK before it returns it.
//
// A ctx that ends while ReadMessage waits interrupts it (through the
// connection's read deadline) and breaks the Client.
func (c *Client) ReadMessage(ctx context.Context) (Message, error) {
	if len(c.queue) > 0 {
		m := c.queue[0]
		c.queue[0] = Message{}
		c.queue = c.queue[1:]
		return m, nil
	}
	m, err := c.ReadMessageSlice(ctx)
	if err != nil {
		return Message{}, err
	}
	m.Topic, m.Payload = bytes.Clone(m.Topic), bytes.Clone(m.Payload)
	return m, nil
}

// ReadMessageSlice is [Client.ReadMessage] without the copies: the Topic
// and Payload of a message read from the connection point into its
// buffer, valid only until the next call on the Client. It allocates
// nothing for such a message.
func (c *Client) ReadMessageSlice(ctx context.Context) (Message, error) {
	if len(c.queue) > 0 {
		return c.ReadMessage(ctx)
	}
	if err := c.ready(ctx); err != nil {
		return Message{}, err
	}
	stop := c.watch(ctx)
	m, err := c.readMessage()
	if stop() {
		return Message{}, c.interrupted(ctx)
	}
	return m, err
}

func (c *Client) readMessage() (Message, error) {
	typ, body, err := c.read()
	if err != nil {
		return Message{}, err
	}
	if typ>>4 != typePublish {
		return Message{}, c.fail(&ProtocolError{fmt.Sprintf("unexpected packet type %d while reading messages", typ>>4)})
	}
	return c.publish(typ, body)
}

// Close sends DISCONNECT and closes the connection. It is idempotent:
// later calls return nil.
func (c *Client) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	if c.err == nil {
		c.send(typeDisconnect<<4, nil)
	}
	return c.w.Close()
}

// call sends a packet and waits for the acknowledgement of type ack with
// packet identifier id (none for PINGRESP), keeping the PUBLISH packets
// that come first. It returns the acknowledgement's body, valid until the
// next read.
func (c *Client) call(ctx context.Context, typ byte, body []byte, ack byte, id uint16) ([]byte, error) {
	if err := c.ready(ctx); err != nil {
		return nil, err
	}
	if err := c.send(typ, body); err != nil {
		return nil, err
	}
	stop := c.watch(ctx)
	reply, err := c.expect(ack)
	if stop() {
		return nil, c.interrupted(ctx)
	}
	if err != nil {
		return nil, err
	}
	if ack != typePingresp {
		if len(reply) < 2 || binary.BigEndian.Uint16(reply) != id {
			return nil, c.fail(&ProtocolError{fmt.Sprintf("acknowledgement %x for packet %d", reply, id)})
		}
	}
	return reply, nil
}

// ready returns the error that stops a call before it sends anything.
func (c *Client) ready(ctx context.Context) error {
	switch {
	case c.err != nil:
		return c.err
	case c.closed:
		return ErrClosed
	case ctx.Err() != nil:
		return fmt.Errorf("mqtt: %w", context.Cause(ctx))
	}
	return nil
}

// expect reads packets up to one of type want and returns its body.
// PUBLISH packets that come first are acknowledged and queued.
func (c *Client) expect(want byte) ([]byte, error) {
	for {
		typ, body, err := c.read()
		if err != nil {
			return nil, err
		}
		switch t := typ >> 4; {
		case t == want && (typ&0x0f == 0):
			return body, nil
		case t == typePublish && want != typeConnack:
			if len(c.queue) == MaxQueued {
				return nil, c.fail(fmt.Errorf("mqtt: more than %d messages arrived while waiting for packet type %d", MaxQueued, want))
			}
			m, err := c.publish(typ, body)
			if err != nil {
				return nil, err
			}
			m.Topic, m.Payload = bytes.Clone(m.Topic), bytes.Clone(m.Payload)
			c.queue = append(c.queue, m)
		default:
			return nil, c.fail(&ProtocolError{fmt.Sprintf("unexpected packet type %d (flags %#x) while waiting for type %d", t, typ&0x0f, want)})
		}
	}
}

// publish parses a PUBLISH and acknowledges it if its QoS is 1.
func (c *Client) publish(typ byte, body []byte) (Message, error) {
	m := Message{QoS: typ >> publishQoSShift & 3, Retain: typ&publishRetain != 0, Dup: typ&0x08 != 0}
	if m.QoS > 1 {
		return Message{}, c.fail(&ProtocolError{fmt.Sprintf("PUBLISH at QoS %d, more than subscribed", m.QoS)})
	}
	topic, rest, ok := cutString(body)
	if !ok {
		return Message{}, c.fail(&ProtocolError{"PUBLISH ends inside its topic"})
	}
	m.Topic = topic
	if m.QoS == 1 {
		if len(rest) < 2 {
			return Message{}, c.fail(&ProtocolError{"PUBLISH ends inside its packet identifier"})
		}
		m.ID = binary.BigEndian.Uint16(rest)
		rest = rest[2:]
		var ack [2]byte
		binary.BigEndian.PutUint16(ack[:], m.ID)
		if err := c.send(typePuback<<4, ack[:]); err != nil {
			return Message{}, err
		}
	}
	m.Payload = rest
	return m, nil
}

// read reads the next packet: its first byte and its body, valid until
// the next read. It checks what frame leaves to MQTT: a remaining length
// of at most four bytes.
func (c *Client) read() (typ byte, body []byte, err error) {
	p, err := c.fr.Next()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF // the server closed the connection
		}
		return 0, nil, c.fail(err)
	}
	typ, _, hdr, err := parseFixedHeader(p)
	if err != nil {
		return 0, nil, c.fail(err)
	}
	return typ, p[hdr:], nil
}

// parseFixedHeader decodes the fixed header at the start of p: the type
// byte, the remaining length and the header's size. It returns a zero
// size if p does not hold all of the header, and a *ProtocolError for a
// remaining length of five bytes or more.
func parseFixedHeader(p []byte) (typ byte, remaining, hdr int, err error) {
	if len(p) < 2 {
		return 0, 0, 0, nil
	}
	for i := 1; i < len(p); i++ {
		if i == 5 {
			return 0, 0, 0, &ProtocolError{fmt.Sprintf("remaining length % x runs past four bytes", p[1:6])}
		}
		remaining |= int(p[i]&0x7f) << (7 * (i - 1))
		if p[i] < 0x80 {
			return p[0], remaining, i + 1, nil
		}
	}
	return 0, 0, 0, nil
}

// send writes one packet and flushes it.
func (c *Client) send(typ byte, body []byte) error {
	if err := c.fw.WriteTyped(typ, body); err != nil {
		return c.fail(err)
	}
	if err := c.fw.Flush(); err != nil {
		return c.fail(err)
	}
	return nil
}

func (c *Client) nextID() uint16 {
	c.id++
	if c.id == 0 {
		c.id = 1
	}
	return c.id
}

// watch makes ctx's end interrupt the read in progress, by setting the
// connection's read deadline in the past. stop undoes it and reports
// whether it fired.
func (c *Client) watch(ctx context.Context) (stop func() bool) {
	if ctx.Done() == nil {
		return noWatch
	}
	w := c.w
	cancel := context.AfterFunc(ctx, func() { w.SetReadDeadline(time.Unix(1, 0)) })
	return func() bool { return !cancel() }
}

func noWatch() bool { return false }

// interrupted breaks the Client after ctx ended a wait.
func (c *Client) interrupted(ctx context.Context) error {
	err := fmt.Errorf("mqtt: %w", context.Cause(ctx))
	c.err = fmt.Errorf("%w: %w", ErrBroken, err)
	return err
}

// fail breaks the Client with err.
func (c *Client) fail(err error) error {
	if c.err == nil {
		c.err = fmt.Errorf("%w: %w", ErrBroken, err)
	}
	return err
}

// appendString appends an MQTT string: a two-byte length and the bytes.
func appendString(dst []byte, s string) []byte {
	if len(s) > 0xffff {
		panic(fmt.Sprintf("mqtt: a string of %d bytes is over 65535", len(s)))
	}
	return append(binary.BigEndian.AppendUint16(dst, uint16(len(s))), s...)
}

// cutString splits an MQTT string off the start of p.
func cutString(p []byte) (s, rest []byte, ok bool) {
	if len(p) < 2 {
		return nil, nil, false
	}
	n := int(binary.BigEndian.Uint16(p))
	if len(p)-2 < n {
		return nil, nil, false
	}
	return p[2 : 2+n : 2+n], p[2+n:], true
}

// ConnectError is a CONNACK that refuses the connection.
type ConnectError struct {
	Code byte // CONNACK's return code, 1 to 5
}

func (e *ConnectError) Error() string {
	reasons := [...]string{1: "unacceptable protocol version", 2: "identifier rejected", 3: "server unavailable",
		4: "bad user name or password", 5: "not authorized"}
	if int(e.Code) < len(reasons) && reasons[e.Code] != "" {
		return fmt.Sprintf("mqtt: connection refused: %s (%d)", reasons[e.Code], e.Code)
	}
	return fmt.Sprintf("mqtt: connection refused with return code %d", e.Code)
}

// SubscribeError is a SUBACK that refuses a subscription.
type SubscribeError struct {
	Topic string
}

func (e *SubscribeError) Error() string {
	return fmt.Sprintf("mqtt: subscription to %q refused", e.Topic)
}

// ProtocolError reports a packet that breaks the protocol. After it, the
// Client is broken.
type ProtocolError struct {
	Reason string
}

func (e *ProtocolError) Error() string { return "mqtt: protocol error: " + e.Reason }

// ErrBroken is wrapped by the error of every call on a Client after one
// that left it out of step with the server: a packet cut short, malformed
// or too large, a connection that failed, or a ctx that ended a wait.
var ErrBroken = errors.New("mqtt: connection broken by an earlier error")

// ErrClosed is returned by calls on a closed Client.
var ErrClosed = errors.New("mqtt: client closed")

// IsBroken reports whether err says that a Client is broken.
func IsBroken(err error) bool { return errors.Is(err, ErrBroken) }
