package main

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestKilledRequestsFromTheLab: uWSGI killed the Audit Trail requests that
// waited past its harakiri (120 s) behind a row lock held 130 s. They have
// no request line and no status; each is an anchor wherever a 5xx is, as
// long as it ran, from the Unix time uWSGI says it began, named by its own
// line, and as many as Locust saw closed without a response. The zone is
// found (no --tz) or given, to the same result.
func TestKilledRequestsFromTheLab(t *testing.T) {
	const capture = "../../testdata/captures/uwsgi-harakiri"
	// What the lab's logs say: the kills uWSGI listed, and the failures
	// Locust counted for the path.
	listed := regexp.MustCompile(`HARAKIRI \[core \d+\] \S+ - GET /proyek/audit-trail/ since (\d+)`).
		FindAllSubmatch(readMaybeGz(t, capture+"/logs/uwsgi.log"), -1)
	require.NotEmpty(t, listed)
	beganAt := func() map[int64]int {
		began := map[int64]int{}
		for _, m := range listed {
			since, err := strconv.ParseInt(string(m[1]), 10, 64)
			require.NoError(t, err)
			began[since]++
		}
		return began
	}
	rows, err := csv.NewReader(bytes.NewReader(readMaybeGz(t, capture+"/logs/locust_failures.csv"))).ReadAll()
	require.NoError(t, err)
	disconnected := 0
	for _, r := range rows[1:] {
		if r[0] == "GET" && r[1] == "/proyek/audit-trail/" && strings.HasPrefix(r[2], "RemoteDisconnected") {
			n, err := strconv.Atoi(r[3])
			require.NoError(t, err)
			disconnected += n
		}
	}
	require.Equal(t, len(listed), disconnected, "the capture: Locust saw each kill as a connection closed without a response")

	for _, tc := range []struct {
		name string
		args []string
	}{
		{"zones found", nil},
		{"zone given", []string{"--tz", "Asia/Jakarta"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--path", "/proyek/audit-trail/", "--status", "5xx"}, tc.args...)
			doc := analyzeJSON(t, append(args, capture+"/logs")...)
			require.Len(t, doc.Chains, doc.Anchors)
			assert.Equal(t, len(listed), doc.Anchors)
			began := beganAt()
			assert.Equal(t, map[string]int{"uwsgi_harakiri": len(listed)}, doc.ByCause)
			for _, ch := range doc.Chains {
				a := ch.Anchor
				assert.True(t, a.Killed, a.Text)
				assert.Zero(t, a.Status)
				assert.Equal(t, "named", ch.Basis)
				ran := time.Duration(a.DurationMS) * time.Millisecond
				assert.True(t, ran >= 120*time.Second && ran < 140*time.Second, "ran %s: past the harakiri, under the lock's hold", ran)
				start := parseStamp(t, a.Time).Add(-ran).Unix()
				assert.Positive(t, began[start], "began at %d, as uWSGI listed it", start)
				began[start]--
			}
			// Locust's failures without a response, against the kills:
			// Locust counts connections reset at the run's end too.
			var found bool
			for _, c := range doc.Client {
				for _, f := range c.Findings {
					if f.What == "requests without a response" {
						found = true
						assert.Equal(t, len(listed), f.Server)
						assert.GreaterOrEqual(t, f.Client, disconnected)
					}
				}
			}
			assert.True(t, found, "the client check compares them")
		})
	}

	// The logins' 500s are the run's only 500s: asked for 500s on the
	// login, no kill is among them.
	doc := analyzeJSON(t, capture+"/logs")
	for _, ch := range doc.Chains {
		assert.False(t, ch.Anchor.Killed)
	}
	doc = analyzeJSON(t, "--path", "/proyek/audit-trail/", "--status", "404", capture+"/logs")
	assert.Zero(t, doc.Anchors, "a kill is no 404")
}

// TestUWSGILogsReadWhole: every line of the lab's uwsgi.log files, start-up
// banner and shutdown included, is read as uWSGI's or its app's (Debian's
// uWSGI 2.0.21 writes some thirty banner lines no format used to take).
func TestUWSGILogsReadWhole(t *testing.T) {
	dirs, err := filepath.Glob("../../testdata/captures/*uwsgi*/logs")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(dirs), 6)
	for _, dir := range dirs {
		t.Run(filepath.Base(filepath.Dir(dir)), func(t *testing.T) {
			doc := analyzeJSON(t, "--tz", "Asia/Jakarta", dir)
			read := 0
			for _, src := range doc.Sources {
				if strings.Contains(filepath.Base(src.File), "uwsgi.log") {
					read++
					assert.Zero(t, src.Unparsed, src.File)
					if src.Format == "uwsgi" {
						assert.Positive(t, src.Events, src.File)
					}
				}
			}
			assert.Positive(t, read, "a uwsgi.log among the sources")
		})
	}
}

// TestKilledRequestsInExcerpts: in the real excerpts that list requests a
// harakiri killed (through docker compose, through syslog), each request
// is one anchor, however often uWSGI listed it, killed after under a
// quarter hour whatever zone its naive times are read in.
func TestKilledRequestsInExcerpts(t *testing.T) {
	logs, err := filepath.Glob("../../testdata/excerpts/*/*.log")
	require.NoError(t, err)
	listing := regexp.MustCompile(`HARAKIRI \[core \d+\] \S+ - [A-Z]+ (/\S*) since (\d+)`)
	tried := 0
	for _, log := range logs {
		b, err := os.ReadFile(log)
		require.NoError(t, err)
		requests := map[string]bool{}
		var path string
		for _, m := range listing.FindAllSubmatch(b, -1) {
			requests[string(m[1])+" "+string(m[2])] = true
			path = strings.SplitN(string(m[1]), "?", 2)[0]
		}
		if len(requests) == 0 {
			continue
		}
		tried++
		t.Run(filepath.Base(log), func(t *testing.T) {
			doc := analyzeJSON(t, "--status", "5xx", "--path", path, log)
			assert.Equal(t, len(requests), doc.Anchors)
			for _, ch := range doc.Chains {
				assert.True(t, ch.Anchor.Killed, ch.Anchor.Text)
				assert.Equal(t, "uwsgi_harakiri", ch.Cause)
				ran := time.Duration(ch.Anchor.DurationMS) * time.Millisecond
				assert.True(t, ran > 0 && ran < 15*time.Minute, "killed after %s", ran)
			}
		})
	}
	assert.GreaterOrEqual(t, tried, 2, "excerpts with killed requests")
}
