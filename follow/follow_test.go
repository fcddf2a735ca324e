package follow

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recorder notes what a follower hands on, one string per call.
type recorder struct {
	dir     string
	got     []string
	notices []string
}

func (r *recorder) name(g *Gen) string {
	rel, _ := filepath.Rel(r.dir, g.Path)
	return fmt.Sprintf("%s#%d", rel, g.N)
}
func (r *recorder) Opened(g *Gen) { r.got = append(r.got, "open "+r.name(g)) }
func (r *recorder) Line(g *Gen, n int, text string, _ time.Time) {
	r.got = append(r.got, fmt.Sprintf("%s:%d %s", r.name(g), n, text))
}
func (r *recorder) Closed(g *Gen)        { r.got = append(r.got, "close "+r.name(g)) }
func (r *recorder) Notice(_, msg string) { r.notices = append(r.notices, msg) }

func (r *recorder) take() []string {
	got := r.got
	r.got = nil
	return got
}

// lines takes what was handed on, lines only.
func (r *recorder) lines() []string {
	var lines []string
	for _, l := range r.take() {
		if !strings.HasPrefix(l, "open ") && !strings.HasPrefix(l, "close ") {
			lines = append(lines, l)
		}
	}
	return lines
}

// clock is a settable time for the grace period.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func setup(t *testing.T) (*recorder, *clock, string) {
	dir := t.TempDir()
	return &recorder{dir: dir}, &clock{t: time.Date(2026, 11, 26, 17, 0, 0, 0, time.UTC)}, dir
}

func newFollower(paths []string, fromStart bool, rec *recorder, c *clock) *Follower {
	return New(paths, Options{FromStart: fromStart, Grace: 2 * time.Second, Now: c.now}, rec)
}

func write(t *testing.T, w io.Writer, s string) {
	_, err := io.WriteString(w, s)
	require.NoError(t, err)
}

func create(t *testing.T, name string) *os.File {
	f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

func TestGrowsAndPartialLines(t *testing.T) {
	rec, c, dir := setup(t)
	log := filepath.Join(dir, "x.log")
	w := create(t, log)
	write(t, w, "one\r\ntwo\nthr")
	f := newFollower([]string{log}, true, rec, c)
	f.Poll()
	assert.Equal(t, []string{"open x.log#1", "x.log#1:1 one\r", "x.log#1:2 two"}, rec.take(), "CR is left to the parsers; the partial line waits")
	f.Poll()
	assert.Empty(t, rec.take())
	write(t, w, "ee\nfour\n")
	f.Poll()
	assert.Equal(t, []string{"x.log#1:3 three", "x.log#1:4 four"}, rec.take(), "a line written in two pieces comes whole, once")
	write(t, w, "unfinished")
	f.Close()
	assert.Equal(t, []string{"close x.log#1"}, rec.take(), "a line still being written is left out at the end")
}

func TestStartsAtTheEnd(t *testing.T) {
	rec, c, dir := setup(t)
	log := filepath.Join(dir, "x.log")
	w := create(t, log)
	write(t, w, strings.Repeat("old\n", 10)+"half")
	f := newFollower([]string{log}, false, rec, c)
	f.Poll()
	assert.Equal(t, []string{"open x.log#1"}, rec.take())
	assert.Contains(t, rec.notices[0], "following from its end (line 10)")
	write(t, w, " done\nnew\n")
	f.Poll()
	assert.Equal(t, []string{"x.log#1:12 new"}, rec.take(), "the line begun before the start is skipped; numbers are the file's")
	f.Close()
}

func TestMissingThenAppears(t *testing.T) {
	rec, c, dir := setup(t)
	log := filepath.Join(dir, "later.log")
	f := newFollower([]string{log}, false, rec, c)
	f.Poll()
	f.Poll()
	assert.Empty(t, rec.take())
	require.Len(t, rec.notices, 1, "said once")
	assert.Contains(t, rec.notices[0], "missing")
	w := create(t, log)
	write(t, w, "first\nsecond\n")
	f.Poll()
	assert.Equal(t, []string{"open later.log#1", "later.log#1:1 first", "later.log#1:2 second"}, rec.take(), "a file that appears later is read from its start")
	f.Close()
}

// TestRenameAndCreate is logrotate's create: the writer goes on writing to
// the renamed file until it reopens the path. Nothing is lost or repeated.
func TestRenameAndCreate(t *testing.T) {
	rec, c, dir := setup(t)
	log := filepath.Join(dir, "x.log")
	old := create(t, log)
	write(t, old, "a1\na2\n")
	f := newFollower([]string{log}, true, rec, c)
	f.Poll()
	assert.Equal(t, []string{"open x.log#1", "x.log#1:1 a1", "x.log#1:2 a2"}, rec.take())

	write(t, old, "a3\n")
	require.NoError(t, os.Rename(log, log+".1"))
	write(t, old, "a4\n") // still the old descriptor
	nw := create(t, log)
	write(t, nw, "b1\n")
	f.Poll()
	assert.Equal(t, []string{"x.log#1:3 a3", "x.log#1:4 a4", "open x.log#2", "x.log#2:1 b1"}, rec.take())

	write(t, old, "a5\n") // a late line to the old file
	write(t, nw, "b2\n")
	c.t = c.t.Add(time.Second)
	f.Poll()
	assert.Equal(t, []string{"x.log#2:2 b2", "x.log#1:5 a5"}, rec.take())
	c.t = c.t.Add(3 * time.Second)
	f.Poll()
	assert.Equal(t, []string{"close x.log#1"}, rec.take(), "given up after the grace period")
	f.Close()
	assert.Equal(t, []string{"close x.log#2"}, rec.take())
}

// TestCopyTruncate is logrotate's copytruncate: lines written after the last
// read are only in the copy; they are read from there, once.
func TestCopyTruncate(t *testing.T) {
	for _, regrow := range []bool{false, true} {
		t.Run(fmt.Sprintf("regrown past the offset=%v", regrow), func(t *testing.T) {
			rec, c, dir := setup(t)
			log := filepath.Join(dir, "x.log")
			w := create(t, log)
			write(t, w, "a1\na2\n")
			f := newFollower([]string{log}, true, rec, c)
			f.Poll()
			rec.take()
			write(t, w, "a3\na4\n")
			data, err := os.ReadFile(log)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(log+".1", data, 0o644))
			require.NoError(t, os.Truncate(log, 0))
			if regrow {
				write(t, w, "b1 a line long enough to pass the old offset\n")
			} else {
				write(t, w, "b1\n")
			}
			f.Poll()
			got := rec.take()
			require.Len(t, got, 5, "%q", got)
			assert.Equal(t, []string{"x.log#1:3 a3", "x.log#1:4 a4", "close x.log#1", "open x.log#2"}, got[:4])
			assert.True(t, strings.HasPrefix(got[4], "x.log#2:1 b1"))
			assert.Contains(t, strings.Join(rec.notices, "\n"), "from its copy x.log.1")
			f.Close()
		})
	}
}

// TestTruncateWithoutCopy: when no copy holds what was not read, the loss is
// said, not hidden.
func TestTruncateWithoutCopy(t *testing.T) {
	rec, c, dir := setup(t)
	log := filepath.Join(dir, "x.log")
	w := create(t, log)
	write(t, w, "a1\na2\n")
	f := newFollower([]string{log}, true, rec, c)
	f.Poll()
	write(t, w, "a3\n")
	require.NoError(t, os.Truncate(log, 0))
	write(t, w, "b1\n")
	f.Poll()
	assert.Contains(t, strings.Join(rec.notices, "\n"), "may be lost")
	f.Close()
}

// TestRemovedAndCreatedAnew: the writer still holds the removed file.
func TestRemovedAndCreatedAnew(t *testing.T) {
	rec, c, dir := setup(t)
	log := filepath.Join(dir, "x.log")
	old := create(t, log)
	write(t, old, "a1\n")
	f := newFollower([]string{log}, true, rec, c)
	f.Poll()
	rec.take()
	require.NoError(t, os.Remove(log))
	write(t, old, "a2\n")
	nw := create(t, log)
	write(t, nw, "b1\n")
	f.Poll()
	assert.Equal(t, []string{"x.log#1:2 a2", "open x.log#2", "x.log#2:1 b1"}, rec.take())
	assert.Contains(t, strings.Join(rec.notices, "\n"), "removed and created anew")
	f.Close()
}

// TestFolder: a followed folder's rotated, compressed and hidden files are
// not read (their lines were the live file's); files that appear are.
func TestFolder(t *testing.T) {
	rec, c, dir := setup(t)
	for _, n := range []string{"a.log", "a.log.1", "a.log.2.gz", "a.log-20261125", ".hidden", "b.log"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), []byte("x\n"), 0o644))
	}
	f := newFollower([]string{dir}, true, rec, c)
	f.Poll()
	assert.Equal(t, []string{"open a.log#1", "a.log#1:1 x", "open b.log#1", "b.log#1:1 x"}, rec.take())
	require.NoError(t, os.WriteFile(filepath.Join(dir, "c.log"), []byte("new\n"), 0o644))
	f.Poll()
	assert.Equal(t, []string{"open c.log#1", "c.log#1:1 new"}, rec.take())
	f.Close()
}

// TestReadLines: a generation's lines are read through the descriptor held
// on its file (so a removed file, with no name left, reads alike), whole
// lines only, a piece of at most the read limit at a time but at least one
// line, however long.
func TestReadLines(t *testing.T) {
	long := strings.Repeat("x", 3*piece+5)
	const most = piece + 10 // the MaxLine of the cases that cut
	cases := []struct {
		name    string
		file    string
		limit   int64
		maxLine int
		reads   [][]string // the lines each read hands on
		behind  []bool     // what Behind says after each read
		off     int64      // the offset after the reads
		cut     []string   // the notices of lines cut
	}{
		{"a partial line waits", "a1\na2\npart", 0, 0,
			[][]string{{"a1", "a2"}, nil}, []bool{false, false}, 6, nil},
		{"carriage returns are the parsers' to strip", "a1\r\na2\n", 0, 0,
			[][]string{{"a1\r", "a2"}}, []bool{false}, 7, nil},
		{"a limit reads whole lines up to it", "a1\na2\na3\na4\n", 6, 0,
			[][]string{{"a1", "a2"}, {"a3", "a4"}, nil}, []bool{true, false, false}, 12, nil},
		{"a line longer than the limit is read whole", "a1\n" + long + "\na3\n", 4, 0,
			[][]string{{"a1"}, {long}, {"a3"}}, []bool{true, true, false}, int64(3 + len(long) + 1 + 3), nil},
		{"a line longer than a piece is read whole", long + "\nb\n", 0, 0,
			[][]string{{long, "b"}}, []bool{false}, int64(len(long) + 3), nil},
		{"a long line being written waits", "a1\n" + long, 0, 0,
			[][]string{{"a1"}, nil}, []bool{false, false}, 3, nil},
		{"with the limit, a partial line left is behind", "a1\na2\npart", 3, 0,
			[][]string{{"a1"}, {"a2"}, nil}, []bool{true, true, false}, 6, nil},
		{"a line longer than MaxLine is cut, its rest skipped", "a1\n" + long + "\na3\n", 0, most,
			[][]string{{"a1", long[:most], "a3"}}, []bool{false}, int64(3 + len(long) + 1 + 3),
			[]string{fmt.Sprintf("x.log:2: line longer than %d bytes; the rest of it is ignored", most)}},
		{"a cut line still being written is skipped as it comes", "a1\n" + long, 0, most,
			[][]string{{"a1", long[:most]}, nil}, []bool{false, false}, int64(3 + len(long)),
			[]string{fmt.Sprintf("x.log:2: line longer than %d bytes; the rest of it is ignored", most)}},
		{"a line of MaxLine bytes is whole", long[:most] + "\nb\n", 0, most,
			[][]string{{long[:most], "b"}}, []bool{false}, int64(most + 3), nil},
		{"with the limit, a cut line's rest is skipped a limit at a time", "a1\n" + long + "\na3\n", piece, most,
			[][]string{{"a1"}, {long[:most]}, nil, {"a3"}}, []bool{true, true, true, false}, int64(3 + len(long) + 1 + 3),
			[]string{fmt.Sprintf("x.log:2: line longer than %d bytes; the rest of it is ignored", most)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec, _, dir := setup(t)
			name := filepath.Join(dir, "x.log")
			require.NoError(t, os.WriteFile(name, []byte(c.file), 0o644))
			held, err := OpenShared(name)
			require.NoError(t, err)
			defer held.Close()
			// Held, the file is read alike once it has no name.
			require.NoError(t, os.Remove(name))
			g := &Gen{Path: name, N: 1, held: held}
			f := &Follower{h: rec, opts: Options{ReadLimit: c.limit, MaxLine: c.maxLine, Now: time.Now}}
			num := 0
			for i, want := range c.reads {
				var lines []string
				for _, l := range want {
					num++
					lines = append(lines, fmt.Sprintf("x.log#1:%d %s", num, l))
				}
				assert.Equal(t, len(want), f.read(g), "read %d", i+1)
				assert.Equal(t, lines, rec.take(), "read %d", i+1)
				assert.Equal(t, c.behind[i], g.Behind(), "read %d", i+1)
				assert.LessOrEqual(t, cap(f.buf), piece, "read %d: a long line's buffer is not kept", i+1)
			}
			assert.Equal(t, c.off, g.off)
			for i := range c.cut {
				c.cut[i] = filepath.Join(dir, c.cut[i])
			}
			assert.Equal(t, c.cut, rec.notices)
		})
	}
}

// TestLongLineCutAsItIsWritten: a line that runs past MaxLine is handed
// on cut once it has, its rest skipped as it is written, over as many
// looks as that takes; the line after it is handed on whole.
func TestLongLineCutAsItIsWritten(t *testing.T) {
	rec, c, dir := setup(t)
	log := filepath.Join(dir, "x.log")
	w := create(t, log)
	f := New([]string{log}, Options{FromStart: true, Grace: 2 * time.Second, Now: c.now, MaxLine: 100}, rec)
	for _, step := range []struct {
		write string
		lines []string
	}{
		{"a\n" + strings.Repeat("x", 60), []string{"x.log#1:1 a"}},
		{strings.Repeat("x", 40), nil},
		{"x", []string{"x.log#1:2 " + strings.Repeat("x", 100)}},
		{strings.Repeat("y", 3*piece), nil},
		{"y\nb\n", []string{"x.log#1:3 b"}},
	} {
		write(t, w, step.write)
		f.Poll()
		assert.Equal(t, step.lines, rec.lines(), "after %.20q", step.write)
	}
	assert.Contains(t, rec.notices, log+":2: line longer than 100 bytes; the rest of it is ignored")
	assert.Len(t, rec.notices, 2, "opened, and the cut")
	f.Close()
}

// shrinking truncates its file once a line as long as a cut one is handed
// on: a copytruncate that comes while the cut line's rest is skipped.
type shrinking struct {
	recorder
	path string
}

func (r *shrinking) Line(g *Gen, n int, text string, at time.Time) {
	r.recorder.Line(g, n, text, at)
	if len(text) >= 100 {
		_ = os.Truncate(r.path, 0)
	}
}

// TestCutLineOfAShrunkFile: a file that shrinks while the rest of a cut
// line is being skipped ends the read (the next look finds the truncation),
// rather than reading nothing for ever.
func TestCutLineOfAShrunkFile(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "x.log")
	require.NoError(t, os.WriteFile(name, []byte("a1\n"+strings.Repeat("x", 300)), 0o644))
	held, err := os.Open(name)
	require.NoError(t, err)
	defer held.Close()
	rec := &shrinking{recorder: recorder{dir: dir}, path: name}
	g := &Gen{Path: name, N: 1, held: held}
	f := &Follower{h: rec, opts: Options{MaxLine: 100, Now: time.Now}}
	done := make(chan int)
	go func() { done <- f.readLines(g, held, 0) }()
	select {
	case n := <-done:
		assert.Equal(t, 2, n, "a1 and the cut line")
	case <-time.After(5 * time.Second):
		t.Fatalf("the read never ended: off %d", g.off)
	}
}

// TestReadBufferIsMadeOnce: following live, each read takes a few lines,
// now and then longer than the last; the buffer read into is made once, a
// piece's size, not again for each longer read.
func TestReadBufferIsMadeOnce(t *testing.T) {
	rec, c, dir := setup(t)
	log := filepath.Join(dir, "x.log")
	w := create(t, log)
	f := newFollower([]string{log}, true, rec, c)
	var first *byte
	for i := 1; i <= 10; i++ {
		write(t, w, strings.Repeat("x", 10*i)+"\n")
		f.Poll()
		require.Len(t, rec.lines(), 1, "read %d", i)
		if first == nil {
			first = &f.buf[:1][0]
		}
		assert.Same(t, first, &f.buf[:1][0], "read %d: the same buffer", i)
	}
	f.Close()
}

// TestKeepHoldsTheEnds: however the lines handed on come in pieces, a
// generation keeps the first and the last 256 bytes of all of them, by
// which a truncation and the copy of what was read are known.
func TestKeepHoldsTheEnds(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for range 200 {
		var g Gen
		var all []byte
		for range rng.IntN(12) + 1 {
			var piece []byte
			for range rng.IntN(4) + 1 {
				piece = append(piece, strings.Repeat("x", rng.IntN(300))+"\n"...)
			}
			g.keep(piece)
			all = append(all, piece...)
			require.Equal(t, all[:min(len(all), 256)], g.head)
			require.Equal(t, all[max(0, len(all)-256):], g.tail)
		}
	}
}

// TestRotatedAwayIsNotReadAgain: once a rotated file has been read to its
// end, a folder scan must not take it, under whatever name the rotation gave
// it, for a new file: its lines would be handed on twice.
func TestRotatedAwayIsNotReadAgain(t *testing.T) {
	cases := []struct {
		name     string
		rotated  string
		recreate bool
		notice   string
	}{
		{"renamed, created only on the next write", "x.log.1", false, "rotated (renamed; not created anew yet)"},
		{"renamed to a name rotation rules do not know", "x-20261126.log", true, "rotated (renamed)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec, clk, dir := setup(t)
			log := filepath.Join(dir, "x.log")
			w := create(t, log)
			write(t, w, "a1\na2\n")
			f := newFollower([]string{dir}, true, rec, clk)
			f.Poll()
			assert.Equal(t, []string{"open x.log#1", "x.log#1:1 a1", "x.log#1:2 a2"}, rec.take())
			require.NoError(t, os.Rename(log, filepath.Join(dir, c.rotated)))
			write(t, w, "a3\n")
			if c.recreate {
				write(t, create(t, log), "b1\n")
			}
			f.Poll()
			clk.t = clk.t.Add(3 * time.Second)
			f.Poll()
			f.Poll()
			var got []string
			for _, g := range rec.take() {
				if !strings.Contains(g, "x.log#2") {
					got = append(got, g)
				}
			}
			assert.Equal(t, []string{"x.log#1:3 a3", "close x.log#1"}, got, "each line once")
			assert.Contains(t, strings.Join(rec.notices, "\n"), c.notice)
			f.Close()
		})
	}
}

// TestCopyTruncateOfAFileEmptyAtStart: tail usually starts before the load
// test, with empty logs. A copytruncate whose new lines pass the old offset
// before the next look must still be noticed, and the new lines read whole.
func TestCopyTruncateOfAFileEmptyAtStart(t *testing.T) {
	rec, c, dir := setup(t)
	log := filepath.Join(dir, "x.log")
	w := create(t, log)
	f := newFollower([]string{log}, false, rec, c)
	f.Poll()
	write(t, w, "a1\na2\n")
	f.Poll()
	assert.Equal(t, []string{"open x.log#1", "x.log#1:1 a1", "x.log#1:2 a2"}, rec.take())
	data, err := os.ReadFile(log)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(log+".1", data, 0o644))
	require.NoError(t, os.Truncate(log, 0))
	write(t, w, "b1 a longer line\nb2\n")
	f.Poll()
	assert.Equal(t, []string{"close x.log#1", "open x.log#2", "x.log#2:1 b1 a longer line", "x.log#2:2 b2"}, rec.take())
	f.Close()
}

// TestCopyTruncateBeforeTheFirstNewLine: followed from its end, the file is
// copied and truncated before any new line was read. The unread line is
// taken from the right copy, found by the bytes before the start, not from
// an older rotation that merely is long enough.
func TestCopyTruncateBeforeTheFirstNewLine(t *testing.T) {
	rec, c, dir := setup(t)
	log := filepath.Join(dir, "x.log")
	var older strings.Builder
	for i := 1; i <= 20; i++ {
		fmt.Fprintf(&older, "older rotation line %d\n", i)
	}
	require.NoError(t, os.WriteFile(log+"-20261125", []byte(older.String()), 0o644))
	w := create(t, log)
	write(t, w, "a1\na2\na3\n")
	f := newFollower([]string{log}, false, rec, c)
	f.Poll()
	assert.Equal(t, []string{"open x.log#1"}, rec.take())
	write(t, w, "a4\n")
	data, err := os.ReadFile(log)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(log+"-20261126", data, 0o644))
	require.NoError(t, os.Truncate(log, 0))
	write(t, w, "b1\n")
	f.Poll()
	assert.Equal(t, []string{"x.log#1:4 a4", "close x.log#1", "open x.log#2", "x.log#2:1 b1"}, rec.take())
	assert.Contains(t, strings.Join(rec.notices, "\n"), "from its copy x.log-20261126")
	f.Close()
}

// TestNewFileWithUnreadRotations: a file that appears in a followed folder
// already rotated has its first lines in a rotated sibling. One written
// since following began is read first, as the file's first generation; one
// written before is not read, and that is said once rather than passed over.
func TestNewFileWithUnreadRotations(t *testing.T) {
	for _, tc := range []struct {
		name   string
		before bool
		want   []string
	}{
		{"rotated since following began", false, []string{"open x.log#1", "x.log#1:1 a1", "open x.log#2", "x.log#2:1 b1", "close x.log#1"}},
		{"rotated before", true, []string{"open x.log#1", "x.log#1:1 b1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, c, dir := setup(t)
			f := newFollower([]string{dir}, false, rec, c)
			f.Poll()
			rotated := filepath.Join(dir, "x.log.1")
			require.NoError(t, os.WriteFile(rotated, []byte("a1\n"), 0o644))
			if tc.before {
				hour := time.Now().Add(-time.Hour)
				require.NoError(t, os.Chtimes(rotated, hour, hour))
			}
			require.NoError(t, os.WriteFile(filepath.Join(dir, "x.log"), []byte("b1\n"), 0o644))
			f.Poll()
			f.Poll()
			c.t = c.t.Add(3 * time.Second)
			f.Poll()
			assert.Equal(t, tc.want, rec.take())
			var warned []string
			for _, n := range rec.notices {
				if strings.Contains(n, "x.log.1 next to it was not read") {
					warned = append(warned, n)
				}
			}
			if tc.before {
				assert.Len(t, warned, 1, "said once: %q", rec.notices)
			} else {
				assert.Empty(t, warned, "read, not warned of")
			}
			f.Close()
		})
	}
}

// TestManyRotationsUnrecognisedNames: a rotation scheme whose names logcorr
// does not know as rotated siblings (x-00001.log, x-00002.log, …) leaves the
// old files in the folder; each is read once however many there are, and
// none again later as a new file. What is remembered of them goes with
// them when the rotation's retention removes them.
func TestManyRotationsUnrecognisedNames(t *testing.T) {
	rec, c, dir := setup(t)
	log := filepath.Join(dir, "x.log")
	f := newFollower([]string{dir + string(filepath.Separator)}, true, rec, c)
	defer f.Close()
	seen := map[string]int{}
	const rotations = 300
	for i := 1; i <= rotations; i++ {
		w, err := os.OpenFile(log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		require.NoError(t, err)
		write(t, w, fmt.Sprintf("line %d\n", i))
		require.NoError(t, w.Close())
		f.Poll()
		require.NoError(t, os.Rename(log, filepath.Join(dir, fmt.Sprintf("x-%05d.log", i))))
		f.Poll()
		c.t = c.t.Add(3 * time.Second) // past the grace period: each is finished
		f.Poll()
		for _, g := range rec.take() {
			if _, text, ok := strings.Cut(g, " line "); ok && !strings.HasPrefix(g, "open") {
				seen[text]++
			}
		}
	}
	for i := 1; i <= rotations; i++ {
		assert.Equal(t, 1, seen[fmt.Sprint(i)], "line %d handed on once", i)
	}
	require.Len(t, f.finished, rotations)
	for i := 1; i <= rotations-10; i++ {
		require.NoError(t, os.Remove(filepath.Join(dir, fmt.Sprintf("x-%05d.log", i))))
	}
	f.Poll()
	assert.LessOrEqual(t, len(f.finished), 10, "only the files still there are remembered")
	assert.Empty(t, rec.take())
}

// TestEmptyRotatedFilesLetGo: a log rotated while empty leaves an empty
// file; it is not taken for a new log to follow (holding a descriptor on
// each), yet a file that later appears in its place with lines is read.
func TestEmptyRotatedFilesLetGo(t *testing.T) {
	rec, c, dir := setup(t)
	log := filepath.Join(dir, "x.log")
	f := newFollower([]string{dir}, true, rec, c)
	defer f.Close()
	for i := 1; i <= 20; i++ {
		w, err := os.OpenFile(log, os.O_CREATE|os.O_WRONLY, 0o644)
		require.NoError(t, err)
		require.NoError(t, w.Close())
		f.Poll()
		require.NoError(t, os.Rename(log, filepath.Join(dir, fmt.Sprintf("x-%05d.log", i))))
		f.Poll()
		c.t = c.t.Add(3 * time.Second)
		f.Poll()
	}
	held := 0
	for _, p := range f.files {
		for _, g := range append(p.draining, p.cur) {
			if g != nil && g.held != nil {
				held++
			}
		}
	}
	assert.LessOrEqual(t, held, 1, "a descriptor on x.log at most, none on the empty rotated files")
	rec.take()

	last := filepath.Join(dir, "x-00020.log")
	require.NoError(t, os.Remove(last))
	w := create(t, last)
	write(t, w, "a new file with lines\n")
	f.Poll()
	assert.Contains(t, rec.take(), "x-00020.log#1:1 a new file with lines")
}

// TestFileBecomesFolderAndFileAgain: a followed path that turns into a
// folder is followed as one; when it is a file again, that file is read.
func TestFileBecomesFolderAndFileAgain(t *testing.T) {
	rec, c, dir := setup(t)
	log := filepath.Join(dir, "x.log")
	w := create(t, log)
	write(t, w, "first file\n")
	f := newFollower([]string{log}, true, rec, c)
	defer f.Close()
	f.Poll()
	require.NoError(t, os.Remove(log))
	require.NoError(t, os.Mkdir(log, 0o755))
	inner := create(t, filepath.Join(log, "in.log"))
	write(t, inner, "inside the folder\n")
	f.Poll()
	c.t = c.t.Add(3 * time.Second)
	f.Poll()
	f.Poll()
	require.NoError(t, os.RemoveAll(log))
	again := create(t, log)
	write(t, again, "a file again\n")
	f.Poll()
	got := strings.Join(rec.take(), "\n")
	assert.Contains(t, got, "x.log#1:1 first file")
	assert.Contains(t, got, "x.log/in.log#1:1 inside the folder")
	assert.Contains(t, got, "x.log#2:1 a file again")
	assert.Equal(t, 1, strings.Count(strings.Join(rec.notices, "\n"), "folder appeared"))
}

// TestReadLimit: with a read limit, a Poll hands on about that much of a
// file, whole lines, and says it is behind until the rest is read; Close
// names what it leaves unread.
func TestReadLimit(t *testing.T) {
	rec, c, dir := setup(t)
	log := filepath.Join(dir, "x.log")
	w := create(t, log)
	for i := 1; i <= 100; i++ {
		write(t, w, fmt.Sprintf("line %03d ..........\n", i)) // 20 bytes
	}
	f := New([]string{log}, Options{FromStart: true, Grace: 2 * time.Second, Now: c.now, ReadLimit: 200}, rec)
	f.Poll()
	got := rec.take()
	assert.Equal(t, "open x.log#1", got[0])
	assert.Len(t, got[1:], 10, "200 bytes: ten lines")
	assert.Equal(t, "x.log#1:10 line 010 ..........", got[len(got)-1])
	assert.True(t, f.Behind())
	assert.Equal(t, int64(1800), f.Unread())
	for i := 0; i < 7; i++ {
		f.Poll()
	}
	assert.Len(t, rec.take(), 70)
	assert.True(t, f.Behind())
	f.Close()
	got = rec.take()
	assert.Len(t, got, 11, "one piece more, then the close")
	assert.Equal(t, log+": stopped 200 bytes short of its end (tail was that far behind); read it with logcorr analyze",
		rec.notices[len(rec.notices)-1])
}

// TestHeldFileIsBehind: a file the caller leaves unread (Hold: its lines
// are far ahead of the others') is behind once it has grown, though its
// last read reached its end: its lines are on disk, unread, and whoever
// asks must not take the file for one read to its end.
func TestHeldFileIsBehind(t *testing.T) {
	rec, c, dir := setup(t)
	log := filepath.Join(dir, "x.log")
	w := create(t, log)
	write(t, w, "line 1\n")
	hold := false
	var gen *Gen
	f := New([]string{log}, Options{FromStart: true, Grace: 2 * time.Second, Now: c.now,
		Hold: func(g *Gen) bool { gen = g; return hold }}, rec)
	defer f.Close()
	f.Poll()
	f.Poll()
	require.NotNil(t, gen)
	assert.Equal(t, []string{"x.log#1:1 line 1"}, rec.lines())
	assert.False(t, gen.Behind(), "read to its end")
	hold = true
	f.Poll()
	assert.False(t, gen.Behind(), "held, but nothing new")
	write(t, w, "line 2\n")
	f.Poll()
	assert.Empty(t, rec.lines())
	assert.True(t, gen.Behind(), "held with a line on disk")
	hold = false
	f.Poll()
	assert.Equal(t, []string{"x.log#1:2 line 2"}, rec.lines())
	assert.False(t, gen.Behind())
}

// shift moves a log's rotated files up one, as logrotate does before it
// rotates: x.log.2 becomes x.log.3, x.log.1 x.log.2.
func shift(t *testing.T, log string, rotated int) {
	for k := rotated; k >= 1; k-- {
		require.NoError(t, os.Rename(fmt.Sprintf("%s.%d", log, k), fmt.Sprintf("%s.%d", log, k+1)))
	}
}

// copyTruncate does what logrotate's copytruncate does to log, which w
// writes: log copied to log.1, then emptied in place.
func copyTruncate(t *testing.T, log string, w *os.File) {
	data, err := os.ReadFile(log)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(log+".1", data, 0o644))
	require.NoError(t, w.Truncate(0))
}

// TestRotationsBetweenTwoLooks: a file rotated three times between two
// looks (a rotation storm, a starved reader) leaves the files in between,
// which the path never named while it was looked at. They are read, oldest
// first, each once, as generations of their own, whether the rotation
// renames the file or copies and truncates it.
func TestRotationsBetweenTwoLooks(t *testing.T) {
	for _, mode := range []string{"rename", "copytruncate"} {
		t.Run(mode, func(t *testing.T) {
			rec, c, dir := setup(t)
			log := filepath.Join(dir, "x.log")
			w := create(t, log)
			write(t, w, "a1\n")
			f := newFollower([]string{log}, true, rec, c)
			f.Poll()
			write(t, w, "a2\n")
			for k, next := range []string{"b", "c", "d"} {
				shift(t, log, k)
				if mode == "rename" {
					require.NoError(t, os.Rename(log, log+".1"))
					w = create(t, log)
				} else {
					copyTruncate(t, log, w)
				}
				// Each rotation a little later than the one before, as
				// the files' write times tell.
				time.Sleep(20 * time.Millisecond)
				write(t, w, next+"1\n"+next+"2\n")
			}
			f.Poll()
			c.t = c.t.Add(3 * time.Second)
			f.Poll()
			f.Close()
			assert.Equal(t, []string{"x.log#1:1 a1", "x.log#1:2 a2", "x.log#2:1 b1", "x.log#2:2 b2", "x.log#3:1 c1", "x.log#3:2 c2", "x.log#4:1 d1", "x.log#4:2 d2"}, rec.lines())
			assert.NotEmpty(t, rec.notices)
		})
	}
}

// TestCopyBeingMadeIsNotAMissedFile: a copytruncate found truncated the
// file while the next one was already copying it (logrotate writes the copy,
// then truncates): the copy, still empty, is newer than the copy that holds
// what was left to read, but it is no missed file. Its lines are the
// file's own, read from the file; read from the copy too, they came twice
// (the stress harness's copytruncate storm, 3 runs in 24).
func TestCopyBeingMadeIsNotAMissedFile(t *testing.T) {
	rec, c, dir := setup(t)
	log := filepath.Join(dir, "x.log")
	w := create(t, log)
	write(t, w, "a1\n")
	f := newFollower([]string{log}, true, rec, c)
	f.Poll()
	write(t, w, "a2\n")
	copyTruncate(t, log, w)
	write(t, w, "b1\nb2\n")
	time.Sleep(20 * time.Millisecond)
	// The next copytruncate has begun: the older copy moved up, its own
	// copy made, nothing written to it yet.
	shift(t, log, 1)
	require.NoError(t, os.WriteFile(log+".1", nil, 0o644))
	f.Poll()
	// The copy is written (into the same file) and the file truncated.
	copyTruncate(t, log, w)
	write(t, w, "c1\n")
	f.Poll()
	c.t = c.t.Add(3 * time.Second)
	f.Poll()
	f.Close()
	assert.Equal(t, []string{"x.log#1:1 a1", "x.log#1:2 a2", "x.log#2:1 b1", "x.log#2:2 b2", "x.log#3:1 c1"}, rec.lines())
}

// TestCopiesWithTheSameEnd: two copies a copytruncate made end with the
// same bytes (a log that ends each time with the same table): the copy of
// what was read is the one that also begins as it did.
func TestCopiesWithTheSameEnd(t *testing.T) {
	rec, c, dir := setup(t)
	log := filepath.Join(dir, "x.log")
	w := create(t, log)
	const table = "| name | reqs |\n| login | 10 |\n"
	write(t, w, "run 1\n"+table)
	f := newFollower([]string{log}, true, rec, c)
	f.Poll()
	rec.take()
	require.NoError(t, os.WriteFile(log+".1", []byte("run 1\n"+table), 0o644))
	require.NoError(t, w.Truncate(0))
	time.Sleep(20 * time.Millisecond)
	write(t, w, "run 2\n"+table)
	shift(t, log, 1)
	require.NoError(t, os.WriteFile(log+".1", []byte("run 2\n"+table), 0o644))
	require.NoError(t, w.Truncate(0))
	write(t, w, "run 3\n")
	f.Poll()
	f.Close()
	assert.Equal(t, []string{"x.log#2:1 run 2", "x.log#2:2 | name | reqs |", "x.log#2:3 | login | 10 |", "x.log#3:1 run 3"}, rec.lines())
}

// TestTruncatedAndRefilledWithTheSameStart: a file emptied and refilled
// past the read offset with the same first bytes (a banner) is noticed by
// the bytes before the offset, and read anew from its start.
func TestTruncatedAndRefilledWithTheSameStart(t *testing.T) {
	rec, c, dir := setup(t)
	log := filepath.Join(dir, "x.log")
	w := create(t, log)
	write(t, w, "Starting server\n00:15:02 first\n")
	f := newFollower([]string{log}, true, rec, c)
	f.Poll()
	rec.take()
	require.NoError(t, w.Truncate(0))
	write(t, w, "Starting server\n00:16:47 again, a longer line\n")
	f.Poll()
	f.Close()
	got := rec.take()
	assert.Contains(t, got, "x.log#2:2 00:16:47 again, a longer line")
	assert.Contains(t, strings.Join(rec.notices, "\n"), "truncated")
}
