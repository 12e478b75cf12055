package frame

// The typed interface, for the tests: a codec that is not typed gives
// ErrNotTyped, as one whose Offset is not 1 does.

func TypedFrame(c Codec, data []byte, atEOF bool) (hdr, n int, err error) {
	t, ok := c.(typed)
	if !ok {
		return 0, 0, ErrNotTyped
	}
	return t.typedFrame(data, atEOF)
}

func AppendTypedHeader(c Codec, dst []byte, typ byte, n int) ([]byte, error) {
	t, ok := c.(typed)
	if !ok {
		return dst, ErrNotTyped
	}
	return t.typedHeader(dst, typ, n)
}

func AppendTyped(c Codec, dst []byte, typ byte, body []byte) ([]byte, error) {
	t, ok := c.(typed)
	if !ok {
		return dst, ErrNotTyped
	}
	return t.appendTyped(dst, typ, body)
}
