package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/logcorr/logcorr/correlate"
	"github.com/logcorr/logcorr/engine"
	"github.com/logcorr/logcorr/parser"
	"github.com/logcorr/logcorr/replay"
	"github.com/logcorr/logcorr/report"
)

// steppedClock is virtual wall-clock time for a replay and a tailer
// together: while the replay sleeps until a line is due, the tailer takes
// a step at every --interval on the way, as tail's loop would, with reads
// taking no time. Latency is then measured exactly, and in no time.
type steppedClock struct {
	now, next time.Time
	every     time.Duration
	step      func(now time.Time)
}

func (c *steppedClock) Now() time.Time { return c.now }

func (c *steppedClock) SleepUntil(_ context.Context, t time.Time) {
	for !c.next.After(t) {
		c.now, c.next = c.next, c.next.Add(c.every)
		c.step(c.now)
	}
	if t.After(c.now) {
		c.now = t
	}
}

// captureLogs copies a capture's logs (not Locust's CSV files, which Locust
// rewrites in place) into a folder replay can read.
func captureLogs(t *testing.T, logs string) (string, []string) {
	dir := t.TempDir()
	files, err := os.ReadDir(logs)
	require.NoError(t, err)
	var names []string
	for _, f := range files {
		name := strings.TrimSuffix(f.Name(), ".gz")
		if f.IsDir() || strings.HasSuffix(name, ".csv") {
			continue
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), readMaybeGz(t, filepath.Join(logs, f.Name())), 0o644))
		names = append(names, name)
	}
	require.NotEmpty(t, names)
	return dir, names
}

func quantile(sorted []time.Duration, q float64) time.Duration {
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

// placed is an event as tail's correlator took it, at its place.
type placed struct {
	ev  parser.Event
	key time.Time
}

// readyAt finds when each chain could come out at the earliest, whoever
// reads the logs: the events tail's correlator took, in its order (which
// is analyze's), go to a correlator settled every 10 ms of event time. The
// place it was settled to when a chain came out is the first at which the
// lines before it allowed the chain: its window closed, the requests begun
// before its anchor answered (chains come in anchor order), the wait for
// lines written late over. A chain that came only at the end of input is
// missing. Keyed by anchor file, generation and line.
func readyAt(cfg correlate.Config, taken []placed) map[string]time.Time {
	ready := map[string]time.Time{}
	var settled time.Time
	corr := correlate.New(cfg, func(ch correlate.Chain) {
		ready[fmt.Sprintf("%s#%d:%d", ch.Anchor.Source, ch.Anchor.Gen, ch.Anchor.Line)] = settled
	})
	for _, p := range taken {
		for x := settled.Add(10 * time.Millisecond); !settled.IsZero() && x.Before(p.key); x = x.Add(10 * time.Millisecond) {
			settled = x
			corr.Settle(x)
		}
		settled = maxTime(settled, p.key)
		corr.AddAt(&p.ev, p.key)
	}
	settled = time.Time{}
	corr.Close()
	for k, at := range ready {
		if at.IsZero() {
			delete(ready, k)
		}
	}
	return ready
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// TestTailLatencyAtRealPace: captures written at their own pace (on
// virtual time, see steppedClock) while tail follows them from before
// their first line. Each time its chains are analyze's, every evidence
// line; they come within the slack + 0.5 s of the moment the lines allowed
// them (readyAt) at p95, a second more where a late traceback is held
// open; and the last of them (requests the server never answered, held
// until every log is quiet) within --after + slack + 1 s of the logs going
// quiet. On the shipped capture, where nothing but its window holds a
// chain, that is within the slack + 0.5 s of the window closing (anchor +
// --after). docs/tail.md has the figures, and the stress harness's on real
// time.
func TestTailLatencyAtRealPace(t *testing.T) {
	for _, tc := range []struct {
		logs string
		// windowed: nothing but the window holds chains, so that the
		// latency after the window closed is the one to bound too.
		windowed bool
		// rotate, when set, rotates every file so (replay.ParseRotation).
		rotate string
	}{
		{logs: "../../testdata/login-storm-psycopg2/logs", windowed: true},
		{logs: "../../testdata/login-storm-psycopg2/logs", windowed: true, rotate: "*=rename/10s"},
		{logs: "../../testdata/login-storm-psycopg2/logs", windowed: true, rotate: "*=copytruncate/10s"},
		{logs: "../../testdata/captures/gunicorn-nginx-pool/logs"},
		{logs: "../../testdata/captures/uwsgi-json-pool/logs"},
		{logs: "../../testdata/captures/uwsgi-nginx-console-json/logs"},
		{logs: "../../testdata/captures/debug-off-long/logs"},
		{logs: "../../testdata/captures/storm-150/logs"},
	} {
		name := filepath.Base(filepath.Dir(tc.logs))
		if tc.rotate != "" {
			name += ", " + tc.rotate
		}
		t.Run(name, func(t *testing.T) { tailAtRealPace(t, tc.logs, tc.windowed, tc.rotate) })
	}
}

func tailAtRealPace(t *testing.T, logs string, windowed bool, rotate string) {
	loc, err := time.LoadLocation("Asia/Jakarta")
	require.NoError(t, err)
	src, names := captureLogs(t, logs)
	// The lab's nginx writes its error log's naive times in UTC, the app
	// in Asia/Jakarta.
	zones := map[string]*time.Location{"nginx_error.log": time.UTC}
	tz := []string{"--tz", "Asia/Jakarta", "--tz", "nginx_error.log=UTC"}
	dst := filepath.Join(t.TempDir(), "live")
	require.NoError(t, os.MkdirAll(dst, 0o755))

	start := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	clock := &steppedClock{now: start, next: start}
	var stdout, stderr bytes.Buffer
	var taken []placed
	watch := func(fo *engine.FollowOptions) {
		fo.Placed = func(ev *parser.Event, key time.Time) { taken = append(taken, placed{*ev, key}) }
	}
	tl, c, cfg := stepTailerWith(t, clock.Now, &stdout, &stderr, watch, append(tz, "--format", "json", dst)...)
	clock.every = c.Interval
	var lines []string
	var when []time.Time
	// quiet is when the logs first went quiet for tail to end what they
	// hold open (engine.Tailer.Ended): a server stopped mid-request.
	// The chains that come then are the end of input's.
	var quiet, ended time.Time
	clock.step = func(now time.Time) {
		tl.Step()
		if since, done := tl.Ended(); done && ended.IsZero() {
			ended, quiet = now, since
		}
		for _, l := range strings.SplitAfter(stdout.String(), "\n") {
			if strings.HasSuffix(l, "\n") {
				lines = append(lines, l)
				when = append(when, now)
			}
		}
		stdout.Reset()
	}

	var wall0, event0 time.Time
	plan := replay.Plan{Speed: 1, Loc: loc, Zones: zones, Clock: clock, Started: func(wall, first time.Time) { wall0, event0 = wall, first }}
	if rotate != "" {
		name, rot, err := replay.ParseRotation(rotate)
		require.NoError(t, err)
		plan.Rotate = map[string]replay.Rotation{name: rot}
	}
	_, err = replay.Run(context.Background(), src, names, dst, plan)
	require.NoError(t, err)
	written := clock.Now()
	clock.SleepUntil(context.Background(), written.Add(correlate.DefaultAfter+correlate.DefaultSlack+time.Second))
	tl.Close()
	require.Empty(t, strings.TrimSpace(stdout.String()), "every chain out before the end")
	wallOf := func(at time.Time) time.Time { return wall0.Add(at.Sub(event0)) }

	ready := readyAt(cfg, taken)
	var chains []report.JSONChain
	// sinceReady is what tail adds; heldPast what the correlator's own
	// order adds past the window (the same in analyze).
	var sinceReady, sinceClose, heldPast []time.Duration
	last := time.Duration(0)
	for i, l := range lines {
		var c tailLine
		require.NoError(t, json.Unmarshal([]byte(l), &c))
		require.Equal(t, "chain", c.Type)
		chains = append(chains, c.JSONChain)
		if !when[i].Before(ended) {
			last = max(last, when[i].Sub(quiet))
			continue
		}
		at, ok := ready[fmt.Sprintf("%s#%d:%d", c.Anchor.File, c.Anchor.Generation, c.Anchor.Line)]
		require.True(t, ok, "chain of %s:%d came while the logs were written, but only at the end of them when read whole", c.Anchor.File, c.Anchor.Line)
		sinceReady = append(sinceReady, when[i].Sub(wallOf(at)))
		closes := parseStamp(t, c.Anchor.Time).Add(correlate.DefaultAfter)
		sinceClose = append(sinceClose, when[i].Sub(wallOf(closes)))
		heldPast = append(heldPast, at.Sub(closes))
	}
	doc := analyzeJSON(t, append(tz, dst)...)
	require.NotEmpty(t, doc.Chains)
	// By the lines' text: a file of two programs followed from empty
	// names them by its first lines (gunicorn's own, then Django's records
	// as "[django]"), analyze by the whole file's; and line numbers differ
	// between a followed file's generations and the files rotation leaves.
	assert.Equal(t, textKeys(doc.Chains), textKeys(chains), "tail's chains are analyze's, every evidence line")

	require.False(t, ended.IsZero(), "the logs went quiet")
	require.NotEmpty(t, sinceReady)
	slices.Sort(sinceReady)
	slices.Sort(sinceClose)
	slices.Sort(heldPast)
	figures := func(d []time.Duration) string {
		return fmt.Sprintf("p50 %s, p95 %s, max %s", quantile(d, 0.5), quantile(d, 0.95), d[len(d)-1])
	}
	t.Logf("%d chains while the logs were written; after the lines allowed them: %s; after their window closed: %s; the lines allowed them after their window closed: %s; %d once the logs went quiet, the last %s after",
		len(sinceReady), figures(sinceReady), figures(sinceClose), figures(heldPast), len(chains)-len(sinceReady), last)
	// A traceback more than the slack behind its log is placed at the
	// log's floor then (correlate's holder), but only once it ends: when
	// the next record begins, or after engine.LineWait without a line. Until then
	// the watermark stays at that floor.
	budget := correlate.DefaultSlack + 500*time.Millisecond
	for _, s := range doc.Sources {
		if s.OutOfOrder > 0 {
			budget = correlate.DefaultSlack + engine.LineWait + 500*time.Millisecond
		}
	}
	assert.LessOrEqual(t, quantile(sinceReady, 0.95), budget, "p95 within the slack (and the time a late traceback is held open) + 0.5 s of the lines allowing the chain")
	if windowed {
		assert.LessOrEqual(t, quantile(sinceClose, 0.95), correlate.DefaultSlack+500*time.Millisecond, "p95 within the slack + 0.5 s of the window closing")
	}
	assert.LessOrEqual(t, last, correlate.DefaultAfter+correlate.DefaultSlack+time.Second, "the last chains within --after + slack + 1 s of the logs going quiet")
}

// TestTailSaysOvertakenLines: a log silent for a while that then writes a
// line stamped further back than the slack (and than its lines had ever
// come) finds the watermark past its place: tail hands it on at once and
// says so on stderr, naming the file and line, rather than silently
// giving chains other than analyze's.
func TestTailSaysOvertakenLines(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	clock := &steppedClock{now: start, next: start}
	var stdout, stderr bytes.Buffer
	tl, c, _ := stepTailer(t, clock.Now, &stdout, &stderr, "--tz", "UTC", "--format", "json", dir)
	clock.every = c.Interval
	appendLine := func(name, line string) {
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		require.NoError(t, err)
		_, err = f.WriteString(line + "\n")
		require.NoError(t, err)
		require.NoError(t, f.Close())
	}
	pgbouncer := func(at time.Time) string {
		return at.Format("2006-01-02 15:04:05.000") + " UTC [28431] LOG stats: 10 xacts/s, 10 queries/s, in 1000 B/s, out 1000 B/s, xact 100 us, query 100 us, wait 0 us"
	}
	auth := func(at time.Time, status int) string {
		return at.Format("2006-01-02 15:04:05,000") + fmt.Sprintf(" INFO auth_debug: method=GET path=/accounts/login/ user=- status=%d dur_ms=11", status)
	}
	clock.step = func(now time.Time) {
		if now.Equal(start.Add(time.Second)) {
			appendLine("auth_debug.log", auth(now, 200))
		}
		appendLine("pgbouncer.log", pgbouncer(now))
		tl.Step()
	}
	const said = "later than tail waited"
	clock.SleepUntil(context.Background(), start.Add(10*time.Second))
	appendLine("auth_debug.log", auth(clock.Now().Add(-time.Second), 200))
	clock.SleepUntil(context.Background(), start.Add(12*time.Second))
	assert.NotContains(t, stderr.String(), said, "a line within the slack is in time")
	late := clock.Now().Add(-4 * time.Second)
	appendLine("auth_debug.log", auth(late, 500))
	clock.SleepUntil(context.Background(), start.Add(14*time.Second))
	tl.Close()
	assert.Contains(t, stderr.String(), filepath.Join(dir, "auth_debug.log")+":3: came ")
	assert.Equal(t, 1, strings.Count(stderr.String(), said))
	assert.Contains(t, stderr.String(), "chains near it may lack it where analyze has it")
}

// textKeys describes chains by the text of every line they cite: file
// names and line numbers differ between a followed file's generations and
// the files rotation leaves, the lines do not.
func textKeys(chains []report.JSONChain) []string {
	var keys []string
	for _, c := range chains {
		var ev []string
		for _, l := range c.Evidence {
			ev = append(ev, l.Text)
		}
		sort.Strings(ev)
		keys = append(keys, c.Anchor.Text+" | "+c.Cause+" | "+strings.Join(ev, " | "))
	}
	sort.Strings(keys)
	return keys
}
