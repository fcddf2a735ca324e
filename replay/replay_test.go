package replay

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeSource(t *testing.T) string {
	t.Helper()
	src := t.TempDir()
	lines := "[27/Nov/2026 00:15:05] \"POST /accounts/login/ HTTP/1.1\" 500 145\n" +
		"[27/Nov/2026 00:15:06] \"GET / HTTP/1.1\" 200 1\n" +
		"[27/Nov/2026 00:15:07] \"GET / HTTP/1.1\" 200 1\n"
	require.NoError(t, os.WriteFile(filepath.Join(src, "runserver.err.log"), []byte(lines), 0o644))
	return src
}

func TestRunRefusesToDoubleLines(t *testing.T) {
	src := writeSource(t)
	plan := Plan{Loc: time.UTC}
	cases := []struct {
		name string
		dst  func() string
		want string
	}{
		{"into the source folder", func() string { return src }, "is the source folder"},
		{"over a replay already made", func() string {
			dst := t.TempDir()
			_, err := Run(context.Background(), src, []string{"runserver.err.log"}, dst, plan)
			require.NoError(t, err)
			return dst
		}, "already holds lines"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dst := c.dst()
			before, err := os.ReadFile(filepath.Join(dst, "runserver.err.log"))
			require.NoError(t, err)
			_, err = Run(context.Background(), src, []string{"runserver.err.log"}, dst, plan)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			after, err := os.ReadFile(filepath.Join(dst, "runserver.err.log"))
			require.NoError(t, err)
			assert.Equal(t, before, after, "the file is left as it was")
		})
	}
}

func TestRunRotates(t *testing.T) {
	for _, mode := range []Mode{Rename, CopyTruncate, Recreate} {
		t.Run(string(mode), func(t *testing.T) {
			src, dst := writeSource(t), t.TempDir()
			reports, err := Run(context.Background(), src, []string{"runserver.err.log"}, dst,
				Plan{Loc: time.UTC, Rotate: map[string]Rotation{"runserver.err.log": {Mode: mode, At: 0.5}}})
			require.NoError(t, err)
			require.Len(t, reports, 1)
			got := reports[0]
			require.Len(t, got.Lines, 2, "one rotation, two generations")
			assert.Equal(t, 3, got.Lines[0]+got.Lines[1], "every line written once")
			assert.Equal(t, mode == Recreate, got.Removed)
			_, err = os.Stat(filepath.Join(dst, "runserver.err.log.1"))
			assert.Equal(t, mode != Recreate, err == nil, "a rotated copy exists unless it was removed")
		})
	}
}

func TestShift(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{"2026-11-27 00:15:05,123 WARNING auth_debug: user=a", "2026-11-27 00:17:05,123 WARNING auth_debug: user=a"},
		{"2026-11-26 17:15:05.120 UTC [1] LOG C-0x1: db/app@127.0.0.1:4000 login attempt", "2026-11-26 17:17:05.120 UTC [1] LOG C-0x1: db/app@127.0.0.1:4000 login attempt"},
		{"ERROR 2026-12-01 04:26:44,562 log 20754 1399 Internal Server Error: /accounts/login/", "ERROR 2026-12-01 04:28:44,562 log 20754 1399 Internal Server Error: /accounts/login/"},
		{"{\"asctime\": \"2026-12-01T23:59:05\", \"levelname\": \"ERROR\"}", "{\"asctime\": \"2026-12-02T00:01:05\", \"levelname\": \"ERROR\"}"},
		{"[27/Nov/2026 00:15:05] \"POST /accounts/login/ HTTP/1.1\" 500 145", "[27/Nov/2026 00:17:05] \"POST /accounts/login/ HTTP/1.1\" 500 145"},
		{"127.0.0.1 - - [30/Nov/2026:21:27:25 +0000] \"POST /accounts/login/ HTTP/1.1\" 500 145", "127.0.0.1 - - [30/Nov/2026:21:29:25 +0000] \"POST /accounts/login/ HTTP/1.1\" 500 145"},
		{"November 27, 2026 - 23:59:02", "November 28, 2026 - 00:01:02"},
		{"2026/11/30 22:55:39 [error] 23368#23368: *1 connect() failed (111: Connection refused)", "2026/11/30 22:57:39 [error] 23368#23368: *1 connect() failed (111: Connection refused)"},
		{"[pid: 22793|app: 0|req: 8/22] 127.0.0.1 () {36 vars in 558 bytes} [Tue Dec  1 05:59:04 2026] POST /accounts/login/ => generated 145 bytes in 96 msecs",
			"[pid: 22793|app: 0|req: 8/22] 127.0.0.1 () {36 vars in 558 bytes} [Tue Dec  1 06:01:04 2026] POST /accounts/login/ => generated 145 bytes in 96 msecs"},
		{"[pid: 1|app: 0|req: 8/22] 127.0.0.1 () {36 vars in 558 bytes} [Mon Nov 30 23:59:04 2026] GET /", "[pid: 1|app: 0|req: 8/22] 127.0.0.1 () {36 vars in 558 bytes} [Tue Dec  1 00:01:04 2026] GET /"},
		{"Traceback (most recent call last):", "Traceback (most recent call last):"},
	} {
		assert.Equal(t, tc.want, Shift(tc.line, 2*time.Minute), tc.line)
	}
}

// TestRunLoops: each loop writes every line again, its timestamp moved on
// past the end of the loop before.
func TestRunLoops(t *testing.T) {
	src, dst := writeSource(t), t.TempDir()
	reports, err := Run(context.Background(), src, []string{"runserver.err.log"}, dst, Plan{Loc: time.UTC, Loops: 3})
	require.NoError(t, err)
	require.Len(t, reports, 1)
	assert.Equal(t, []int{9}, reports[0].Lines)
	b, err := os.ReadFile(filepath.Join(dst, "runserver.err.log"))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	require.Len(t, lines, 9)
	assert.True(t, strings.HasPrefix(lines[3], "[27/Nov/2026 00:15:09]"), lines[3])
	assert.True(t, strings.HasPrefix(lines[8], "[27/Nov/2026 00:15:15]"), lines[8])
}

// TestRotationStorm rotates a file every few milliseconds while writing it
// as fast as possible: every line is in exactly one file, numbered as
// logrotate numbers them (the newest rotated file is .1), or kept aside when
// the rotation removed it.
func TestRotationStorm(t *testing.T) {
	src := t.TempDir()
	var text strings.Builder
	base := time.Date(2026, 11, 27, 0, 15, 0, 0, time.UTC)
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&text, "[%s] \"GET /%d HTTP/1.1\" 200 1\n", base.Add(time.Duration(i)*time.Second).Format("02/Jan/2006 15:04:05"), i)
	}
	require.NoError(t, os.WriteFile(filepath.Join(src, "app.log"), []byte(text.String()), 0o644))
	for _, mode := range []Mode{Rename, CopyTruncate, Recreate} {
		t.Run(string(mode), func(t *testing.T) {
			dst, keep := t.TempDir(), t.TempDir()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			reports, err := Run(ctx, src, []string{"app.log"}, dst, Plan{Loc: time.UTC, Speed: 3000 / 0.3,
				Rotate: map[string]Rotation{"*": {Mode: mode, Every: 20 * time.Millisecond}}, Keep: keep})
			require.NoError(t, err)
			require.Greater(t, len(reports[0].Lines), 3, "rotated again and again")
			var all []string
			for _, dir := range []string{dst, keep} {
				names, err := filepath.Glob(filepath.Join(dir, "app.log*"))
				require.NoError(t, err)
				for _, n := range names {
					b, err := os.ReadFile(n)
					require.NoError(t, err)
					all = append(all, strings.Split(strings.TrimSpace(string(b)), "\n")...)
				}
			}
			sort.Strings(all)
			want := strings.Split(strings.TrimSpace(text.String()), "\n")
			sort.Strings(want)
			assert.Equal(t, want, all, "every line once")
			if mode != Recreate {
				_, err := os.Stat(filepath.Join(dst, fmt.Sprintf("app.log.%d", len(reports[0].Lines)-1)))
				assert.NoError(t, err, "the oldest file has the highest number")
			}
		})
	}
}

// virtualClock records when each line was written, on time that passes only
// when the replay sleeps.
type virtualClock struct{ now time.Time }

func (c *virtualClock) Now() time.Time { return c.now }
func (c *virtualClock) SleepUntil(_ context.Context, t time.Time) {
	if t.After(c.now) {
		c.now = t
	}
}

// TestRunPaces: every line is due at its time, across files and zones
// (nginx's error log naive in UTC beside an app's Jakarta times), and a
// file of two programs (gunicorn's own lines, then Django's records) is
// dated throughout, not written all at once before everything else.
func TestRunPaces(t *testing.T) {
	src := t.TempDir()
	files := map[string]string{
		"gunicorn_error.log": "[2026-11-30 21:26:05 +0000] [20745] [INFO] Starting gunicorn 20.1.0\n" +
			"[2026-11-30 21:26:05 +0000] [20745] [INFO] Listening at: http://127.0.0.1:8001 (20745)\n" +
			"ERROR 2026-12-01 04:26:07,000 log 20753 1399 Internal Server Error: /accounts/login/\n" +
			"Traceback (most recent call last):\n" +
			"ValueError: x\n" +
			"ERROR 2026-12-01 04:26:09,000 log 20753 1399 Internal Server Error: /accounts/login/\n" +
			"Traceback (most recent call last):\n" +
			"ValueError: y\n",
		"nginx_error.log": "2026/11/30 21:26:06 [error] 20751#20751: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: , request: \"GET / HTTP/1.1\", upstream: \"http://127.0.0.1:8001/\", host: \"127.0.0.1\"\n",
	}
	var names []string
	for name, text := range files {
		require.NoError(t, os.WriteFile(filepath.Join(src, name), []byte(text), 0o644))
		names = append(names, name)
	}
	sort.Strings(names)
	jakarta, err := time.LoadLocation("Asia/Jakarta")
	require.NoError(t, err)
	clock := &virtualClock{now: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	start := clock.now
	var first time.Time
	plan := Plan{Speed: 1, Loc: jakarta, Zones: map[string]*time.Location{"nginx_error.log": time.UTC}, Clock: clock,
		Started: func(_, t time.Time) { first = t }}
	_, err = Run(context.Background(), src, names, t.TempDir(), plan)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 11, 30, 21, 26, 5, 0, time.UTC), first.UTC(), "gunicorn's first line is the first due")
	assert.Equal(t, 4*time.Second, clock.now.Sub(start), "the last record is due 4 s after the first line, nginx's between them")
}

// Repeat must write what Shift makes of every line of every copy, for each
// form of timestamp the shipped capture holds.
func TestRepeatIsShiftCopied(t *testing.T) {
	for _, name := range []string{"runserver_8000.err.log", "django_errors.log", "auth_debug.log", "pgbouncer.log"} {
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("../testdata/login-storm-psycopg2/logs", name))
			require.NoError(t, err)
			lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
			lines = lines[:min(len(lines), 3000)]
			step := 2 * time.Minute
			var got bytes.Buffer
			require.NoError(t, Repeat(&got, lines, 3, step))
			var want strings.Builder
			for c := 0; c < 3; c++ {
				for _, l := range lines {
					want.WriteString(Shift(l, time.Duration(c)*step))
					want.WriteByte('\n')
				}
			}
			assert.Equal(t, want.String(), got.String())
			out := strings.Split(got.String(), "\n")
			moved := 0
			for i := range lines {
				if out[i] != out[len(lines)+i] {
					moved++
				}
			}
			assert.Positive(t, moved, "the second copy's times moved on")
		})
	}
}
