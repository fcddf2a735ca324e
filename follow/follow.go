// Package follow follows log files as they grow, rotate and get truncated,
// and hands on each complete line once, with the number it has in its file.
//
// It polls each path and reads through a descriptor it holds on each file,
// by position, a bounded piece at a time. It uses no file watcher: the
// watchers of github.com/nxadm/tail, which it once read with, drop the
// unread end of a renamed file, drop bytes on truncation, exit the process
// on some stat errors and keep goroutines alive, and inotify does not work
// on network mounts, WSL and Docker Desktop, where polling does.
package follow

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

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
	// Skipped is how many bytes the file held that were not read: it was
	// followed from its end (not from its start, as --from-start does).
	Skipped int64

	held        *os.File
	info        os.FileInfo
	off         int64  // end of the last complete line handed on
	lines       int    // number of that line
	head        []byte // the generation's first bytes, to notice it replaced
	tail        []byte // the end of what was handed on, to find it in a copy
	skipPartial bool   // started in the middle of a line
	cutting     bool   // in a line cut at MaxLine: the rest of it is skipped
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
	// Line hands on one complete line, without its newline, and when it
	// was read (by Options.Now): the lines of one read share a time, so
	// the clock is not asked for each.
	Line(g *Gen, num int, text string, read time.Time)
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
	// MaxLine is the longest line handed on whole (DefaultMaxLine when
	// zero): a longer one is handed on cut there, with a Notice, and the
	// rest of it is skipped, even as it is still being written; a runaway
	// line cannot exhaust memory. analyze cuts lines alike
	// (source.MaxLine).
	MaxLine int
	// ReadLimit, when positive, is about the most a Poll reads of one
	// generation (whole lines, at least one): a follower far behind then
	// hands on a backlog a bounded piece at a time, and Behind says so.
	ReadLimit int64
	// Hold, when set, is asked before each Poll reads a path's current
	// generation: true leaves the path unread this time (a file whose
	// lines are already ahead of the others'); Behind then says whether
	// it has grown.
	Hold func(g *Gen) bool
}

type path struct {
	name   string
	folder bool // found in a followed folder
	cur    *Gen
	// rotated is the generation last rotated away while no file had the
	// path's name: the files rotated after it are caught up on once one
	// has.
	rotated  *Gen
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
	// began is when following began, by the clock files are stamped
	// with: rotated files written since are lines to read, older are not.
	began time.Time
	// buf is read into, a piece of a file at a time.
	buf []byte
}

// stampLag is how far behind time.Now a file written now can be stamped:
// Linux stamps files by its coarse clock, up to a tick (10 ms) behind, so
// a file rotated just after following began looked rotated before it, and
// was passed over (TestNewFileWithUnreadRotations failed 4 times in 300).
const stampLag = 50 * time.Millisecond

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
	f := &Follower{opts: opts, h: h, files: map[string]*path{}, warned: map[string]bool{}, began: time.Now().Add(-stampLag)}
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
// following, written before following began: they are not read, and may
// hold lines of it from before (those written since are read with it).
func (f *Follower) warnUnreadSiblings(dir, name string, entries []os.DirEntry) {
	for _, e := range entries {
		sib := e.Name()
		if log, age := parser.RotatedFrom(sib); age == 0 || log != name || f.warned[sib] {
			continue
		}
		full := filepath.Join(dir, sib)
		if fi, err := os.Stat(full); err != nil || !fi.ModTime().Before(f.began) || f.readBefore(full) {
			continue // written since following began: read with the file
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
	return f.known(fi, func(n int) []byte {
		file, err := OpenShared(name)
		if err != nil {
			return nil
		}
		defer file.Close()
		return readAt(file, 0, n)
	})
}

// known reports whether a file (fi its description, head its first n
// bytes) is one being read, or read to its end.
func (f *Follower) known(fi os.FileInfo, head func(n int) []byte) bool {
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
		return bytes.Equal(head(len(s.head)), s.head)
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
		if p.ignored {
			continue
		}
		if p.cur != nil && len(p.draining) == 0 && f.opts.Hold != nil && f.opts.Hold(p.cur) {
			// Left unread, a file that has grown is behind: its
			// source must not be taken for one read to its end.
			if p.cur.held != nil {
				if fi, err := p.cur.held.Stat(); err == nil && fi.Size() > p.cur.off {
					p.cur.behind = true
				}
			}
			continue
		}
		f.pollPath(p, initial)
		f.drain(p)
	}
}

func (f *Follower) pollPath(p *path, initial bool) {
	if p.cur == nil {
		file, info, ok := f.openFile(p)
		if !ok {
			return
		}
		switch {
		case p.rotated != nil:
			f.catchUp(p, p.rotated, nil, info, nil, nil)
			p.rotated = nil
		case !initial && p.gens == 0:
			// A file that appeared while following, rotated before the
			// first look at it: its first lines are in rotated files
			// written since following began.
			f.readRotated(p, f.rotatedSince(p, f.began, func(fi os.FileInfo, _ *os.File) bool { return os.SameFile(fi, info) }),
				nil, "rotated before it was first seen")
		}
		f.start(p, file, info, initial && !f.opts.FromStart, !initial)
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
		// The path's file now is opened before the files rotated in
		// between are looked for: rotated again meanwhile, it is known
		// by what it is, and none between is left out.
		file, info, ok := f.openFile(p)
		if !ok {
			p.rotated = g
			return
		}
		f.catchUp(p, g, nil, info, nil, nil)
		f.start(p, file, info, false, true)
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

// openFile opens the file p names, if it is one that can be followed.
func (f *Follower) openFile(p *path) (*os.File, os.FileInfo, bool) {
	if fi, err := os.Stat(p.name); err == nil && !fi.IsDir() && !fi.Mode().IsRegular() {
		// A pipe has no size to follow and no end to start from, and
		// opening one waits for its writer.
		p.ignored = true
		f.h.Notice(p.name, fmt.Sprintf("%s: not a regular file (a pipe?); tail follows files, so read a stream with logcorr analyze", p.name))
		return nil, nil, false
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
		return nil, nil, false
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
		return nil, nil, false
	}
	if err != nil {
		file.Close()
		return nil, nil, false
	}
	return file, info, true
}

// start makes the file opened for p its next generation and reads it: from
// the file's end with atEnd, and named a new file when it appeared after
// following began.
func (f *Follower) start(p *path, file *os.File, info os.FileInfo, atEnd, appeared bool) {
	p.gens++
	g := &Gen{Path: p.name, N: p.gens, held: file, info: info}
	what := "reading from its start"
	if atEnd {
		f.startAtEnd(g)
		g.Skipped = g.off
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
	g.head = readAt(g.held, 0, int(min(pos, 256)))
	// The bytes before the start stand for lines handed on: a copy made by
	// a copytruncate before the first new line is read is found by them.
	from := max(0, pos-256)
	g.tail = readAt(g.held, from, int(pos-from))
}

func readAt(file *os.File, off int64, n int) []byte {
	b := make([]byte, n)
	k, _ := file.ReadAt(b, off)
	return b[:k]
}

// truncated reports whether a generation's file shrank below what was read,
// or was emptied and refilled past it (its first bytes, or those before the
// offset, changed).
func (f *Follower) truncated(g *Gen) bool {
	fi, err := g.held.Stat()
	if err != nil {
		return false
	}
	if fi.Size() < g.off {
		return true
	}
	if len(g.head) > 0 && !bytes.Equal(readAt(g.held, 0, len(g.head)), g.head) {
		return true
	}
	// Emptied and refilled past the offset with the same first bytes (a
	// log that starts with a banner): the bytes before the offset are no
	// longer the last ones handed on.
	n := int64(len(g.tail))
	return n > 0 && n <= g.off && !bytes.Equal(readAt(g.held, g.off-n, int(n)), g.tail)
}

// handleTruncation ends a generation whose file was truncated in place
// (logrotate's copytruncate). Lines written after the last read and before
// the truncation are in the copy logrotate made: they are read from there
// when the copy is found; otherwise the loss is reported.
func (f *Follower) handleTruncation(p *path, g *Gen) {
	cp, ok := f.findCopy(g)
	switch {
	case g.off == 0:
		f.h.Notice(p.name, fmt.Sprintf("%s: truncated", p.name))
	case ok:
		n := f.readLines(g, cp.file, 0)
		f.h.Notice(p.name, fmt.Sprintf("%s: truncated; read %d lines written before that from its copy %s", p.name, n, filepath.Base(cp.name)))
	default:
		f.h.Notice(p.name, fmt.Sprintf("%s: truncated; lines written after line %d and before the truncation may be lost (no rotated copy found next to it)", p.name, g.lines))
	}
	f.h.Closed(g)
	newest := cp.info
	if ok {
		newest = f.catchUp(p, g, newest, g.info, nil, g.held)
		cp.file.Close()
	}
	p.gens++
	ng := &Gen{Path: p.name, N: p.gens, held: g.held, info: g.info}
	g.held = nil
	p.cur = ng
	f.h.Opened(ng)
	f.read(ng)
	if ok {
		// Truncated again between the look for copies and that read:
		// the copy it made holds lines from before those just read. A
		// copy made since holds those lines too: it is ng's, found when
		// ng is seen truncated.
		f.catchUp(p, g, newest, g.info, ng, ng.held)
	}
}

// catchUp reads the files rotation made of p's log after generation g and
// before the path's file now: rotated again and again between two looks (a
// storm, a starved reader), they were never seen under the path's name.
// They are found by what they are not (a file read before, by identity and
// first bytes), among the rotated siblings newer than g, and read, oldest
// first, as generations of their own. holder is the file that holds g's
// lines now (a copytruncate's copy); nil finds it by g's descriptor. next
// is the path's file now, opened already, if any. It returns the newest file
// read (holder when none was). A copy of what cur has read is no missed
// file: it is cur's own end. Nor, after a copytruncate of truncated (the
// path's file, truncated in place), is a copy of its start no longer than
// it: the next copytruncate's copy, made or still being made (an empty
// file at first), of lines read from truncated itself.
func (f *Follower) catchUp(p *path, g *Gen, holder, next os.FileInfo, cur *Gen, truncated *os.File) (newest os.FileInfo) {
	return f.readRotated(p, f.missed(p, g, holder, next, cur, truncated), holder, "rotated more than once between two looks")
}

// readRotated reads rotated files of p, in order, as generations of their
// own, saying why; it returns the last (newest when there is none).
func (f *Follower) readRotated(p *path, files []rotatedFile, newest os.FileInfo, why string) os.FileInfo {
	for _, c := range files {
		newest = c.info
		p.gens++
		g := &Gen{Path: p.name, N: p.gens, held: c.file, info: c.info, draining: true, lastGrowth: f.opts.Now()}
		f.h.Notice(p.name, fmt.Sprintf("%s: %s; reading %s (%s) too", p.name, why, filepath.Base(c.name), sizeOf(c.info.Size())))
		f.h.Opened(g)
		f.read(g)
		p.draining = append(p.draining, g)
	}
	return newest
}

// rotatedFile is a rotated sibling found, opened at once: rotation goes on
// renaming files while they are looked at, so a name is only good for
// opening, and the descriptor says what file it was.
type rotatedFile struct {
	name string
	file *os.File
	info os.FileInfo
	age  int
}

// missed opens, oldest first, the rotated siblings of p's file written after
// the file holding generation g's lines that no generation has read. Their
// last writes tell: a writer goes on to a new file once it has done with
// the old one (a copy is made after the one before).
func (f *Follower) missed(p *path, g *Gen, holder, next os.FileInfo, cur *Gen, truncated *os.File) []rotatedFile {
	if holder == nil {
		holder = g.info // its last write unknown once closed: read more, not less
		if g.held != nil {
			if fi, err := g.held.Stat(); err == nil {
				holder = fi
			}
		}
	}
	if holder == nil {
		return nil
	}
	return f.rotatedSince(p, holder.ModTime(), func(fi os.FileInfo, file *os.File) bool {
		return os.SameFile(fi, holder) || next != nil && os.SameFile(fi, next) || cur != nil && cur.copiedTo(file, fi) ||
			truncated != nil && copyOfStart(file, fi, truncated)
	})
}

// copyOfStart reports whether file holds the start of from and no more
// than from does: as a copy being made does, from an empty file on. Up to
// a piece of it is compared, not just a head's 256 bytes: a log whose every
// file opens with the same banner must not have an older one taken for it.
func copyOfStart(file *os.File, fi os.FileInfo, from *os.File) bool {
	ffi, err := from.Stat()
	if err != nil || fi.Size() > ffi.Size() {
		return false
	}
	n := int(min(fi.Size(), piece))
	return bytes.Equal(readAt(file, 0, n), readAt(from, 0, n))
}

// rotatedSince opens, oldest first, the rotated siblings of p's file written
// since a moment that no generation has read, except those skip names.
func (f *Follower) rotatedSince(p *path, since time.Time, skip func(os.FileInfo, *os.File) bool) []rotatedFile {
	dir, base := filepath.Dir(p.name), filepath.Base(p.name)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var found []rotatedFile
	for _, e := range entries {
		n := e.Name()
		log, age := parser.RotatedFrom(n)
		if e.IsDir() || log != base || age == 0 || isCompressed(n) {
			continue
		}
		full := filepath.Join(dir, n)
		file, err := OpenShared(full)
		if err != nil {
			continue
		}
		fi, err := file.Stat()
		if err != nil || fi.ModTime().Before(since) || skip(fi, file) ||
			f.known(fi, func(n int) []byte { return readAt(file, 0, n) }) ||
			slices.ContainsFunc(found, func(r rotatedFile) bool { return os.SameFile(r.info, fi) }) {
			file.Close()
			continue
		}
		found = append(found, rotatedFile{full, file, fi, age})
	}
	// Oldest first: by last write, then by number (a name's number may
	// have moved on meanwhile; the write times have not).
	sort.Slice(found, func(i, j int) bool {
		if mi, mj := found[i].info.ModTime(), found[j].info.ModTime(); !mi.Equal(mj) {
			return mi.Before(mj)
		}
		return found[i].age > found[j].age
	})
	return found
}

func sizeOf(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d bytes", n)
}

// findCopy looks next to a truncated file for the copy that ends what was
// read: its bytes before the read offset are the last ones handed on. The
// copy is returned open: rotation may rename it before it is read.
func (f *Follower) findCopy(g *Gen) (rotatedFile, bool) {
	dir, base := filepath.Dir(g.Path), filepath.Base(g.Path)
	entries, err := os.ReadDir(dir)
	if err != nil || g.off == 0 || len(g.tail) == 0 {
		// Without the bytes last handed on, any long enough file would
		// match, an older rotation too: better to report the loss.
		return rotatedFile{}, false
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
		if err == nil && g.copiedTo(cand, fi) {
			return rotatedFile{name: filepath.Join(dir, n), file: cand, info: fi}, true
		}
		cand.Close()
	}
	return rotatedFile{}, false
}

// copiedTo reports whether file holds what the generation has read: it
// begins with the generation's first bytes, and the bytes before its offset
// are the last ones it handed on (a log that ends alike each time, such as
// Locust's stats tables, has copies with the same end).
func (g *Gen) copiedTo(file *os.File, fi os.FileInfo) bool {
	return g.off > 0 && len(g.tail) > 0 && fi.Size() >= g.off &&
		bytes.Equal(readAt(file, g.off-int64(len(g.tail)), len(g.tail)), g.tail) &&
		bytes.Equal(readAt(file, 0, len(g.head)), g.head)
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
			rest := readAt(g.held, g.off, int(min(fi.Size()-g.off, int64(f.opts.maxLine()))))
			if !g.skipPartial && !g.cutting && len(rest) > 0 {
				g.lines++
				f.h.Line(g, g.lines, strings.TrimSuffix(string(rest), "\n"), f.opts.Now())
			}
		}
		g.held.Close()
		g.held = nil
	}
	f.remember(g)
	f.h.Closed(g)
}

// read hands on the complete lines a generation's file has gained and
// returns how many.
func (f *Follower) read(g *Gen) int {
	if g.held == nil {
		return 0
	}
	return f.readLines(g, g.held, f.opts.ReadLimit)
}

// piece is how much of a file one read takes.
const piece = 64 << 10

// DefaultMaxLine is Options.MaxLine when none is given.
const DefaultMaxLine = 1 << 20

func (o *Options) maxLine() int {
	if o.MaxLine > 0 {
		return o.MaxLine
	}
	return DefaultMaxLine
}

// readLines hands on the complete lines file holds from the generation's
// offset, through the descriptor held on it: by position, so a rotation
// or a removal changes nothing. It ends at the end of the file, or once
// limit bytes were read (when positive; whole lines, at least one), and
// holds back a last line without its newline, still being written.
//
// It reads a piece at a time, one call for many lines: nxadm/tail, which
// this follower read with before, made two lseek calls, a channel send
// and three allocations for every line, 60% of tail's time far behind.
func (f *Follower) readLines(g *Gen, file *os.File, limit int64) int {
	fi, err := file.Stat()
	if err != nil {
		return 0
	}
	size := fi.Size()
	n := 0
	from := g.off
	g.behind = false
	// A line longer than a piece grew the buffer: it is not kept for the
	// run's length.
	defer func() {
		if cap(f.buf) > piece {
			f.buf = nil
		}
	}()
	for g.off < size {
		done := g.off - from
		if limit > 0 && done >= limit {
			g.behind = true
			break
		}
		want := min(size-g.off, piece)
		if limit > 0 {
			want = min(want, limit-done)
		}
		data := f.readPiece(file, g.off, int(want))
		if g.cutting {
			if len(data) == 0 {
				// Shrunk since its size was taken (a copytruncate), or
				// unreadable: the next look sees which.
				break
			}
			f.skipCut(g, data)
			continue
		}
		end := bytes.LastIndexByte(data, '\n')
		if end < 0 && int64(len(data)) == want && g.off+want < size {
			if done > 0 && limit > 0 && want == limit-done {
				// The next line ends past the limit: it waits.
				g.behind = true
				break
			}
			data, end = f.readLong(file, g.off, want, size)
		}
		if most := f.opts.maxLine(); end < 0 && len(data) > most {
			if f.cut(g, data[:most]) {
				n++
			}
			continue
		}
		if end < 0 {
			break
		}
		g.keep(data[:end+1])
		read := f.opts.Now()
		for rest := data[:end+1]; len(rest) > 0; {
			i := bytes.IndexByte(rest, '\n')
			// A string of its own for each line: one string for the
			// piece would be held whole by any line an event keeps
			// (300 MB far behind: 65 MB peak RSS, against 59).
			line := string(rest[:i])
			rest = rest[i+1:]
			g.off += int64(i + 1)
			g.lines++
			if g.skipPartial {
				g.skipPartial = false
				continue
			}
			n++
			f.h.Line(g, g.lines, line, read)
		}
	}
	return n
}

// cut hands on the start of a line longer than MaxLine, and says so; the
// rest of it is skipped (skipCut). It reports whether a line was handed
// on (not when the generation started inside it).
func (f *Follower) cut(g *Gen, start []byte) bool {
	g.keep(start)
	g.off += int64(len(start))
	g.lines++
	g.cutting = true
	if g.skipPartial {
		g.skipPartial = false
		return false
	}
	f.h.Line(g, g.lines, string(start), f.opts.Now())
	f.h.Notice(g.Path, fmt.Sprintf("%s:%d: line longer than %d bytes; the rest of it is ignored", g.Path, g.lines, len(start)))
	return true
}

// skipCut passes over what data holds of a cut line's rest, up to and with
// its newline; what it passes over counts as read.
func (f *Follower) skipCut(g *Gen, data []byte) {
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		data = data[:i+1]
		g.cutting = false
	}
	g.keep(data)
	g.off += int64(len(data))
}

// readLong reads a line longer than want bytes (a piece, or what is left
// of the limit) from off, up to a byte past MaxLine: data holds it, ending
// at end (-1 for a line not written to its end yet, or longer).
func (f *Follower) readLong(file *os.File, off, want, size int64) (data []byte, end int) {
	for {
		// From a piece on: what is left of the limit may be a few bytes.
		past := int64(f.opts.maxLine()) + 1
		want = min(size-off, max(2*want, piece), past)
		data = f.readPiece(file, off, int(want))
		if end = bytes.IndexByte(data, '\n'); end >= 0 || int64(len(data)) < want || off+want >= size || want == past {
			return data, end
		}
	}
}

// readPiece reads n bytes of file from off into the follower's buffer,
// which the next read overwrites: what is kept of it is copied.
func (f *Follower) readPiece(file *os.File, off int64, n int) []byte {
	if cap(f.buf) < n {
		// A piece at least: following live, reads are a few lines each,
		// each a little longer than the last now and then.
		f.buf = make([]byte, max(n, piece))
	}
	k, _ := file.ReadAt(f.buf[:n], off)
	return f.buf[:k]
}

// keep keeps the first and the last bytes (256 each) the generation handed
// on, as they were read (lines and their newlines): taken from the file
// again later, they could be another file's, written after a truncation.
// It is given each piece's lines at once, not line by line.
func (g *Gen) keep(handed []byte) {
	if len(g.head) < 256 {
		g.head = append(g.head, handed[:min(len(handed), 256-len(g.head))]...)
	}
	if len(handed) >= 256 {
		g.tail = append(g.tail[:0], handed[len(handed)-256:]...)
		return
	}
	g.tail = append(g.tail, handed...)
	if len(g.tail) > 256 {
		g.tail = append(g.tail[:0], g.tail[len(g.tail)-256:]...)
	}
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
				n += g.Unread()
			}
		}
	}
	return n
}

// Unread is how many bytes the generation's file holds past what was read
// (0 once its file is closed).
func (g *Gen) Unread() int64 {
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
func unreadSize(g *Gen) string { return sizeOf(g.Unread()) }
