package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/logcorr/logcorr/report"
)

// labRequest is one request as the lab's app recorded it
// (truth/requests.jsonl): its path, status and interval, epoch seconds.
type labRequest struct {
	Path   string  `json:"path"`
	Status int     `json:"status"`
	Start  float64 `json:"start"`
	End    float64 `json:"end"`
}

func (r labRequest) took() time.Duration {
	return time.Duration((r.End - r.Start) * float64(time.Second))
}

func epoch(f float64) time.Time {
	sec := math.Floor(f)
	return time.Unix(int64(sec), int64((f-sec)*1e9))
}

func labRequests(t *testing.T, capture string) []labRequest {
	var out []labRequest
	sc := bufio.NewScanner(bytes.NewReader(readMaybeGz(t, filepath.Join(capture, "truth", "requests.jsonl"))))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r labRequest
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r))
		out = append(out, r)
	}
	require.NoError(t, sc.Err())
	return out
}

var reportPaths = []string{"/proyek/rekap-rab/", "/proyek/audit-trail/"}

// TestSlowAnchorsAgainstTruth: on the report captures, --slow 3s --status
// none anchors every request the app timed at 3 s or more on the report
// paths, and no other, each with its duration within 5%; their chains
// name where the time went and cite the PgBouncer or PostgreSQL lines
// that show it; every lock wait PostgreSQL logged is cited by an Audit
// Trail chain, and every Rekap RAB request that ran its statement cites
// the statement's duration line.
func TestSlowAnchorsAgainstTruth(t *testing.T) {
	for _, tc := range []struct {
		capture string
		// proxyOnly counts anchors only a proxy reported: requests nginx
		// logged as 499 when Locust stopped (the client gave up on them).
		proxyOnly int
	}{
		{"reports-pool2", 0},
		{"reports-gunicorn-nginx", 4},
		// uWSGI dates a request's start to the second; requests.log's
		// line gives it to the millisecond.
		{"reports-uwsgi-debugoff", 0},
	} {
		t.Run(tc.capture, func(t *testing.T) {
			capture := filepath.Join("..", "..", "testdata", "captures", tc.capture)
			args := []string{"--slow", "3s", "--status", "none"}
			for _, p := range reportPaths {
				args = append(args, "--path", p)
			}
			doc := analyzeJSON(t, append(args, filepath.Join(capture, "logs"))...)
			var slow []labRequest
			for _, r := range labRequests(t, capture) {
				if contains(reportPaths, r.Path) && r.took() >= 3*time.Second {
					slow = append(slow, r)
				}
			}
			require.NotEmpty(t, slow)

			used := make([]bool, len(doc.Chains))
			for _, r := range slow {
				found := -1
				for i, c := range doc.Chains {
					if used[i] || c.Anchor.Path != r.Path || c.Anchor.Status != r.Status {
						continue
					}
					began := parseStamp(t, c.Anchor.Began)
					if began.Sub(epoch(r.Start)).Abs() < 100*time.Millisecond {
						found = i
						break
					}
				}
				if !assert.GreaterOrEqual(t, found, 0, "no anchor for %s %d that took %s from %s", r.Path, r.Status, r.took(), epoch(r.Start).UTC()) {
					continue
				}
				used[found] = true
				got := time.Duration(doc.Chains[found].Anchor.DurationMS) * time.Millisecond
				assert.InDelta(t, r.took().Seconds(), got.Seconds(), 0.05*r.took().Seconds(), "duration of %s", r.Path)
			}
			extra := 0
			for i, c := range doc.Chains {
				if !used[i] {
					extra++
					assert.Equal(t, 499, c.Anchor.Status, "an anchor no slow request stands for: %s:%d", c.Anchor.File, c.Anchor.Line)
				}
			}
			assert.Equal(t, tc.proxyOnly, extra)

			explained, lockCited, statementCited, rekapRan, byAudit := 0, map[string]bool{}, 0, 0, 0
			for _, c := range doc.Chains {
				require.NotNil(t, c.Split, "a slow anchor says where its time went")
				sum := c.Split.PoolWaitMS + c.Split.StatementMS + c.Split.LockWaitMS + c.Split.OtherMS
				assert.InDelta(t, c.Split.TotalMS, sum, 2, "the parts add up: %s", c.Split.Text)
				assert.Equal(t, c.Anchor.DurationMS, c.Split.TotalMS)
				cites := false
				cited := map[string]bool{}
				for _, l := range c.Evidence {
					if l.Role == "cause" && (l.Kind == "pgbouncer" || l.Kind == "postgresql") {
						cites = true
					}
					switch {
					case strings.Contains(l.Text, " acquired ShareLock "):
						lockCited[l.File+fmt.Sprint(l.Line)] = true
						if c.Anchor.Path == "/proyek/audit-trail/" {
							byAudit++
						}
					case strings.Contains(l.Text, "generate_series"):
						cited["rekap"] = true
						assert.Equal(t, "/proyek/rekap-rab/", c.Anchor.Path, "Rekap RAB's statement in another page's chain: %s:%d", c.Anchor.File, c.Anchor.Line)
					case strings.Contains(l.Text, "FOR UPDATE") && strings.Contains(l.Text, "duration: "):
						assert.Equal(t, "/proyek/audit-trail/", c.Anchor.Path, "Audit Trail's statement in another page's chain: %s:%d", c.Anchor.File, c.Anchor.Line)
					}
				}
				if c.Cause != "unknown" && cites {
					explained++
				}
				if c.Anchor.Path == "/proyek/rekap-rab/" && c.Anchor.Status == 200 {
					rekapRan++
					if cited["rekap"] {
						statementCited++
					}
				}
			}
			assert.GreaterOrEqual(t, float64(explained), 0.9*float64(len(doc.Chains)), "chains that name a cause and cite its lines")
			locks := strings.Count(string(readMaybeGz(t, filepath.Join(capture, "logs", "postgresql.log"))), " acquired ShareLock ")
			require.Positive(t, locks)
			// Every request on the paths that states its duration claims
			// the statements and lock waits inside it, in the order they
			// end, slow or not: a lock wait of a fast Audit Trail request
			// that ran beside a slow one is the fast one's. The logs share
			// no request id, so with many requests at once (gunicorn runs
			// 24) some go to a request that merely ran at the same time.
			assert.GreaterOrEqual(t, float64(len(lockCited)), 0.75*float64(locks), "lock waits PostgreSQL logged that slow chains cite")
			assert.Equal(t, len(lockCited), byAudit, "cited by Audit Trail chains only (only Audit Trail takes the lock)")
			assert.Equal(t, rekapRan, statementCited, "Rekap RAB requests that completed cite their statement")
		})
	}
}

// TestSlowSplitText: the text output says the interval and the split.
func TestSlowSplitText(t *testing.T) {
	logs := filepath.Join("..", "..", "testdata", "captures", "reports-pool2", "logs")
	code, out, stderr := runCLI(t, "", "analyze", "--slow", "3s", "--status", "none", "--path", "/proyek/rekap-rab/", logs)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "cause: pool_wait (where its time went)")
	assert.Contains(t, out, "(PostgreSQL: a statement of 1.1 s inside this request's time)")
	assert.Regexp(t, `took from \S+ to \S+, \d+\.\d s: ~\d+\.\d+ s waiting for a server connection, \d+\.\d+ s in its statements`, out)
}

// TestLatencySummary: with --slow, each anchored path's requests, p50, p95
// and max agree with what the app timed (truth/requests.jsonl), its slow
// count and time split are its chains', and Rekap RAB's costliest
// statement is its aggregate.
func TestLatencySummary(t *testing.T) {
	capture := filepath.Join("..", "..", "testdata", "captures", "reports-pool2")
	args := []string{"--slow", "3s", "--status", "none"}
	for _, p := range reportPaths {
		args = append(args, "--path", p)
	}
	doc := analyzeJSON(t, append(args, filepath.Join(capture, "logs"))...)
	require.Len(t, doc.Latency, len(reportPaths))
	truth := labRequests(t, capture)
	for i, l := range doc.Latency {
		assert.Equal(t, reportPaths[i], l.Path, "in the order the paths were given")
		var took []time.Duration
		for _, r := range truth {
			if r.Path == l.Path {
				took = append(took, r.took())
			}
		}
		sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
		assert.Equal(t, len(took), l.Requests, l.Path)
		pct := func(p int) time.Duration { return took[(len(took)*p+99)/100-1] }
		for _, c := range []struct {
			name string
			want time.Duration
			got  int64
		}{{"p50", pct(50), l.P50MS}, {"p95", pct(95), l.P95MS}, {"max", took[len(took)-1], l.MaxMS}} {
			assert.InDelta(t, c.want.Seconds(), float64(c.got)/1000, 0.05*c.want.Seconds(), "%s %s", l.Path, c.name)
		}
		slow, pool, stmt, lock := 0, int64(0), int64(0), int64(0)
		for _, c := range doc.Chains {
			if c.Anchor.Path == l.Path {
				slow++
				pool, stmt, lock = pool+c.Split.PoolWaitMS, stmt+c.Split.StatementMS, lock+c.Split.LockWaitMS
			}
		}
		assert.Equal(t, slow, l.Slow, l.Path)
		assert.Zero(t, l.ProxyTimed, "the app timed every request: no proxy in front")
		assert.InDelta(t, pool, l.PoolWaitMS, float64(slow), l.Path)
		assert.InDelta(t, stmt, l.StatementMS, float64(slow), l.Path)
		assert.InDelta(t, lock, l.LockWaitMS, float64(slow), l.Path)
	}
	require.NotEmpty(t, doc.Latency[0].Statements)
	assert.Contains(t, doc.Latency[0].Statements[0].Fingerprint, "generate_series(?)")
	assert.NotContains(t, doc.Latency[0].Statements[0].Fingerprint, "300", "literals are replaced")
}

// TestTailSlowMatchesAnalyze: tail gives the slow anchors analyze gives,
// with the same causes, splits and latency summary.
func TestTailSlowMatchesAnalyze(t *testing.T) {
	dir := copyLogs(t, filepath.Join("..", "..", "testdata", "captures", "reports-pool2"), nil, nil)
	// tail reads naive times in --tz; analyze would estimate the zone.
	args := []string{"--tz", "Asia/Jakarta", "--slow", "3s", "--status", "none", "--path", "/proyek/rekap-rab/", "--path", "/proyek/audit-trail/"}
	code, out, errOut := runCLI(t, "", append(append([]string{"tail", "--format", "json", "--from-start", "--duration", "1500ms", "--stop-within", "1m"}, args...), dir)...)
	require.Equal(t, exitOK, code, errOut)
	live, liveSum := parseNDJSON(t, out)
	doc := analyzeJSON(t, append(args, dir)...)
	require.NotEmpty(t, doc.Chains)
	describe := func(chains []report.JSONChain) []string {
		var out []string
		for _, c := range chains {
			require.NotNil(t, c.Split)
			out = append(out, fmt.Sprintf("%s:%d %s %s", filepath.Base(c.Anchor.File), c.Anchor.Line, c.Cause, c.Split.Text))
		}
		sort.Strings(out)
		return out
	}
	assert.Equal(t, describe(doc.Chains), describe(live))
	assert.Equal(t, doc.Latency, liveSum.Latency)
}

// TestSlowRequestsAProxyGaveUpOn: behind nginx, uWSGI's threads held by
// Audit Trail, nginx gave up on queued logins after 30 s (504, with an
// "upstream timed out" line naming each) and the app never timed them.
// With --slow each is a slow anchor explained by its own error line, none
// is said to be left out of the anchors, and the latency summary says that
// only the proxy timed them (the app's durations, max 1.2 s, leave them out).
func TestSlowRequestsAProxyGaveUpOn(t *testing.T) {
	logs := filepath.Join("..", "..", "testdata", "captures", "uwsgi-nginx-harakiri", "logs")
	access := regexp.MustCompile(`"([A-Z]+) /accounts/login/ HTTP/[0-9.]+" (\d{3}) .* rt=([0-9.]+) `)
	slow, gaveUp := 0, 0
	for _, line := range strings.Split(string(readMaybeGz(t, filepath.Join(logs, "nginx_access.log"))), "\n") {
		if m := access.FindStringSubmatch(line); m != nil {
			// nginx's own answers (504: it gave up; 499: Locust did) the
			// app never timed; the app's time decides for the others, which
			// queued long for a worker but took it little.
			if rt, err := strconv.ParseFloat(m[3], 64); err == nil && rt >= 10 && (m[2] == "504" || m[2] == "499") {
				slow++
				if m[2] == "504" {
					gaveUp++
				}
			}
		}
	}
	require.NotZero(t, gaveUp)

	doc := analyzeJSON(t, "--slow", "10s", logs)
	timedOut := 0
	for _, c := range doc.Chains {
		if c.Anchor.Status != 504 {
			continue
		}
		timedOut++
		assert.Equal(t, "upstream_timeout", c.Cause, "%s:%d", c.Anchor.File, c.Anchor.Line)
		own := false
		for _, l := range c.Evidence {
			own = own || (l.Role == "request" && strings.HasSuffix(l.File, "nginx_error.log.gz") && strings.Contains(l.Text, "upstream timed out"))
		}
		assert.True(t, own, "%s:%d: nginx's error line of the request is its report", c.Anchor.File, c.Anchor.Line)
	}
	assert.Equal(t, gaveUp, timedOut, "every 504 nginx logged after 10 s or more is a slow anchor")
	assert.NotContains(t, doc.Unanchored, "504", "the 504s are anchors: none is left out")
	require.Len(t, doc.Latency, 1)
	assert.Equal(t, slow, doc.Latency[0].Slow)
	assert.Equal(t, slow, doc.Latency[0].ProxyTimed, "the app timed none of them")
	assert.Less(t, doc.Latency[0].MaxMS, int64(10000), "the app's own durations")

	// Without --slow, the 504s make no anchor and are said to be left out.
	plain := analyzeJSON(t, logs)
	assert.GreaterOrEqual(t, plain.Unanchored["504"], gaveUp)
}
