package bufio2

// BufferSize returns the size of the Reader's buffer: 0 when it holds none.
func BufferSize(b *Reader) int { return len(b.c.Buf) }
