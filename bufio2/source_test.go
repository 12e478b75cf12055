package bufio2_test

import (
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/streamkit/streamkit/bufio2"
	"github.com/streamkit/streamkit/fuzz"
)

// starterSource is a ReadStarter that logs its calls: "start fresh",
// "start" (not fresh) and "read" for each Read.
type starterSource struct {
	r   io.Reader
	log []string
}

func (s *starterSource) Read(p []byte) (int, error) {
	s.log = append(s.log, "read")
	return s.r.Read(p)
}

func (s *starterSource) StartRead(fresh bool) {
	if fresh {
		s.log = append(s.log, "start fresh")
	} else {
		s.log = append(s.log, "start")
	}
}

// TestReadStarter checks ReadStarter's contract: one StartRead per call
// that reads, before its first read; none for a call served from the
// buffer; fresh exactly when the call found nothing buffered.
func TestReadStarter(t *testing.T) {
	type step struct {
		name string
		call func(*bufio2.Reader) error
		want []string // the log entries this call adds
	}
	readLine := func(b *bufio2.Reader) error { _, err := b.ReadLine(); return err }
	tests := []struct {
		name  string
		input string
		chunk int // the source's reads are at most this long
		steps []step
	}{
		{
			name: "lines", input: "ab\ncd\nef", chunk: 3,
			steps: []step{
				{"first line: nothing buffered", readLine, []string{"start fresh", "read"}},
				{"second line: partly buffered? no, the chunk ended at the newline", readLine, []string{"start fresh", "read"}},
				{"last line: reads to EOF in one call", readLine, []string{"start fresh", "read", "read"}},
				{"EOF is sticky: no read", readLine, nil},
			},
		},
		{
			name: "a line over two reads", input: "abcd\nef\n", chunk: 2,
			steps: []step{
				{"one start, three reads", readLine, []string{"start fresh", "read", "read", "read"}},
				{"the rest of a chunk is buffered: not fresh", readLine, []string{"start", "read"}},
			},
		},
		{
			name: "buffered calls do not start", input: "a\nb\nc\n", chunk: 100,
			steps: []step{
				{"reads all", readLine, []string{"start fresh", "read"}},
				{"buffered", readLine, nil},
				{"buffered", func(b *bufio2.Reader) error { _, err := b.ReadExactly(2); return err }, nil},
				{"peek with nothing buffered: fresh, and finds EOF", func(b *bufio2.Reader) error { _, err := b.Peek(1); return err }, []string{"start fresh", "read"}},
			},
		},
		{
			name: "exactly, across reads", input: "0123456789", chunk: 4,
			steps: []step{
				{"buffered part then reads", func(b *bufio2.Reader) error { _, err := b.ReadExactly(2); return err }, []string{"start fresh", "read"}},
				{"not fresh: two bytes were buffered", func(b *bufio2.Reader) error { _, err := b.ReadExactly(6); return err }, []string{"start", "read"}},
				{"read, discard, byte", func(b *bufio2.Reader) error {
					if _, err := b.Discard(1); err != nil {
						return err
					}
					_, err := b.ReadByte()
					return err
				}, []string{"start fresh", "read"}},
			},
		},
		{
			name: "Read and WriteTo", input: "abcdef", chunk: 2,
			steps: []step{
				{"Read", func(b *bufio2.Reader) error { _, err := b.Read(make([]byte, 1)); return err }, []string{"start fresh", "read"}},
				{"Read of the buffered byte", func(b *bufio2.Reader) error { _, err := b.Read(make([]byte, 8)); return err }, nil},
				{"WriteTo", func(b *bufio2.Reader) error { _, err := b.WriteTo(io.Discard); return err }, []string{"start fresh", "read", "read", "read"}},
			},
		},
		{
			name: "an overlong line is skipped within its call", input: "abcdefgh\nxy\n", chunk: 3,
			steps: []step{
				{"ReadLine overruns and skips", func(b *bufio2.Reader) error {
					if _, err := b.ReadLine(); err == nil {
						t.Error("ReadLine: no overrun")
					}
					return nil
				}, []string{"start fresh", "read", "read", "read"}},
				{"next line", readLine, []string{"start fresh", "read"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &starterSource{r: fuzz.Chunking{Rest: tt.chunk}.Reader([]byte(tt.input))}
			b := bufio2.NewReaderLimit(src, 4)
			for _, st := range tt.steps {
				src.log = nil
				if err := st.call(b); err != nil && err != io.EOF {
					t.Fatalf("%s: %v", st.name, err)
				}
				if diff := cmp.Diff(st.want, src.log); diff != "" {
					t.Errorf("%s: log (-want +got):\n%s", st.name, diff)
				}
			}
		})
	}
}
