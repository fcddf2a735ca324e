package main

import (
	"bytes"
	"encoding/csv"
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
