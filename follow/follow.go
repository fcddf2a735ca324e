// Package follow follows log files as they grow, rotate and get truncated,
// and hands on each complete line once, with the number it has in its file.
//
// It reads with github.com/nxadm/tail, but only in its non-following mode
// (Follow false): one pass from an offset to the end of the file. That mode
// starts no file watcher, so none of the library's known faults can occur:
// its watchers drop the unread end of a renamed file, drop bytes on
// truncation, exit the process on some stat errors, and keep goroutines
// alive. Noticing growth, rotation and truncation is done here instead, by
// polling the path and a descriptor held on each file, which also works on
// network mounts, WSL and Docker Desktop where inotify does not.
package follow

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/nxadm/tail"

	"github.com/logcorr/logcorr/parser"
)

// Gen is one generation of a followed path: the file the path named from
// when it was opened (or truncated) until it was rotated away (or truncated
// again). Line numbers restart with each generation, as they do in the
// files a rotation leaves behind.
type Gen struct {
	// Path is the followed path, as the user named it or joined to the
	// folder the user named.
	Path string
	// N counts generations of Path from 1.
	N int

	held        *os.File
	info        os.FileInfo
	off         int64  // end of the last complete line handed on
	lines       int    // number of that line
	head        []byte // the generation's first bytes, to notice it replaced
	tail        []byte // the end of what was handed on, to find it in a copy
	skipPartial bool   // started in the middle of a line
	draining    bool
	lastGrowth  time.Time
	// behind: the last read stopped at the read limit, short of what the
	// file held.
	behind bool
}

// Behind reports whether the generation's file held more than its last
// read took (the follower's read limit): lines are on disk, unread.
func (g *Gen) Behind() bool { return g.behind }

// Handler receives what the follower finds. Calls come from Poll, in file
// order for each generation.
type Handler interface {
	// Opened announces a generation before its first line.
	Opened(g *Gen)
	// Line hands on one complete line, without its newline.
	Line(g *Gen, num int, text string)
	// Closed says a generation will have no more lines.
	Closed(g *Gen)
	// Notice reports what happened to a file (opened, rotated, truncated,
	// missing), for stderr.
	Notice(path, msg string)
}

// Options tune a follower.
type Options struct {
	// FromStart reads files that exist at the start from their beginning;
	// otherwise from their end. Files that appear later are always read
	// from their beginning.
	FromStart bool
	// Grace is how long a rotated-away file is still read after it last
	// grew: the writer may keep writing to it until it reopens the path.
	Grace time.Duration
	// Now is the clock, for tests.
	Now func() time.Time
	// ReadLimit, when positive, is about the most a Poll reads of one
	// generation (whole lines, at least one): a follower far behind then
	// hands on a backlog a bounded piece at a time, and Behind says so.
	ReadLimit int64
	// Hold, when set, is asked before each Poll reads a path's current
	// generation: true leaves the path unread this time (a file whose
	// lines are already ahead of the others').
	Hold func(g *Gen) bool
}

type path struct {
	name     string
	folder   bool // found in a followed folder
	cur      *Gen
	draining []*Gen
	gens     int
	missing  bool // a notice about its absence was given
	ignored  bool
}

// Follower follows paths. It is not safe for concurrent use: one goroutine
// calls Poll.
type Follower struct {
	opts    Options
	h       Handler
	files   map[string]*path
	order   []string
	folders []string
	started bool
	// finished remembers generations read to their end, so that a folder
	// scan does not take one for a new file under the name a rotation gave
	// it (x.log.1, x-20261126.log) and hand on its lines a second time.
	finished []seenFile
	warned   map[string]bool // rotated siblings already reported unread
}

// seenFile identifies a file read before: by identity, and by its first
// bytes, since a removed file's identity can be given to a new one.
type seenFile struct {
	info os.FileInfo
	head []byte
	dir  string
}

// New follows files and the files in folders; paths need not exist yet.
func New(paths []string, opts Options, h Handler) *Follower {
	if opts.Grace <= 0 {
		opts.Grace = 2 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	f := &Follower{opts: opts, h: h, files: map[string]*path{}, warned: map[string]bool{}}
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			f.folders = append(f.folders, p)
			continue
		}
		f.add(p, false)
	}
	return f
}

func (f *Follower) add(name string, folder bool) {
	if _, ok := f.files[name]; ok {
		return
	}
	f.files[name] = &path{name: name, folder: folder}
	f.order = append(f.order, name)
	sort.Strings(f.order)
}

// Ignore stops following a path (a file that is no log, say).
func (f *Follower) Ignore(g *Gen) {
	if p := f.files[g.Path]; p != nil {
		p.ignored = true
		for _, d := range append(p.draining, p.cur) {
			if d != nil && d.held != nil {
				d.held.Close()
				d.held = nil
			}
		}
		p.cur, p.draining = nil, nil
	}
}

// scanFolders adds the files a folder holds, except hidden ones, compressed
// ones, rotated siblings of a log (whether or not the log has been created
// anew yet) and files read before under another name: those hold lines
// already handed on, or written before following began.
func (f *Follower) scanFolders() {
	for _, dir := range f.folders {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		f.forgetGone(dir, entries)
		names := map[string]bool{}
		for _, e := range entries {
			names[e.Name()] = true
		}
		for _, e := range entries {
			n := e.Name()
			if e.IsDir() || strings.HasPrefix(n, ".") || isCompressed(n) {
				continue
			}
			if log, age := parser.RotatedFrom(n); age > 0 {
				if _, followed := f.files[filepath.Join(dir, log)]; names[log] || followed {
					continue
				}
			}
			full := filepath.Join(dir, n)
			if _, ok := f.files[full]; ok {
				continue
			}
			if f.readBefore(full) {
				continue
			}
			f.add(full, true)
			if f.started {
				f.warnUnreadSiblings(dir, n, entries)
			}
		}
	}
}

// warnUnreadSiblings reports rotated siblings of a file that appeared while
// following: when the file was rotated before the first look at it, its
// first lines are in a sibling that is not read.
func (f *Follower) warnUnreadSiblings(dir, name string, entries []os.DirEntry) {
	for _, e := range entries {
		sib := e.Name()
		if log, age := parser.RotatedFrom(sib); age == 0 || log != name || f.warned[sib] {
			continue
		}
		full := filepath.Join(dir, sib)
		if f.readBefore(full) {
			continue
		}
		f.warned[sib] = true
		f.h.Notice(filepath.Join(dir, name), fmt.Sprintf("%s: %s next to it was not read and may hold its first lines (rotated before they could be followed); read it with logcorr analyze", filepath.Join(dir, name), sib))
	}
}

func isCompressed(n string) bool {
	for _, ext := range []string{".gz", ".bz2", ".xz", ".zst", ".zip"} {
		if strings.HasSuffix(n, ext) {
			return true
		}
	}
	return false
}

// readBefore reports whether a file is one being read, or read to its end,
// under another name (a followed file renamed by rotation).
func (f *Follower) readBefore(name string) bool {
	fi, err := os.Stat(name)
	if err != nil {
		return false
	}
	for _, p := range f.files {
		for _, g := range append(p.draining, p.cur) {
			if g != nil && g.info != nil && os.SameFile(fi, g.info) {
				return true
			}
		}
	}
	for _, s := range f.finished {
		if !os.SameFile(fi, s.info) {
			continue
		}
		if len(s.head) == 0 {
			// It was empty: still empty, it is that file (nothing to
			// read); with lines, a new file took its identity.
			return fi.Size() == 0
		}
		file, err := OpenShared(name)
		if err != nil {
			return false
		}
		same := bytes.Equal(readAt(file, 0, len(s.head)), s.head)
		file.Close()
		return same
	}
	return false
}

// remember keeps a finished generation's identity for as long as its file
// is in its folder: however many rotations leave files there, under names
// logcorr may not know as rotated ones, none is taken for a new file.
func (f *Follower) remember(g *Gen) {
	dir := filepath.Dir(g.Path)
	if g.info == nil || !slices.ContainsFunc(f.folders, func(d string) bool { return filepath.Clean(d) == dir }) {
		return // only a folder's scan could take it for a new file
	}
	f.finished = append(f.finished, seenFile{info: g.info, head: g.head, dir: dir})
}

// forgetGone drops what is remembered of finished files of a folder that
// are no longer in it (removed by the rotation's retention), once more are
// remembered than the folder holds: memory stays within the folder's size.
func (f *Follower) forgetGone(dir string, entries []os.DirEntry) {
	dir = filepath.Clean(dir)
	n := 0
	for _, s := range f.finished {
		if s.dir == dir {
			n++
		}
	}
	if n <= len(entries) {
		return
	}
	var infos []os.FileInfo
	keep := f.finished[:0]
	for _, s := range f.finished {
		if s.dir == dir {
			if infos == nil {
				infos = make([]os.FileInfo, 0, len(entries))
				for _, e := range entries {
					if fi, err := os.Stat(filepath.Join(dir, e.Name())); err == nil {
						infos = append(infos, fi)
					}
				}
			}
			if !containsFile(infos, s.info) {
				continue
			}
		}
		keep = append(keep, s)
	}
	for i := len(keep); i < len(f.finished); i++ {
		f.finished[i] = seenFile{}
	}
	f.finished = keep
}

func containsFile(infos []os.FileInfo, fi os.FileInfo) bool {
	for _, x := range infos {
		if os.SameFile(x, fi) {
			return true
		}
	}
	return false
}

// Poll looks at every followed file once and hands on what is new.
func (f *Follower) Poll() {
	f.scanFolders()
	initial := !f.started
	f.started = true
	for _, name := range f.order {
		p := f.files[name]
		if p.ignored || p.cur != nil && len(p.draining) == 0 && f.opts.Hold != nil && f.opts.Hold(p.cur) {
			continue
		}
		f.pollPath(p, initial)
		f.drain(p)
	}
}

func (f *Follower) pollPath(p *path, initial bool) {
	if p.cur == nil {
		f.open(p, initial && !f.opts.FromStart, !initial)
		return
	}
	g := p.cur
	fi, err := os.Stat(p.name)
	if err != nil || !os.SameFile(fi, g.info) {
		// Renamed away (logrotate's create) or removed (and maybe made
		// anew): finish reading it through the descriptor held on it.
		f.read(g)
		g.draining, g.lastGrowth = true, f.opts.Now()
		p.draining = append(p.draining, g)
		p.cur = nil
		renamed := f.nameTaken(g)
		what := "rotated (renamed)"
		switch {
		case err != nil && !renamed:
			what = "removed"
		case err != nil:
			what = "rotated (renamed; not created anew yet)"
		case !renamed:
			what = "removed and created anew"
		}
		f.h.Notice(p.name, fmt.Sprintf("%s: %s; reading the rest of the old file for %s after it stops growing", p.name, what, f.opts.Grace))
		f.open(p, false, true)
		return
	}
	if f.truncated(g) {
		f.handleTruncation(p, g)
		return
	}
	f.read(g)
}

// nameTaken reports whether the rotated file still has a name in its folder
// (a rename) rather than none (a removal).
func (f *Follower) nameTaken(g *Gen) bool {
	entries, err := os.ReadDir(filepath.Dir(g.Path))
	if err != nil {
		return false
	}
	for _, e := range entries {
		if fi, err := os.Stat(filepath.Join(filepath.Dir(g.Path), e.Name())); err == nil && os.SameFile(fi, g.info) {
			return true
		}
	}
	return false
}

// open starts a generation of p: from the file's end with atEnd, and named
// a new file when it appeared after following began.
func (f *Follower) open(p *path, atEnd, appeared bool) {
	if fi, err := os.Stat(p.name); err == nil && !fi.IsDir() && !fi.Mode().IsRegular() {
		// A pipe has no size to follow and no end to start from, and
		// opening one waits for its writer.
		p.ignored = true
		f.h.Notice(p.name, fmt.Sprintf("%s: not a regular file (a pipe?); tail follows files, so read a stream with logcorr analyze", p.name))
		return
	}
	file, err := OpenShared(p.name)
	if err != nil {
		if !p.missing {
			p.missing = true
			if os.IsNotExist(err) {
				f.h.Notice(p.name, fmt.Sprintf("%s: missing; will read it when it appears", p.name))
			} else {
				f.h.Notice(p.name, fmt.Sprintf("%s: cannot open (%v); will try again", p.name, err))
			}
		}
		return
	}
	info, err := file.Stat()
	if err == nil && info.IsDir() {
		// A folder that did not exist when following began: follow the
		// files in it from now on, and the path again should it become a
		// file once more.
		file.Close()
		if !slices.Contains(f.folders, p.name) {
			f.folders = append(f.folders, p.name)
			f.h.Notice(p.name, fmt.Sprintf("%s: folder appeared; following the files in it", p.name))
		}
		return
	}
	if err != nil {
		file.Close()
		return
	}
	p.gens++
	g := &Gen{Path: p.name, N: p.gens, held: file, info: info}
	what := "reading from its start"
	if atEnd {
		f.startAtEnd(g)
		what = fmt.Sprintf("following from its end (line %d)", g.lines)
	} else if appeared || p.missing || p.gens > 1 {
		what = "new file, reading from its start"
	}
	p.missing = false
	p.cur = g
	f.h.Notice(p.name, fmt.Sprintf("%s: opened, %s", p.name, what))
	f.h.Opened(g)
	f.read(g)
}

// startAtEnd skips what a file already holds, counting its lines so that
// line numbers are the file's own.
func (f *Follower) startAtEnd(g *Gen) {
	size := g.info.Size()
	buf := make([]byte, 256<<10)
	var pos int64
	var last byte = '\n'
	for pos < size {
		n, err := g.held.ReadAt(buf[:min(int64(len(buf)), size-pos)], pos)
		g.lines += bytes.Count(buf[:n], []byte{'\n'})
		if n > 0 {
			last = buf[n-1]
		}
		pos += int64(n)
		if err != nil {
			break
		}
	}
	g.off = pos
	g.skipPartial = last != '\n'
	g.growHead()
	// The bytes before the start stand for lines handed on: a copy made by
	// a copytruncate before the first new line is read is found by them.
	from := max(0, pos-256)
	g.tail = readAt(g.held, from, int(pos-from))
}

// growHead keeps the generation's first bytes (up to 256) of what was read,
// growing them as the file does: a head taken while the file was empty or
// short would miss a truncation that was refilled past the read offset.
func (g *Gen) growHead() {
	if g.held == nil || int64(len(g.head)) >= min(g.off, 256) {
		return
	}
	g.head = readAt(g.held, 0, int(min(g.off, 256)))
}

func readAt(file *os.File, off int64, n int) []byte {
	b := make([]byte, n)
	k, _ := file.ReadAt(b, off)
	return b[:k]
}

// truncated reports whether a generation's file shrank below what was read,
// or was emptied and refilled past it (its first bytes changed).
func (f *Follower) truncated(g *Gen) bool {
	fi, err := g.held.Stat()
	if err != nil {
		return false
	}
	if fi.Size() < g.off {
		return true
	}
	return len(g.head) > 0 && !bytes.Equal(readAt(g.held, 0, len(g.head)), g.head)
}

// handleTruncation ends a generation whose file was truncated in place
// (logrotate's copytruncate). Lines written after the last read and before
// the truncation are in the copy logrotate made: they are read from there
// when the copy is found; otherwise the loss is reported.
func (f *Follower) handleTruncation(p *path, g *Gen) {
	switch copyName, ok := f.findCopy(g); {
	case g.off == 0:
		f.h.Notice(p.name, fmt.Sprintf("%s: truncated", p.name))
	case ok:
		n := f.readPath(g, copyName, 0)
		f.h.Notice(p.name, fmt.Sprintf("%s: truncated; read %d lines written before that from its copy %s", p.name, n, filepath.Base(copyName)))
	default:
		f.h.Notice(p.name, fmt.Sprintf("%s: truncated; lines written after line %d and before the truncation may be lost (no rotated copy found next to it)", p.name, g.lines))
	}
	f.h.Closed(g)
	p.gens++
	ng := &Gen{Path: p.name, N: p.gens, held: g.held, info: g.info}
	g.held = nil
	p.cur = ng
	f.h.Opened(ng)
	f.read(ng)
}

// findCopy looks next to a truncated file for the copy that ends what was
// read: its bytes before the read offset are the last ones handed on.
func (f *Follower) findCopy(g *Gen) (string, bool) {
	dir, base := filepath.Dir(g.Path), filepath.Base(g.Path)
	entries, err := os.ReadDir(dir)
	if err != nil || g.off == 0 || len(g.tail) == 0 {
		// Without the bytes last handed on, any long enough file would
		// match, an older rotation too: better to report the loss.
		return "", false
	}
	for _, e := range entries {
		n := e.Name()
		if n == base || !strings.HasPrefix(n, base) || isCompressed(n) {
			continue
		}
		cand, err := OpenShared(filepath.Join(dir, n))
		if err != nil {
			continue
		}
		fi, err := cand.Stat()
		ok := err == nil && fi.Size() >= g.off &&
			bytes.Equal(readAt(cand, g.off-int64(len(g.tail)), len(g.tail)), g.tail)
		cand.Close()
		if ok {
			return filepath.Join(dir, n), true
		}
	}
	return "", false
}

// drain reads rotated-away generations until they have stopped growing
// for the grace period.
func (f *Follower) drain(p *path) {
	keep := p.draining[:0]
	for _, g := range p.draining {
		if f.read(g) > 0 {
			g.lastGrowth = f.opts.Now()
		}
		if g.behind || f.opts.Now().Sub(g.lastGrowth) < f.opts.Grace {
			keep = append(keep, g)
			continue
		}
		f.finish(g, true)
	}
	p.draining = keep
}

// finish ends a generation. With partial, a last line without its newline
// is handed on: the file was rotated away and has stopped growing, so
// nothing will complete it.
func (f *Follower) finish(g *Gen, partial bool) {
	if g.held != nil {
		if fi, err := g.held.Stat(); partial && err == nil && fi.Size() > g.off {
			rest := readAt(g.held, g.off, int(min(fi.Size()-g.off, 1<<20)))
			if !g.skipPartial && len(rest) > 0 {
				g.lines++
				f.h.Line(g, g.lines, strings.TrimSuffix(string(rest), "\n"))
			}
		}
		g.held.Close()
		g.held = nil
	}
	f.remember(g)
	f.h.Closed(g)
}

// stablePath names the file a generation holds in a way no rotation can
// change, so that reading it by name reads that very file: the descriptor's
// entry under /proc or /dev/fd. Elsewhere (Windows) it is the name the file
// has now, found by identity; false when it has none (removed).
func stablePath(g *Gen) (string, bool) {
	switch runtime.GOOS {
	case "linux", "android":
		return fmt.Sprintf("/proc/self/fd/%d", g.held.Fd()), true
	case "darwin", "freebsd", "netbsd", "openbsd", "dragonfly":
		return fmt.Sprintf("/dev/fd/%d", g.held.Fd()), true
	}
	if fi, err := os.Stat(g.Path); err == nil && os.SameFile(fi, g.info) {
		return g.Path, true
	}
	dir := filepath.Dir(g.Path)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if fi, err := os.Stat(filepath.Join(dir, e.Name())); err == nil && os.SameFile(fi, g.info) {
			return filepath.Join(dir, e.Name()), true
		}
	}
	return "", false
}

// read hands on the complete lines a generation's file has gained and
// returns how many.
func (f *Follower) read(g *Gen) int {
	if g.held == nil {
		return 0
	}
	fi, err := g.held.Stat()
	if err != nil || fi.Size() <= g.off {
		return 0
	}
	if name, ok := stablePath(g); ok {
		return f.readPath(g, name, f.opts.ReadLimit)
	}
	return f.readHeld(g, fi.Size())
}

// readHeld reads a removed file's complete lines through the descriptor
// held on it, where the system has no name for it (Windows).
func (f *Follower) readHeld(g *Gen, size int64) int {
	most := int64(64 << 20)
	if f.opts.ReadLimit > 0 {
		most = f.opts.ReadLimit
	}
	data := readAt(g.held, g.off, int(min(size-g.off, most)))
	g.behind = size-g.off > most
	end := bytes.LastIndexByte(data, '\n')
	n := 0
	for _, text := range strings.SplitAfter(string(data[:end+1]), "\n") {
		if text == "" {
			continue
		}
		g.off += int64(len(text))
		g.lines++
		text = strings.TrimSuffix(text, "\n")
		g.keepTail(text)
		if g.skipPartial {
			g.skipPartial = false
			continue
		}
		n++
		f.h.Line(g, g.lines, text)
	}
	return n
}

// readPath reads name from the generation's offset with nxadm/tail in one
// pass and hands on complete lines. The pass ends at the end of the file,
// or once it has handed on limit bytes (when positive); its last line is
// held back unless the file shows its newline, so a line still being
// written is never handed on in two pieces.
func (f *Follower) readPath(g *Gen, name string, limit int64) int {
	t, err := tail.TailFile(name, tail.Config{
		Location:      &tail.SeekInfo{Offset: g.off, Whence: io.SeekStart},
		MustExist:     true,
		CompleteLines: true,
		Logger:        tail.DiscardingLogger,
	})
	if err != nil {
		return 0
	}
	src, _ := OpenShared(name)
	n := 0
	from := g.off
	g.behind = false
	var pending *tail.Line
	hand := func(l *tail.Line) {
		g.off = l.SeekInfo.Offset
		g.lines++
		g.keepTail(l.Text)
		if g.skipPartial {
			g.skipPartial = false
			return
		}
		n++
		f.h.Line(g, g.lines, l.Text)
	}
	for l := range t.Lines {
		if l.Err != nil {
			continue
		}
		if pending != nil {
			hand(pending)
			if limit > 0 && g.off-from >= limit {
				// The line after it came: it ended. The rest waits
				// for the next read.
				g.behind, pending = true, nil
				_ = t.Stop()
				break
			}
		}
		pending = l
	}
	_ = t.Wait()
	if pending != nil && src != nil {
		if end := readAt(src, pending.SeekInfo.Offset-1, 1); len(end) == 1 && end[0] == '\n' {
			hand(pending)
		}
	}
	if src != nil {
		src.Close()
	}
	g.growHead()
	return n
}

func (g *Gen) keepTail(text string) {
	t := append(g.tail, text...)
	t = append(t, '\n')
	if len(t) > 256 {
		t = t[len(t)-256:]
	}
	g.tail = append(g.tail[:0], t...)
}

// Close hands on what is left and releases every file. Rotated-away files
// are read to their end without waiting for the grace period (with a read
// limit, one more piece of each, and a notice of what is left unread); a
// line still being written is left out.
func (f *Follower) Close() {
	for _, name := range f.order {
		p := f.files[name]
		if p.ignored {
			continue
		}
		if p.cur != nil {
			p.draining = append(p.draining, p.cur)
			p.cur = nil
		}
		for _, g := range p.draining {
			f.read(g)
			if g.behind {
				f.h.Notice(g.Path, fmt.Sprintf("%s: stopped %s short of its end (tail was that far behind); read it with logcorr analyze", g.Path, unreadSize(g)))
			}
			f.finish(g, false)
		}
		p.draining = nil
	}
}

// Behind reports whether the last Poll left lines on disk unread (it read
// up to the read limit from some file).
func (f *Follower) Behind() bool {
	for _, p := range f.files {
		for _, g := range append(p.draining, p.cur) {
			if g != nil && g.behind {
				return true
			}
		}
	}
	return false
}

// Unread is how much the followed files hold past what was read.
func (f *Follower) Unread() int64 {
	var n int64
	for _, p := range f.files {
		for _, g := range append(p.draining, p.cur) {
			if g != nil {
				n += g.unread()
			}
		}
	}
	return n
}

func (g *Gen) unread() int64 {
	if g.held == nil {
		return 0
	}
	fi, err := g.held.Stat()
	if err != nil || fi.Size() < g.off {
		return 0
	}
	return fi.Size() - g.off
}

// unreadSize says how much of a generation's file is left to read.
func unreadSize(g *Gen) string {
	n := g.unread()
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d bytes", n)
}
