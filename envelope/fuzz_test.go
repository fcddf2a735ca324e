package envelope

import (
	"strings"
	"testing"
	"time"

	"github.com/logcorr/logcorr/parser"
)

// FuzzEnvelopes: whatever lines an unwrapper is given, it never panics,
// hands on records only of lines it was given, and keeps every record's
// text out of the envelope (no record longer than the lines it came from).
func FuzzEnvelopes(f *testing.F) {
	for i, k := range Kinds() {
		f.Add(uint8(i), k.Example+"\n"+k.Example)
	}
	f.Add(uint8(0), "2026-11-26T17:15:09.1Z stderr P a\n2026-11-26T17:15:09.2Z stderr F b\n")
	f.Add(uint8(9), "MESSAGE\n\x05\x00\x00\x00\x00\x00\x00\x00a\nbc\n\n")
	f.Fuzz(func(t *testing.T, which uint8, data string) {
		k := Kinds()[int(which)%len(Kinds())]
		lines := strings.Split(data, "\n")
		u := k.Open(parser.NewClock("fuzz", time.UTC, nil))
		check := func(r Record) {
			if r.Num < 1 || r.Num > len(lines) {
				t.Fatalf("record of line %d, of %d lines", r.Num, len(lines))
			}
			if len(r.Text) > len(data) {
				t.Fatalf("record longer than its input: %q", r.Text)
			}
		}
		for i, l := range lines {
			u.Unwrap(i+1, l, check)
		}
		u.Flush(check)
		Detect(lines)
	})
}

// FuzzFlatMembers: a line flatMembers reads whole, encoding/json reads as
// the same object of strings (a key given twice keeping its last value).
func FuzzFlatMembers(f *testing.F) {
	for _, k := range []*Kind{dockerJSONKind, journalJSONKind} {
		f.Add(k.Example)
	}
	for _, c := range flatMembersCases {
		f.Add(c.line)
	}
	f.Fuzz(func(t *testing.T, line string) {
		checkFlatMembers(t, line)
	})
}
