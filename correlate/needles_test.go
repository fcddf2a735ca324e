package correlate

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/logcorr/logcorr/parser"
)

// containsAny is what needleSet must agree with: Cause.namedIn's plain
// search, one needle at a time.
func containsAny(needles []string, texts ...string) bool {
	for _, n := range needles {
		for _, t := range texts {
			if strings.Contains(t, n) {
				return true
			}
		}
	}
	return false
}

func checkNeedles(t *testing.T, cat Catalogue, ev parser.Event) {
	t.Helper()
	n := newNeedleSet(cat)
	m := n.named(&ev, n.mask())
	texts := []string{ev.Message}
	if ev.Exc != nil {
		texts = append(texts, ev.Exc.Message)
	}
	if ev.Root != nil {
		texts = append(texts, ev.Root.Message)
	}
	for i := range cat {
		require.Equal(t, containsAny(cat[i].Needles, texts...), m.has(i), "cause %d %q in %q", i, cat[i].Needles, texts)
		require.Equal(t, cat[i].namedIn(&ev), m.has(i))
	}
}

func TestNeedleSetAgreesWithSearch(t *testing.T) {
	overlapping := Catalogue{
		{ID: "a", Needles: []string{"she", "hers"}},
		{ID: "b", Needles: []string{"he"}},
		{ID: "c", Needles: []string{"his", "ushers x"}},
		{ID: "d", Needles: []string{""}},
	}
	for _, tc := range []struct {
		name string
		cat  Catalogue
		ev   parser.Event
	}{
		{"builtin, pool timeout", Builtin, parser.Event{Message: "closing because: query_wait_timeout (age=7s)"}},
		{"builtin, in the root exception", Builtin, parser.Event{Message: "Internal Server Error: /accounts/login/",
			Exc:  &parser.Exception{Class: "OperationalError", Message: "server closed the connection unexpectedly"},
			Root: &parser.Exception{Class: "OperationalError", Message: "FATAL:  sorry, too many clients already"}}},
		{"builtin, nothing", Builtin, parser.Event{Message: `"GET /accounts/login/ HTTP/1.1" 200 4521`}},
		{"suffix links", overlapping, parser.Event{Message: "ushers"}},
		{"a needle inside another's", overlapping, parser.Event{Message: "xhe"}},
		{"not across texts", overlapping, parser.Event{Message: "us", Exc: &parser.Exception{Message: "hers"}}},
		{"many causes", manyCauses(130), parser.Event{Message: "cause-7 and cause-129 and cause-64"}},
	} {
		t.Run(tc.name, func(t *testing.T) { checkNeedles(t, tc.cat, tc.ev) })
	}
}

func manyCauses(n int) Catalogue {
	cat := make(Catalogue, n)
	for i := range cat {
		cat[i] = Cause{ID: "c", Needles: []string{"cause-" + strings.Repeat("x", i%3) + string(rune('0'+i%10)) + "-" + string(rune('a'+i/10))}}
	}
	cat[7].Needles = append(cat[7].Needles, "cause-7")
	cat[129].Needles = append(cat[129].Needles, "cause-129")
	cat[64].Needles = append(cat[64].Needles, "cause-64")
	return cat
}

// FuzzNeedleSet: any needles, any text, the automaton finds what a plain
// search finds.
func FuzzNeedleSet(f *testing.F) {
	f.Add("she|hers|he", "ushers", "his")
	f.Add("query_wait_timeout|deadlock detected", "closing because: query_wait_timeout", "")
	f.Add("aa|aaa|", "aaaa", "b")
	f.Fuzz(func(t *testing.T, needles, message, exc string) {
		var cat Catalogue
		for _, n := range strings.Split(needles, "|") {
			cat = append(cat, Cause{ID: n, Needles: []string{n}})
		}
		checkNeedles(t, cat, parser.Event{Message: message, Exc: &parser.Exception{Message: exc}})
	})
}

func TestNeedleSetCountsEveryBuiltinNeedle(t *testing.T) {
	n := newNeedleSet(Builtin)
	for i, c := range Builtin {
		for _, needle := range c.Needles {
			m := n.named(&parser.Event{Message: "x " + needle + " y"}, n.mask())
			assert.True(t, m.has(i), "%s: %q", c.ID, needle)
		}
	}
}

// writeException must write what Exception.String gives, which the
// chains' reasons said before it wrote them without the string.
func TestWriteExceptionAsString(t *testing.T) {
	for _, e := range []parser.Exception{
		{Class: "psycopg2.OperationalError", Message: "server closed the connection unexpectedly\n\tThis probably means"},
		{Class: "redis.exceptions.ConnectionError"},
		{Message: "not a Class: message line"},
		{Class: "ValueError", Message: "\nstarts with a newline"},
		{},
	} {
		var b strings.Builder
		writeException(&b, &e)
		assert.Equal(t, e.String(), b.String(), "%+v", e)
	}
}
