package netx

import "sync"

// sendToken is the right to hand a [Writer]'s bytes to the kernel. At most
// one goroutine holds it at a time, and only the holder takes bytes from the
// head of the queue, so the bytes leave in the order they were written. The
// holder sends without the Writer's mu, which lets writers append while a
// send is in flight: their bytes join the next send.
//
// Whoever is about to send tries to take the token (tryAcquire) and, if it
// is held, leaves the bytes to the holder, which decides what happens to
// them when it releases ([Writer.releaseToken]). Only a Write above the
// high-water mark, which must send its own bytes before it returns, waits
// for the token (acquire); while it waits, nobody else takes it, so a busy
// flusher cannot starve it.
//
// A sendToken is guarded by the Writer's mu.
type sendToken struct {
	held   bool
	queued int    // goroutines waiting in acquire
	takes  uint32 // counts the times the token was taken: the sweeper tells from it whether anyone sent
}

// tryAcquire takes the token if it is free and nobody waits for it, and
// reports whether it did.
func (t *sendToken) tryAcquire() bool {
	if t.held || t.queued > 0 {
		return false
	}
	t.held = true
	t.takes++
	return true
}

// acquire waits until the token is free and takes it, unless ok reports
// false first (the Writer failed or closed); it reports whether it took it.
// Called with mu held; like sync.Cond.Wait it releases mu while it waits and
// holds it again when it returns.
func (t *sendToken) acquire(mu *sync.Mutex, ch *changes, ok func() bool) bool {
	t.queued++
	for t.held && ok() {
		ch.wait(mu, nil)
	}
	t.queued--
	if !ok() {
		ch.broadcast() // another waiter may be able to go on
		return false
	}
	t.held = true
	t.takes++
	return true
}

// release gives the token up and wakes the goroutines waiting for it.
func (t *sendToken) release(ch *changes) {
	t.held = false
	ch.broadcast()
}

// changes tells the goroutines that wait on a [Writer] (for the buffer to
// drain, for the token, for the Writer to fail or close) that its state
// changed: a broadcast, as sync.Cond's, with a stop channel. It is guarded
// by the Writer's mu.
type changes struct {
	ch chan struct{} // closed by broadcast; nil when nobody waits
}

// wait waits for the next broadcast or for stop to be closed, and reports
// whether a broadcast came. Called with mu held; like sync.Cond.Wait it
// releases mu while it waits and holds it again when it returns.
func (c *changes) wait(mu *sync.Mutex, stop <-chan struct{}) bool {
	if c.ch == nil {
		c.ch = make(chan struct{})
	}
	ch := c.ch
	mu.Unlock()
	defer mu.Lock()
	select {
	case <-ch:
		return true
	case <-stop:
		return false
	}
}

// broadcast wakes every goroutine in wait.
func (c *changes) broadcast() {
	if c.ch != nil {
		close(c.ch)
		c.ch = nil
	}
}
