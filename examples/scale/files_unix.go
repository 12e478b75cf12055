//go:build unix

package main

import (
	"fmt"
	"syscall"
)

// raiseOpenFiles raises the soft open-file limit to at least want: to the
// hard limit, or past it (and the hard limit with it) where the process is
// allowed to. It reports the limit it ends with and, if that is less than
// want, why.
func raiseOpenFiles(want uint64) fileLimit {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return fileLimit{known: false, err: err}
	}
	l := fileLimit{cur: uint64(r.Cur), max: uint64(r.Max), before: uint64(r.Cur), want: want, known: true}
	if want > l.max {
		// Only a privileged process may raise the hard limit.
		n := r
		setLimit(&n.Cur, want)
		setLimit(&n.Max, want)
		err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &n)
		if err == nil {
			l.cur, l.max = want, want
			return l
		}
		l.err = fmt.Errorf("the hard limit is %d and raising it failed: %w", l.max, err)
	}
	if l.cur < l.max {
		n := r
		n.Cur = r.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &n); err != nil {
			l.err = fmt.Errorf("raising the soft limit to the hard limit failed: %w", err)
			return l
		}
		l.cur = l.max
	}
	return l
}

// setLimit sets a field of syscall.Rlimit, whose type varies by system.
func setLimit[T int64 | uint64](p *T, v uint64) { *p = T(v) }
