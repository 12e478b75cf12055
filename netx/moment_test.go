package netx

import (
	"math"
	"testing"
	"time"
)

// TestMoment: a deadline kept as a moment is the time it was given, by
// the monotonic clock when the time has a monotonic reading and by the
// wall clock when it has none; the zero time is no deadline; moments
// saturate rather than wrap around.
func TestMoment(t *testing.T) {
	if m := momentOf(time.Time{}); m != 0 || !m.time().IsZero() {
		t.Errorf("momentOf(zero) = %d, time %v; want 0 and the zero time", m, m.time())
	}
	if m := momentOf(epoch); m == 0 {
		t.Error("momentOf(epoch) is 0, which means no deadline")
	}
	base := time.Now()
	for _, tt := range []struct {
		name string
		t    time.Time
	}{
		{"monotonic", base.Add(time.Second)},
		{"wall clock only", base.Add(time.Second).Round(0)},
		{"long ago", time.Unix(1, 0)},
		{"far ahead", base.AddDate(200, 0, 0)},
	} {
		got := momentOf(tt.t).time()
		if d := got.Sub(tt.t); d < -time.Microsecond || d > time.Microsecond {
			t.Errorf("%s: %v comes back as %v (%v off)", tt.name, tt.t, got, d)
		}
	}
	if a, b := momentOf(base), momentOf(base.Add(time.Nanosecond)); !(a < b) {
		t.Errorf("moments out of order: %d, %d", a, b)
	}
	if e := earliest(0, 5); e != 5 {
		t.Errorf("earliest(none, 5) = %d", e)
	}
	if e := earliest(7, 5); e != 5 {
		t.Errorf("earliest(7, 5) = %d", e)
	}
	if e := earliest(3, 0); e != 3 {
		t.Errorf("earliest(3, none) = %d", e)
	}
	if now().after(time.Hour) <= now() {
		t.Error("an hour from now is not after now")
	}
	if m := now().after(math.MaxInt64); m <= now() {
		t.Errorf("the longest duration from now is %d, before now: it wrapped around", m)
	}
	if m := moment(-5).after(math.MinInt64); m >= -5 {
		t.Errorf("the longest duration before -5 is %d: it wrapped around", m)
	}
}
