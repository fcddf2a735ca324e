package engine

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/logcorr/logcorr/correlate"
	"github.com/logcorr/logcorr/locust"
	"github.com/logcorr/logcorr/report"
	"github.com/logcorr/logcorr/source"
)

// kept is a renderer that keeps what it is given.
type kept struct {
	chains []string
	// anchors are the chains' anchor times.
	anchors []time.Time
	run     *report.Run
	// notices are what the run said on stderr.
	notices []string
}

// notice keeps a notice, and logs it.
func (k *kept) notice(t *testing.T) func(string) {
	return func(msg string) {
		t.Log(msg)
		k.notices = append(k.notices, msg)
	}
}

// Chain keeps what a chain says: its anchor, cause and every link, each
// by its source and line, offset, role and reason.
func (k *kept) Chain(ch *correlate.Chain) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d %s %s %d cause=%s basis=%v notes=%q", ch.Anchor.Source, ch.Anchor.Line, ch.Method, ch.Path, ch.Status,
		ch.Cause, ch.Basis, ch.Notes)
	for _, l := range ch.Evidence {
		fmt.Fprintf(&b, "\n  %s:%d %v %v %s", l.Event.Source, l.Event.Line, l.Offset, l.Role, l.Why)
	}
	k.chains = append(k.chains, b.String())
	k.anchors = append(k.anchors, ch.Time)
	return nil
}

func (k *kept) Finish(r *report.Run) error {
	k.run = r
	return nil
}

// captureDir writes a committed capture's logs, uncompressed, into a
// folder of their own (Locust's CSV files left out: tail reads them when
// it stops, analyze as it starts, and neither correlates them).
func captureDir(t *testing.T, logs string) string {
	t.Helper()
	dir := t.TempDir()
	names, err := filepath.Glob(filepath.Join(logs, "*.log*"))
	require.NoError(t, err)
	require.NotEmpty(t, names)
	for _, name := range names {
		b, err := os.ReadFile(name)
		require.NoError(t, err)
		plain := filepath.Base(name)
		if strings.HasSuffix(name, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			require.NoError(t, err)
			b, err = io.ReadAll(zr)
			require.NoError(t, err)
			plain = strings.TrimSuffix(plain, ".gz")
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, plain), b, 0o644))
	}
	return dir
}

// options read the lab's naive times: the app's in Asia/Jakarta, nginx's
// error log in UTC.
func options(t *testing.T) *source.Options {
	jakarta, err := time.LoadLocation("Asia/Jakarta")
	require.NoError(t, err)
	return &source.Options{Loc: jakarta, Zones: []source.Rule[*time.Location]{{Glob: "nginx_error.log", Value: time.UTC}}}
}

// saved runs the engine over dir's files as analyze reads them.
func saved(t *testing.T, dir string) *kept {
	out, _, stopped := savedUntil(t, dir, nil)
	require.False(t, stopped)
	return out
}

// savedUntil is saved, Read stopped once stop says so (StopWhen), how far
// it got, and whether it stopped before the logs' end.
func savedUntil(t *testing.T, dir string, stop func() bool) (*kept, time.Time, bool) {
	out := &kept{}
	cat := NewCatalog()
	opts := options(t)
	opts.OnPart = cat.Found
	opts.Warn = out.notice(t)
	names, err := filepath.Glob(filepath.Join(dir, "*"))
	require.NoError(t, err)
	sort.Strings(names)
	var streams []*source.Stream
	for _, name := range names {
		s, err := source.Open(source.Input{Name: name, Path: name}, opts)
		if errors.Is(err, source.ErrEmpty) {
			continue // analyze says so, and reads the rest
		}
		require.NoError(t, err, name)
		defer s.Close()
		streams = append(streams, s)
	}
	eng := New(correlate.DefaultConfig(), out, cat, out.notice(t))
	eng.StopWhen(stop)
	disorder := eng.Read(streams, func(err error) { t.Error(err) })
	run := &report.Run{Config: correlate.DefaultConfig()}
	for i, s := range streams {
		run.Sources = append(run.Sources, eng.Sources(s, disorder[i])...)
	}
	eng.Summarize(run, &locust.Run{})
	require.NoError(t, eng.Finish(run))
	return out, eng.Reached(), eng.Stopped()
}

// TestLongLinesCutAlike: a line longer than source.MaxLine, in the middle
// of the shipped incident's error log and of its runserver log, is cut at
// MaxLine by both ways in, and said alike, so analyze and tail still give
// the same chains and summary.
func TestLongLinesCutAlike(t *testing.T) {
	dir := captureDir(t, "../testdata/login-storm-psycopg2/logs")
	var want []string
	for _, name := range []string{"django_errors.log", "runserver_8000.err.log"} {
		path := filepath.Join(dir, name)
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		lines := strings.SplitAfter(string(raw), "\n")
		at := len(lines) / 2
		long := "  " + strings.Repeat("x", source.MaxLine+source.MaxLine/2) + "\n"
		lines = append(lines[:at], append([]string{long}, lines[at:]...)...)
		require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "")), 0o644))
		want = append(want, fmt.Sprintf("%s:%d: line longer than %d bytes; the rest of it is ignored", path, at+1, source.MaxLine))
	}
	cuts := func(k *kept) []string {
		var out []string
		for _, n := range k.notices {
			if strings.Contains(n, "line longer than") {
				out = append(out, n)
			}
		}
		sort.Strings(out)
		return out
	}
	a, l := saved(t, dir), live(t, dir)
	require.NotEmpty(t, a.chains)
	assert.Equal(t, want, cuts(a))
	assert.Equal(t, want, cuts(l))
	assert.Equal(t, a.chains, l.chains)
	assert.Equal(t, a.run.Summary, l.run.Summary)
}

// TestStoppedReadIsACut: a run stopped part way (Ctrl-C) has read every
// log up to one time, Reached: each chain whose window closed long enough
// before it (its After, the longest wait for late lines and the merge's
// slack) is the whole run's, and the whole run has no other chain there.
func TestStoppedReadIsACut(t *testing.T) {
	dir := captureDir(t, "../testdata/login-storm-psycopg2/logs")
	whole := saved(t, dir)
	// A stop that never says so: the logs read whole, and Stopped says no.
	asked := 0
	never, _, stopped := savedUntil(t, dir, func() bool { asked++; return false })
	assert.False(t, stopped)
	assert.Positive(t, asked)
	assert.Equal(t, whole.chains, never.chains)
	before := func(k *kept, until time.Time) []string {
		var out []string
		for i, at := range k.anchors {
			if at.Before(until) {
				out = append(out, k.chains[i])
			}
		}
		return out
	}
	for _, events := range []int{7000, 10000} {
		t.Run(fmt.Sprint(events), func(t *testing.T) {
			n := 0
			cut, reached, stopped := savedUntil(t, dir, func() bool { n++; return n > events })
			require.Equal(t, events+1, n, "asked once an event")
			require.True(t, stopped, "Stopped")
			require.False(t, reached.IsZero())
			settled := reached.Add(-correlate.DefaultConfig().After - correlate.MaxWait - correlate.DefaultSlack)
			want := before(whole, settled)
			require.NotEmpty(t, want, "chains settled before %s", settled)
			assert.Equal(t, want, before(cut, settled))
			assert.Less(t, len(cut.chains), len(whole.chains))
			assert.True(t, whole.anchors[len(whole.anchors)-1].After(reached), "the whole run goes on past the cut")
		})
	}
}

// live runs the engine over dir's files as tail follows them from their
// start, on a clock that moves 50 ms a look, until every log has been
// quiet long enough for tail to end what they hold.
func live(t *testing.T, dir string) *kept {
	out := &kept{}
	clock := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	now := func() time.Time {
		clock = clock.Add(50 * time.Millisecond)
		return clock
	}
	eng := New(correlate.DefaultConfig(), out, NewCatalog(), out.notice(t))
	tl := eng.Follow(options(t), FollowOptions{Paths: []string{dir}, FromStart: true, Grace: 2 * time.Second, Idle: 5 * time.Second, Now: now})
	for i := 0; ; i++ {
		require.Less(t, i, 100000, "the logs never went quiet")
		tl.Step()
		if _, ended := tl.Ended(); ended {
			break
		}
	}
	run := &report.Run{Config: correlate.DefaultConfig()}
	tl.Finish(run, 0)
	require.NoError(t, eng.Finish(run))
	return out
}

// TestSavedAndLiveAgree holds the engine's two ways in to one answer: the
// lab's captures, read whole as analyze reads them and followed from their
// start as tail does, give the same chains, every link included, and the
// summary says the same of every log (its format, wrapping, zone, events,
// span, gaps, disorder, lines not placed). The two commands share this
// engine, so what they print cannot drift apart.
func TestSavedAndLiveAgree(t *testing.T) {
	captures, err := filepath.Glob("../testdata/captures/*/logs")
	require.NoError(t, err)
	captures = append(captures, "../testdata/login-storm-psycopg2/logs")
	require.GreaterOrEqual(t, len(captures), 10)
	for _, logs := range captures {
		name := filepath.Base(filepath.Dir(logs))
		t.Run(name, func(t *testing.T) {
			if testing.Short() && name != "login-storm-psycopg2" {
				t.Skip("one capture in -short")
			}
			dir := captureDir(t, logs)
			a, l := saved(t, dir), live(t, dir)
			require.NotNil(t, a.run)
			require.NotNil(t, l.run)
			assert.Equal(t, a.chains, l.chains)
			bySource := func(srcs []report.SourceInfo) map[string]report.SourceInfo {
				out := map[string]report.SourceInfo{}
				for _, s := range srcs {
					out[s.File] = s
				}
				return out
			}
			require.NotEmpty(t, a.run.Sources)
			assert.Equal(t, bySource(a.run.Sources), bySource(l.run.Sources))
			assert.Equal(t, a.run.Summary, l.run.Summary)
			assert.Equal(t, a.run.Hypotheses, l.run.Hypotheses)
		})
	}
}
