package main

import "fmt"

// fileLimit is the process's open-file limit after raiseOpenFiles.
type fileLimit struct {
	cur, max uint64
	before   uint64 // the soft limit before raiseOpenFiles
	want     uint64
	err      error // why it could not be raised as far as wanted; nil if it was
	known    bool  // false where the system has no such limit to read
}

// fit returns how many connections the limit fits.
func (l fileLimit) fit() int {
	if !l.known || l.cur >= 1<<40 {
		return 1 << 40
	}
	return max(int(l.cur)-fdSlack, 0)
}

func (l fileLimit) describe() string {
	if !l.known {
		return "no open-file limit to raise on this system"
	}
	s := fmt.Sprintf("soft limit %d, hard limit %d", l.cur, l.max)
	if l.cur > l.before {
		s += fmt.Sprintf(" (raised from %d)", l.before)
	}
	if l.err != nil {
		s += fmt.Sprintf("; cannot raise it to %d: %v", l.want, l.err)
	}
	return s
}
