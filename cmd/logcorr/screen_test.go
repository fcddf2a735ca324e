package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// screenRows is how many rows of a terminal width columns wide text takes,
// long lines wrapping.
func screenRows(lines []string, width int) []string {
	var rows []string
	for _, l := range lines {
		r := []rune(l)
		if len(r) == 0 {
			rows = append(rows, "")
		}
		for len(r) > 0 {
			n := min(width, len(r))
			rows = append(rows, string(r[:n]))
			r = r[n:]
		}
	}
	return rows
}

// TestFirstScreen: the README's sample command, run on a 120×40 terminal,
// shows the verdict and one chain of each cause on its first screen, and
// --summary fits on one screen whole.
func TestFirstScreen(t *testing.T) {
	t.Chdir("../..")
	run := func(args ...string) string {
		var stdout, stderr bytes.Buffer
		e := &env{ctx: context.Background(), stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
			stdoutTerminal: true, noColor: true, stdoutWidth: 120}
		require.Equal(t, exitOK, e.run(args), stderr.String())
		return stdout.String()
	}
	const sample = "testdata/login-storm-psycopg2/logs/"
	doc := analyzeJSON(t, "--tz", "Asia/Jakarta", sample)
	var causes []string
	for _, h := range doc.Hypotheses {
		if h.Status == "CONFIRMED" {
			causes = append(causes, h.ID)
		}
	}
	require.Len(t, causes, 2, "the sample has two causes")

	out := run("analyze", "--tz", "Asia/Jakarta", sample)
	screen := strings.Join(screenRows(strings.Split(out, "\n"), 120)[:40], "\n")
	assert.Contains(t, screen, "Verdict: of 388 anchors, 334 (86%) PgBouncer pool exhausted (query_wait_timeout)")
	for _, c := range causes {
		assert.Contains(t, screen, "  "+c+" ", "%s's count and fix", c)
	}
	assert.Regexp(t, `(?m)^#\d+ POST /accounts/login/ 500 at \S+  cause: query_wait_timeout `, screen)
	assert.Regexp(t, `(?m)^#\d+ POST /accounts/login/ 500 at \S+  cause: redis_connection_error `, screen)
	assert.True(t, strings.HasSuffix(out, "\nVerdict: of 388 anchors, 334 (86%) PgBouncer pool exhausted (query_wait_timeout); 54 (14%) Redis unreachable (redis_connection_error)\n"),
		"a terminal gets the verdict at the end too")

	brief := run("analyze", "--tz", "Asia/Jakarta", "--summary", sample)
	rows := screenRows(strings.Split(strings.TrimSuffix(brief, "\n"), "\n"), 120)
	assert.LessOrEqual(t, len(rows), 40, "--summary fits a screen:\n%s", brief)
	assert.NotContains(t, brief, "#1 ", "no chain")
	for _, want := range []string{"Verdict:", "Load:", "Pool:", "OVERCOUNT", "Read 11 sources"} {
		assert.Contains(t, brief, want)
	}
	for _, l := range strings.Split(brief, "\n") {
		assert.LessOrEqual(t, utf8.RuneCountInString(l), 140, "a line of --summary wraps at most once: %q", l)
	}
}

// TestSelection: --cause, --top and --chains choose the chains printed, in
// text and JSON, while the summary counts every chain.
func TestSelection(t *testing.T) {
	logs := "../../testdata/login-storm-psycopg2/logs"
	all := analyzeJSON(t, "--tz", "Asia/Jakarta", logs)
	redis := analyzeJSON(t, "--tz", "Asia/Jakarta", "--cause", "redis_connection_error", logs)
	assert.Len(t, redis.Chains, 54)
	assert.Equal(t, all.ByCause, redis.ByCause, "the summary counts every chain")
	top := analyzeJSON(t, "--tz", "Asia/Jakarta", "--top", "2", logs)
	assert.Len(t, top.Chains, 4, "two of each of the two causes")
	for i := 1; i < len(top.Chains); i++ {
		assert.LessOrEqual(t, top.Chains[i-1].Anchor.Time, top.Chains[i].Anchor.Time, "in time order")
	}
	both := analyzeJSON(t, "--tz", "Asia/Jakarta", "--top", "2", "--chains", logs)
	assert.Len(t, both.Chains, len(all.Chains))
	none := analyzeJSON(t, "--tz", "Asia/Jakarta", "--summary", logs)
	assert.Empty(t, none.Chains)
	assert.Equal(t, all.Anchors, none.Anchors)

	code, out, stderr := runCLI(t, "", "analyze", "--tz", "Asia/Jakarta", "--top", "1", "--cause", "query_wait_timeout", logs)
	require.Equal(t, exitOK, code, stderr)
	headers := regexp.MustCompile(`(?m)^#\d+ .*  cause: (\S+) \(`).FindAllStringSubmatch(out, -1)
	require.Len(t, headers, 1, "one chain")
	assert.Equal(t, "query_wait_timeout", headers[0][1])
	assert.NotContains(t, out, "Every chain")
}

// TestNoAnchorSaysWhatWasThere: a run with no anchor says when the logs
// ran, where responses of that status were, and the path likely meant.
func TestNoAnchorSaysWhatWasThere(t *testing.T) {
	logs := "../../testdata/login-storm-psycopg2/logs"
	code, out, stderr := runCLI(t, "", "analyze", "--tz", "Asia/Jakarta", "--path", "/accounts/login", logs)
	require.Equal(t, exitOK, code, stderr)
	lines := strings.SplitN(out, "\n", 3)
	assert.Equal(t, "Verdict: no 500 responses to /accounts/login in these logs", lines[0])
	assert.Equal(t, "  the logs run from 2026-11-27T00:15:00+07:00 to 2026-11-27T00:16:55+07:00; 500 responses were on /accounts/login/ (347), "+
		"/dashboard/ (128), /accounts/logout/ (46); no log has /accounts/login; did you mean --path /accounts/login/?", lines[1])

	code, out, stderr = runCLI(t, "", "analyze", "--tz", "Asia/Jakarta", "--since", "2026-11-27 03:00", logs)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, out, "  the logs run from 2026-11-27T00:15:00+07:00 to 2026-11-27T00:16:55+07:00\n  range: only anchors from 2026-11-27T03:00:00+07:00 on\n")
}

// TestVersionOf: --version says the module version go install recorded,
// else the commit built from, else dev.
func TestVersionOf(t *testing.T) {
	commit := []debug.BuildSetting{{Key: "vcs.revision", Value: "4d40beb1234567890abc"}, {Key: "vcs.time", Value: "2026-12-01T08:52:00Z"}}
	for _, tc := range []struct {
		main     string
		settings []debug.BuildSetting
		want     string
	}{
		{"v0.3.0", commit, "v0.3.0"},
		{"(devel)", commit, "dev, commit 4d40beb12345 of 2026-12-01T08:52:00Z"},
		{"(devel)", append(commit, debug.BuildSetting{Key: "vcs.modified", Value: "true"}), "dev, commit 4d40beb12345 of 2026-12-01T08:52:00Z, with changes"},
		{"(devel)", nil, "dev"},
	} {
		info := &debug.BuildInfo{Main: debug.Module{Version: tc.main}, Settings: tc.settings}
		assert.Equal(t, tc.want, versionOf(info))
	}
}

// TestBareAndShortFlags: a bare logcorr prints its help; -f, -o and -q are
// --format, --output and --quiet.
func TestBareAndShortFlags(t *testing.T) {
	code, out, _ := runCLI(t, "")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "Usage: logcorr <command>")
	assert.Contains(t, out, "analyze")

	file := filepath.Join(t.TempDir(), "report.json")
	code, out, stderr := runCLI(t, "", "analyze", "-q", "-f", "json", "-o", file, "../../testdata/login-storm-psycopg2/logs")
	require.Equal(t, exitOK, code, stderr)
	assert.Empty(t, out, "the report went to the file")
	assert.Empty(t, stderr, "quiet: no notice (the zones were estimated)")
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"anchors": 388`)

	code, _, stderr = runCLI(t, "", "analyze", "-o", filepath.Join(t.TempDir(), "no", "such", "dir", "x"), "../../testdata/login-storm-psycopg2/logs")
	assert.Equal(t, exitInput, code)
	assert.Contains(t, stderr, "--output")

	// -o never empties a log it was given to read.
	dir := copyLogs(t, "../../testdata/login-storm-psycopg2", nil, nil)
	log := filepath.Join(dir, "pgbouncer.log")
	before, err := os.ReadFile(log)
	require.NoError(t, err)
	for _, args := range [][]string{{"-o", log, dir}, {"-o", log, log, filepath.Join(dir, "runserver_8000.err.log")}} {
		code, _, stderr = runCLI(t, "", append([]string{"analyze"}, args...)...)
		assert.Equal(t, exitInput, code)
		assert.Contains(t, stderr, "--output "+log)
		after, err := os.ReadFile(log)
		require.NoError(t, err)
		assert.Equal(t, len(before), len(after), "the log is whole")
	}
}

// TestRecursive: a folder's subfolders are named and left out, or read
// with --recursive.
func TestRecursive(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "node-1")
	require.NoError(t, os.Rename(copyLogs(t, "../../testdata/login-storm-psycopg2", nil, nil), sub))
	code, _, stderr := runCLI(t, "", "analyze", "--tz", "Asia/Jakarta", dir)
	assert.Equal(t, exitInput, code, "nothing to read")
	assert.Contains(t, stderr, "logcorr: "+sub+": a subfolder not read (--recursive reads subfolders)")
	doc := analyzeJSON(t, "--tz", "Asia/Jakarta", "-r", dir)
	assert.Equal(t, 388, doc.Anchors)
}

// TestTailClientCheckNeedsWholeLogs: tail that followed logs from their
// end counted only part of the server's responses: it sets no Locust
// totals against them (it would report false overcounts), and says why.
func TestTailClientCheckNeedsWholeLogs(t *testing.T) {
	dir := copyLogs(t, "../../testdata/login-storm-psycopg2", nil, nil)
	code, out, stderr := runCLI(t, "", "tail", "--tz", "Asia/Jakarta", "--duration", "500ms", dir)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "Locust's totals are not compared with the server's: some logs were followed from their end")
	assert.NotContains(t, out, "Client vs server")
	assert.NotContains(t, out, "OVERCOUNT")

	code, out, stderr = runCLI(t, "", "tail", "--tz", "Asia/Jakarta", "--from-start", "--duration", "1500ms", "--stop-within", "1m", dir)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, out, "Client vs server for POST /accounts/login/")
}
