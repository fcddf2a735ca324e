package main

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/logcorr/logcorr/report"
)

// TestCompare: the lab's pool-too-small run against the same load with a
// pool of 40 + 10 says the pool timeout is fixed and the Redis failures
// are not, with analyze's own counts for each run; swapped, the pool
// timeout is new; an --expect that fails exits 1, one that cannot be read
// exits 2.
func TestCompare(t *testing.T) {
	before := filepath.Join("..", "..", "testdata", "captures", "reports-before", "logs")
	after := filepath.Join("..", "..", "testdata", "captures", "reports-after", "logs")
	counts := func(dir string) map[string]int {
		doc := analyzeJSON(t, dir)
		out := map[string]int{}
		for _, h := range doc.Hypotheses {
			if h.Anchors > 0 {
				out[h.ID] = h.Anchors
			}
		}
		return out
	}
	wantBefore, wantAfter := counts(before), counts(after)
	require.Positive(t, wantBefore["query_wait_timeout"])
	require.Zero(t, wantAfter["query_wait_timeout"])
	require.Positive(t, wantAfter["redis_connection_error"])

	code, out, stderr := runCLI(t, "", "compare", "--format", "json", "--expect", "no query_wait_timeout", "--expect", "failure-rate<50%", before, after)
	require.Equal(t, exitOK, code, stderr)
	var doc report.JSONCompare
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	assert.Equal(t, wantBefore, doc.Before.ByCause)
	assert.Equal(t, wantAfter, doc.After.ByCause)
	changes := map[string]string{}
	for _, c := range doc.Causes {
		changes[c.Cause] = c.Change
		assert.Equal(t, wantBefore[c.Cause], c.Before, c.Cause)
		assert.Equal(t, wantAfter[c.Cause], c.After, c.Cause)
	}
	assert.Equal(t, "fixed", changes["query_wait_timeout"])
	assert.Contains(t, []string{"same", "better", "worse"}, changes["redis_connection_error"], "the Redis failures are not fixed")
	assert.Contains(t, doc.Verdict, "query_wait_timeout fixed")
	assert.Regexp(t, `redis_connection_error (remains|fewer but not gone|worse): \d+ → \d+`, doc.Verdict)
	require.Len(t, doc.Expectations, 2)
	for _, x := range doc.Expectations {
		assert.True(t, x.Pass, "%s: %s", x.Expect, x.Value)
	}

	code, out, stderr = runCLI(t, "", "compare", "--expect", "no query_wait_timeout", after, before)
	assert.Equal(t, exitFound, code, stderr)
	assert.Contains(t, out, "query_wait_timeout new: 0 → ")
	assert.Regexp(t, `FAIL\s+no query_wait_timeout`, out)

	code, _, stderr = runCLI(t, "", "compare", "--expect", "failure-rate is low", before, after)
	assert.Equal(t, exitInput, code)
	assert.Contains(t, stderr, `--expect "failure-rate is low"`)

	// The selection flags choose what analyze prints, not what compare
	// measures: the slow p95 is every slow anchor's.
	code, out, stderr = runCLI(t, "", "compare", "--slow", "1s", "--status", "none", "--summary", "--expect", "slow-p95<1s", before, after)
	assert.Equal(t, exitFound, code, stderr)
	assert.Regexp(t, `FAIL\s+slow-p95<1s\s+\(\d+\.\d+s\)`, out)

	for _, format := range []string{"markdown", "html"} {
		code, out, stderr = runCLI(t, "", "compare", "--format", format, before, after)
		require.Equal(t, exitOK, code, stderr)
		assert.Contains(t, out, "query_wait_timeout fixed", format)
	}
}
