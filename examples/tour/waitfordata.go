package main

import (
	"fmt"
	"io"

	"github.com/streamkit/streamkit/examples/internal/waitfordata"
)

// waitForData runs examples/wait-for-data: a socketpair, one end adopted
// with netx.Wrap (asyncio's open_connection(sock=...)), the other sending
// "abc" while the reader waits.
func waitForData(w io.Writer) error {
	fmt.Fprintln(w, `one end of a socketpair adopted with netx.Wrap; the other end sends "abc"`)
	return waitfordata.Run(w)
}
