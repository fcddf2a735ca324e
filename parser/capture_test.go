package parser_test

import (
	"compress/gzip"
	"errors"
	"io"
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
	"github.com/logcorr/logcorr/source"
)

// captureDirs are the real captures every parser must read.
var captureDirs = []string{
	"../testdata/login-storm-psycopg2/logs",
	"../testdata/captures/debug-off-pct/logs",
	"../testdata/captures/debug-off-brace/logs",
	"../testdata/captures/big-pool-redis/logs",
	"../testdata/captures/storm-150/logs",
	"../testdata/captures/no-failures/logs",
	"../testdata/captures/live-100users-60s/logs",
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		path += ".gz"
	}
	f, err := os.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		require.NoError(t, err)
		r = zr
	}
	lr := source.NewLineReader(r)
	var lines []string
	for {
		l, err := lr.Next()
		if errors.Is(err, io.EOF) {
			return lines
		}
		require.NoError(t, err)
		lines = append(lines, l)
	}
}

// grep counts lines matching a pattern, as `grep -c` would.
func grep(lines []string, pattern string) int {
	re := regexp.MustCompile(pattern)
	n := 0
	for _, l := range lines {
		if re.MatchString(l) {
			n++
		}
	}
	return n
}

func parseAll(t *testing.T, spec parser.Spec, name string, lines []string) []parser.Event {
	t.Helper()
	jakarta, err := time.LoadLocation("Asia/Jakarta")
	require.NoError(t, err)
	var evs []parser.Event
	var warnings []string
	p := spec.New(parser.NewClock(name, jakarta, func(w string) { warnings = append(warnings, w) }), func(ev parser.Event) { evs = append(evs, ev) })
	for i, l := range lines {
		p.Feed(parser.Line{Num: i + 1, Text: l})
	}
	p.Flush()
	assert.Empty(t, warnings)
	return evs
}

func detect(t *testing.T, lines []string) parser.Spec {
	t.Helper()
	d, ok := parser.Detect(lines[:min(len(lines), 2000)])
	require.True(t, ok, "format detected")
	return d.Spec
}

func count(evs []parser.Event, keep func(*parser.Event) bool) int {
	n := 0
	for i := range evs {
		if keep(&evs[i]) {
			n++
		}
	}
	return n
}

// TestRunserverOnCaptures checks runserver stderr against grep: access lines
// by status, django.request records, final exception lines.
func TestRunserverOnCaptures(t *testing.T) {
	for _, dir := range captureDirs {
		t.Run(dir, func(t *testing.T) {
			lines := readLines(t, filepath.Join(dir, "runserver_8000.err.log"))
			spec := detect(t, lines)
			require.Equal(t, "runserver", spec.Name())
			evs := parseAll(t, spec, "runserver_8000.err.log", lines)

			access := `^\[\d\d/[A-Z][a-z]{2}/\d{4} \d\d:\d\d:\d\d\] "[A-Z]+ `
			assert.Equal(t, grep(lines, access), count(evs, func(e *parser.Event) bool { return e.Kind == parser.KindAccess }))
			assert.Equal(t, grep(lines, access+`/accounts/login/ HTTP/1\.1" 500 `),
				count(evs, func(e *parser.Event) bool {
					return e.Kind == parser.KindAccess && e.Method == "POST" && e.Path == "/accounts/login/" && e.Status == 500
				}))
			assert.Equal(t, grep(lines, `^Internal Server Error: /accounts/login/$`),
				count(evs, func(e *parser.Event) bool {
					return e.Kind == parser.KindRequestLog && e.Status == 500 && e.Path == "/accounts/login/"
				}))
			assert.Equal(t, grep(lines, `^The request's session was deleted before the request completed.*: /`),
				count(evs, func(e *parser.Event) bool { return e.Kind == parser.KindRequestLog && e.Status == 400 }))
			final := func(class string) int {
				return count(evs, func(e *parser.Event) bool { return e.Exc != nil && e.Exc.Class == class })
			}
			assert.Equal(t, grep(lines, `^redis\.exceptions\.ConnectionError: `), final("redis.exceptions.ConnectionError"))
			interrupted := "django.contrib.sessions.exceptions.SessionInterrupted"
			assert.Equal(t, grep(lines, "^"+regexp.QuoteMeta(interrupted)+": "), final(interrupted))
			// A lost session save chains the OperationalError into SessionInterrupted.
			assert.Equal(t, grep(lines, `^django\.db\.utils\.OperationalError: `), final("django.db.utils.OperationalError")+final(interrupted))
			assert.Equal(t, grep(lines, `^Watching for file changes`), count(evs, func(e *parser.Event) bool { return e.Kind == parser.KindBanner }))
			for _, e := range evs {
				require.False(t, e.Time.IsZero(), "line %d has a time", e.Line)
				if e.Kind == parser.KindRequestLog {
					assert.NotZero(t, e.TimeFrom, "a request record borrows its time")
					assert.GreaterOrEqual(t, e.EndLine, e.Line)
				}
			}
		})
	}
}

// TestRunserverRootCause: the first exception of a chained traceback is kept
// apart from the final one, and multi-line messages keep their lines.
func TestRunserverRootCause(t *testing.T) {
	lines := readLines(t, "../testdata/login-storm-psycopg2/logs/runserver_8000.err.log")
	evs := parseAll(t, parser.SpecOf(parser.Lookup("runserver")), "r", lines)
	roots := map[string]int{}
	for _, e := range evs {
		if e.Kind != parser.KindRequestLog || e.Exc == nil {
			continue
		}
		if e.Exc.Class == "django.db.utils.OperationalError" {
			assert.Equal(t, "server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally\n\tbefore or while processing the request.", e.Exc.Message)
		}
		if e.Root != nil {
			roots[e.Root.Class]++
		}
	}
	assert.Equal(t, grep(lines, `^AttributeError: 'SessionStore' object has no attribute '_session_cache'`), roots["AttributeError"])
	assert.Equal(t, grep(lines, `^ConnectionRefusedError: `), roots["ConnectionRefusedError"])
	assert.Equal(t, grep(lines, `^accounts\.throttle\.Throttled: `), roots["accounts.throttle.Throttled"])
}

// TestPythonLoggingOnCaptures reads django_errors.log in each capture's
// format (detected, never told) and auth_debug.log's key=value lines.
func TestPythonLoggingOnCaptures(t *testing.T) {
	for _, dir := range captureDirs {
		t.Run(dir, func(t *testing.T) {
			lines := readLines(t, filepath.Join(dir, "django_errors.log"))
			if len(lines) == 0 {
				return // no failures, empty error log
			}
			spec := detect(t, lines)
			require.Equal(t, "python", spec.Name())
			evs := parseAll(t, spec, "django_errors.log", lines)
			records := `^(\[?\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\]? )?(\[?ERROR\]? )`
			assert.Equal(t, grep(lines, records), len(evs), "one event per record")
			assert.Equal(t, grep(lines, `Internal Server Error: /accounts/login/$`),
				count(evs, func(e *parser.Event) bool {
					return e.Kind == parser.KindRequestLog && e.Path == "/accounts/login/" && e.Status == 500
				}))
			assert.Equal(t, grep(lines, `^redis\.exceptions\.ConnectionError: `),
				count(evs, func(e *parser.Event) bool { return e.Exc != nil && e.Exc.Class == "redis.exceptions.ConnectionError" }))
			for _, e := range evs {
				assert.Equal(t, "ERROR", e.Level)
				assert.Equal(t, time.Millisecond, e.Precision)
			}

			auth := readLines(t, filepath.Join(dir, "auth_debug.log"))
			spec = detect(t, auth)
			evs = parseAll(t, spec, "auth_debug.log", auth)
			assert.Len(t, evs, len(auth))
			assert.Equal(t, grep(auth, `method=POST path=/accounts/login/ .*status=500 `),
				count(evs, func(e *parser.Event) bool {
					return e.Method == "POST" && e.Path == "/accounts/login/" && e.Status == 500
				}))
			assert.Equal(t, grep(auth, ` user=lt_\d+ `), count(evs, func(e *parser.Event) bool { return strings.HasPrefix(e.Field("user"), "lt_") }))
		})
	}
}

// TestPgBouncerOnCaptures: every line is an event; reasons and stats as grep
// counts them.
func TestPgBouncerOnCaptures(t *testing.T) {
	for _, dir := range captureDirs {
		t.Run(dir, func(t *testing.T) {
			lines := readLines(t, filepath.Join(dir, "pgbouncer.log"))
			spec := detect(t, lines)
			require.Equal(t, "pgbouncer", spec.Name())
			evs := parseAll(t, spec, "pgbouncer.log", lines)
			assert.Len(t, evs, grep(lines, `^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC \[\d+\] `))
			tagged := func(tag parser.Tag, reason string) int {
				return count(evs, func(e *parser.Event) bool { return e.Tag == tag && e.Reason == reason })
			}
			assert.Equal(t, grep(lines, `closing because: query_wait_timeout \(age=\d+s\)$`), tagged(parser.TagClosing, "query_wait_timeout"))
			assert.Equal(t, grep(lines, `pooler error: query_wait_timeout$`), tagged(parser.TagPoolerError, "query_wait_timeout"))
			assert.Equal(t, grep(lines, ` LOG stats: `), count(evs, func(e *parser.Event) bool { return e.Tag == parser.TagStats && e.Field("wait_us") != "" }))
			assert.Equal(t, grep(lines, ` C-0x[0-9a-f]+: `), count(evs, func(e *parser.Event) bool { c, ok := e.Connection(); return ok && c.Side == 'C' && c.Port > 0 }))
			for _, e := range evs {
				_, off := e.Time.Zone()
				require.Zero(t, off, "PgBouncer writes UTC, whatever --tz says")
			}
		})
	}
}

// TestPostgresOnCaptures: Debian's prefix, with and without user@db.
func TestPostgresOnCaptures(t *testing.T) {
	for _, dir := range captureDirs {
		t.Run(dir, func(t *testing.T) {
			lines := readLines(t, filepath.Join(dir, "postgresql.log"))
			spec := detect(t, lines)
			require.Equal(t, "postgresql", spec.Name())
			evs := parseAll(t, spec, "postgresql.log", lines)
			assert.Len(t, evs, grep(lines, ` (LOG|ERROR|FATAL|WARNING):  `))
			// Debian's prefix, named, reads the same records.
			debian, err := parser.ParseSpec("postgresql:%m [%p] %q%u@%d ")
			require.NoError(t, err)
			named := parseAll(t, debian, "postgresql.log", lines)
			require.Len(t, named, len(evs))
			for i := range evs {
				assert.Equal(t, evs[i].Time, named[i].Time)
				assert.Equal(t, evs[i].Message, named[i].Message)
			}
			assert.Equal(t, grep(lines, `connection authorized`), count(evs, func(e *parser.Event) bool {
				return e.Level == "LOG" && strings.HasPrefix(e.Message, "connection authorized: ")
			}))
		})
	}
}

// TestDetectLeavesOthersAlone: Locust's CSV files are no log format.
func TestDetectLeavesOthersAlone(t *testing.T) {
	for _, name := range []string{"locust_stats.csv", "locust_failures.csv", "locust_stats_history.csv", "locust_exceptions.csv"} {
		lines := readLines(t, filepath.Join(captureDirs[0], name))
		_, ok := parser.Detect(lines)
		assert.False(t, ok, name)
	}
}

// TestUWSGIRequestLinesInWriteOrder: uWSGI writes a request line when the
// request ends and dates it by the second it began, so start plus duration
// can put a line before one written earlier (four failures in one second,
// 05:54:04 in uwsgi-nginx-console-json). Read with the app's records on the
// same log, each line is dated no earlier than what was written before it,
// within the second its start allows.
func TestUWSGIRequestLinesInWriteOrder(t *testing.T) {
	lines := readLines(t, "../testdata/captures/uwsgi-nginx-console-json/logs/uwsgi.log")
	jakarta := time.FixedZone("WIB", 7*3600)
	var evs []parser.Event
	d := parser.NewDemux("uwsgi.log", func(name string) *parser.Clock { return parser.NewClock(name, jakarta, nil) },
		func(ev parser.Event) { evs = append(evs, ev) })
	_, ok := d.Start(lines[:200])
	require.True(t, ok)
	for i, l := range lines {
		d.Feed(parser.Line{Num: i + 1, Text: l})
	}
	d.Flush()

	var written time.Time
	requests, moved := 0, 0
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Line < evs[j].Line })
	for _, ev := range evs {
		if ev.Kind != parser.KindAccess {
			if ev.Precision < time.Second && ev.Time.After(written) {
				written = ev.Time
			}
			continue
		}
		requests++
		first := ev.Time.Add(-ev.Duration).Truncate(time.Second).Add(ev.Duration)
		assert.False(t, ev.Time.Before(first), "line %d dated before its start's second plus its duration", ev.Line)
		assert.True(t, ev.Time.Before(first.Add(time.Second)), "line %d dated past the second its start allows", ev.Line)
		if written.After(first) && written.Before(first.Add(time.Second)) {
			assert.False(t, ev.Time.Before(written), "line %d dated before a line written earlier", ev.Line)
		}
		if ev.Time.After(first) {
			moved++
		}
		if ev.Time.After(written) {
			written = ev.Time
		}
	}
	require.Greater(t, requests, 6000)
	assert.Greater(t, moved, requests/10, "the write order dates many lines closer than their start's second")
}
