// Package replay writes the logs of a captured incident into live files at
// their original pace, or faster, rotating files on the way as logrotate
// would, so that following can be tested and shown end to end.
package replay

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/logcorr/logcorr/parser"
	"github.com/logcorr/logcorr/source"
)

// Mode is how a file is rotated.
type Mode string

const (
	// Rename is logrotate's create: the file is renamed to NAME.1 and the
	// writer goes on writing to it for a few lines before it reopens NAME.
	Rename Mode = "rename"
	// CopyTruncate is logrotate's copytruncate: the file is copied to
	// NAME.1 and emptied; the writer goes on appending.
	CopyTruncate Mode = "copytruncate"
	// Recreate removes the file and creates it anew; the writer goes on
	// writing to the removed file for a few lines first.
	Recreate Mode = "recreate"
)

// Rotation rotates one file once, after a fraction of its lines, or again
// and again (a rotation storm) every so long.
type Rotation struct {
	Mode Mode
	At   float64 // 0 < At < 1
	// Every, when positive, rotates the file each time this much wall-clock
	// time has passed since the last rotation (At is then unused). Rotated
	// files are numbered as logrotate numbers them: NAME.1 is the newest,
	// and each rotation moves the older ones up by one.
	Every time.Duration
}

// lagLines is how many lines a writer still writes to the old file after a
// rename or removal, as an app does until it is told to reopen its log.
const lagLines = 10

// Plan says how to replay.
type Plan struct {
	// Speed multiplies the original pace; 0 writes as fast as possible.
	Speed float64
	// Rotate names files (by base name) to rotate.
	Rotate map[string]Rotation
	// SplitEvery writes every n-th line in two writes, the first without
	// its newline, as a writer caught mid-line does; 0 never.
	SplitEvery int
	// Loc is the zone of naive timestamps, for the pace across files.
	Loc *time.Location
	// Zones overrides Loc for files named here (by base name): nginx's
	// error log, naive in UTC beside a Django app's naive local times.
	Zones map[string]*time.Location
	// Loops replays the files this many times (0 or 1: once), each time
	// with every timestamp moved on past the end of the time before, so
	// that a short capture makes a long run of real-looking load.
	Loops int
	// Keep, when set, is a folder where files removed by a Recreate
	// rotation are kept (hard-linked before the removal, which then only
	// takes their name), so that what was written can be read whole
	// afterwards.
	Keep string
	// Started, when set, is told when the first line is written (wall
	// clock) and the time it carries: a line of time t is due at
	// wall + (t - first) / Speed.
	Started func(wall, first time.Time)
	// Clock, when set, stands in for the wall clock: a test drives a
	// follower step by step on virtual time, so that latency is measured
	// exactly and in no time.
	Clock Clock
}

// Clock is the time a replay keeps.
type Clock interface {
	Now() time.Time
	// SleepUntil returns once t has come, or early once ctx is done.
	SleepUntil(ctx context.Context, t time.Time)
}

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

func (wallClock) SleepUntil(ctx context.Context, t time.Time) {
	wait := time.Until(t)
	if wait <= 0 {
		return
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-ctx.Done():
	case <-timer.C:
	}
}

// FileReport tells how many lines each generation of a file received:
// Lines[0] went to the file that ended as NAME.1 when it was rotated.
type FileReport struct {
	Name  string
	Lines []int
	// Removed says the rotated generation was removed (Recreate), so no
	// file holds Lines[0] any more.
	Removed bool
}

// line is one line to write and when.
type line struct {
	file int
	text string
	due  time.Time
	// starts says the line begins a record: a real rotation never cuts a
	// record, which its writer puts out in one write.
	starts bool
}

// Run replays the named files of src into dst (which must exist) and
// returns what went where. It stops early, without error, when ctx ends.
// It refuses to write into src or over a file dst already holds: appending
// a second replay to the first would double every line.
func Run(ctx context.Context, src string, names []string, dst string, plan Plan) ([]FileReport, error) {
	if err := checkDestination(src, names, dst); err != nil {
		return nil, err
	}
	var all []line
	for i, n := range names {
		loc := plan.Loc
		if z, ok := plan.Zones[n]; ok {
			loc = z
		}
		lines, err := schedule(filepath.Join(src, n), loc)
		if err != nil {
			return nil, err
		}
		for j := range lines {
			lines[j].file = i
		}
		all = append(all, lines...)
	}
	if len(all) == 0 {
		return nil, errors.New("replay: nothing to write")
	}
	// A file with no time in it at all is written from the start.
	var first time.Time
	for _, l := range all {
		if !l.due.IsZero() && (first.IsZero() || l.due.Before(first)) {
			first = l.due
		}
	}
	for i := range all {
		if all[i].due.IsZero() {
			all[i].due = first
		}
	}
	// Files keep their own order; across files, lines go by due time.
	sort.SliceStable(all, func(a, b int) bool { return all[a].due.Before(all[b].due) })
	all = loop(all, plan.Loops)

	clock := plan.Clock
	if clock == nil {
		clock = wallClock{}
	}
	ws := make([]*writer, len(names))
	reports := make([]FileReport, len(names))
	for i, n := range names {
		total := 0
		for _, l := range all {
			if l.file == i {
				total++
			}
		}
		rot, ok := plan.Rotate[n]
		if !ok {
			rot = plan.Rotate["*"]
		}
		w, err := newWriter(filepath.Join(dst, n), rot, total, plan.Keep, clock)
		if err != nil {
			return nil, err
		}
		defer w.close()
		ws[i] = w
		reports[i].Name = n
	}
	start, t0 := clock.Now(), all[0].due
	if plan.Started != nil {
		plan.Started(start, t0)
	}
	for k, l := range all {
		if plan.Speed > 0 {
			clock.SleepUntil(ctx, start.Add(time.Duration(float64(l.due.Sub(t0))/plan.Speed)))
		}
		if ctx.Err() != nil {
			return collect(ws, reports), nil
		}
		split := plan.SplitEvery > 0 && k%plan.SplitEvery == plan.SplitEvery-1
		if err := ws[l.file].write(l, split); err != nil {
			return collect(ws, reports), err
		}
	}
	return collect(ws, reports), nil
}

// loop repeats a schedule n times, each copy's times (when the lines are
// due, and the timestamps in them) moved on past the end of the one before.
func loop(all []line, n int) []line {
	if n <= 1 || len(all) == 0 {
		return all
	}
	span := all[len(all)-1].due.Sub(all[0].due).Truncate(time.Second) + 2*time.Second
	out := make([]line, 0, len(all)*n)
	for k := 0; k < n; k++ {
		d := time.Duration(k) * span
		for _, l := range all {
			l.due = l.due.Add(d)
			if d > 0 {
				l.text = Shift(l.text, d)
			}
			out = append(out, l)
		}
	}
	return out
}

// The timestamps Shift moves: ISO dates (Python logging, PgBouncer,
// PostgreSQL) near the start of a line, the common log format's (runserver,
// nginx, gunicorn's access log) near its start, nginx's error log's, uWSGI's
// request log's (after the request's vars), and runserver's banner. A loop
// that left one unmoved would repeat its first time over and over.
var (
	stampForms = []stampForm{
		{regexp.MustCompile(`\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d`), 40, 10,
			map[byte]string{' ': "2006-01-02 15:04:05", 'T': "2006-01-02T15:04:05"}},
		{regexp.MustCompile(`\d\d/[A-Z][a-z]{2}/\d{4}[ :]\d\d:\d\d:\d\d`), 60, 11,
			map[byte]string{' ': "02/Jan/2006 15:04:05", ':': "02/Jan/2006:15:04:05"}},
		{regexp.MustCompile(`\d{4}/\d\d/\d\d \d\d:\d\d:\d\d`), 10, 10,
			map[byte]string{' ': "2006/01/02 15:04:05"}},
		{regexp.MustCompile(`[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}`), 200, 3,
			map[byte]string{' ': "Mon Jan _2 15:04:05 2006"}},
	}
	// runserver's banner: "November 27, 2026 - 00:15:02".
	bannerStamp = regexp.MustCompile(`^[A-Z][a-z]+ \d\d?, \d{4} - \d\d:\d\d:\d\d$`)
)

// stampForm is a timestamp Shift moves: where in a line it may start, and
// its layout by the byte that joins its date and time.
type stampForm struct {
	re      *regexp.Regexp
	within  int
	joinAt  int
	layouts map[byte]string
}

// Shift moves a line's timestamp on by d, keeping its form (and anything
// after the seconds: milliseconds, zone); a line without one it knows is
// left as it is.
func Shift(line string, d time.Duration) string {
	if st, ok := findStamp(line); ok {
		return st.before + st.t.Add(d).Format(st.layout) + st.after
	}
	return line
}

// stampAt is a line taken apart at its timestamp.
type stampAt struct {
	before, after string
	t             time.Time
	layout        string
}

// findStamp finds the timestamp Shift moves in a line.
func findStamp(line string) (stampAt, bool) {
	for _, f := range stampForms {
		loc := f.re.FindStringIndex(line)
		if loc == nil || loc[0] >= f.within {
			continue
		}
		layout := f.layouts[line[loc[0]+f.joinAt]]
		if t, err := time.Parse(layout, line[loc[0]:loc[1]]); err == nil {
			return stampAt{before: line[:loc[0]], after: line[loc[1]:], t: t, layout: layout}, true
		}
	}
	if bannerStamp.MatchString(line) {
		const layout = "January 2, 2006 - 15:04:05"
		if t, err := time.Parse(layout, line); err == nil {
			return stampAt{t: t, layout: layout}, true
		}
	}
	return stampAt{}, false
}

func checkDestination(src string, names []string, dst string) error {
	si, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	if di, err := os.Stat(dst); err == nil && os.SameFile(si, di) {
		return fmt.Errorf("replay: the destination %s is the source folder; replay into another folder", dst)
	}
	for _, n := range names {
		for _, name := range []string{n, n + ".1"} {
			if fi, err := os.Stat(filepath.Join(dst, name)); err == nil && fi.Size() > 0 {
				return fmt.Errorf("replay: %s already holds lines; replay into an empty folder (or remove it)", filepath.Join(dst, name))
			}
		}
	}
	return nil
}

func collect(ws []*writer, reports []FileReport) []FileReport {
	for i, w := range ws {
		if w != nil {
			reports[i].Lines = append([]int(nil), w.gens...)
			reports[i].Removed = w.rot.Mode == Recreate && w.rotated
		}
	}
	return reports
}

// schedule reads a file and dates its lines: each record's lines take its
// time, and a line is never due before the one above it, since a file is
// written in order.
func schedule(name string, loc *time.Location) ([]line, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	lr := source.NewLineReader(f)
	var texts []string
	for {
		t, err := lr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		texts = append(texts, t)
	}
	times := make([]time.Time, len(texts)+1)
	starts := make([]bool, len(texts)+1)
	// Read as logcorr reads it, so that a file of several programs
	// (gunicorn's own lines before Django's records) is dated throughout.
	var modTime time.Time
	if fi, err := f.Stat(); err == nil {
		modTime = fi.ModTime()
	}
	split, err := source.NewSplitter(name, texts[:min(len(texts), 2000)], &source.Options{Loc: loc}, modTime, func(ev parser.Event) {
		if ev.Line < len(starts) {
			starts[ev.Line] = true
		}
		for n := ev.Line; n <= ev.EndLine && n < len(times); n++ {
			times[n] = ev.Time
		}
	})
	ok := err == nil
	if ok {
		for i, t := range texts {
			split.Feed(parser.Line{Num: i + 1, Text: t})
		}
		split.Flush()
	}
	out := make([]line, len(texts))
	// Lines before the first dated one (a banner) are due with it.
	var due time.Time
	for _, at := range times {
		if !at.IsZero() {
			due = at
			break
		}
	}
	for i, t := range texts {
		if at := times[i+1]; at.After(due) {
			due = at
		}
		out[i] = line{text: t, due: due, starts: starts[i+1] || !ok}
	}
	return out, nil
}

// writer writes one file and rotates it once, or every so long.
type writer struct {
	name    string
	f       *os.File
	old     *os.File // the rotated file, still written for lagLines lines
	lag     int
	rot     Rotation
	rotated bool
	at      int // rotate after this many lines
	written int
	gens    []int
	// last is when the file was last rotated (or created), for Every.
	last  time.Time
	keep  string
	clock Clock
}

func create(name string) (*os.File, error) {
	return os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_APPEND|os.O_TRUNC, 0o644)
}

func newWriter(name string, rot Rotation, total int, keep string, clock Clock) (*writer, error) {
	f, err := create(name)
	if err != nil {
		return nil, err
	}
	w := &writer{name: name, f: f, rot: rot, at: -1, gens: []int{0}, last: clock.Now(), keep: keep, clock: clock}
	if rot.Mode != "" && rot.At > 0 && rot.At < 1 {
		w.at = int(rot.At * float64(total))
	}
	return w, nil
}

func (w *writer) write(l line, split bool) error {
	text := l.text
	due := w.written >= w.at && w.at >= 0 && !w.rotated
	if w.rot.Every > 0 {
		due = w.clock.Now().Sub(w.last) >= w.rot.Every
	}
	if due && l.starts {
		if err := w.rotate(); err != nil {
			return err
		}
	}
	target := w.f
	if w.old != nil {
		target, w.lag = w.old, w.lag-1
		w.gens[len(w.gens)-2]++
	} else {
		w.gens[len(w.gens)-1]++
	}
	var err error
	if split && len(text) > 1 {
		half := len(text) / 2
		if _, err = io.WriteString(target, text[:half]); err == nil {
			_, err = io.WriteString(target, text[half:]+"\n")
		}
	} else {
		_, err = io.WriteString(target, text+"\n")
	}
	w.written++
	if w.old != nil && w.lag == 0 {
		w.old.Close()
		w.old = nil
	}
	return err
}

func (w *writer) rotate() error {
	w.rotated, w.last = true, w.clock.Now()
	if w.old != nil {
		// Rotated again before its writer reopened the path: it has
		// reopened it by now.
		w.old.Close()
		w.old = nil
	}
	if w.rot.Every > 0 && w.rot.Mode != Recreate {
		// logrotate's numbering: the older rotated files move up one.
		for k := len(w.gens) - 1; k >= 1; k-- {
			if err := os.Rename(fmt.Sprintf("%s.%d", w.name, k), fmt.Sprintf("%s.%d", w.name, k+1)); err != nil && !os.IsNotExist(err) {
				return err
			}
		}
	}
	switch w.rot.Mode {
	case Rename, Recreate:
		if runtime.GOOS == "windows" {
			// Windows refuses to rename or remove a file its writer holds
			// open, so writers there (Python's RotatingFileHandler too)
			// close it first and cannot write to it afterwards.
			w.f.Close()
		}
		var err error
		if w.rot.Mode == Rename {
			err = os.Rename(w.name, w.name+".1")
		} else {
			if w.keep != "" {
				kept := filepath.Join(w.keep, fmt.Sprintf("%s.removed-%d", filepath.Base(w.name), len(w.gens)))
				if err := os.Link(w.name, kept); err != nil {
					return err
				}
			}
			err = os.Remove(w.name)
		}
		if err != nil {
			return err
		}
		nf, err := create(w.name)
		if err != nil {
			return err
		}
		if runtime.GOOS == "windows" {
			w.f = nf
			break
		}
		w.old, w.f, w.lag = w.f, nf, lagLines
	case CopyTruncate:
		data, err := os.ReadFile(w.name)
		if err != nil {
			return err
		}
		if err := os.WriteFile(w.name+".1", data, 0o644); err != nil {
			return err
		}
		if err := w.f.Truncate(0); err != nil {
			return err
		}
	default:
		return fmt.Errorf("replay: unknown rotation %q (want %s, %s or %s)", w.rot.Mode, Rename, CopyTruncate, Recreate)
	}
	w.gens = append(w.gens, 0)
	return nil
}

func (w *writer) close() {
	if w.old != nil {
		w.old.Close()
	}
	w.f.Close()
}

// ParseRotation reads "NAME=MODE@FRACTION" (once), e.g.
// "pgbouncer.log=copytruncate@0.5", or "NAME=MODE/EVERY" (again and
// again), e.g. "pgbouncer.log=rename/200ms"; NAME "*" stands for every
// file without a rotation of its own.
func ParseRotation(s string) (string, Rotation, error) {
	name, rest, ok := strings.Cut(s, "=")
	if mode, every, storm := strings.Cut(rest, "/"); ok && storm {
		d, err := time.ParseDuration(every)
		if err != nil || d <= 0 {
			return "", Rotation{}, fmt.Errorf("rotation %q: want NAME=MODE/EVERY, e.g. pgbouncer.log=rename/200ms", s)
		}
		if err := knownMode(s, mode); err != nil {
			return "", Rotation{}, err
		}
		return name, Rotation{Mode: Mode(mode), Every: d}, nil
	}
	mode, at, ok2 := strings.Cut(rest, "@")
	var frac float64
	_, err := fmt.Sscanf(at, "%g", &frac)
	if !ok || !ok2 || err != nil || frac <= 0 || frac >= 1 {
		return "", Rotation{}, fmt.Errorf("rotation %q: want NAME=MODE@FRACTION, e.g. pgbouncer.log=copytruncate@0.5, or NAME=MODE/EVERY, e.g. pgbouncer.log=rename/200ms", s)
	}
	if err := knownMode(s, mode); err != nil {
		return "", Rotation{}, err
	}
	return name, Rotation{Mode: Mode(mode), At: frac}, nil
}

func knownMode(rotation, mode string) error {
	switch Mode(mode) {
	case Rename, CopyTruncate, Recreate:
		return nil
	}
	return fmt.Errorf("rotation %q: mode must be %s, %s or %s", rotation, Rename, CopyTruncate, Recreate)
}

// Repeat writes copies of a log's lines one after another, each copy's
// timestamps moved on by step more than the one before: a large input of
// real lines for benchmarks, deterministic for the same lines. Where each
// line's timestamp sits is found once, so a gigabyte takes seconds.
func Repeat(w io.Writer, lines []string, copies int, step time.Duration) error {
	plans := make([]stampAt, len(lines))
	for i, l := range lines {
		if st, ok := findStamp(l); ok {
			plans[i] = st
		} else {
			plans[i] = stampAt{before: l}
		}
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	var buf []byte
	for c := 0; c < copies; c++ {
		d := time.Duration(c) * step
		for _, p := range plans {
			buf = append(buf[:0], p.before...)
			if p.layout != "" {
				buf = p.t.Add(d).AppendFormat(buf, p.layout)
				buf = append(buf, p.after...)
			}
			buf = append(buf, '\n')
			if _, err := bw.Write(buf); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}

// RepeatFiles writes each named file of src into dst as copies of itself
// (Repeat).
func RepeatFiles(src, dst string, names []string, copies int, step time.Duration) error {
	for _, n := range names {
		raw, err := os.ReadFile(filepath.Join(src, n))
		if err != nil {
			return fmt.Errorf("replay: %w", err)
		}
		f, err := os.Create(filepath.Join(dst, n))
		if err != nil {
			return fmt.Errorf("replay: %w", err)
		}
		lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
		err = Repeat(f, lines, copies, step)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("replay: %w", err)
		}
	}
	return nil
}
