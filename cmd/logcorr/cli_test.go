package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/logcorr/logcorr/correlate"
	"github.com/logcorr/logcorr/envelope"
	"github.com/logcorr/logcorr/parser"
	"github.com/logcorr/logcorr/report"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// TestGolden compares whole outputs with files under testdata/golden; run
// `go test ./cmd/logcorr -update` to rewrite them after a deliberate change.
// Paths are given from the repository root, as in the README.
func TestGolden(t *testing.T) {
	t.Chdir("../..")
	tests := []struct {
		golden string
		args   []string
	}{
		{"sample.txt", []string{"analyze", "--tz", "Asia/Jakarta", "testdata/login-storm-psycopg2/logs"}},
		{"sample-logout.json", []string{"analyze", "--tz", "Asia/Jakarta", "--path", "/accounts/logout/", "--format", "json", "testdata/login-storm-psycopg2/logs"}},
		{"psycopg3.txt", []string{"analyze", "--tz", "Asia/Jakarta", "testdata/fixtures/psycopg3"}},
		{"gunicorn.txt", []string{"analyze", "--tz", "UTC", "testdata/fixtures/gunicorn"}},
		{"no-failures.txt", []string{"analyze", "--tz", "Asia/Jakarta", "testdata/captures/no-failures/logs"}},
	}
	for _, tc := range tests {
		t.Run(tc.golden, func(t *testing.T) {
			code, out, _ := runCLI(t, "", tc.args...)
			require.Equal(t, 0, code)
			path := filepath.Join("testdata", "golden", tc.golden)
			if *update {
				require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
				require.NoError(t, os.WriteFile(path, []byte(out), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run with -update to create it")
			assert.Equal(t, string(want), out)
		})
	}
}

// TestCatalogueDoc keeps docs/causes.md what the catalogue says.
func TestCatalogueDoc(t *testing.T) {
	path := "../../docs/causes.md"
	got := report.CatalogueMarkdown(correlate.Builtin)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, string(want), got, "run go test ./cmd/logcorr -update")
}

// TestUserCauses: a cause from --causes explains anchors before the
// built-in ones; a bad file is one clear error.
func TestUserCauses(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "causes.json")
	require.NoError(t, os.WriteFile(good, []byte(`[{"id": "dead_redis_node", "title": "Dead Redis node", "shows": ["django"], "needles": ["127.0.0.1:26380"]}]`), 0o644))
	doc := analyzeJSON(t, "--tz", "Asia/Jakarta", "--causes", good, "../../testdata/login-storm-psycopg2/logs")
	assert.Equal(t, map[string]int{"query_wait_timeout": 334, "dead_redis_node": 54}, doc.ByCause)
	require.NotEmpty(t, doc.Hypotheses)
	assert.Equal(t, "query_wait_timeout", doc.Hypotheses[0].ID)
	assert.Equal(t, "dead_redis_node", doc.Hypotheses[1].ID)
	assert.Equal(t, 54, doc.Hypotheses[1].Anchors)

	for _, bad := range []string{`{}`, `[{"id": ""}]`, `[{"id": "x"}]`, `[{"id": "x", "needles": ["y"], "explains": "maybe"}]`, `[{"id": "x", "needle": ["y"]}]`} {
		f := filepath.Join(dir, "bad.json")
		require.NoError(t, os.WriteFile(f, []byte(bad), 0o644))
		code, _, errOut := runCLI(t, "", "analyze", "--causes", f, dir)
		assert.Equal(t, exitInput, code, bad)
		assert.Contains(t, errOut, "bad.json", bad)
	}
}

func TestHelp(t *testing.T) {
	code, out, _ := runCLI(t, "", "analyze", "--help")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "Examples:")
	assert.Contains(t, out, "--tz")
	assert.Contains(t, out, "Exit status")
}

// TestBadInput: one clear line naming the problem, exit 2, no stack trace.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "stats.csv")
	require.NoError(t, os.WriteFile(csv, []byte("Type,Name,Request Count\nPOST,/x,1\n"), 0o644))
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing file", []string{"analyze", filepath.Join(dir, "nope.log")}, "nope.log: no such file or folder"},
		{"bad zone", []string{"analyze", "--tz", "Mars/Olympus", dir}, `unknown time zone "Mars/Olympus"`},
		{"bad zone for a glob", []string{"analyze", "--tz", "x.log=Nowhere", dir}, `unknown time zone "Nowhere"`},
		{"bad status", []string{"analyze", "--status", "5x", dir}, `status "5x"`},
		{"bad flag", []string{"analyze", "--frobnicate", dir}, "unknown flag --frobnicate"},
		{"bad parser", []string{"analyze", "--parser", "x.log=cobol", dir}, `unknown log format "cobol"`},
		{"parser without glob", []string{"analyze", "--parser", "runserver", dir}, "want GLOB=FORMAT"},
		{"format without time", []string{"analyze", "--parser", "x=python:{levelname} {message}", dir}, "cannot be placed in time"},
		{"file of no known format", []string{"analyze", csv}, "stats.csv: not a log format logcorr reads (name its format with --parser"},
		{"no paths", []string{"analyze"}, "expected \"<PATH> ...\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, "", tc.args...)
			assert.Equal(t, exitInput, code)
			assert.Contains(t, errOut, tc.want)
			assert.NotContains(t, errOut, "goroutine")
			assert.NotContains(t, out, "Summary", "nothing analysed, nothing printed")
		})
	}
}

// TestFolderSkipsUnknownFiles: in a folder, files of no known format are
// named on stderr and skipped; the run succeeds.
func TestFolderSkipsUnknownFiles(t *testing.T) {
	dir := t.TempDir()
	rs, err := os.ReadFile("../../testdata/login-storm-psycopg2/logs/runserver_8000.err.log")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "runserver.err.log"), rs, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("what we tried\nand when\n"), 0o644))
	code, out, errOut := runCLI(t, "", "analyze", "--tz", "Asia/Jakarta", dir)
	assert.Equal(t, 0, code)
	assert.Contains(t, errOut, "notes.txt: skipped: not a log format logcorr reads")
	assert.Contains(t, out, "Summary: 388 anchors")
	assert.Contains(t, out, "notes.txt: skipped")
}

// TestStdinAndGzip: "-" reads stdin, gzip is opened by its magic bytes.
func TestStdinAndGzip(t *testing.T) {
	logs := "../../testdata/login-storm-psycopg2/logs/"
	rs, err := os.ReadFile(logs + "runserver_8000.err.log")
	require.NoError(t, err)
	dir := t.TempDir()
	gz := filepath.Join(dir, "pgbouncer.log.1.gz")
	writeGzip(t, gz, logs+"pgbouncer.log", 1)

	code, out, errOut := runCLI(t, string(rs), "analyze", "--tz", "Asia/Jakarta", "--format", "json", "-", gz)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, `"anchors": 388`)
	assert.Contains(t, out, `"query_wait_timeout": 334`)
	assert.Contains(t, out, `"file":"<stdin>"`)
}

// TestTruncatedGzip: a damaged rotated file is reported with the line where
// reading stopped; what was read before is still analysed (exit 2).
func TestTruncatedGzip(t *testing.T) {
	dir := t.TempDir()
	gz := filepath.Join(dir, "runserver.err.log.2.gz")
	writeGzip(t, gz, "../../testdata/login-storm-psycopg2/logs/runserver_8000.err.log", 0.5)
	code, out, errOut := runCLI(t, "", "analyze", "--tz", "Asia/Jakarta", gz)
	assert.Equal(t, exitInput, code)
	assert.Regexp(t, `runserver\.err\.log\.2\.gz:\d+: unexpected EOF`, errOut)
	assert.Contains(t, out, "Summary: ")
	assert.NotContains(t, out, "Summary: 0 anchors", "chains of the part read are kept")
}

// writeGzip compresses a file and keeps that fraction of the result.
func writeGzip(t *testing.T, dst, src string, keep float64) {
	b, err := os.ReadFile(src)
	require.NoError(t, err)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err = zw.Write(b)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	out := buf.Bytes()
	out = out[:int(float64(len(out))*keep)]
	require.NoError(t, os.WriteFile(dst, out, 0o644))
}

// TestSinceUntil: a time range keeps exactly the anchors of a full run that
// fall in it, each with the same chain, and says so in the summary.
func TestSinceUntil(t *testing.T) {
	logs := "../../testdata/login-storm-psycopg2/logs"
	full := analyzeJSON(t, "--tz", "Asia/Jakarta", logs)
	require.Equal(t, 388, full.Anchors)
	since := parseStamp(t, "2026-11-27T00:16:00+07:00")
	until := parseStamp(t, "2026-11-27T00:16:30+07:00")
	var want []report.JSONChain
	for _, c := range full.Chains {
		if at := parseStamp(t, c.Anchor.Time); !at.Before(since) && at.Before(until) {
			want = append(want, c)
		}
	}
	require.NotEmpty(t, want)
	require.Less(t, len(want), len(full.Chains))
	same := func(file string, _ int) string { return filepath.Base(file) }

	// Naive bounds are read in the --tz zone; zoned ones as written.
	for _, bounds := range [][]string{
		{"--since", "2026-11-27 00:16", "--until", "2026-11-27T00:16:30+07:00"},
		{"--since", "2026-11-26T17:16:00Z", "--until", "2026-11-27 00:16:30.000"},
	} {
		got := analyzeJSON(t, append([]string{"--tz", "Asia/Jakarta"}, append(bounds, logs)...)...)
		assert.Equal(t, len(want), got.Anchors)
		assert.Equal(t, chainKeys(want, same), chainKeys(got.Chains, same), "%v", bounds)
		assert.True(t, since.Equal(parseStamp(t, got.Since)), got.Since)
		assert.True(t, until.Equal(parseStamp(t, got.Until)), got.Until)
	}

	// Without --tz, naive bounds are read in the zone estimated for the
	// logs (the machine's zone would miss the run by hours), in the forms
	// the logs write too.
	for _, bounds := range [][]string{
		{"--since", "2026-11-27 00:16", "--until", "2026-11-27 00:16:30"},
		{"--since", "27/Nov/2026 00:16:00", "--until", "[27/Nov/2026:00:16:30]"},
		{"--since", "2026-11-27 00:16:00,000", "--until", "27/Nov/2026:00:16:30 +0700"},
		// A zone abbreviation Go does not know (PostgreSQL's %t writes
		// them) is the logs' zone, not UTC.
		{"--since", "2026-11-27 00:16:00 WIB", "--until", "2026-11-26 17:16:30 UTC"},
	} {
		code, out, errOut := runCLI(t, "", append([]string{"analyze", "--format", "json"}, append(bounds, logs)...)...)
		require.Equal(t, exitOK, code, errOut)
		var got analyzeDoc
		require.NoError(t, json.Unmarshal([]byte(out), &got))
		assert.Equal(t, chainKeys(want, same), chainKeys(got.Chains, same), "%v", bounds)
		assert.Contains(t, errOut, "--since/--until read in UTC+07:00, the zone estimated for ")
	}

	for _, bad := range [][]string{
		{"--since", "yesterday"},
		{"--since", "2026-11-27 00:17", "--until", "2026-11-27 00:16"},
	} {
		code, _, errOut := runCLI(t, "", append(append([]string{"analyze", "--tz", "UTC"}, bad...), logs)...)
		assert.Equal(t, exitInput, code, "%v", bad)
		assert.Contains(t, errOut, bad[0])
	}
}

// TestExitCode: grep's convention, on request only.
func TestExitCode(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"anchors found", []string{"--exit-code", "testdata/login-storm-psycopg2/logs"}, exitFound},
		{"anchors found, not asked", []string{"testdata/login-storm-psycopg2/logs"}, exitOK},
		{"none found", []string{"--exit-code", "testdata/captures/no-failures/logs"}, exitOK},
		{"none in the range", []string{"--exit-code", "--until", "2026-11-27 00:00", "testdata/login-storm-psycopg2/logs"}, exitOK},
		{"unreadable input wins", []string{"--exit-code", "testdata/login-storm-psycopg2/logs", "no/such/file.log"}, exitInput},
	}
	t.Chdir("../..")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, "", append([]string{"analyze", "--tz", "Asia/Jakarta"}, c.args...)...)
			assert.Equal(t, c.want, code, errOut)
		})
	}
}

// TestProgress: a bar of bytes read, rate and time left on stderr when it is
// a terminal; nothing when it is not. stdout is the report either way.
func TestProgress(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 37 MB")
	}
	dir, _ := benchInput(t, 4) // read in a few hundred pieces, a bar drawn for each
	bar := regexp.MustCompile(`reading logs +(\d+)% \|[█ ]+\| \([\d.]+/[\d.]+ [kMG]?B, [\d.]+ [kMG]?B/s\) \[\d+s:\d+s\]`)
	// Without --tz the logs are read twice (the zone survey, then the
	// run): the bar counts both.
	for _, zone := range []string{"given", "estimated"} {
		args := []string{"analyze", dir}
		if zone == "given" {
			args = []string{"analyze", "--tz", "Asia/Jakarta", dir}
		}
		_, want, _ := runCLI(t, "", args...)
		for _, terminal := range []bool{false, true} {
			t.Run(fmt.Sprintf("zone %s, terminal=%v", zone, terminal), func(t *testing.T) {
				var stdout, stderr bytes.Buffer
				e := &env{ctx: context.Background(), stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, stderrTerminal: terminal,
					barEvery: time.Nanosecond}
				require.Equal(t, exitOK, e.run(args))
				assert.Equal(t, want, stdout.String(), "the report does not change")
				drawn := bar.FindAllStringSubmatch(stderr.String(), -1)
				if !assert.Equal(t, terminal, len(drawn) > 0, "%q", stderr.String()) || !terminal || zone == "given" {
					return
				}
				// The bar is sized for both readings: counting the survey's,
				// it passes half way while the run reads; counting only the
				// run's, it never could.
				last, err := strconv.Atoi(drawn[len(drawn)-1][1])
				require.NoError(t, err)
				assert.Greater(t, last, 50, "the last bar drawn: %s", drawn[len(drawn)-1][0])
			})
		}
	}
	// Zones guessed spare the second reading but for the first parts read
	// to guess them: the bar, sized again for one reading once the guess
	// is made, ends near full, where sized for two it would end near half.
	t.Run("zone guessed", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		e := &env{ctx: context.Background(), stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, stderrTerminal: true,
			barEvery: time.Nanosecond}
		hows := guessing(5*time.Second, func() { require.Equal(t, exitOK, e.run([]string{"analyze", dir})) })
		require.Equal(t, []string{"held"}, hows)
		drawn := bar.FindAllStringSubmatch(stderr.String(), -1)
		require.NotEmpty(t, drawn)
		last, err := strconv.Atoi(drawn[len(drawn)-1][1])
		require.NoError(t, err)
		assert.Greater(t, last, 90, "the last bar drawn: %s", drawn[len(drawn)-1][0])
	})
}

// TestColor: colour only where a person reads it and nobody said no; with
// the escapes removed, the text is the plain text.
func TestColor(t *testing.T) {
	t.Chdir("../..")
	logs := "testdata/login-storm-psycopg2/logs"
	_, plain, _ := runCLI(t, "", "analyze", "--tz", "Asia/Jakarta", logs)
	escape := regexp.MustCompile("\x1b\\[[0-9;]*m")
	cases := []struct {
		name              string
		flag              string
		terminal, noColor bool
		format            string
		want              bool
	}{
		{"auto, a terminal", "auto", true, false, "text", true},
		{"auto, a pipe", "auto", false, false, "text", false},
		{"auto, NO_COLOR", "auto", true, true, "text", false},
		{"always beats NO_COLOR", "always", false, true, "text", true},
		{"never", "never", true, false, "text", false},
		{"JSON stays JSON", "always", true, false, "json", false},
		{"Markdown stays Markdown", "always", true, false, "markdown", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			e := &env{ctx: context.Background(), stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
				stdoutTerminal: c.terminal, noColor: c.noColor}
			require.Equal(t, exitOK, e.run([]string{"analyze", "--tz", "Asia/Jakarta", "--color", c.flag, "--format", c.format, logs}))
			assert.Equal(t, c.want, escape.MatchString(stdout.String()))
			if c.format == "text" {
				got := escape.ReplaceAllString(stdout.String(), "")
				if c.terminal {
					// A terminal gets the verdict once more at the end,
					// where the output stops on screen.
					closing := "\nVerdict: of 388 anchors, 334 (86%) PgBouncer pool exhausted (query_wait_timeout); 54 (14%) Redis unreachable (redis_connection_error)\n"
					assert.True(t, strings.HasSuffix(got, closing), "ends with the verdict")
					got = strings.TrimSuffix(got, closing)
				}
				assert.Equal(t, plain, got)
			}
		})
	}
}

// TestFormatsCommand lists every format, preset and cause, a user's too.
func TestFormatsCommand(t *testing.T) {
	file := filepath.Join(t.TempDir(), "causes.json")
	require.NoError(t, os.WriteFile(file, []byte(`[{"id": "dead_redis_node", "title": "Dead Redis node", "shows": ["django"], "needles": ["127.0.0.1:26380"]}]`), 0o644))
	code, out, errOut := runCLI(t, "", "formats", "--causes", file)
	require.Equal(t, exitOK, code, errOut)
	var want []string
	for _, f := range parser.Formats() {
		want = append(want, "\n  "+f.Name, f.Examples[0])
	}
	for _, k := range envelope.Kinds() {
		want = append(want, "\n  "+k.Name+"\n", k.Example)
	}
	for _, p := range parser.PyPresets {
		want = append(want, "  "+p.Name+" ", p.Format)
	}
	for _, c := range correlate.Builtin {
		want = append(want, "  "+c.ID+" ")
	}
	want = append(want, "  dead_redis_node ", " Dead Redis node (shows in django logs)")
	for _, w := range want {
		assert.Contains(t, out, w)
	}
	code, _, errOut = runCLI(t, "", "formats", "--causes", "no/such.json")
	assert.Equal(t, exitInput, code)
	assert.Contains(t, errOut, "no/such.json")
}

// TestCompletion: the shell asks through COMP_LINE and gets commands, flags
// and flag values back on stdout.
func TestCompletion(t *testing.T) {
	cases := []struct {
		line string
		want []string
	}{
		{"logcorr ", []string{"analyze", "tail", "compare", "formats", "install-completions"}},
		{"logcorr compare --exp", []string{"--expect"}},
		{"logcorr ana", []string{"analyze"}},
		{"logcorr analyze --for", []string{"--format"}},
		{"logcorr analyze --format ", []string{"html", "json", "markdown", "text"}},
		{"logcorr tail --color ", []string{"always", "auto", "never"}},
	}
	for _, c := range cases {
		t.Run(c.line, func(t *testing.T) {
			t.Setenv("COMP_LINE", c.line)
			code, out, _ := runCLI(t, "")
			require.Equal(t, exitOK, code)
			got := strings.Fields(out)
			sort.Strings(got)
			want := append([]string(nil), c.want...)
			sort.Strings(want)
			assert.Equal(t, want, got)
		})
	}
}

// TestExamples: the reports under docs/examples are what the README's
// commands make from the shipped incident today. -update runs the commands.
func TestExamples(t *testing.T) {
	t.Chdir("../..")
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	cmds := regexp.MustCompile(`(?m)^go run \./cmd/logcorr (analyze [^>'"]+) > (docs/examples/\S+)$`).FindAllStringSubmatch(string(readme), -1)
	require.Len(t, cmds, 2, "the README names the commands that make the Markdown and HTML examples")
	for _, c := range cmds {
		t.Run(c[2], func(t *testing.T) {
			code, got, errOut := runCLI(t, "", strings.Fields(c[1])...)
			require.Equal(t, exitOK, code, errOut)
			if *update {
				require.NoError(t, os.WriteFile(c[2], []byte(got), 0o644))
			}
			want, err := os.ReadFile(c[2])
			require.NoError(t, err, "run with -update to create it")
			assert.Equal(t, string(want), got, "run go test ./cmd/logcorr -run TestExamples -update")
		})
	}
}

// TestNotesFileSkipped: a note kept in the logs folder, which quotes a few
// access lines among its prose, is no log: it is named on stderr and
// skipped, and the verdict is the logs' alone.
func TestNotesFileSkipped(t *testing.T) {
	const logs = "../../testdata/login-storm-psycopg2/logs"
	dir := copyLogs(t, "../../testdata/login-storm-psycopg2", nil, nil)
	b, err := os.ReadFile(filepath.Join(logs, "runserver_8000.err.log"))
	require.NoError(t, err)
	var quoted []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "[27/Nov/2026") && strings.Contains(l, `login/ HTTP/1.1" 500`) && len(quoted) < 2 {
			quoted = append(quoted, l)
		}
	}
	note := "# What we saw\n\nThe login 500s started at 00:15:\n\n" + strings.Join(quoted, "\n") + "\n\n"
	for i := 0; i < 40; i++ {
		note += fmt.Sprintf("- step %d of what we tried: restarted the app, looked at the pool, ran Locust again\n", i+1)
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "NOTES.md"), []byte(note), 0o644))

	bare := analyzeJSON(t, "--tz", "Asia/Jakarta", logs)
	code, out, errOut := runCLI(t, "", "analyze", "--tz", "Asia/Jakarta", "--format", "json", dir)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, errOut, "NOTES.md: skipped: not a log format logcorr reads: 42 of its first 44 lines are no log line it reads")
	var doc analyzeDoc
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	assert.Equal(t, bare.Anchors, doc.Anchors)
	assert.Equal(t, bare.ByCause, doc.ByCause)
	for _, h := range doc.Hypotheses {
		assert.NotContains(t, h.Logs, filepath.Join(dir, "NOTES.md"))
	}
}

// TestAnalyzeInterrupted: Ctrl-C (here before the run starts) ends analyze
// with 130 and says what its report covers: with the zones given, a report
// of what was read, nothing; with zones to find, no report. How a run
// stopped part way cuts every log at one time is engine's
// TestStoppedReadIsACut.
func TestAnalyzeInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	logs := "../../testdata/login-storm-psycopg2/logs"
	for _, tc := range []struct {
		name   string
		args   []string
		says   string
		report bool
	}{
		{"zones given", []string{"analyze", "--format", "json", "--tz", "Asia/Jakarta", logs},
			"logcorr: interrupted: the report covers none of the logs' events, not what follows", true},
		{"zones to find", []string{"analyze", "--format", "json", logs},
			"logcorr: interrupted while the logs' zones were being found: nothing to report", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(ctx, tc.args, strings.NewReader(""), &stdout, &stderr)
			assert.Equal(t, exitInterrupted, code)
			assert.Contains(t, stderr.String(), tc.says+"\n")
			if !tc.report {
				assert.Empty(t, stdout.String())
				return
			}
			var doc struct {
				Chains  []json.RawMessage `json:"chains"`
				Anchors *int              `json:"anchors"`
			}
			require.NoError(t, json.Unmarshal(stdout.Bytes(), &doc), stdout.String())
			require.NotNil(t, doc.Anchors)
			assert.Zero(t, *doc.Anchors)
			assert.Empty(t, doc.Chains)
		})
	}
}

// TestProxyAnchorExample: a proxy's timeout is its own evidence, so the
// hypothesis table's example names the anchor alone, with its label whole
// ("heroku/router" holds a slash a base name cut at), and the chain says
// its line named the cause, not a traceback it has none of. The line is
// Heroku's router as Papertrail showed it in dabapps/django-log-request-id#6.
func TestProxyAnchorExample(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "papertrail.log")
	require.NoError(t, os.WriteFile(log, []byte(`Feb 25 09:33:19 my-app heroku/router:  at=error code=H12 desc="Request timeout" method=GET path="/my-url" host=my.host.com request_id=dad4ad83-0a55-447d-be83-28d6ea38bc55 dyno=web.1 connect=25ms service=30005ms status=503 bytes=0 `+"\n"), 0o644))
	for _, tc := range []struct{ format, want string }{
		{"text", "e.g. papertrail.log[heroku/router]:1\n"},
		{"text", "cause: upstream_timeout (named by its own line)"},
		{"markdown", "| `papertrail.log[heroku/router]:1` |"},
		{"html", "<td>papertrail.log[heroku/router]:1</td>"},
	} {
		code, out, _ := runCLI(t, "", "analyze", "--format", tc.format, "--path", "/my-url", "--status", "5xx", log)
		require.Equal(t, 0, code, tc.format)
		assert.Contains(t, out, tc.want, tc.format)
		assert.NotContains(t, out, "router]:1 <-", tc.format)
	}
}
