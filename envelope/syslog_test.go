package envelope

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSplitSpacesAsSplitN(t *testing.T) {
	for _, s := range []string{"", " ", "a", "a b", "a  b", "1 2 3 4 5", "1 2 3 4 5 6", "1 2 3 4 5 6 7 8", " a b c d e f ", "- - - - - rest of it"} {
		var f [6]string
		got := f[:splitSpaces(s, &f)]
		assert.Equal(t, strings.SplitN(s, " ", 6), got, "%q", s)
	}
}

func TestScanBSD(t *testing.T) {
	for _, c := range []struct {
		in                string
		mo, d, h, mi, sec int
		nsec, n           int
		ok                bool
	}{
		{"Nov 26 16:20:54 host x: y", 11, 26, 16, 20, 54, 0, 15, true},
		{"Nov  6 16:20:54.123456 host", 11, 6, 16, 20, 54, 123456000, 22, true},
		{"Jan 31 00:00:00", 1, 31, 0, 0, 0, 0, 15, true},
		{"Dec  1 23:59:60", 12, 1, 23, 59, 60, 0, 15, true},
		{"Nov 6 16:20:54 host", 0, 0, 0, 0, 0, 0, 0, false},
		{"Nov  0 16:20:54", 0, 0, 0, 0, 0, 0, 0, false},
		{"Nov 32 16:20:54", 0, 0, 0, 0, 0, 0, 0, false},
		{"Nov x6 16:20:54", 0, 0, 0, 0, 0, 0, 0, false},
		{"Nov  x 16:20:54", 0, 0, 0, 0, 0, 0, 0, false},
		{"nov 26 16:20:54", 0, 0, 0, 0, 0, 0, 0, false},
		{"Foo 26 16:20:54", 0, 0, 0, 0, 0, 0, 0, false},
		{"Nov 26 24:20:54", 0, 0, 0, 0, 0, 0, 0, false},
	} {
		mo, d, h, mi, sec, nsec, _, n, ok := scanBSD(c.in)
		require.Equal(t, c.ok, ok, "%q", c.in)
		if ok {
			assert.Equal(t, []int{c.mo, c.d, c.h, c.mi, c.sec, c.nsec, c.n}, []int{mo, d, h, mi, sec, nsec, n}, "%q", c.in)
		}
	}
	for i, m := range []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"} {
		assert.Equal(t, i+1, monthOf(m))
	}
}

func TestCutFacility(t *testing.T) {
	for in, want := range map[string]string{
		"daemon.info: Nov 26 16:20:54 x":    "Nov 26 16:20:54 x",
		"local0.err: message: with colons":  "message: with colons",
		"Nov 26 16:20:54 host a.b: message": "Nov 26 16:20:54 host a.b: message",
		"nodot: message":                    "nodot: message",
		"a.b:message":                       "a.b:message",
		"averyveryverylong.facility: x":     "averyveryverylong.facility: x",
		"abcdefghijklmnopq.rs: x":           "x",
		"abcdefghijklmnopq.rst: x":          "abcdefghijklmnopq.rst: x",
		"ab: x.y":                           "ab: x.y",
		"":                                  "",
	} {
		assert.Equal(t, want, cutFacility(in), "%q", in)
	}
}

// One location per offset, whichever way it is found (whole quarter
// hours from a table, others from the map), from any goroutine.
func TestFixedZoneOnePerOffset(t *testing.T) {
	offsets := []int{-14 * 3600, -9*3600 - 1800, -60, 1, 5*3600 + 2700, 7 * 3600, 14 * 3600, 15 * 3600}
	var wg sync.WaitGroup
	got := make([][]*time.Location, 4)
	for g := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, off := range offsets {
				got[g] = append(got[g], fixedZone(off))
			}
		}()
	}
	wg.Wait()
	for i, off := range offsets {
		l := got[0][i]
		_, o := time.Date(2026, 1, 1, 0, 0, 0, 0, l).Zone()
		assert.Equal(t, off, o)
		for g := range got {
			assert.Same(t, l, got[g][i], "offset %d", off)
		}
		assert.Same(t, l, fixedZone(off))
	}
	assert.Same(t, time.UTC, fixedZone(0))
}
