package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/alecthomas/kong"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/logcorr/logcorr/correlate"
	"github.com/logcorr/logcorr/engine"
	"github.com/logcorr/logcorr/parser"
	"github.com/logcorr/logcorr/replay"
	"github.com/logcorr/logcorr/report"
)

// No goroutine may outlive a command, tail included.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type tailLine struct {
	Type string `json:"type"`
	report.JSONChain
	report.JSONSummary
}

// startTail runs tail in the background; stop ends it as Ctrl-C would and
// returns its exit code, stdout and stderr.
func startTail(t *testing.T, args ...string) (stop func() (int, string, string)) {
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"tail"}, args...), strings.NewReader(""), &stdout, &stderr)
	}()
	return func() (int, string, string) {
		cancel()
		code := <-done
		return code, stdout.String(), stderr.String()
	}
}

func parseNDJSON(t *testing.T, out string) ([]report.JSONChain, report.JSONSummary) {
	var chains []report.JSONChain
	var sum report.JSONSummary
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<24)
	summaries := 0
	for sc.Scan() {
		var l tailLine
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l), "each line one JSON object")
		switch l.Type {
		case "chain":
			chains = append(chains, l.JSONChain)
		case "summary":
			sum, summaries = l.JSONSummary, summaries+1
		default:
			t.Fatalf("line of unknown type %q", l.Type)
		}
	}
	require.Equal(t, 1, summaries, "one summary, last")
	return chains, sum
}

// chainKeys describes chains by what they cite, with rel turning a file and
// generation into the name of the file the line is in once all is written.
func chainKeys(chains []report.JSONChain, rel func(file string, gen int) string) []string {
	var keys []string
	for _, c := range chains {
		var ev []string
		for _, l := range c.Evidence {
			ev = append(ev, fmt.Sprintf("%s:%d", rel(l.File, l.Generation), l.Line))
		}
		sort.Strings(ev)
		keys = append(keys, fmt.Sprintf("%s:%d %s %s", rel(c.Anchor.File, c.Anchor.Generation), c.Anchor.Line, c.Cause, strings.Join(ev, " ")))
	}
	sort.Strings(keys)
	return keys
}

// TestTailMatchesAnalyzeThroughRotation replays the shipped capture into
// live files, rotating runserver's log by rename and PgBouncer's by
// copytruncate halfway, writing some lines in two pieces, while tail
// follows the folder (which does not exist yet when tail starts). The
// chains tail prints must be the chains analyze prints for the files left
// behind: same anchors, causes and evidence lines.
func TestTailMatchesAnalyzeThroughRotation(t *testing.T) {
	jakarta, err := time.LoadLocation("Asia/Jakarta")
	require.NoError(t, err)
	live := filepath.Join(t.TempDir(), "live")
	stop := startTail(t, "--tz", "Asia/Jakarta", "--format", "json", "--interval", "50ms", "--grace", "500ms", "--stop-within", "1m", live)
	time.Sleep(200 * time.Millisecond)
	require.NoError(t, os.Mkdir(live, 0o755))

	names := []string{"runserver_8000.err.log", "django_errors.log", "auth_debug.log", "pgbouncer.log"}
	reports, err := replay.Run(context.Background(), "../../testdata/login-storm-psycopg2/logs", names, live, replay.Plan{
		Speed:      30,
		SplitEvery: 5,
		Loc:        jakarta,
		Rotate: map[string]replay.Rotation{
			"runserver_8000.err.log": {Mode: replay.Rename, At: 0.5},
			"pgbouncer.log":          {Mode: replay.CopyTruncate, At: 0.5},
		},
	})
	require.NoError(t, err)
	gens := map[string]int{}
	for _, r := range reports {
		gens[r.Name] = len(r.Lines)
	}
	require.Equal(t, 2, gens["runserver_8000.err.log"], "rotated")
	require.Equal(t, 2, gens["pgbouncer.log"], "rotated")
	time.Sleep(2 * time.Second) // the old file's grace, the last records' flush
	code, out, errOut := stop()
	require.Equal(t, 0, code, errOut)
	// Whether the new file was there yet when the rename was seen depends
	// on when the look fell: "rotated (renamed)" or "rotated (renamed; not
	// created anew yet)", a rename either way.
	assert.Contains(t, errOut, "runserver_8000.err.log: rotated (renamed")
	assert.Contains(t, errOut, "pgbouncer.log: truncated")

	tailChains, tailSum := parseNDJSON(t, out)
	// A file's generations before the last are the files rotation left
	// behind as NAME.1.
	rel := func(file string, gen int) string {
		base := filepath.Base(file)
		if gen > 0 && gen < gens[base] {
			return base + ".1"
		}
		return base
	}
	doc := analyzeJSON(t, "--tz", "Asia/Jakarta", live)
	assert.Equal(t, 388, tailSum.Anchors)
	assert.Equal(t, doc.ByCause, tailSum.ByCause)
	assert.Equal(t, chainKeys(doc.Chains, rel), chainKeys(tailChains, rel))
}

// TestTailFileAppearsLater: a named file that does not exist when tail
// starts is read from its beginning once it appears; a line written in two
// pieces makes one anchor.
func TestTailFileAppearsLater(t *testing.T) {
	log := filepath.Join(t.TempDir(), "runserver.err.log")
	stop := startTail(t, "--tz", "UTC", "--format", "json", "--interval", "20ms", log)
	time.Sleep(100 * time.Millisecond)
	f, err := os.Create(log)
	require.NoError(t, err)
	defer f.Close()
	_, err = f.WriteString("[27/Nov/2026 00:15:05] \"POST /accounts/login/ HTTP/1.1\" 5")
	require.NoError(t, err)
	time.Sleep(100 * time.Millisecond)
	_, err = f.WriteString("00 145\n[27/Nov/2026 00:15:30] \"GET / HTTP/1.1\" 200 1\n")
	require.NoError(t, err)
	time.Sleep(200 * time.Millisecond)
	code, out, errOut := stop()
	require.Equal(t, 0, code)
	assert.Contains(t, errOut, "missing; will read it when it appears")
	chains, sum := parseNDJSON(t, out)
	assert.Equal(t, 1, sum.Anchors)
	require.Len(t, chains, 1)
	assert.Equal(t, 1, chains[0].Anchor.Line)
	assert.Equal(t, 500, chains[0].Anchor.Status)
}

// TestTailDatesRecordsLikeAnalyze: a runserver error record is dated by the
// line after it (its access line), which may come after a pause longer than
// the one that makes tail flush a quiet parser. tail must still date it as
// analyze does, whether tail read the file from its start or came in after
// its first lines.
func TestTailDatesRecordsLikeAnalyze(t *testing.T) {
	record := "Internal Server Error: /accounts/login/\n" +
		"Traceback (most recent call last):\n" +
		"  File \"/app/views.py\", line 10, in login\n" +
		"    cache.get(key)\n" +
		"redis.exceptions.ConnectionError: Error 111 connecting to localhost:6379. Connection refused.\n"
	for _, fromStart := range []bool{true, false} {
		t.Run(fmt.Sprintf("from start %v", fromStart), func(t *testing.T) {
			log := filepath.Join(t.TempDir(), "runserver.err.log")
			f, err := os.Create(log)
			require.NoError(t, err)
			defer f.Close()
			_, err = f.WriteString("[27/Nov/2026 00:15:00] \"GET / HTTP/1.1\" 200 1\n")
			require.NoError(t, err)
			args := []string{"--tz", "UTC", "--format", "json", "--interval", "20ms", "--idle", "10s"}
			if fromStart {
				args = append(args, "--from-start")
			}
			stop := startTail(t, append(args, log)...)
			time.Sleep(150 * time.Millisecond)
			_, err = f.WriteString(record)
			require.NoError(t, err)
			time.Sleep(engine.LineWait + 500*time.Millisecond)
			_, err = f.WriteString("[27/Nov/2026 00:15:07] \"POST /accounts/login/ HTTP/1.1\" 500 145\n" +
				"[27/Nov/2026 00:15:40] \"GET / HTTP/1.1\" 200 1\n")
			require.NoError(t, err)
			time.Sleep(200 * time.Millisecond)
			code, out, errOut := stop()
			require.Equal(t, 0, code, errOut)
			chains, _ := parseNDJSON(t, out)
			require.Len(t, chains, 1, errOut)
			assert.Equal(t, "redis_connection_error", chains[0].Cause)
			assert.Equal(t, "redis.exceptions.ConnectionError", chains[0].Exception.Class)
			var recordTime string
			for _, l := range chains[0].Evidence {
				if l.Line == 2 {
					recordTime = l.Time
				}
			}
			assert.Contains(t, recordTime, "00:15:07", "dated by its access line, not by the line before it")

			doc := analyzeJSON(t, "--tz", "UTC", log)
			require.Len(t, doc.Chains, 1)
			same := func(file string, gen int) string { return filepath.Base(file) }
			assert.Equal(t, chainKeys(doc.Chains, same), chainKeys(chains, same))
		})
	}
}

// TestTailSIGINT runs the binary, signals it to stop, and expects the remaining
// chains, the summary and exit status 0.
func TestTailSIGINT(t *testing.T) {
	bin := buildLogcorr(t)

	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "runserver.err.log"),
		[]byte("[27/Nov/2026 00:15:05] \"POST /accounts/login/ HTTP/1.1\" 500 145\n"), 0o644))
	// SIGTERM is how a supervisor stops it, SIGHUP how a closing
	// terminal does: each ends tail as Ctrl-C does.
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(bin, "tail", "--tz", "UTC", "--from-start", dir)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			require.NoError(t, cmd.Start())
			time.Sleep(500 * time.Millisecond)
			require.NoError(t, cmd.Process.Signal(sig))
			require.NoError(t, cmd.Wait(), stderr.String())
			assert.Contains(t, stdout.String(), "#1 POST /accounts/login/ 500")
			assert.Contains(t, stdout.String(), "Summary: 1 anchor ")
		})
	}
}

// TestTailDuration: --duration stops tail by itself, with the summary.
func TestTailDuration(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "runserver.err.log"),
		[]byte("[27/Nov/2026 00:15:05] \"POST /accounts/login/ HTTP/1.1\" 500 145\n"), 0o644))
	start := time.Now()
	code, out, errOut := runCLI(t, "", "tail", "--tz", "UTC", "--duration", "300ms", "--from-start", dir)
	assert.Equal(t, 0, code, errOut)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Contains(t, out, "Summary: 1 anchor ")
}

// TestTailBadUsage: stdin cannot be followed; flags are checked.
func TestTailBadUsage(t *testing.T) {
	code, _, errOut := runCLI(t, "", "tail", "-")
	assert.Equal(t, exitInput, code)
	assert.Contains(t, errOut, "to read stdin use analyze -")
	code, _, errOut = runCLI(t, "", "tail", "--interval", "0s", t.TempDir())
	assert.Equal(t, exitInput, code)
	assert.Contains(t, errOut, "must be positive")
}

// lockedBuffer is a bytes.Buffer safe to read while tail writes to it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestTailNotHeldByUntimedLines: Locust's console keeps writing untimed
// stats tables during a test; the chains of the app's logs must still come
// out while it does, not only when the test ends.
func TestTailNotHeldByUntimedLines(t *testing.T) {
	dir := t.TempDir()
	console, err := os.Create(filepath.Join(dir, "locust_console.log"))
	require.NoError(t, err)
	defer console.Close()
	app, err := os.Create(filepath.Join(dir, "runserver.err.log"))
	require.NoError(t, err)
	defer app.Close()
	_, err = console.WriteString("[2026-11-27 00:15:00,000] host/INFO/locust.main: Starting Locust 2.20.0\n" +
		"[2026-11-27 00:15:00,100] host/INFO/locust.runners: Ramping to 100 users at a rate of 20.00 per second\n")
	require.NoError(t, err)

	var stdout, stderr lockedBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"tail", "--tz", "UTC", "--format", "json", "--from-start", "--interval", "20ms", "--idle", "1s", dir}, strings.NewReader(""), &stdout, &stderr)
	}()
	defer func() {
		cancel()
		<-done
	}()

	// The app's time runs 1 s per 50 ms; the console writes a table row
	// each time, and nothing with a time.
	printed := false
	for i := 0; i < 80 && !printed; i++ {
		status := 200
		if i == 5 {
			status = 500
		}
		_, err = fmt.Fprintf(app, "[27/Nov/2026 00:15:%02d] \"POST /accounts/login/ HTTP/1.1\" %d 145\n", i%60, status)
		require.NoError(t, err)
		_, err = fmt.Fprintf(console, "POST     /accounts/login/     %d     0(0.00%%)\n", i)
		require.NoError(t, err)
		time.Sleep(50 * time.Millisecond)
		printed = strings.Contains(stdout.String(), `"type":"chain"`)
	}
	assert.True(t, printed, "the 500's chain came out while the console was still writing; stderr: %s", stderr.String())
}

// TestTailSummaryMatchesAnalyze: on a saved folder, tail's summary is
// analyze's: the hypotheses, Locust's files (CSV and console) in the client
// check and the load table, the pool, and what each source held.
func TestTailSummaryMatchesAnalyze(t *testing.T) {
	logs := "../../testdata/login-storm-psycopg2/logs"
	code, out, errOut := runCLI(t, "", "tail", "--tz", "Asia/Jakarta", "--format", "json", "--from-start", "--duration", "1500ms", "--stop-within", "1m", logs)
	require.Equal(t, exitOK, code, errOut)
	_, live := parseNDJSON(t, out)
	doc := analyzeJSON(t, "--tz", "Asia/Jakarta", logs)
	saved := doc.JSONSummary

	assert.Equal(t, saved.Anchors, live.Anchors)
	assert.Equal(t, saved.ByCause, live.ByCause)
	assert.Equal(t, saved.Verdict, live.Verdict)
	assert.Equal(t, saved.Hypotheses, live.Hypotheses)
	require.NotNil(t, live.Load, "Locust's history was read")
	assert.Equal(t, saved.Load, live.Load)
	assert.Equal(t, saved.Client, live.Client)
	assert.Equal(t, saved.Pool, live.Pool)
	describe := func(srcs []report.JSONSource) []string {
		var out []string
		for _, s := range srcs {
			out = append(out, fmt.Sprintf("%s %s events=%d unparsed=%d", filepath.Base(s.File), s.Format, s.Events, s.Unparsed))
		}
		sort.Strings(out)
		return out
	}
	assert.Equal(t, describe(saved.Sources), describe(live.Sources))
}

// TestTailLocustFilesWrittenLive: a Locust CSV file that appears while tail
// runs, with a few rows so far, is known by its header and read when tail
// stops, not judged on its first lines as a log.
func TestTailLocustFilesWrittenLive(t *testing.T) {
	dir := t.TempDir()
	stop := startTail(t, "--tz", "Asia/Jakarta", "--format", "json", "--interval", "20ms", dir)
	time.Sleep(100 * time.Millisecond)
	raw, err := os.ReadFile("../../testdata/login-storm-psycopg2/logs/locust_stats_history.csv")
	require.NoError(t, err)
	rows := strings.SplitAfter(string(raw), "\n")
	require.Greater(t, len(rows), 3)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "locust_stats_history.csv"), []byte(strings.Join(rows[:3], "")), 0o644))
	time.Sleep(150 * time.Millisecond)
	code, out, errOut := stop()
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, errOut, "locust_stats_history.csv: Locust's history file, read when tail stops")
	assert.NotContains(t, errOut, "not a log format")
	_, sum := parseNDJSON(t, out)
	var formats []string
	for _, s := range sum.Sources {
		formats = append(formats, s.Format)
	}
	assert.Contains(t, formats, "locust history")
}

// TestTailReadsShapes: tail follows logs as collectors keep them (compose's
// one stream of every service, Kubernetes' CRI files with lines in pieces,
// journald's JSON), written while it runs, and prints the chains analyze
// prints for the files once written. (--idle is long: a source read late
// under load is issue 9's matter, not the envelopes'.)
func TestTailReadsShapes(t *testing.T) {
	for _, name := range []string{"compose-t", "cri", "journald-json"} {
		t.Run(name, func(t *testing.T) {
			src := shapedCapture(t, namedShape(t, name))
			live := t.TempDir()
			entries, err := os.ReadDir(src)
			require.NoError(t, err)
			files := map[string][]byte{}
			for _, e := range entries {
				if strings.HasPrefix(e.Name(), "locust") {
					continue
				}
				b, err := os.ReadFile(filepath.Join(src, e.Name()))
				require.NoError(t, err)
				files[e.Name()] = b
				// The writers' files exist before tail starts, as a
				// server's logs do: a file that first appeared after tail
				// had read the others' lines past its own first ones
				// would be late, rightly, and its chains not analyze's.
				require.NoError(t, os.WriteFile(filepath.Join(live, e.Name()), nil, 0o644))
			}
			// --from-start: a slow start (-race, a busy machine) may take
			// its first look after the first pieces were written, and would
			// follow those files from their end.
			stop := startTail(t, "--tz", "Asia/Jakarta", "--format", "json", "--interval", "20ms", "--idle", "5s", "--stop-within", "1m", "--from-start", live)
			// Every file grows by a tenth at a time, cut anywhere, as
			// writers flush.
			const steps = 10
			for i := 1; i <= steps; i++ {
				for name, b := range files {
					from, to := len(b)*(i-1)/steps, len(b)*i/steps
					f, err := os.OpenFile(filepath.Join(live, name), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
					require.NoError(t, err)
					_, err = f.Write(b[from:to])
					require.NoError(t, err)
					require.NoError(t, f.Close())
				}
				time.Sleep(60 * time.Millisecond)
			}
			time.Sleep(300 * time.Millisecond)
			code, out, errOut := stop()
			require.Equal(t, exitOK, code, errOut)
			chains, _ := parseNDJSON(t, out)
			doc := analyzeJSON(t, "--tz", "Asia/Jakarta", live)
			rel := func(file string, gen int) string { return filepath.Base(file) }
			if !assert.Equal(t, len(doc.Chains), len(chains), "chains; tail's stderr:\n%s", errOut) {
				return
			}
			assert.Equal(t, chainKeys(doc.Chains, rel), chainKeys(chains, rel))
			assert.NotEmpty(t, chains)
		})
	}
}

// TestTailFarBehind: tail far behind its files (a burst, a starved
// process, --from-start on big logs) reads them a bounded piece at a time,
// handing out chains between pieces: the chains are analyze's, events
// waiting in memory stay a fraction of the backlog, and stderr says it is
// behind and when it caught up. The clock moves 200 ms per look (a look
// for each piece read, each step), so reading takes far longer than
// --idle: a log read in an early piece must not count as quiet while
// others are read. A minute of quiet before Ctrl-C changes nothing.
func TestTailFarBehind(t *testing.T) {
	const logs = "../../testdata/login-storm-psycopg2/logs"
	dir := t.TempDir()
	for _, name := range []string{"auth_debug.log", "django_errors.log", "pgbouncer.log", "runserver_8000.err.log"} {
		b, err := os.ReadFile(filepath.Join(logs, name))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
	}
	// The capture spans 100 s: pieces and lookahead are scaled to it.
	scaled := func(fo *engine.FollowOptions) { fo.ReadLimit, fo.HoldAhead = 64<<10, 5*time.Second }

	clock := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	now := func() time.Time {
		clock = clock.Add(200 * time.Millisecond)
		return clock
	}
	var stdout, stderr bytes.Buffer
	tl, c, _ := stepTailerWith(t, now, &stdout, &stderr, scaled, "--tz", "Asia/Jakarta", "--from-start", "--idle", "5s", "--format", "json", dir)

	start, steps, most := clock, 0, 0
	for {
		behind := tl.Step()
		steps++
		most = max(most, tl.Queued())
		if !behind {
			break
		}
	}
	require.Greater(t, clock.Sub(start), 10*c.Idle, "reading took far longer than --idle")
	// The logs stay quiet for a minute before Ctrl-C: the requests the
	// server never answered (their records wait for an access line) must
	// end as at the end of analyze's input, not as requests of their own,
	// and once the logs are quiet, not at Ctrl-C or a minute later.
	quiet := clock
	for clock.Sub(quiet) < correlate.DefaultAfter+correlate.DefaultSlack+time.Second {
		tl.Step()
	}
	soonAfter := strings.Count(stdout.String(), "\n")
	for clock.Sub(quiet) < time.Minute {
		tl.Step()
	}
	tl.Close()

	var chains []report.JSONChain
	events := 0
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var l tailLine
		require.NoError(t, json.Unmarshal([]byte(line), &l))
		require.Equal(t, "chain", l.Type)
		chains = append(chains, l.JSONChain)
	}
	doc := analyzeJSON(t, "--tz", "Asia/Jakarta", dir)
	for _, s := range doc.Sources {
		events += s.Events
	}
	require.Len(t, doc.Chains, 388)
	rel := func(file string, gen int) string { return filepath.Base(file) }
	assert.Equal(t, chainKeys(doc.Chains, rel), chainKeys(chains, rel))
	assert.Equal(t, len(doc.Chains), soonAfter, "every chain out within --after + slack + 1 s of the logs going quiet")
	assert.Greater(t, steps, 50, "read in pieces")
	assert.Less(t, most, events/4, "at most %d of %d events waited at once", most, events)
	assert.Contains(t, stderr.String(), "behind: ")
	assert.Contains(t, stderr.String(), "caught up after ")
}

// stepTailer makes the tailer tail's arguments ask for, on the clock now,
// for a test to step (Tailer.Step) as tail's loop would; and the
// correlator's configuration.
func stepTailer(t *testing.T, now func() time.Time, stdout, stderr *bytes.Buffer, args ...string) (*engine.Tailer, *tailCmd, correlate.Config) {
	return stepTailerWith(t, now, stdout, stderr, nil, args...)
}

// stepTailerWith is stepTailer with changes to how the tailer follows
// (scaled to a short capture, an eye on the events placed).
func stepTailerWith(t *testing.T, now func() time.Time, stdout, stderr *bytes.Buffer, change func(*engine.FollowOptions), args ...string) (*engine.Tailer, *tailCmd, correlate.Config) {
	e := &env{ctx: context.Background(), stdin: strings.NewReader(""), stdout: stdout, stderr: stderr}
	var flags cli
	p, err := kong.New(&flags, kong.Vars{"version": version})
	require.NoError(t, err)
	_, err = p.Parse(append([]string{"tail"}, args...))
	require.NoError(t, err)
	c := &flags.Tail
	cfg, opts, err := c.setup(e)
	require.NoError(t, err)
	eng := engine.New(cfg, report.New(c.Format, stdout, report.Options{Live: true}), engine.NewCatalog(), e.warn)
	fo := engine.FollowOptions{Paths: c.Paths, FromStart: c.FromStart, Grace: c.Grace, Idle: c.Idle, Now: now}
	if change != nil {
		change(&fo)
	}
	return eng.Follow(opts, fo), c, cfg
}

// TestTailSecondInterrupt: the first Ctrl-C asks for the last chains and
// the summary, which can take a while far behind (here a backlog read from
// the start, made large enough to take a second); a second Ctrl-C stops at
// once.
func TestTailSecondInterrupt(t *testing.T) {
	bin := buildLogcorr(t)

	dir := t.TempDir()
	b, err := os.ReadFile("../../testdata/login-storm-psycopg2/logs/runserver_8000.err.log")
	require.NoError(t, err)
	log, err := os.Create(filepath.Join(dir, "runserver.err.log"))
	require.NoError(t, err)
	defer log.Close()
	// The backlog doubles until reading it takes a second: 45 MB took
	// 0.7 s once tail read by position, against 4 s before.
	var whole time.Duration
	for copies, written := 10, 0; whole <= time.Second && written < 80; copies *= 2 {
		_, err := log.Write(bytes.Repeat(b, copies-written))
		require.NoError(t, err)
		written = copies
		alone := exec.Command(bin, "tail", "--tz", "Asia/Jakarta", "--from-start", "--duration", "100ms", "--stop-within", "1h", dir)
		start := time.Now()
		require.NoError(t, alone.Run())
		whole = time.Since(start)
	}
	require.Greater(t, whole, time.Second, "reading the backlog takes a while")

	cmd := exec.Command(bin, "tail", "--tz", "Asia/Jakarta", "--from-start", "--stop-within", "1h", dir)
	require.NoError(t, cmd.Start())
	start := time.Now()
	time.Sleep(200 * time.Millisecond)
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	time.Sleep(100 * time.Millisecond)
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	err = cmd.Wait()
	took := time.Since(start)
	require.Error(t, err, "stopped by the second signal, not finished")
	assert.Less(t, took, whole/2, "stopped at once (%s; the whole backlog took %s)", took, whole)
}

// TestTailStopWithin: stopped far behind, tail reads on for --stop-within
// at most, then prints the summary of what it read and names the files it
// stopped short of the end of.
func TestTailStopWithin(t *testing.T) {
	logs := "../../testdata/login-storm-psycopg2/logs"
	start := time.Now()
	code, out, errOut := runCLI(t, "", "tail", "--tz", "Asia/Jakarta", "--format", "json", "--from-start", "--duration", "1ms", "--stop-within", "0s", logs)
	require.Equal(t, exitOK, code, errOut)
	assert.Less(t, time.Since(start), 5*time.Second)
	_, sum := parseNDJSON(t, out)
	for _, s := range sum.Sources {
		if strings.HasSuffix(s.File, "runserver_8000.err.log") {
			assert.Less(t, s.Events, 2807, "only what was read")
		}
	}
	assert.Regexp(t, `runserver_8000\.err\.log: stopped [0-9.]+ MB short of its end \(tail was that far behind\); read it with logcorr analyze`, errOut)
	assert.NotContains(t, errOut, "auth_debug.log: stopped", "a file read to its end is not named")
}

// buildLogcorr builds the binary, for tests that signal a real process.
func buildLogcorr(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "logcorr")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, string(out))
	return bin
}

// TestTailMatchesAnalyzeOutOfOrder follows, from their start and a small
// piece at a time, lab captures whose Django error records are written up
// to 21 s after the time they carry (dated when the request began, written
// when it ended). tail's chains, every evidence line included, must be
// analyze's, and both must say which logs were out of order and how long
// chains waited for them.
func TestTailMatchesAnalyzeOutOfOrder(t *testing.T) {
	defer func(limit int64) { tailReadLimit = limit }(tailReadLimit)
	tailReadLimit = 16 << 10
	for _, capture := range []string{"gunicorn-nginx-pool", "uwsgi-json-pool"} {
		t.Run(capture, func(t *testing.T) {
			logs := filepath.Join("../../testdata/captures", capture, "logs")
			dir := t.TempDir()
			names, err := filepath.Glob(filepath.Join(logs, "*.log.gz"))
			require.NoError(t, err)
			for _, name := range names {
				plain := strings.TrimSuffix(filepath.Base(name), ".gz")
				require.NoError(t, os.WriteFile(filepath.Join(dir, plain), readMaybeGz(t, name), 0o644))
			}
			doc := analyzeJSON(t, "--tz", "Asia/Jakarta", dir)
			require.NotEmpty(t, doc.Chains)
			require.Positive(t, doc.WaitMS, "the capture has lines written late")

			code, out, errOut := runCLI(t, "", "tail", "--tz", "Asia/Jakarta", "--format", "json", "--from-start",
				"--interval", "10ms", "--duration", "300ms", "--stop-within", "1m", dir)
			require.Equal(t, exitOK, code, errOut)
			chains, live := parseNDJSON(t, out)
			rel := func(file string, gen int) string { return filepath.Base(file) }
			assert.Equal(t, chainKeys(doc.Chains, rel), chainKeys(chains, rel))
			assert.Equal(t, doc.WaitMS, live.WaitMS)
			disorder := func(srcs []report.JSONSource) map[string]string {
				out := map[string]string{}
				for _, s := range srcs {
					if s.OutOfOrder > 0 {
						out[filepath.Base(s.File)] = fmt.Sprintf("%d up to %d ms", s.OutOfOrder, s.OutOfOrderMS)
					}
				}
				return out
			}
			assert.Contains(t, disorder(doc.Sources), "django_errors.log")
			assert.Equal(t, disorder(doc.Sources), disorder(live.Sources))
		})
	}
}

// TestRotatedLogReadAlike: a file of two programs (gunicorn's own lines and
// Django's records on its stderr) rotated so that the live file begins with
// Django's records is read with the oldest file's first lines, as tail
// reads every generation of a path with its first's: both files name their
// programs alike, and Django's reports of the two files are one log's.
func TestRotatedLogReadAlike(t *testing.T) {
	lines := strings.SplitAfter(string(readMaybeGz(t, "../../testdata/captures/gunicorn-nginx-pool/logs/gunicorn_error.log.gz")), "\n")
	cut := 0
	for i, l := range lines {
		if i > 100 && strings.HasPrefix(l, "ERROR ") {
			cut = i
			break
		}
	}
	require.Positive(t, cut)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "gunicorn_error.log.1"), []byte(strings.Join(lines[:cut], "")), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "gunicorn_error.log"), []byte(strings.Join(lines[cut:], "")), 0o644))
	doc := analyzeJSON(t, "--tz", "Asia/Jakarta", dir)
	parts := map[string][]string{}
	for _, s := range doc.Sources {
		file, label := parser.SplitLabel(filepath.Base(s.File))
		parts[file] = append(parts[file], label+" "+s.Format)
	}
	require.Len(t, parts, 2)
	assert.Equal(t, parts["gunicorn_error.log.1"], parts["gunicorn_error.log"], "the programs named alike in both files")
}

// TestNoticesRepeatUnderTail: analyze says each notice once (a file read
// once per label meets the same line in each reading); tail says again
// what happens again, a file rotated twice.
func TestNoticesRepeatUnderTail(t *testing.T) {
	for _, once := range []bool{false, true} {
		var stderr bytes.Buffer
		e := &env{stderr: &stderr, sayOnce: once}
		e.warn("app.log: rotated (renamed)")
		e.warn("app.log: rotated (renamed)")
		want := 2
		if once {
			want = 1
		}
		assert.Equal(t, want, strings.Count(stderr.String(), "rotated"), "sayOnce %v", once)
	}
}
