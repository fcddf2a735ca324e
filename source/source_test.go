package source

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/logcorr/logcorr/parser"
)

func TestMatches(t *testing.T) {
	tests := []struct {
		glob, name string
		want       bool
	}{
		{"pgbouncer.log", "logs/pgbouncer.log", true},
		{"pgbouncer*", "logs/pgbouncer.log.1.gz", true},
		{"logs/*.log", "logs/pgbouncer.log", true},
		{`d:\logs\django_errors.log`, `d:\logs\django_errors.log`, true},
		{"django_errors.log", `d:\logs\django_errors.log`, true},
		{"*.log", `d:\logs\x\auth.log`, true},
		{"auth*", "logs/pgbouncer.log", false},
		{"[", "x", false},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, Matches(tc.glob, tc.name), "%s ~ %s", tc.glob, tc.name)
	}
}

func TestZoneAndFormatRules(t *testing.T) {
	utc, jakarta := time.UTC, time.FixedZone("WIB", 7*3600)
	o := &Options{Loc: jakarta, Zones: []Rule[*time.Location]{{"pgbouncer*", utc}, {"pgbouncer.log.9", jakarta}}}
	assert.Equal(t, utc, o.ZoneFor("logs/pgbouncer.log"))
	assert.Equal(t, jakarta, o.ZoneFor("logs/pgbouncer.log.9"), "the later rule wins")
	assert.Equal(t, jakarta, o.ZoneFor("logs/runserver.err.log"))
	assert.Equal(t, time.Local, (&Options{}).ZoneFor("x"))

	spec, err := parser.ParseSpec("django-verbose")
	require.NoError(t, err)
	o.Formats = []Rule[parser.Spec]{{"errors.log", spec}}
	got, ok := o.FormatFor("logs/errors.log")
	assert.True(t, ok)
	assert.Equal(t, spec.String(), got.String())
	_, ok = o.FormatFor("logs/other.log")
	assert.False(t, ok)
}

func TestExpand(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"b.log", "a.log", ".hidden"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), []byte("x\n"), 0o644))
	}
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))
	ins, err := Expand([]string{dir, "-", filepath.Join(dir, "missing.log")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "missing.log: no such file or folder")
	require.Len(t, ins, 3)
	assert.Equal(t, filepath.Join(dir, "a.log"), ins[0].Name)
	assert.True(t, ins[0].FromFolder)
	assert.Equal(t, filepath.Join(dir, "b.log"), ins[1].Name)
	assert.Equal(t, Input{Name: StdinName, Path: Stdin}, ins[2])
}

// TestLineReader reads the same text whole, a byte at a time, and up to a
// failure: lines across its blocks, a line cut at MaxLine, CR kept, a last
// line without newline, and what was read before a failure kept.
func TestLineReader(t *testing.T) {
	long := strings.Repeat("x", MaxLine+10)
	var many strings.Builder
	for i := 0; many.Len() < 3*blockSize; i++ {
		fmt.Fprintf(&many, "line %d %s\n", i, strings.Repeat("y", i%200))
	}
	// Longer than a block of kept lines, shorter than the chunk read into.
	wide := strings.Repeat("w", blockSize+5000)
	text := "first\r\n\n" + many.String() + long + "\n" + wide + "\n" + many.String() + "last without newline"
	want := strings.Split(text, "\n")
	want[len(want)-1] = "last without newline"
	longAt := 3 + strings.Count(many.String(), "\n")
	broken := errors.New("disk gone")
	for _, tc := range []struct {
		name   string
		reader io.Reader
		upTo   int // bytes readable before broken; 0: all
	}{
		{"whole", strings.NewReader(text), 0},
		{"half of what is asked at a time", iotest.HalfReader(strings.NewReader(text)), 0},
		{"with its last data", iotest.DataErrReader(strings.NewReader(text)), 0},
		{"failing within the long line", io.MultiReader(strings.NewReader(text[:len(text)/2]), iotest.ErrReader(broken)), len(text) / 2},
		{"failing after a block", io.MultiReader(strings.NewReader(text[:blockSize+7]), iotest.ErrReader(broken)), blockSize + 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lr := NewLineReader(tc.reader)
			var cut []int
			lr.OnLong = func(n int) { cut = append(cut, n) }
			var got []string
			var err error
			for {
				var l string
				if l, err = lr.Next(); err != nil {
					break
				}
				got = append(got, l)
			}
			if tc.upTo == 0 {
				require.ErrorIs(t, err, io.EOF)
				require.Len(t, got, len(want))
				assert.Equal(t, "first\r", got[0], "CR is the parsers' to remove")
				assert.Len(t, got[longAt-1], MaxLine)
				got[longAt-1] = long
				assert.Equal(t, want, got)
				assert.Equal(t, []int{longAt}, cut)
				assert.Equal(t, int64(len(text)), lr.Bytes())
				assert.Equal(t, len(want), lr.Line())
				return
			}
			require.ErrorIs(t, err, broken)
			read := text[:tc.upTo]
			wantRead := strings.Split(strings.TrimSuffix(read, "\n"), "\n")
			if len(got) >= longAt && len(got[longAt-1]) == MaxLine {
				wantRead[longAt-1] = wantRead[longAt-1][:MaxLine]
			}
			assert.Equal(t, wantRead, got, "every line read before the failure, the last one cut short")
			assert.Equal(t, int64(tc.upTo), lr.Bytes())
		})
	}
}

// readSizes is a reader that notes how much each Read asks for.
type readSizes struct {
	r     io.Reader
	asked []int
}

func (r *readSizes) Read(p []byte) (int, error) {
	r.asked = append(r.asked, len(p))
	return r.r.Read(p)
}

// TestLineReaderReadsIntoItsChunk: a file is read into the chunk lines are
// split in, a bufio.Reader's buffer and more at a time, not through the
// bufio.Reader's own buffer (a second copy of every byte, and twice the
// reads).
func TestLineReaderReadsIntoItsChunk(t *testing.T) {
	var text strings.Builder
	for i := 0; text.Len() < 4<<20; i++ {
		fmt.Fprintf(&text, "%d %s\n", i, strings.Repeat("z", i%300))
	}
	file := &readSizes{r: strings.NewReader(text.String())}
	lr := NewLineReader(bufio.NewReaderSize(file, blockSize))
	lines := 0
	for {
		if _, err := lr.Next(); err != nil {
			require.ErrorIs(t, err, io.EOF)
			break
		}
		lines++
	}
	require.Equal(t, strings.Count(text.String(), "\n"), lines)
	for i, n := range file.asked {
		assert.GreaterOrEqual(t, n, blockSize, "read %d of %d", i, len(file.asked))
	}
	// Through the buffer, a read each 64 KB; into the chunk, near one each
	// 128 KB.
	assert.LessOrEqual(t, len(file.asked), text.Len()/(blockSize*3/2), "reads of more than a buffer each")
}

func TestOpenDetectsFormatAndGzip(t *testing.T) {
	dir := t.TempDir()
	pgb := "2026-11-26 17:16:28.717 UTC [28431] LOG C-0x5: db/u@127.0.0.1:49172 closing because: query_wait_timeout (age=7s)\n"
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write([]byte(pgb))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	gz := filepath.Join(dir, "pgbouncer.log.2.gz")
	require.NoError(t, os.WriteFile(gz, buf.Bytes(), 0o644))
	empty := filepath.Join(dir, "empty.log")
	require.NoError(t, os.WriteFile(empty, nil, 0o644))

	opts := &Options{Loc: time.UTC}
	s, err := Open(Input{Name: gz, Path: gz}, opts)
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, "pgbouncer", s.Spec.Name())
	assert.True(t, s.Detected)
	ev, err := s.Next()
	require.NoError(t, err)
	assert.Equal(t, "query_wait_timeout", ev.Reason)
	assert.Equal(t, gz, ev.Source)
	_, err = s.Next()
	assert.ErrorIs(t, err, io.EOF)

	_, err = Open(Input{Name: empty, Path: empty}, opts)
	assert.ErrorIs(t, err, ErrEmpty)

	opts.Stdin = strings.NewReader("just some text\nthat is no log\n")
	_, err = Open(Input{Name: StdinName, Path: Stdin}, opts)
	assert.ErrorIs(t, err, ErrNotRecognised)
	assert.Contains(t, err.Error(), "<stdin>")
}

// TestServiceOfNoFormatIsSaid: a compose service none of whose lines a
// format starts (PostgreSQL there wrote no log_line_prefix, so no time) is
// left out with a notice that names it and shows its first line, rather
// than missing from the sources without a word; the other service is read.
func TestServiceOfNoFormatIsSaid(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "compose.log")
	lines := "db_1       | FATAL:  sorry, too many clients already\n" +
		"db_1       | FATAL:  sorry, too many clients already\n" +
		"web_1      | [27/Nov/2026 00:15:05] \"POST /accounts/login/ HTTP/1.1\" 500 158906\n" +
		"db_1       | FATAL:  sorry, too many clients already\n"
	require.NoError(t, os.WriteFile(name, []byte(lines), 0o644))
	var notices []string
	s, err := Open(Input{Name: name, Path: name}, &Options{Loc: time.UTC, Warn: func(msg string) { notices = append(notices, msg) }})
	require.NoError(t, err)
	defer s.Close()
	events := 0
	for {
		if _, err := s.Next(); err != nil {
			require.ErrorIs(t, err, io.EOF)
			break
		}
		events++
	}
	assert.Equal(t, 1, events, "web_1's access line")
	assert.Contains(t, notices, name+`[db_1]: 3 lines, none in a format logcorr reads (the first: "FATAL:  sorry, too many clients already"); left out`)
	assert.Zero(t, s.Splitter().Foreign(), "db_1's lines are said once, not counted again under web_1 as not understood")

	// A syslog's programs that are no app's: one notice for the file, not
	// one each.
	syslog := filepath.Join(dir, "syslog")
	require.NoError(t, os.WriteFile(syslog, []byte("Nov 26 17:15:01 db1 CRON[100]: (root) CMD (run-parts /etc/cron.hourly)\n"+
		"Nov 26 17:15:01 db1 CRON[100]: (root) CMD (run-parts /etc/cron.daily)\n"+
		"Nov 26 17:15:02 db1 kernel: [12345.678] eth0: link up\n"+
		"Nov 26 17:15:03 db1 sshd[200]: Accepted publickey for ubuntu\n"+
		"Nov 26 17:15:04 db1 systemd[1]: Started Session 5 of user ubuntu.\n"+
		"Nov 26 17:15:05 db1 pgbouncer[6251]: LOG C-0x5: app/app@10.0.0.5:40000 closing because: query_wait_timeout (age=2s)\n"), 0o644))
	notices = nil
	s2, err := Open(Input{Name: syslog, Path: syslog}, &Options{Loc: time.UTC, Warn: func(msg string) { notices = append(notices, msg) }})
	require.NoError(t, err)
	defer s2.Close()
	for {
		if _, err := s2.Next(); err != nil {
			break
		}
	}
	assert.Equal(t, []string{syslog + ": 4 streams with no line in a format logcorr reads, left out: CRON (2 lines), kernel (1 line), sshd (1 line) and 1 more"}, notices)
}

// TestOpenLikeItsLog: a rotated file that begins inside a record (the rest
// of a traceback, a Locust stats table) shows no format of its own; given
// the first lines of another file of its log, it is read as that one is:
// its records are events, the lines before the first are counted, not lost.
func TestOpenLikeItsLog(t *testing.T) {
	dir := t.TempDir()
	rotated := filepath.Join(dir, "django_errors.log.1")
	tail := strings.Repeat("  File \"/app/views.py\", line 10, in login\n    cache.get(key)\n", 4) +
		"redis.exceptions.ConnectionError: Error 111 connecting to localhost:6379. Connection refused.\n"
	require.NoError(t, os.WriteFile(rotated, []byte(tail+
		"ERROR 2026-11-27 00:15:09,120 log 1 2 Internal Server Error: /accounts/login/\n"), 0o644))
	opts := &Options{Loc: time.UTC}
	_, err := Open(Input{Name: rotated, Path: rotated}, opts)
	require.ErrorIs(t, err, ErrNotRecognised, "its own lines show no format")

	like := []string{"ERROR 2026-11-27 00:15:05,206 log 1 2 Internal Server Error: /accounts/login/"}
	s, err := Open(Input{Name: rotated, Path: rotated, Like: like}, opts)
	require.NoError(t, err)
	defer s.Close()
	var evs []parser.Event
	for {
		ev, err := s.Next()
		if err != nil {
			require.ErrorIs(t, err, io.EOF)
			break
		}
		evs = append(evs, *ev)
	}
	require.Len(t, evs, 1)
	assert.Equal(t, 10, evs[0].Line)
	assert.Equal(t, 9, s.Splitter().Foreign()+s.Parts()[0].Parser.Unparsed(), "the lines before the first record are counted")
}

// TestExpandTree: subfolders are read with recursive (hidden ones never),
// and named as left out without it.
func TestExpandTree(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"a.log", "old/b.log", "old/older/c.log", ".git/config", "old/.hidden.log"} {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), []byte("x\n"), 0o644))
	}
	names := func(ins []Input) []string {
		var out []string
		for _, in := range ins {
			rel, err := filepath.Rel(dir, in.Path)
			require.NoError(t, err)
			out = append(out, filepath.ToSlash(rel))
		}
		return out
	}
	ins, skipped, err := ExpandTree([]string{dir}, false)
	require.NoError(t, err)
	assert.Equal(t, []string{"a.log"}, names(ins))
	assert.Equal(t, []string{filepath.Join(dir, "old")}, skipped)

	ins, skipped, err = ExpandTree([]string{dir}, true)
	require.NoError(t, err)
	assert.Equal(t, []string{"a.log", "old/b.log", "old/older/c.log"}, names(ins))
	assert.Empty(t, skipped)
}

// TestHeadReplayKeepsTheQueueSmall: the first lines read to choose a format
// are fed again a line at a time, as any; fed at once, their events filled
// the stream's queue, and its capacity (hundreds of kilobytes a file) stayed
// for the run. Each event comes out as the file holds it, numbered from 1.
func TestHeadReplayKeepsTheQueueSmall(t *testing.T) {
	path := filepath.Join("..", "testdata", "login-storm-psycopg2", "logs", "pgbouncer.log")
	s, err := Open(Input{Name: path, Path: path}, &Options{Loc: time.UTC})
	require.NoError(t, err)
	defer s.Close()
	head := len(s.Head())
	require.Equal(t, sampleLines, head, "the log is longer than its head")
	most, last := 0, 0
	for {
		ev, err := s.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		assert.Greater(t, ev.Line, last, "events in the file's order")
		last = ev.Line
		most = max(most, cap(s.queue))
		if last > 2*head {
			break
		}
	}
	require.Greater(t, last, head, "read past the head")
	assert.Nil(t, s.Head(), "the head is let go once it is fed")
	assert.Less(t, most, 64, "the queue held no more than a line's events")
}
