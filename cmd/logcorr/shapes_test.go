package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/logcorr/logcorr/parser"
	"github.com/logcorr/logcorr/report"
	"github.com/logcorr/logcorr/source"
	"github.com/logcorr/logcorr/testdata/shapes"
)

// TestShapes reads the shipped capture as production keeps it (wrapped by
// docker, compose, Kubernetes, journald, syslog, Heroku, or several
// programs in one stream, as testdata/shapes makes them) with no flag but
// the zone, and expects the chains of the bare files: the same anchors,
// causes and evidence lines, wherever the shape put those lines. Then
// again with no flag at all: each program's zone is found from the times
// its collector recorded or from when it was busy, and the chains are the
// same.
func TestShapes(t *testing.T) {
	const logs = "../../testdata/login-storm-psycopg2/logs"
	jakarta, err := time.LoadLocation("Asia/Jakarta")
	require.NoError(t, err)
	bare := analyzeJSON(t, "--tz", "Asia/Jakarta", logs)
	identity := func(file string, line int) (shapes.Pos, bool) {
		return shapes.Pos{File: filepath.Base(file), Line: line}, true
	}
	want := shapeKeys(t, bare.Chains, identity, false)
	require.Len(t, want, 388)
	wantCoarse := shapeKeys(t, bare.Chains, identity, true)

	for _, shape := range shapes.All() {
		t.Run(shape.Name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			m, err := shape.Make(logs, dir, jakarta)
			require.NoError(t, err)
			back := map[shapes.Pos]shapes.Pos{}
			for from, to := range m {
				back[to] = from
			}
			want := want
			if shape.Coarse {
				want = wantCoarse
			}
			for _, flags := range [][]string{{"--tz", "Asia/Jakarta"}, nil} {
				doc := analyzeJSON(t, append(flags, dir)...)
				what := strings.Join(flags, " ")
				if what == "" {
					what = "no --tz"
				}
				assert.Equal(t, bare.ByCause, doc.ByCause, "%s: anchors by cause", what)
				got := shapeKeys(t, doc.Chains, func(file string, line int) (shapes.Pos, bool) {
					f, _ := parser.SplitLabel(file)
					p, ok := back[shapes.Pos{File: filepath.Base(f), Line: line}]
					return p, ok
				}, shape.Coarse)
				missing, extra := diffKeys(want, got)
				assert.Empty(t, missing, "%s: chains of the bare files not found", what)
				assert.Empty(t, extra, "%s: chains the bare files do not give", what)
				for _, s := range doc.Sources {
					if strings.HasPrefix(s.Format, "locust") {
						continue
					}
					assert.Zero(t, s.Unparsed, "%s: %s (%s): every line read", what, s.File, s.Format)
				}
				if flags == nil {
					fromCollector := 0
					for _, c := range doc.Clocks {
						assert.True(t, c.Applied, "%s: a zone found for %s: %s", what, c.File, c.Note)
						assert.Equal(t, "UTC+07:00", c.Offset, "%s: %s", what, c.File)
						if c.Collector != "" && !c.CollectorTimes {
							fromCollector++
							assert.Equal(t, c.Compared, c.Agree, "%s: %s: every naive time as far from its collector's", what, c.File)
						}
					}
					if zonedStamps[shape.Name] {
						assert.NotZero(t, fromCollector, "%s: the app's zone taken from the collector's times", what)
					}
				}
			}
		})
	}
}

// shippedLogs is the shipped capture's folder, absolute so that tests that
// change directory find it too.
var shippedLogs = func() string {
	abs, err := filepath.Abs("../../testdata/login-storm-psycopg2/logs")
	if err != nil {
		panic(err)
	}
	return abs
}()

// namedShape is one of testdata/shapes by name.
func namedShape(t *testing.T, name string) shapes.Shape {
	t.Helper()
	shape, ok := shapes.Named(name)
	require.True(t, ok, name)
	return shape
}

// shapedCapture writes a shape of the shipped capture into a new folder,
// with the capture's naive times in its zone, and says where.
func shapedCapture(t *testing.T, shape shapes.Shape) string {
	t.Helper()
	jakarta, err := time.LoadLocation("Asia/Jakarta")
	require.NoError(t, err)
	dir := t.TempDir()
	_, err = shape.Make(shippedLogs, dir, jakarta)
	require.NoError(t, err)
	return dir
}

// zonedStamps are the shapes whose collector records a zoned time for each
// of the app's lines.
var zonedStamps = map[string]bool{"docker-t": true, "compose-t": true, "docker-json": true, "cri": true,
	"journald-short-iso": true, "journald-short-iso-precise": true, "journald-json": true, "journald-export": true,
	"syslog-5424": true, "heroku": true}

// shapeKeys describes chains by the capture's own lines: anchor, cause and
// evidence, each line mapped back to where it was in the capture. coarse
// describes cause lines by what they say and their second, not their line.
func shapeKeys(t *testing.T, chains []report.JSONChain, orig func(file string, line int) (shapes.Pos, bool), coarse bool) []string {
	t.Helper()
	name := func(file string, line int) string {
		p, ok := orig(file, line)
		if !assert.True(t, ok, "%s:%d is no line of the capture", file, line) {
			return fmt.Sprintf("?%s:%d", file, line)
		}
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	var keys []string
	for _, c := range chains {
		var ev []string
		for _, l := range c.Evidence {
			if coarse && l.Role == "cause" {
				ev = append(ev, "cause "+pgbouncerSays.FindString(l.Text))
				continue
			}
			ev = append(ev, l.Role+" "+name(l.File, l.Line))
		}
		sort.Strings(ev)
		keys = append(keys, fmt.Sprintf("%s %s: %s", name(c.Anchor.File, c.Anchor.Line), c.Cause, strings.Join(ev, ", ")))
	}
	sort.Strings(keys)
	return keys
}

// pgbouncerSays is what a PgBouncer line says, without its connection.
var pgbouncerSays = regexp.MustCompile(`closing because: [a-z_ ]+|pooler error: .*$`)

// diffKeys lists what only a has and what only b has.
func diffKeys(a, b []string) (onlyA, onlyB []string) {
	count := map[string]int{}
	for _, k := range a {
		count[k]++
	}
	for _, k := range b {
		count[k]--
	}
	for k, n := range count {
		for ; n > 0; n-- {
			onlyA = append(onlyA, k)
		}
		for ; n < 0; n++ {
			onlyB = append(onlyB, k)
		}
	}
	sort.Strings(onlyA)
	sort.Strings(onlyB)
	return onlyA, onlyB
}

// TestYearlessCopiedLater: journald's and syslog's short times carry no
// year. Copied a year after the incident (the files' time is then a year
// later), the journal still reads in the incident's year, taken from the
// times its programs wrote with theirs (PgBouncer's), beside the other
// logs or alone, and stderr says so; a journal whose programs write no year
// (uWSGI's harakiri lines) takes the year nearest to the logs beside it, and
// alone can only take the file's year, and says that.
func TestYearlessCopiedLater(t *testing.T) {
	const logs = "../../testdata/login-storm-psycopg2/logs"
	shape := namedShape(t, "journald-short")
	shape.ModTime = time.Date(2027, 12, 2, 9, 0, 0, 0, time.UTC)
	dir := shapedCapture(t, shape)

	bare := analyzeJSON(t, "--tz", "Asia/Jakarta", logs)
	code, out, errOut := runCLI(t, "", "analyze", "--tz", "Asia/Jakarta", "--format", "json", dir)
	require.Equal(t, exitOK, code, errOut)
	const own = "journal.log: its collector's times carry no year; took the year nearest to the times its program wrote with one (2026-11-26)\n"
	assert.Contains(t, errOut, own)
	journalIn2026 := func(out string) {
		t.Helper()
		var doc analyzeDoc
		require.NoError(t, json.Unmarshal([]byte(out), &doc))
		n := 0
		for _, s := range doc.Sources {
			if strings.Contains(s.File, "journal.log") && s.Events > 0 {
				assert.Equal(t, "2026", s.First[:4], s.File)
				n++
			}
		}
		assert.Positive(t, n)
	}
	var doc analyzeDoc
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	assert.Equal(t, bare.Anchors, doc.Anchors)
	assert.Equal(t, bare.ByCause, doc.ByCause)
	journalIn2026(out)

	alone := t.TempDir()
	require.NoError(t, os.Rename(filepath.Join(dir, "journal.log"), filepath.Join(alone, "journal.log")))
	code, out, errOut = runCLI(t, "", "analyze", "--tz", "Asia/Jakarta", "--format", "json", alone)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, errOut, own)
	journalIn2026(out)

	// uWSGI's harakiri lines through syslog, as in unbit/uwsgi#480: no
	// program's time of their own.
	harakiri := "Nov 27 00:15:31 servername app: *** HARAKIRI ON WORKER 10 (pid: 97702, try: 1) ***\n" +
		"Nov 27 00:15:32 servername app: *** HARAKIRI ON WORKER 10 (pid: 97702, try: 2) ***\n"
	syslog := filepath.Join(alone, "syslog")
	require.NoError(t, os.WriteFile(syslog, []byte(harakiri), 0o644))
	require.NoError(t, os.Chtimes(syslog, shape.ModTime, shape.ModTime))
	code, _, errOut = runCLI(t, "", "analyze", "--tz", "Asia/Jakarta", syslog, logs)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, errOut, "syslog: its times carry no year; took the year nearest to postgresql.log's times (2026-11-26)")
	code, _, errOut = runCLI(t, "", "analyze", "--tz", "Asia/Jakarta", syslog)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, errOut, "syslog: its times carry no year; took 2027 from the file's modification time (2027-12-02), as no other log read gives one")
}

// TestCollectorTimesDisagree: when the collector's times do not agree on
// one offset from the app's (here every other web-1 line recorded three
// hours late, as a host whose clock stepped would), they do not decide the
// zone: it is found from when the app was busy, as for a bare file. (The
// records dated by those times are as wrong as they are: the chains are
// not the bare files'.)
func TestCollectorTimesDisagree(t *testing.T) {
	dir := shapedCapture(t, namedShape(t, "compose-t"))
	path := filepath.Join(dir, "compose.log")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(string(b), "\n")
	web := 0
	for i, l := range lines {
		prefix, rest, ok := strings.Cut(l, "| ")
		if !ok || strings.TrimSpace(prefix) != "web-1" {
			continue
		}
		if web++; web%2 == 0 {
			stamp, text, _ := strings.Cut(rest, " ")
			at, err := time.Parse(time.RFC3339Nano, stamp)
			require.NoError(t, err)
			lines[i] = prefix + "| " + at.Add(3*time.Hour).Format(time.RFC3339Nano) + " " + text
		}
	}
	require.Greater(t, web, 1000)
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644))

	doc := analyzeJSON(t, dir)
	var webClock *report.JSONClock
	for i := range doc.Clocks {
		if strings.HasSuffix(doc.Clocks[i].File, "compose.log[web-1]") {
			webClock = &doc.Clocks[i]
		}
	}
	require.NotNil(t, webClock)
	assert.True(t, webClock.Applied)
	assert.Equal(t, "UTC+07:00", webClock.Offset)
	assert.Empty(t, webClock.Collector, "not from the collector's times")
	assert.Greater(t, webClock.Score, 0.9)
}

// TestComposeBlocksFromStdin: docker compose logs piped in, its services a
// block at a time, cannot be read a service at a time as its file is; the
// run says so, and how to read it whole. Saved to a file, the same lines
// draw no such notice (and give the bare files' chains: TestShapes).
func TestComposeBlocksFromStdin(t *testing.T) {
	dir := shapedCapture(t, namedShape(t, "compose-blocks"))
	compose, err := os.ReadFile(filepath.Join(dir, "compose.log"))
	require.NoError(t, err)
	others := []string{filepath.Join(dir, "auth_debug.log"), filepath.Join(dir, "django_errors.log")}
	const hint = "prints each container's lines a block at a time; saved to a file, it is read a container at a time"

	code, _, errOut := runCLI(t, string(compose), append([]string{"analyze", "--tz", "Asia/Jakarta", "--summary", "-"}, others...)...)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, errOut, "<stdin>: ")
	assert.Contains(t, errOut, hint)

	code, _, errOut = runCLI(t, "", append([]string{"analyze", "--tz", "Asia/Jakarta", "--summary", filepath.Join(dir, "compose.log")}, others...)...)
	require.Equal(t, exitOK, code, errOut)
	assert.NotContains(t, errOut, hint)
}

// TestSplitFileNoticesOnce: a compose file read once per service says a
// notice of the file once, not once per reading (a line too long, met by
// the first lines' reading and by each service's).
func TestSplitFileNoticesOnce(t *testing.T) {
	dir := t.TempDir()
	long := "web-1        | " + strings.Repeat("x", source.MaxLine+10)
	lines := []string{
		"pgbouncer-1  | 2026-11-26 17:15:12.718 UTC [1] LOG C-0x1: ahsp/ahsp@10.0.0.5:44978 closing because: query_wait_timeout (age=4s)",
		long,
		`web-1        | [27/Nov/2026 00:15:14] "POST /accounts/login/ HTTP/1.1" 500 219979`,
	}
	path := filepath.Join(dir, "compose.log")
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644))
	code, _, errOut := runCLI(t, "", "analyze", "--tz", "UTC", "--summary", path)
	require.Equal(t, exitOK, code, errOut)
	assert.Equal(t, 1, strings.Count(errOut, "line longer than"), errOut)
}

// TestSplitOnlyWhatComesApart: a compose or kubectl file is read once per
// label only when its labels come out of time order (by the collector's
// times when it wrote them, else when they come in blocks); output that
// interleaves them as they were written (docker compose up, logs -f, -t)
// is read once, as the merge orders it anyway, and costs one reading.
func TestSplitOnlyWhatComesApart(t *testing.T) {
	opts := &source.Options{Loc: time.UTC}
	for _, tc := range []struct {
		shape, file string
		apart       bool
	}{
		{"compose", "compose.log", false},
		{"compose-t", "compose.log", false},
		{"compose-blocks", "compose.log", true},
		{"kubectl-prefix", "pods.log", true},
	} {
		t.Run(tc.shape, func(t *testing.T) {
			path := filepath.Join(shapedCapture(t, namedShape(t, tc.shape)), tc.file)
			s, err := source.Open(source.Input{Name: path, Path: path}, opts)
			require.NoError(t, err)
			split, err := source.SplitByLabel(s, opts)
			require.NoError(t, err)
			if !tc.apart {
				assert.Nil(t, split)
				s.Close()
				return
			}
			require.Len(t, split, 3)
			for _, st := range split[1:] {
				assert.Less(t, st.Size(), split[0].Size(), "%v reads its part of the file", st.Input.Labels)
				st.Close()
			}
			split[0].Close()
		})
	}
}

// TestSplitRotatedFileReadLikeItsLog: a rotated file of a compose log whose
// first lines show no format (a service's own chatter) is read with its
// log's first lines (Input.Like), and split by service as its log is.
func TestSplitRotatedFileReadLikeItsLog(t *testing.T) {
	shaped := shapedCapture(t, namedShape(t, "compose-blocks"))
	blocks, err := os.ReadFile(filepath.Join(shaped, "compose.log"))
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "compose.log"), blocks, 0o644))
	chatter := strings.Repeat("init-1       | waiting for the database...\n", 2100)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "compose.log.1"), append([]byte(chatter), blocks...), 0o644))
	doc := analyzeJSON(t, "--tz", "Asia/Jakarta", dir)
	rotated := 0
	for _, s := range doc.Sources {
		if strings.Contains(s.File, "compose.log.1[") {
			rotated++
			assert.Zero(t, s.OutOfOrder, "%s read in its own order", s.File)
		}
	}
	assert.Equal(t, 3, rotated, "the rotated file's three services")
}
