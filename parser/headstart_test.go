package parser_test

import (
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/logcorr/logcorr/parser"
)

// committedLogs is every log the repository holds: each capture's and the
// shipped incident's.
func committedLogs(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob("../testdata/captures/*/logs/*.log.gz")
	require.NoError(t, err)
	plain, err := filepath.Glob("../testdata/login-storm-psycopg2/logs/*.log")
	require.NoError(t, err)
	return append(paths, plain...)
}

// TestHeadStartsAsSpec holds the parsers that tell their own record starts
// (headStarter: the head they read is kept for the Feed that follows) to
// their format's Spec.Starts: on every line of every committed capture's
// logs, asked of every program the demultiplexer found in the file, as it
// feeds the file, the two answer alike.
func TestHeadStartsAsSpec(t *testing.T) {
	paths := committedLogs(t)
	require.Greater(t, len(paths), 50)
	asked := map[string]int{}
	for _, path := range paths {
		lines := readLines(t, path)
		d := parser.NewDemux(path, func(string) *parser.Clock { return &parser.Clock{Loc: time.UTC} }, func(parser.Event) {})
		if _, ok := d.Start(lines[:min(len(lines), 200)]); !ok {
			continue // no log format: Locust's CSV files, an empty log
		}
		for i, l := range lines {
			text := parser.Clean(l)
			for _, p := range d.Parts() {
				if parser.IsHeadStarter(p.Parser) {
					asked[p.Spec.Format.Name]++
					require.Equal(t, p.Spec.Starts(text), parser.PartStarts(p, text), "%s:%d (%s): %q", path, i+1, p.Name, l)
				}
			}
			d.Feed(parser.Line{Num: i + 1, Text: l})
		}
	}
	// Lines a collector took PgBouncer's time and pid off (journald,
	// syslog), which no capture holds as they are, and lines of neither.
	pgb := parser.NewDemux("pgbouncer", func(string) *parser.Clock { return &parser.Clock{Loc: time.UTC} }, func(parser.Event) {})
	pgb.Start([]string{"2026-11-26 17:15:02.050 UTC [1] LOG kernel file descriptor limit: 1024 (hard: 1048576); max_client_conn: 130, max expected fd use: 172"})
	for i, l := range []string{
		"LOG C-0x55d0c4e0a370: ahsp/ahsp@172.18.0.1:50554 closing because: query_wait_timeout (age=120s)",
		"C-0x55d0c4e0a370: ahsp/ahsp@172.18.0.1:50554 login attempt: db=ahsp user=ahsp tls=no",
		"LOG stats: 10 xacts/s, 10 queries/s, in 1000 B/s, out 1000 B/s, xact 100 us, query 100 us, wait 0 us",
		"Stats: 1 req/s, in 10 b/s, out 20 b/s,query 300 us",
		"WARNING something without a prefix",
		"2026-11-26 17:15:03.000 UTC [1] LOG process up",
		"Traceback (most recent call last):",
		"",
	} {
		p := pgb.Parts()[0]
		asked[p.Spec.Format.Name]++
		require.Equal(t, p.Spec.Starts(l), parser.PartStarts(p, l), "%q", l)
		pgb.Feed(parser.Line{Num: i + 2, Text: l})
	}
	assert.Positive(t, asked["python"], "Python logging's parser asked")
	assert.Positive(t, asked["pgbouncer"], "PgBouncer's parser asked")
	assert.Positive(t, asked["runserver"], "runserver's parser asked")
}

// TestRunserverAskedAsFed holds runserver's parser to the same events
// whether the demultiplexer asks it of each line first (its answer kept,
// and the tests it is made of skipped in Continues and Feed) or it is fed
// the lines alone: on every committed log read as runserver's alone.
func TestRunserverAskedAsFed(t *testing.T) {
	paths := committedLogs(t)
	clock := func(string) *parser.Clock { return &parser.Clock{Loc: time.UTC} }
	compared, records := 0, 0
	for _, path := range paths {
		lines := readLines(t, path)
		var viaDemux, alone []parser.Event
		d := parser.NewDemux(path, clock, func(ev parser.Event) { viaDemux = append(viaDemux, ev) })
		if _, ok := d.Start(lines[:min(len(lines), 200)]); !ok || len(d.Parts()) != 1 || d.Parts()[0].Spec.Format.Name != "runserver" {
			continue
		}
		p := d.Parts()[0].Spec.New(clock(path), func(ev parser.Event) { alone = append(alone, ev) })
		for i, l := range lines {
			d.Feed(parser.Line{Num: i + 1, Text: l})
		}
		d.Flush()
		if len(d.Parts()) != 1 {
			continue // another program's lines came: the streams differ by design
		}
		for i, l := range lines {
			p.Feed(parser.Line{Num: i + 1, Text: l})
		}
		p.Flush()
		require.Equal(t, alone, viaDemux, path)
		compared++
		for _, ev := range alone {
			if ev.Kind == parser.KindRequestLog {
				records++
			}
		}
	}
	require.Greater(t, compared, 3, "runserver logs compared")
	assert.Greater(t, records, 100, "error records among their events")
}

// TestNoStartsRemembered: a line found to start no format's record is
// remembered, not asked again (in a stream of one program, that no other
// program could start it); a stream must give the same events as when
// each line is asked anew. The shipped incident's logs are read each
// alone, and as one stream, their lines dealt out in turn (as a file
// several programs write to, or journald's output, holds them).
func TestNoStartsRemembered(t *testing.T) {
	names := []string{"runserver_8000.err.log", "django_errors.log", "pgbouncer.log", "auth_debug.log"}
	var files [][]string
	for _, name := range names {
		files = append(files, readLines(t, filepath.Join("..", "testdata", "login-storm-psycopg2", "logs", name)))
	}
	var dealt []string
	for i := 0; ; i++ {
		more := false
		for _, f := range files {
			if i < len(f) {
				dealt, more = append(dealt, f[i]), true
			}
		}
		if !more {
			break
		}
	}
	streams := map[string][]string{"one stream": dealt}
	for i, name := range names {
		streams[name] = files[i]
	}
	for name, stream := range streams {
		t.Run(name, func(t *testing.T) {
			read := func(forget bool) ([]parser.Event, int) {
				var evs []parser.Event
				d := parser.NewDemux("one.log", func(string) *parser.Clock { return &parser.Clock{Loc: time.UTC} }, func(ev parser.Event) { evs = append(evs, ev) })
				_, ok := d.Start(stream[:200])
				require.True(t, ok)
				for i, l := range stream {
					if forget {
						parser.ForgetNoStarts(d)
					}
					d.Feed(parser.Line{Num: i + 1, Text: l})
				}
				d.Flush()
				return evs, parser.NoStartsKept(d)
			}
			remembered, kept := read(false)
			require.NotEmpty(t, remembered)
			if name == "one stream" || name == "django_errors.log" || name == "runserver_8000.err.log" {
				assert.Positive(t, kept, "lines were remembered")
			}
			asked, _ := read(true)
			assert.Equal(t, asked, remembered)
		})
	}
}

// TestMayStartOtherBeforeDetect: in a stream of one program, before it
// looks for a new program among all formats, the demultiplexer rules out
// the lines none of them could start a record with (mayStartOther). No
// line a format detects alone may be ruled out: every format's examples,
// and every line of every committed log. Heroku's router's older form
// ("Error H12 (Request timeout) -> …") was, and went to the one
// program's parser.
func TestMayStartOtherBeforeDetect(t *testing.T) {
	var lines []string
	for _, f := range parser.Formats() {
		lines = append(lines, f.Examples...)
	}
	for _, path := range committedLogs(t) {
		lines = append(lines, readLines(t, path)...)
	}
	seen := map[string]bool{}
	detected := 0
	for _, l := range lines {
		text := parser.Clean(l)
		if seen[text] || text == "" || text[0] == ' ' || text[0] == '\t' {
			continue
		}
		seen[text] = true
		if parser.DetectsAlone(text) {
			detected++
			assert.True(t, parser.MayStartOther(text), "ruled out, yet a record start: %q", text)
		}
	}
	assert.Greater(t, detected, 1000)
}

// A Heroku router line in its older form, in a stream so far of one
// program (the shipped incident's runserver stderr, tracebacks and all),
// is the router's record: a new program, not the first's line.
func TestRouterLineInAStreamOfOne(t *testing.T) {
	lines := readLines(t, filepath.Join("..", "testdata", "login-storm-psycopg2", "logs", "runserver_8000.err.log"))[:3000]
	router := `Error H12 (Request timeout) -> GET quiet-wind-6510.herokuapp.com/admin/core/pilegroup/1/ dyno=web.1 queue= wait= service=30000ms status=503 bytes=0`
	lines = append(lines, router)
	var evs []parser.Event
	d := parser.NewDemux("web.log", func(string) *parser.Clock { return &parser.Clock{Loc: time.UTC} }, func(ev parser.Event) { evs = append(evs, ev) })
	_, ok := d.Start(lines[:2000])
	require.True(t, ok)
	for i, l := range lines {
		d.Feed(parser.Line{Num: i + 1, Text: l, Stamp: time.Date(2026, 11, 26, 17, 15, 3, 0, time.UTC)})
	}
	d.Flush()
	var formats []string
	for _, p := range d.Parts() {
		formats = append(formats, p.Spec.Name())
	}
	assert.Equal(t, []string{"runserver", "heroku-router"}, formats)
	var routed []parser.Event
	for _, ev := range evs {
		if ev.Line == len(lines) {
			routed = append(routed, ev)
		}
	}
	require.Len(t, routed, 1, "the router's line is an event of its own")
	assert.Equal(t, 503, routed[0].Status)
	assert.Equal(t, router, routed[0].Text)
}

// A sample detected again, as a file's first lines are each time it is
// opened, is answered from memory, from any goroutine, with what working
// it out afresh gives; a sample one line apart, or under another name, is
// worked out anew.
func TestDetectionRemembered(t *testing.T) {
	var samples [][]string
	for _, path := range committedLogs(t) {
		lines := readLines(t, path)
		if len(lines) >= 100 {
			samples = append(samples, lines[:min(len(lines), 2000)])
		}
	}
	require.Greater(t, len(samples), 20)
	before := parser.DetectionsRecalled()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, sample := range samples[g*len(samples)/4 : (g+1)*len(samples)/4] {
				first, ok1 := parser.DetectFor("x.log", sample)
				again, ok2 := parser.DetectFor("x.log", slices.Clone(sample))
				fresh, ok3 := parser.DetectNow("x.log", sample)
				assert.Equal(t, []bool{ok3, ok3}, []bool{ok1, ok2})
				assert.Equal(t, fresh.Spec.String(), first.Spec.String())
				assert.Equal(t, fresh, again)
			}
		}()
	}
	wg.Wait()
	assert.GreaterOrEqual(t, parser.DetectionsRecalled()-before, len(samples), "the second of each pair was recalled")

	// One line apart: runserver's stderr with its first line made a
	// PgBouncer line is no longer the same sample.
	runserver := readLines(t, filepath.Join("..", "testdata", "login-storm-psycopg2", "logs", "runserver_8000.err.log"))[:200]
	d, ok := parser.DetectFor("x.log", runserver)
	require.True(t, ok)
	other := slices.Clone(runserver)
	other[0] = "2026-11-26 17:15:02.050 UTC [28431] LOG listening on 127.0.0.1:26432"
	recalled := parser.DetectionsRecalled()
	_, _ = parser.DetectFor("x.log", other)
	_, _ = parser.DetectFor("y.log", runserver)
	assert.Equal(t, recalled, parser.DetectionsRecalled(), "neither was recalled")
	again, _ := parser.DetectFor("x.log", runserver)
	assert.Equal(t, d, again)
}

// The app's records on gunicorn's stderr, written by Django's untimed
// console handler, lie between gunicorn's own timed lines: a record is
// dated by the next of them only when it comes within tickSpan of the one
// before; else the record's time could be anywhere in between (gunicorn's
// boot line a minute before it, its shutdown a minute after), and it is
// left out and counted, never dated by a far bound. Records after the
// server's own access line keep that line's time, as at the end of
// runserver's stderr.
func TestUntimedRecordsBetweenFarLines(t *testing.T) {
	const record = "Internal Server Error: /accounts/login/\n" +
		"Traceback (most recent call last):\n" +
		"  File \"/usr/lib/python3/dist-packages/redis/connection.py\", line 611, in connect\n" +
		"    sock = self.retry.call_with_retry(\n" +
		"redis.exceptions.ConnectionError: Error 111 connecting to 127.0.0.1:26380. Connection refused."
	const boot = "[2026-12-02 10:49:18 +0000] [5949] [INFO] Starting gunicorn 20.1.0\n" +
		"[2026-12-02 10:49:18 +0000] [5953] [INFO] Booting worker with pid: 5953"
	for _, tc := range []struct {
		name, log string
		dated     []string // the records' times, as dated
		leftOut   int
	}{
		{"between boot and a shutdown 69 s later", boot + "\n" + record + "\n" + record + "\n" +
			"[2026-12-02 10:50:27 +0000] [5949] [INFO] Handling signal: term", nil, 2},
		{"after boot, to the end", boot + "\n" + record, nil, 1},
		{"a gunicorn line 2 s after the one before", boot + "\n" + record + "\n" +
			"[2026-12-02 10:49:20 +0000] [5953] [CRITICAL] WORKER TIMEOUT (pid:5953)", []string{"10:49:20"}, 0},
		{"after runserver's own access line, to the end",
			`[02/Dec/2026 10:49:21] "POST /accounts/login/ HTTP/1.1" 500 145` + "\n" + record, []string{"10:49:21"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lines := strings.Split(tc.log, "\n")
			var records []parser.Event
			d := parser.NewDemux("gunicorn_error.log", func(string) *parser.Clock { return &parser.Clock{Loc: time.UTC} }, func(ev parser.Event) {
				if ev.Kind == parser.KindRequestLog {
					records = append(records, ev)
				}
			})
			_, ok := d.Start(lines)
			require.True(t, ok)
			for i, l := range lines {
				d.Feed(parser.Line{Num: i + 1, Text: l})
			}
			d.Flush()
			var dated []string
			for _, ev := range records {
				dated = append(dated, ev.Time.Format("15:04:05"))
			}
			assert.Equal(t, tc.dated, dated)
			left := 0
			for _, p := range d.Parts() {
				if rs, ok := p.Parser.(*parser.Runserver); ok {
					left += rs.Untimed
				}
			}
			assert.Equal(t, tc.leftOut, left)
		})
	}
}

// More untimed records in a row than are held for a timed line, after
// gunicorn's boot line, are left out and said as what they are: too many
// to hold, not records with no timed line near them.
func TestUntimedRecordsCrowded(t *testing.T) {
	const record = "Internal Server Error: /accounts/login/\n" +
		"Traceback (most recent call last):\n" +
		"redis.exceptions.ConnectionError: Error 111 connecting to 127.0.0.1:26380. Connection refused."
	lines := []string{"[2026-12-02 10:49:18 +0000] [5949] [INFO] Starting gunicorn 20.1.0"}
	for range 4200 {
		lines = append(lines, strings.Split(record, "\n")...)
	}
	lines = append(lines, "[2026-12-02 10:49:20 +0000] [5953] [CRITICAL] WORKER TIMEOUT (pid:5953)")
	d := parser.NewDemux("gunicorn_error.log", func(string) *parser.Clock { return &parser.Clock{Loc: time.UTC} }, func(parser.Event) {})
	_, ok := d.Start(lines[:2000])
	require.True(t, ok)
	for i, l := range lines {
		d.Feed(parser.Line{Num: i + 1, Text: l})
	}
	d.Flush()
	var said []string
	for _, p := range d.Parts() {
		if rs, ok := p.Parser.(*parser.Runserver); ok {
			assert.Positive(t, rs.Crowded)
			said = append(said, parser.LeftOut(rs))
		}
	}
	require.Len(t, said, 1)
	assert.Contains(t, said[0], "came more than 4096 in a row")
}
