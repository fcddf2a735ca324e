package correlate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	// Long enough to be skipped through: repeats that a skip could pass
	// over, needles at a text's very start and end, texts shorter than
	// the window.
	skipped := Catalogue{
		{ID: "a", Needles: []string{"abcabd", "abcabcabd"}},
		{ID: "b", Needles: []string{"cabdxyz"}},
		{ID: "c", Needles: []string{"zzzz"}},
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
		{"skipped, overlapping repeats", skipped, parser.Event{Message: "abcabcabcabdxyz"}},
		{"skipped, at the edges", skipped, parser.Event{Message: "zzzz abcab", Exc: &parser.Exception{Message: "xx zzzz"}}},
		{"skipped, shorter than the window", skipped, parser.Event{Message: "zzz", Root: &parser.Exception{Message: "abcabd"}}},
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

// FuzzNeedleSet: any needles, any text, the automaton (or the skip, when
// every needle is long enough) finds what a plain search finds.
func FuzzNeedleSet(f *testing.F) {
	f.Add("she|hers|he", "ushers", "his")
	f.Add("abcabd|abcabcabd|cabdxyz", "abcabcabcabdxyz", "xabcab")
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
// chains' reasons said before it wrote them without the string: for every
// exception of the shipped incident's error logs, and the edges none of
// them has.
func TestWriteExceptionAsString(t *testing.T) {
	excs := []parser.Exception{
		{Class: "redis.exceptions.ConnectionError"},
		{Message: "not a Class: message line"},
		{Class: "ValueError", Message: "\nstarts with a newline"},
		{},
	}
	for _, name := range []string{"runserver_8000.err.log", "django_errors.log"} {
		raw, err := os.ReadFile(filepath.Join("..", "testdata", "login-storm-psycopg2", "logs", name))
		require.NoError(t, err)
		lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
		det, ok := parser.Detect(lines[:200])
		require.True(t, ok, name)
		p := det.Spec.New(&parser.Clock{Loc: time.UTC}, func(ev parser.Event) {
			for _, e := range []*parser.Exception{ev.Exc, ev.Root} {
				if e != nil {
					excs = append(excs, *e)
				}
			}
		})
		for i, l := range lines {
			p.Feed(parser.Line{Num: i + 1, Text: l})
		}
		p.Flush()
	}
	require.Greater(t, len(excs), 1000, "exceptions from the capture")
	multiLine := 0
	for _, e := range excs {
		if strings.Contains(e.Message, "\n") {
			multiLine++
		}
		var b strings.Builder
		writeException(&b, &e)
		require.Equal(t, e.String(), b.String(), "%+v", e)
	}
	assert.Positive(t, multiLine, "messages of several lines (psycopg2's) among them")
}
