package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/logcorr/logcorr/correlate"
	"github.com/logcorr/logcorr/report"
)

// truthRequest is one failed request as the lab's app recorded it
// (truth/summary.json, failed_requests). logcorr never reads it; only these
// tests do, to score what logcorr found.
type truthRequest struct {
	StartUTC string  `json:"start_utc"`
	EndEpoch float64 `json:"end_epoch"`
	Method   string  `json:"method"`
	Path     string  `json:"path"`
	Status   int     `json:"status"`
	Cause    string  `json:"cause"`
	Thread   int64   `json:"thread"`
	ExcClass string  `json:"exc_class"`
}

func (r truthRequest) interval(t *testing.T) (time.Time, time.Time) {
	start, err := time.Parse(time.RFC3339Nano, r.StartUTC)
	require.NoError(t, err)
	sec := int64(r.EndEpoch)
	end := time.Unix(sec, int64((r.EndEpoch-float64(sec))*1e9))
	return start, end
}

// expectedCause is what logcorr must call a truth cause: the lab names pool
// timeouts after PgBouncer's reason, everything else after its exception.
func (r truthRequest) expectedCause(withPgBouncer bool) string {
	if c, ok := strings.CutPrefix(r.Cause, "pgbouncer_"); ok && withPgBouncer {
		return c
	}
	// A catalogued cause known by its exception goes by its id.
	for _, c := range correlate.Builtin {
		if slices.Contains(c.Exceptions, r.ExcClass) {
			return c.ID
		}
	}
	return r.ExcClass
}

func readMaybeGz(t *testing.T, path string) []byte {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		path += ".gz"
	}
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		require.NoError(t, err)
		b, err = io.ReadAll(zr)
		require.NoError(t, err)
	}
	return b
}

func loginFailures(t *testing.T, capture string) []truthRequest {
	var s struct {
		Failed []truthRequest `json:"failed_requests"`
	}
	require.NoError(t, json.Unmarshal(readMaybeGz(t, filepath.Join(capture, "truth", "summary.json")), &s))
	var out []truthRequest
	for _, r := range s.Failed {
		if r.Path == "/accounts/login/" && r.Status == 500 {
			out = append(out, r)
		}
	}
	return out
}

type analyzeDoc struct {
	Chains []report.JSONChain `json:"chains"`
	report.JSONSummary
}

func analyzeJSON(t *testing.T, args ...string) analyzeDoc {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"analyze", "--format", "json"}, args...), strings.NewReader(""), &stdout, &stderr)
	require.Equal(t, 0, code, "stderr: %s", stderr.String())
	var doc analyzeDoc
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &doc), "stdout is one JSON document")
	return doc
}

func parseStamp(t *testing.T, s string) time.Time {
	ts, err := time.Parse(time.RFC3339Nano, s)
	require.NoError(t, err)
	return ts
}

// identity is what ties a chain to one request: the time of the report
// logged when the request failed (its error record in a Python logging file,
// else its response line, else its access line) and, where the format has
// it, the thread.
type identity struct {
	at     time.Time
	slack  time.Duration // the report's own resolution
	thread int64
}

func chainIdentity(t *testing.T, c report.JSONChain) identity {
	type rep struct {
		time   string
		kind   string
		fields report.JSONFields
		infer  bool
	}
	reps := []rep{{c.Anchor.Time, "anchor", c.Anchor.Fields, c.Anchor.TimeInferred}}
	for _, l := range c.Evidence {
		if l.Role == "request" {
			reps = append(reps, rep{l.Time, l.Kind, l.Fields, l.TimeInferred})
		}
	}
	best, bestRank := rep{}, -1
	for _, r := range reps {
		rank := 0
		switch {
		case r.infer:
			rank = 0
		case r.kind == "request_log" && r.fields.Get("thread") != "":
			rank = 4
		case r.kind == "request_log":
			rank = 3
		case r.fields.Get("status") != "":
			rank = 2
		default:
			rank = 1
		}
		if rank > bestRank {
			best, bestRank = r, rank
		}
	}
	id := identity{at: parseStamp(t, best.time), slack: time.Second}
	if bestRank >= 2 {
		id.slack = 10 * time.Millisecond
	}
	if th := best.fields.Get("thread"); th != "" {
		id.thread, _ = strconv.ParseInt(th, 10, 64)
	}
	return id
}

// matchChains finds a one-to-one assignment of chains to truth requests in
// which each chain's identity lies within its request's lifetime and the
// chain's cause is the request's (Kuhn's augmenting paths). It returns how
// many truth requests got a chain.
func matchChains(t *testing.T, chains []report.JSONChain, truth []truthRequest, withPgBouncer bool) int {
	edges := make([][]int, len(truth))
	for i, r := range truth {
		start, end := r.interval(t)
		for j, c := range chains {
			id := chainIdentity(t, c)
			if id.thread != 0 && id.thread != r.Thread {
				continue
			}
			if id.at.Add(id.slack).Before(start.Add(-time.Second)) || id.at.After(end.Add(2*time.Second)) {
				continue
			}
			if c.Cause != r.expectedCause(withPgBouncer) {
				continue
			}
			edges[i] = append(edges[i], j)
		}
	}
	owner := make([]int, len(chains))
	for j := range owner {
		owner[j] = -1
	}
	var try func(i int, seen []bool) bool
	try = func(i int, seen []bool) bool {
		for _, j := range edges[i] {
			if seen[j] {
				continue
			}
			seen[j] = true
			if owner[j] < 0 || try(owner[j], seen) {
				owner[j] = i
				return true
			}
		}
		return false
	}
	matched := 0
	for i := range truth {
		if try(i, make([]bool, len(chains))) {
			matched++
		}
	}
	return matched
}

// checkOneRequest asserts that a chain's reports are one request's: a
// record that states how long its request ran (auth_debug.log's dur_ms,
// written as the response left) ran around the chain's error records, which
// Django writes while the request runs. Two failures of one second swap
// otherwise, when the app server's lines give only the second.
func checkOneRequest(t *testing.T, doc analyzeDoc) {
	t.Helper()
	for _, c := range doc.Chains {
		// The anchor is an access line in every capture: the records are
		// among the request's other reports.
		var links []report.JSONLink
		for _, l := range c.Evidence {
			if l.Role == "request" {
				links = append(links, l)
			}
		}
		for _, timed := range links {
			if timed.Kind != "record" || timed.DurationMS == 0 {
				continue
			}
			end := parseStamp(t, timed.Time)
			began := end.Add(-time.Duration(timed.DurationMS) * time.Millisecond)
			for _, rec := range links {
				if rec.Kind != "request_log" || rec.TimeInferred || rec.TimeStamped || rec.Proxy {
					continue
				}
				at := parseStamp(t, rec.Time)
				assert.False(t, at.Before(began.Add(-10*time.Millisecond)) || at.After(end.Add(10*time.Millisecond)),
					"%s:%d (%s to %s) and %s:%d (%s) in one chain", filepath.Base(timed.File), timed.Line, began.Format("15:04:05.000"),
					end.Format("15:04:05.000"), filepath.Base(rec.File), rec.Line, at.Format("15:04:05.000"))
			}
		}
	}
}

// checkChains asserts what every analyze run must hold: each evidence line
// cited once, pool-timeout chains cite a query_wait_timeout line inside their
// window, and no chain of another cause cites one.
func checkChains(t *testing.T, doc analyzeDoc, before, after time.Duration) {
	cited := map[string]int{}
	for n, c := range doc.Chains {
		anchor := parseStamp(t, c.Anchor.Time)
		first := anchor
		poolLines := 0
		for _, l := range c.Evidence {
			key := l.File + ":" + strconv.Itoa(l.Line)
			cited[key]++
			assert.Equal(t, 1, cited[key], "chain %d cites %s which another chain cites too", n+1, key)
			if at := parseStamp(t, l.Time); l.Role == "request" && at.Before(first) {
				first = at
			}
		}
		for _, l := range c.Evidence {
			if l.Role != "cause" || !strings.Contains(l.Text, "query_wait_timeout") {
				continue
			}
			poolLines++
			at := parseStamp(t, l.Time)
			assert.False(t, at.Before(first.Add(-before)) || at.After(anchor.Add(after)),
				"chain %d cites %s:%d at %s, outside its window", n+1, l.File, l.Line, l.Time)
		}
		if c.Cause == "query_wait_timeout" {
			named := false
			for _, l := range c.Evidence {
				named = named || l.Role == "request" && l.Exception != nil && strings.Contains(l.Exception.Message, "query_wait_timeout")
			}
			assert.True(t, poolLines > 0 || named, "pool-timeout chain %d (%s:%d) cites no query_wait_timeout line", n+1, c.Anchor.File, c.Anchor.Line)
		} else {
			assert.Zero(t, poolLines, "chain %d, cause %s, cites pool timeouts", n+1, c.Cause)
		}
	}
}

// checkHypotheses: the table confirms exactly the causes the truth has, with
// its counts; nothing else is confirmed.
func checkHypotheses(t *testing.T, doc analyzeDoc, truth []truthRequest, withPgBouncer bool) {
	want := map[string]int{}
	for _, r := range truth {
		switch {
		case r.Cause == "pgbouncer_query_wait_timeout" && withPgBouncer:
			want["query_wait_timeout"]++
		case strings.HasPrefix(r.Cause, "redis_"):
			want["redis_connection_error"]++
		}
	}
	got := map[string]int{}
	for _, h := range doc.Hypotheses {
		assert.Contains(t, []string{"CONFIRMED", "SEEN", "REJECTED", "NOT CHECKED"}, h.Status)
		if h.Status == "CONFIRMED" {
			got[h.ID] = h.Anchors
			assert.Len(t, h.Example, 2, "a confirmed hypothesis shows an example")
		}
	}
	assert.Equal(t, want, got, "confirmed hypotheses")
	if !withPgBouncer {
		for _, h := range doc.Hypotheses {
			if h.ID == "query_wait_timeout" {
				assert.Equal(t, "NOT CHECKED", h.Status, "without PgBouncer's log a pool timeout is not ruled out")
			}
		}
	}
}

func countCauses(truth []truthRequest, withPgBouncer bool) map[string]int {
	m := map[string]int{}
	for _, r := range truth {
		m[r.expectedCause(withPgBouncer)]++
	}
	return m
}

// copyLogs copies a capture's logs, except those named, into a new folder,
// optionally rewriting each line.
func copyLogs(t *testing.T, capture string, skip []string, rewrite func([]byte) []byte) string {
	dir := t.TempDir()
	entries, err := os.ReadDir(filepath.Join(capture, "logs"))
	require.NoError(t, err)
	for _, e := range entries {
		name := e.Name()
		if contains(skip, name) {
			continue
		}
		b := readMaybeGz(t, filepath.Join(capture, "logs", strings.TrimSuffix(name, ".gz")))
		if rewrite != nil {
			b = rewrite(b)
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, strings.TrimSuffix(name, ".gz")), b, 0o644))
	}
	return dir
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s || x+".gz" == s {
			return true
		}
	}
	return false
}

func crlf(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")) }

// splitMidRecord splits a log in two at a traceback line, as a rotation in
// the middle of a record would: NAME.1 gets the first half, NAME the rest.
func splitMidRecord(t *testing.T, name string) {
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	lines := bytes.SplitAfter(b, []byte("\n"))
	cut := len(lines) / 2
	for !bytes.HasPrefix(lines[cut], []byte("  File ")) {
		cut++ // inside a traceback
	}
	require.NoError(t, os.WriteFile(name+".1", bytes.Join(lines[:cut], nil), 0o644))
	require.NoError(t, os.WriteFile(name, bytes.Join(lines[cut:], nil), 0o644))
}

// recordsAfterAccess rewrites runserver's log as Django 1.8 wrote it: each
// request's error record (and traceback) after its access line rather than
// before. Which record is which request's is what analyze finds on the
// capture as it is.
func recordsAfterAccess(t *testing.T, capture, dir string) {
	const name = "runserver_8000.err.log"
	bare := analyzeJSON(t, "--tz", "Asia/Jakarta", filepath.Join(capture, "logs"))
	type span struct{ from, to int }
	after := map[int]span{} // access line → the record to write after it
	moved := map[int]bool{}
	for _, c := range bare.Chains {
		base := func(f string) string { return strings.TrimSuffix(filepath.Base(f), ".gz") }
		if base(c.Anchor.File) != name {
			continue
		}
		for _, l := range c.Evidence {
			if l.Role == "request" && base(l.File) == name && l.Kind == "request_log" {
				end := max(l.EndLine, l.Line)
				after[c.Anchor.Line] = span{l.Line, end}
				for n := l.Line; n <= end; n++ {
					moved[n] = true
				}
			}
		}
	}
	require.NotEmpty(t, after)
	path := filepath.Join(dir, name)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.SplitAfter(string(b), "\n")
	var out strings.Builder
	for i, l := range lines {
		n := i + 1
		if moved[n] {
			continue
		}
		out.WriteString(l)
		if sp, ok := after[n]; ok {
			for k := sp.from; k <= sp.to; k++ {
				out.WriteString(lines[k-1])
			}
		}
	}
	require.NoError(t, os.WriteFile(path, []byte(out.String()), 0o644))
}

// TestAnalyzeAgainstTruth runs analyze as a user would on real captures and
// scores it against what the app recorded of every request.
// truthCase is a capture to score, as it is or changed.
type truthCase struct {
	name    string
	capture string
	skip    []string // logs left out
	rewrite func([]byte) []byte
	split   string // a log cut in two files in the middle of a traceback
	noPgb   bool
	// reorder rewrites the copied logs (Django 1.8's order).
	reorder func(t *testing.T, capture, dir string)
}

func TestAnalyzeAgainstTruth(t *testing.T) {
	const shipped = "../../testdata/login-storm-psycopg2"
	tests := []truthCase{
		{name: "shipped capture", capture: shipped},
		{name: "without auth_debug.log", capture: shipped, skip: []string{"auth_debug.log"}},
		{name: "without pgbouncer.log", capture: shipped, skip: []string{"pgbouncer.log"}, noPgb: true},
		{name: "runserver and pgbouncer only", capture: shipped, skip: []string{"auth_debug.log", "django_errors.log"}},
		{name: "windows line endings", capture: shipped, rewrite: crlf},
		{name: "DEBUG off, %-style errors log", capture: "../../testdata/captures/debug-off-pct"},
		{name: "DEBUG off, {-style errors log with logger and line", capture: "../../testdata/captures/debug-off-brace"},
		{name: "DEBUG off without auth_debug.log", capture: "../../testdata/captures/debug-off-pct", skip: []string{"auth_debug.log"}},
		{name: "pool enlarged, Redis only", capture: "../../testdata/captures/big-pool-redis"},
		{name: "150 users, other Redis slots", capture: "../../testdata/captures/storm-150"},
		{name: "no failures", capture: "../../testdata/captures/no-failures"},
		{name: "100 users for 60 s, mostly Redis (followed live when captured)", capture: "../../testdata/captures/live-100users-60s"},
		{name: "runserver log rotated mid-record", capture: shipped, split: "runserver_8000.err.log"},
		{name: "Django 1.8: each error record after its access line", capture: shipped, reorder: recordsAfterAccess},
		{name: "Django 1.8 order, Redis only", capture: "../../testdata/captures/big-pool-redis", reorder: recordsAfterAccess},
		{name: "Django 1.8 order, 100 users for 60 s", capture: "../../testdata/captures/live-100users-60s", reorder: recordsAfterAccess},
		{name: "gunicorn behind nginx, DEBUG off, errors on gunicorn's stderr", capture: "../../testdata/captures/gunicorn-nginx-debugoff"},
		{name: "gunicorn behind nginx under pool pressure", capture: "../../testdata/captures/gunicorn-nginx-pool"},
		{name: "gunicorn, JSON errors log, DEBUG on, errors twice on stderr", capture: "../../testdata/captures/gunicorn-json-debugon"},
		{name: "uWSGI, errors on its log, DEBUG off", capture: "../../testdata/captures/uwsgi-console-debugoff"},
		{name: "uWSGI behind nginx, JSON errors log", capture: "../../testdata/captures/uwsgi-nginx-json"},
		{name: "uWSGI, JSON errors log, pool pressure", capture: "../../testdata/captures/uwsgi-json-pool"},
		{name: "DEBUG off, requests over a minute", capture: "../../testdata/captures/debug-off-long"},
		{name: "uWSGI behind nginx, errors on its log and in JSON, four failures in one second", capture: "../../testdata/captures/uwsgi-nginx-console-json"},
		{name: "uWSGI killing Audit Trail requests (harakiri)", capture: "../../testdata/captures/uwsgi-harakiri"},
		{name: "runserver behind nginx, JSON errors log, DEBUG off", capture: "../../testdata/captures/runserver-nginx-json"},
		{name: "gunicorn, DEBUG on, untimed records on gunicorn's stderr", capture: "../../testdata/captures/gunicorn-untimed-console"},
		{name: "uWSGI behind nginx, DEBUG off, workers held until nginx times out and harakiri kills", capture: "../../testdata/captures/uwsgi-nginx-harakiri"},
	}
	// Captures that are not shipped (a lab run of another shape) are
	// scored the same way: LOGCORR_CAPTURES lists their folders, each
	// with logs/ and truth/ as the lab writes them.
	for _, dir := range filepath.SplitList(os.Getenv("LOGCORR_CAPTURES")) {
		if dir != "" {
			tests = append(tests, truthCase{name: "from LOGCORR_CAPTURES: " + filepath.Base(dir), capture: dir})
		}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			truth := loginFailures(t, tc.capture)
			dir := filepath.Join(tc.capture, "logs")
			if tc.skip != nil || tc.rewrite != nil || tc.split != "" || tc.reorder != nil {
				dir = copyLogs(t, tc.capture, tc.skip, tc.rewrite)
			}
			if tc.reorder != nil {
				tc.reorder(t, tc.capture, dir)
			}
			if tc.split != "" {
				splitMidRecord(t, filepath.Join(dir, tc.split))
			}
			doc := analyzeJSON(t, "--tz", "Asia/Jakarta", dir)

			require.Len(t, doc.Chains, doc.Anchors)
			assert.Equal(t, len(truth), doc.Anchors, "every login 500 found, each once")
			assert.Equal(t, countCauses(truth, !tc.noPgb), doc.ByCause, "anchors by cause")
			// Unexplained: no catalogued cause; without PgBouncer's log,
			// the pool's failures are known by their own exception only.
			uncatalogued := 0
			for _, n := range doc.Uncatalogued {
				uncatalogued += n
			}
			assert.Equal(t, uncatalogued+doc.ByCause["unknown"], doc.Unexplained)
			if !tc.noPgb {
				assert.Zero(t, doc.Unexplained)
			}
			checkChains(t, doc, 20*time.Second, 5*time.Second)
			checkOneRequest(t, doc)
			matched := matchChains(t, doc.Chains, truth, !tc.noPgb)
			assert.Equal(t, len(truth), matched, "chains matched one-to-one to truth requests of the same cause")
			checkHypotheses(t, doc, truth, !tc.noPgb)
		})
	}
}

// TestClientCheck: the load test's client against the server, on the
// shipped capture: the numbers are those of Locust's CSV files and console
// (as the lab's truth read them) and of the server's logs.
func TestClientCheck(t *testing.T) {
	const capture = "../../testdata/login-storm-psycopg2"
	var truth struct {
		Login500 int `json:"login_post_500_total"`
		Locust   struct {
			Stats  map[string]struct{ Requests, Failures int } `json:"stats_csv"`
			Prints map[string]int                              `json:"login_failed_prints_by_status"`
		} `json:"locust_view"`
	}
	require.NoError(t, json.Unmarshal(readMaybeGz(t, filepath.Join(capture, "truth", "summary.json")), &truth))
	doc := analyzeJSON(t, "--tz", "Asia/Jakarta", filepath.Join(capture, "logs"))

	var login *report.JSONClient
	for i := range doc.Client {
		if doc.Client[i].Method == "POST" && doc.Client[i].Path == "/accounts/login/" {
			login = &doc.Client[i]
		}
	}
	require.NotNil(t, login, "a check for POST /accounts/login/")
	want := truth.Locust.Stats["POST /accounts/login/"]
	assert.Equal(t, want.Requests, login.Requests)
	assert.Equal(t, want.Failures, login.Failures)

	find := func(kind, what string) *report.JSONFinding {
		for i := range login.Findings {
			if login.Findings[i].Kind == kind && login.Findings[i].What == what {
				return &login.Findings[i]
			}
		}
		return nil
	}
	// Locust counted fewer 500s than the server produced.
	under := find("UNDERCOUNT", "500 responses")
	require.NotNil(t, under)
	assert.Equal(t, truth.Locust.Prints["500"], under.Client)
	assert.Equal(t, truth.Login500, under.Server)
	// The 200s the locustfile printed as failures are successes to Locust.
	printed := find("UNDERCOUNT", "printed failures with status 200")
	require.NotNil(t, printed)
	assert.Equal(t, truth.Locust.Prints["200"], printed.Server)
	// Failures of the redirected /dashboard/ are counted against the login.
	other := find("OVERCOUNT", "failures of another URL")
	require.NotNil(t, other)
	assert.Equal(t, want.Failures-truth.Locust.Prints["500"]-truth.Locust.Prints["400"], other.Client)
	assert.Contains(t, other.Why, "/dashboard/")
	agree400 := find("AGREE", "400 responses")
	require.NotNil(t, agree400)
	assert.Equal(t, truth.Locust.Prints["400"], agree400.Client)
	assert.Contains(t, agree400.Why, "SessionInterrupted")

	require.NotNil(t, doc.Load)
	total := doc.Load.Outside
	for _, l := range doc.Load.Levels {
		total += l.Anchors
	}
	assert.Equal(t, doc.Anchors, total, "every anchor in a load level or outside the history")
	assert.Equal(t, 20, doc.Load.LowestUsers, "the first 500s came while Locust ramped up")
	require.NotNil(t, doc.Pool)
	assert.Greater(t, doc.Pool.PeakWaitMS, 0.0)
}

// TestClientCheckBehindAProxy: Locust talks to nginx, so in every capture
// with nginx in front the client check sets Locust's counts against
// nginx's access lines, as read from the file here: the 502s and 504s
// nginx answered for the app are there, and the app's log never shows
// them (runserver-nginx-json's 26 504s read "Locust 26, server 0" when the
// app's access log was the server's count).
func TestClientCheckBehindAProxy(t *testing.T) {
	dirs, err := filepath.Glob("../../testdata/captures/*nginx*")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(dirs), 5)
	requestLine := regexp.MustCompile(`"(GET|POST) (\S+) HTTP/[0-9.]+" (\d{3}) `)
	errorLine := regexp.MustCompile(`request: "(GET|POST) (\S+) HTTP/[0-9.]+"`)
	failure := regexp.MustCompile(`^(GET|POST),(\S+),HTTPError\('(\d{3}) [^']* for url: https?://[^/]+([^?']*)'\),(\d+)$`)
	const login = "/accounts/login/"
	redirectsChecked := 0
	for _, capture := range dirs {
		t.Run(filepath.Base(capture), func(t *testing.T) {
			nginx := map[string]map[int]int{"GET": {}, "POST": {}}
			for _, line := range strings.Split(string(readMaybeGz(t, filepath.Join(capture, "logs", "nginx_access.log"))), "\n") {
				if m := requestLine.FindStringSubmatch(line); m != nil && m[2] == login {
					st, _ := strconv.Atoi(m[3])
					nginx[m[1]][st]++
				}
			}
			require.NotEmpty(t, nginx["POST"])
			// nginx's error lines name their request: a status's lines
			// are told per method.
			errorLines := map[string]int{}
			for _, line := range strings.Split(string(readMaybeGz(t, filepath.Join(capture, "logs", "nginx_error.log"))), "\n") {
				if m := errorLine.FindStringSubmatch(line); m != nil && m[2] == login && strings.Contains(line, "upstream timed out") {
					errorLines[m[1]]++
				}
			}
			// Locust's failures of the login URL, by the method of the
			// request it sent there: a redirect from another name followed
			// is a GET.
			locust := map[string]map[int]int{"GET": {}, "POST": {}}
			redirected := 0
			for _, line := range strings.Split(string(readMaybeGz(t, filepath.Join(capture, "logs", "locust_failures.csv"))), "\n") {
				m := failure.FindStringSubmatch(strings.TrimSpace(line))
				if m == nil || m[4] != login {
					continue
				}
				st, _ := strconv.Atoi(m[3])
				n, _ := strconv.Atoi(m[5])
				method := m[1]
				if m[2] != login {
					method = "GET"
					redirected += n
				}
				locust[method][st] += n
			}
			doc := analyzeJSON(t, filepath.Join(capture, "logs"))
			checked := 0
			for i := range doc.Client {
				c := &doc.Client[i]
				if c.Path != login {
					continue
				}
				checked++
				seen := map[int]int{}
				for st, n := range c.ServerByStatus {
					code, err := strconv.Atoi(st)
					require.NoError(t, err)
					if code != 0 { // the app's killed requests, not nginx's lines
						seen[code] = n
					}
				}
				assert.Equal(t, nginx[c.Method], seen, "nginx's answers to %s by status", c.Method)
				for _, f := range c.Findings {
					if strings.HasSuffix(f.What, " responses") && !strings.HasPrefix(f.Why, "the server logged") {
						assert.Contains(t, f.Why, "the proxy's access", "%s: %s", f.What, f.Why)
					}
					if f.What == "504 responses" {
						assert.Equal(t, nginx[c.Method][504], f.Server, c.Method)
						assert.Equal(t, locust[c.Method][504], f.Client, "%s: Locust's 504s of the URL, whatever name it gave them: %s", c.Method, f.Why)
						assert.NotEqual(t, "OVERCOUNT", f.Kind, f.Why)
						if errorLines[c.Method] > 0 {
							assert.Contains(t, f.Why, fmt.Sprintf("the proxy's error log names them in %d line", errorLines[c.Method]), c.Method)
						}
					}
				}
			}
			require.NotZero(t, checked)
			if redirected > 0 {
				redirectsChecked++
			}
		})
	}
	assert.NotZero(t, redirectsChecked, "a capture where Locust named a failure of the login URL after the request redirected to it")
}

// TestUnanchoredFailuresNamed: under the default --status 500, nginx's
// 502s and 504s on the login path fail the client too and make no anchor;
// the summary counts them, as nginx's access log has them, and --status 5xx
// makes each one an anchor of its own beside the 500s.
func TestUnanchoredFailuresNamed(t *testing.T) {
	logs := "../../testdata/captures/runserver-nginx-json/logs"
	requestLine := regexp.MustCompile(`"([A-Z]+) /accounts/login/ HTTP/[0-9.]+" (5\d\d) `)
	want, posts := map[string]int{}, map[string]int{}
	for _, line := range strings.Split(string(readMaybeGz(t, filepath.Join(logs, "nginx_access.log"))), "\n") {
		if m := requestLine.FindStringSubmatch(line); m != nil && m[2] != "500" {
			want[m[2]]++
			if m[1] == "POST" {
				posts[m[2]]++
			}
		}
	}
	require.NotEmpty(t, want)
	require.NotEqual(t, want, posts, "GETs failed too")
	doc := analyzeJSON(t, logs)
	assert.Equal(t, want, doc.Unanchored)
	assert.Equal(t, posts, analyzeJSON(t, "--method", "post", logs).Unanchored, "the anchored method's only")
	all := analyzeJSON(t, "--status", "5xx", logs)
	assert.Empty(t, all.Unanchored)
	more := 0
	for _, n := range want {
		more += n
	}
	assert.Equal(t, doc.Anchors+more, all.Anchors, "each of them an anchor with --status 5xx")

	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run(context.Background(), []string{"analyze", "--summary", logs}, strings.NewReader(""), &stdout, &stderr), stderr.String())
	line := fmt.Sprintf("on /accounts/login/: %d 502 and %d 504 responses (the proxy's access log), not anchors: --status 5xx takes them in", want["502"], want["504"])
	assert.Contains(t, stdout.String(), "also "+line)
	for _, format := range []string{"markdown", "html"} {
		stdout.Reset()
		require.Equal(t, 0, run(context.Background(), []string{"analyze", "--format", format, logs}, strings.NewReader(""), &stdout, &stderr), stderr.String())
		assert.Contains(t, html.UnescapeString(stdout.String()), "Also "+line, format)
	}

	// Heroku's router is the proxy too; its one H12 (503) on a path with
	// no 500 is said as one response (gobotany-app#180's excerpt).
	stdout.Reset()
	require.Equal(t, 0, run(context.Background(), []string{"analyze", "--tz", "UTC", "--summary", "--path", "/admin/core/pilegroup/1/",
		"../../testdata/excerpts/heroku/gobotany-h12-gunicorn-worker-timeout.log"}, strings.NewReader(""), &stdout, &stderr), stderr.String())
	assert.Contains(t, stdout.String(), "also on /admin/core/pilegroup/1/: 1 503 response (the proxy's access log), not anchors")
}

// TestOneClock: behind nginx, which writes its times in UTC with their
// offset, the app's logs are naive in Asia/Jakarta; with --status 5xx
// nginx's own 502s and 504s are anchors beside the app's 500s. Every
// chain's time, and the summary's range, is shown in one zone: the --tz
// zone, or the one estimated for the logs of naive times. Each in its own
// once headed the first chains in UTC and the rest in +07:00, and gave the
// range as "from 10:47:53Z to 17:48:58+07:00".
func TestOneClock(t *testing.T) {
	logs := "../../testdata/captures/runserver-nginx-json/logs"
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"zone estimated", nil},
		{"--tz given", []string{"--tz", "Asia/Jakarta"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := analyzeJSON(t, append(append([]string{}, tc.args...), "--status", "5xx", logs)...)
			zones := map[string]int{}
			proxied := 0
			for _, ch := range doc.Chains {
				at := parseStamp(t, ch.Anchor.Time)
				_, off := at.Zone()
				zones[(time.Duration(off)*time.Second).String()]++
				if strings.HasSuffix(ch.Anchor.File, "nginx_access.log.gz") {
					proxied++
				}
			}
			require.Positive(t, proxied, "nginx's own answers are anchors")
			assert.Equal(t, map[string]int{"7h0m0s": len(doc.Chains)}, zones)

			var stdout, stderr bytes.Buffer
			require.Equal(t, 0, run(context.Background(), append(append([]string{"analyze", "--summary"}, tc.args...), "--status", "5xx", logs),
				strings.NewReader(""), &stdout, &stderr), stderr.String())
			assert.Regexp(t, `anchors \(any method /accounts/login/ 5xx\) from \S+\+07:00 to \S+\+07:00\n`, stdout.String())
			stdout.Reset()
			require.Equal(t, 0, run(context.Background(), append(append([]string{"analyze", "--format", "html"}, tc.args...), "--status", "5xx", logs),
				strings.NewReader(""), &stdout, &stderr), stderr.String())
			assert.Regexp(t, `Anchors from \S+\+07:00 to \S+\+07:00\.`, html.UnescapeString(stdout.String()))
		})
	}

	// tail estimates no zone: it shows every chain in the zone it reads
	// naive times in, nginx's anchors written in UTC too.
	live := copyLogs(t, "../../testdata/captures/runserver-nginx-json", nil, nil)
	code, out, errOut := runCLI(t, "", "tail", "--tz", "Asia/Jakarta", "--status", "5xx", "--format", "json", "--from-start", "--duration", "1500ms", "--stop-within", "1m", live)
	require.Equal(t, exitOK, code, errOut)
	chains, _ := parseNDJSON(t, out)
	require.NotEmpty(t, chains)
	zones, proxied := map[string]int{}, 0
	for _, ch := range chains {
		_, off := parseStamp(t, ch.Anchor.Time).Zone()
		zones[(time.Duration(off)*time.Second).String()]++
		if strings.HasSuffix(ch.Anchor.File, "nginx_access.log") {
			proxied++
		}
	}
	require.Positive(t, proxied)
	assert.Equal(t, map[string]int{"7h0m0s": len(chains)}, zones, "tail")
}

// TestClocksFoundWithoutTZ: with no --tz, the zone of every log of naive
// times is found from the logs themselves (+07:00 in every capture), and
// the chains are those of a run told the zone.
func TestClocksFoundWithoutTZ(t *testing.T) {
	for _, capture := range []string{"../../testdata/login-storm-psycopg2", "../../testdata/captures/debug-off-pct",
		"../../testdata/captures/storm-150", "../../testdata/captures/no-failures"} {
		t.Run(filepath.Base(capture), func(t *testing.T) {
			logs := filepath.Join(capture, "logs")
			told := analyzeJSON(t, "--tz", "Asia/Jakarta", logs)
			found := analyzeJSON(t, logs)
			require.NotEmpty(t, found.Clocks)
			for _, c := range found.Clocks {
				if strings.Contains(c.File, "runserver_8000.out.log") {
					continue // a few banner lines at start-up: too little to judge
				}
				assert.True(t, c.Applied, "%s: %s", c.File, c.Note)
				assert.Equal(t, "UTC+07:00", c.Offset, c.File)
			}
			assert.Equal(t, told.ByCause, found.ByCause)
			same := func(file string, gen int) string { return filepath.Base(file) }
			assert.Equal(t, chainKeys(told.Chains, same), chainKeys(found.Chains, same))
		})
	}
}

// TestCoverageNotes: when PgBouncer's log ends early, the lost-connection
// 500s after it are not blamed on anything, and each says that the log
// that would have shown their cause was silent over its window.
func TestCoverageNotes(t *testing.T) {
	capture := "../../testdata/login-storm-psycopg2"
	dir := copyLogs(t, capture, []string{"auth_debug.log", "postgresql.log", "runserver_8000.out.log"}, nil)
	pgb := filepath.Join(dir, "pgbouncer.log")
	b, err := os.ReadFile(pgb)
	require.NoError(t, err)
	lines := bytes.SplitAfter(b, []byte("\n"))
	require.NoError(t, os.WriteFile(pgb, bytes.Join(lines[:len(lines)/2], nil), 0o644))

	doc := analyzeJSON(t, "--tz", "Asia/Jakarta", dir)
	noted := 0
	for _, c := range doc.Chains {
		if len(c.Notes) > 0 {
			noted++
			assert.Equal(t, "django.db.utils.OperationalError", c.Cause, "only unexplained chains are noted")
			assert.Contains(t, c.Notes[0], "pgbouncer.log wrote nothing")
		}
		if c.Cause == "django.db.utils.OperationalError" {
			assert.NotEmpty(t, c.Notes, "a lost connection with no pool line in reach says why")
		}
	}
	assert.Greater(t, noted, 0)
	for _, s := range doc.Sources {
		if strings.HasSuffix(s.File, "pgbouncer.log") {
			assert.Equal(t, noted, s.Outside)
		}
	}
}

// TestProxyLinesCountedWhenJoined: nginx's "upstream timed out" lines name
// their request, so a 504 anchor (--status 5xx), or a slow one (--slow),
// takes its line as its own report. Each is still a line that shows the
// cause: the hypothesis table counts every one, however the run anchors,
// and with the access log left out too.
func TestProxyLinesCountedWhenJoined(t *testing.T) {
	logs := "../../testdata/captures/uwsgi-nginx-harakiri/logs"
	want := strings.Count(string(readMaybeGz(t, filepath.Join(logs, "nginx_error.log"))), "upstream timed out")
	require.NotZero(t, want)
	noAccess := t.TempDir()
	entries, err := os.ReadDir(logs)
	require.NoError(t, err)
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "nginx_access") {
			raw, err := os.ReadFile(filepath.Join(logs, e.Name()))
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(noAccess, e.Name()), raw, 0o644))
		}
	}
	for _, args := range [][]string{{logs}, {"--status", "5xx", logs}, {"--slow", "10s", logs}, {"--slow", "10s", noAccess}} {
		doc := analyzeJSON(t, args...)
		lines := -1
		for _, h := range doc.Hypotheses {
			if h.ID == "upstream_timeout" {
				lines = h.Lines
			}
		}
		assert.Equal(t, want, lines, "%v", args)
	}
}

// TestZoneWhenTheAppFailsAlone: in gunicorn-nginx-timeout the app failed
// most of its requests at the end, as the lab stopped PgBouncer under it,
// for clients nginx had already let go: no log of sure times failed with
// them. Its three logs of naive times (Asia/Jakarta, as every lab capture)
// were active in every second the sure logs were, at +07:00 alone, and are
// read so; they were left in UTC ("no offset fits clearly"), their anchors
// seven hours from nginx's.
func TestZoneWhenTheAppFailsAlone(t *testing.T) {
	logs := "../../testdata/captures/gunicorn-nginx-timeout/logs"
	doc := analyzeJSON(t, logs)
	naive := map[string]bool{"auth_debug.log.gz": true, "django_errors.log.gz": true, "requests.log.gz": true}
	mostUnmatched := false
	for _, c := range doc.Clocks {
		if !naive[filepath.Base(c.File)] {
			continue
		}
		delete(naive, filepath.Base(c.File))
		assert.True(t, c.Applied, c.File)
		assert.Equal(t, "UTC+07:00", c.Offset, c.File)
		// The first one placed is set against nginx, PgBouncer and
		// PostgreSQL alone; the others against it too.
		mostUnmatched = mostUnmatched || 2*c.Matched < c.Failures
	}
	assert.Empty(t, naive, "every log of naive times is estimated")
	assert.True(t, mostUnmatched, "one was placed with most of its failures unmatched")
	first, last := parseStamp(t, doc.Chains[0].Anchor.Time), parseStamp(t, doc.Chains[len(doc.Chains)-1].Anchor.Time)
	assert.Less(t, last.Sub(first), 10*time.Minute, "the anchors are the run's, not seven hours apart")
}
