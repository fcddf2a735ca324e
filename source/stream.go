package source

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/logcorr/logcorr/parser"
)

// Detection reads this much of a source before choosing its format.
const (
	sampleLines = 2000
	sampleBytes = 512 << 10
)

// ErrNotRecognised is returned by Open for a source no parser recognises.
var ErrNotRecognised = errors.New("not a log format logcorr reads")

// ErrEmpty is returned by Open for a source with no lines at all (an app
// that logged no error leaves its error log empty).
var ErrEmpty = errors.New("empty")

// OpenFile opens a file for reading, through gzip when its first bytes say
// it is compressed (rotated x.log.2.gz, a gzipped capture).
func OpenFile(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, describeOpenError(path, err)
	}
	br := bufio.NewReaderSize(f, 64<<10)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		return struct {
			io.Reader
			io.Closer
		}{zr, f}, nil
	}
	return struct {
		io.Reader
		io.Closer
	}{br, f}, nil
}

// Stream is one open file yielding the events of the logical sources it
// holds, in file order.
type Stream struct {
	Input Input
	// Spec is the format of the file's first program.
	Spec parser.Spec
	// Detected is false when the user forced the format.
	Detected bool

	file   io.Closer
	lines  *LineReader
	split  *Splitter
	ended  bool // split was flushed
	sample []string
	// replayed is how many of sample's lines Next has fed.
	replayed int
	queue    []parser.Event
	head     int
	warn     func(string, ...any)
	notes    *notices
	err      error
	eof      bool
	// ModTime is the file's modification time (now for stdin).
	ModTime time.Time
}

// Size is how many bytes the stream reads: its part of the file, or the
// whole; -1 for stdin or a file that cannot be seen.
func (s *Stream) Size() int64 {
	if s.Input.To > 0 {
		return s.Input.To - s.Input.From
	}
	if s.Input.Path == Stdin {
		return -1
	}
	fi, err := os.Stat(s.Input.Path)
	if err != nil {
		return -1
	}
	return fi.Size()
}

// Head is the file's first lines, as read to choose its format, until Next
// has fed them all to the parsers.
func (s *Stream) Head() []string { return s.sample }

// Open opens a source, reads its first lines and chooses its parser. stdin
// is read when the input is "-"; gzip is recognised by its magic bytes, so
// rotated logs (x.log.2.gz) need no flag.
func Open(in Input, opts *Options) (*Stream, error) {
	var r io.Reader
	var closer io.Closer
	modTime := time.Now()
	if in.Path == Stdin {
		r = opts.Stdin
		if r == nil {
			r = os.Stdin
		}
	} else {
		f, err := os.Open(in.Path)
		if err != nil {
			return nil, describeOpenError(in.Name, err)
		}
		if fi, err := f.Stat(); err == nil {
			modTime = fi.ModTime()
		}
		r, closer = f, f
		if in.To > 0 {
			// A part of the file, unless it is compressed: that is read
			// from its start, its other labels' lines passed over.
			var magic [2]byte
			if n, _ := f.ReadAt(magic[:], 0); n < 2 || magic[0] != 0x1f || magic[1] != 0x8b {
				if _, err := f.Seek(in.From, io.SeekStart); err != nil {
					f.Close()
					return nil, describeOpenError(in.Name, err)
				}
				r = io.LimitReader(f, in.To-in.From)
			} else {
				in.From, in.To, in.FirstLine = 0, 0, 0
			}
		}
	}
	if opts.Read != nil {
		r = countingReader{r, opts.Read}
	}
	s, err := newStream(in, r, modTime, opts)
	if err != nil {
		if closer != nil {
			closer.Close()
		}
		return nil, err
	}
	s.file = closer
	return s, nil
}

func newStream(in Input, r io.Reader, modTime time.Time, opts *Options) (*Stream, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", in.Name, err)
		}
		br = bufio.NewReaderSize(zr, 64<<10)
	}
	// The stream's notices go through its own queue, held while another
	// goroutine reads it (HoldNotices).
	notes := &notices{warn: opts.Warn, onPart: opts.OnPart}
	own := *opts
	if opts.Warn != nil {
		own.Warn = notes.say
	}
	if opts.OnPart != nil {
		own.OnPart = notes.found
	}
	own.labels, own.outside = in.Labels, in.Outside
	opts = &own
	s := &Stream{Input: in, lines: NewLineReader(br), warn: opts.warn, notes: notes}
	s.lines.num = in.FirstLine
	s.lines.OnLong = func(n int) {
		opts.warn("%s:%d: line longer than %d bytes; the rest of it is ignored", in.Name, n, MaxLine)
	}
	var err error
	if s.sample, err = readSample(s.lines); err != nil {
		if !errors.Is(err, io.EOF) {
			s.err = s.lineError(err)
		}
		s.eof = true
	}
	_, forced := opts.FormatFor(in.Name)
	sample := s.sample
	if !forced {
		if err := mostlyALog(in.Name, s.sample, opts, modTime); err != nil {
			if in.Like == nil {
				return nil, err
			}
			sample = in.Like
		}
	}
	emit := func(ev parser.Event) { s.queue = append(s.queue, ev) }
	if in.Sample != nil && !forced {
		if split, err := NewSplitter(in.Name, in.Sample, opts, modTime, emit); err == nil {
			return s.started(split, modTime, true), nil
		}
	}
	split, err := NewSplitter(in.Name, sample, opts, modTime, emit)
	if errors.Is(err, ErrNotRecognised) && !forced && in.Like != nil {
		split, err = NewSplitter(in.Name, in.Like, opts, modTime, emit)
	}
	if err != nil {
		if s.err != nil {
			return nil, s.err
		}
		if len(s.sample) == 0 {
			return nil, fmt.Errorf("%s: %w", in.Name, ErrEmpty)
		}
		return nil, fmt.Errorf("%s: %w", in.Name, err)
	}
	return s.started(split, modTime, !forced), nil
}

func (s *Stream) started(split *Splitter, modTime time.Time, detected bool) *Stream {
	s.split, s.ModTime = split, modTime
	if parts := split.Parts(); len(parts) > 0 {
		s.Spec = parts[0].Spec
	}
	s.Detected = detected
	return s
}

// Head reads a file's first lines, as Open reads them to choose its format.
func Head(path string) ([]string, error) {
	f, err := OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	lines, _ := readSample(NewLineReader(f))
	return lines, nil
}

// readSample reads the first lines a format is chosen from (sampleLines,
// sampleBytes at most), and the error that ended them early, io.EOF
// included.
func readSample(lr *LineReader) ([]string, error) {
	var lines []string
	for size := 0; len(lines) < sampleLines && size < sampleBytes; {
		l, err := lr.Next()
		if err != nil {
			return lines, err
		}
		lines = append(lines, l)
		size += len(l)
	}
	return lines, nil
}

func (s *Stream) lineError(err error) error {
	return fmt.Errorf("%s:%d: %v", s.Input.Name, s.lines.Line()+1, err)
}

// Next returns the next event of the source, io.EOF at its end, or the
// read error (naming the file and line) after every event before it. The
// event is a piece of the stream's queue, valid until the next call.
func (s *Stream) Next() (*parser.Event, error) {
	for s.head == len(s.queue) {
		// Cleared as a whole once taken, so that the queue holds no input.
		clear(s.queue)
		s.queue, s.head = s.queue[:0], 0
		if s.replayed < len(s.sample) {
			// Replay what detection read, numbered from 1 again, a line
			// at a time as any: fed at once, its thousands of events
			// grew the queue for good (half a megabyte a file, which
			// forty files read together felt).
			s.replayed++
			s.split.Feed(parser.Line{Num: s.Input.FirstLine + s.replayed, Text: s.sample[s.replayed-1]})
			if s.replayed == len(s.sample) {
				s.sample = nil
				s.replayed = 0
			}
			continue
		}
		if s.eof {
			if !s.ended {
				s.split.Flush()
				s.ended = true
				for _, msg := range s.split.LeftOut() {
					s.warn("%s", msg)
				}
				continue
			}
			if s.err != nil {
				return nil, s.err
			}
			return nil, io.EOF
		}
		l, err := s.lines.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				s.err = s.lineError(err)
			}
			s.eof = true
			continue
		}
		s.split.Feed(parser.Line{Num: s.lines.Line(), Text: l})
		if s.split.Skims() && s.lines.Skim(parser.SkimmableBytes) > 0 {
			s.split.Skim(s.lines.Line())
		}
	}
	s.head++
	return &s.queue[s.head-1], nil
}

// notLogMin is how many non-blank lines a file's start must hold to be
// judged no log by how little of it is understood.
const notLogMin = 10

// mostlyALog tells a log from a file that merely quotes some log lines (a
// Markdown note with pasted access lines): when a file's lines are bare
// (no collector's envelope, which every line of a log has) and most of its
// first lines are no line of the format found, it is not a log.
func mostlyALog(name string, sample []string, opts *Options, modTime time.Time) error {
	o := *opts
	o.Warn, o.OnPart, o.Read = nil, nil, nil
	scratch, err := NewSplitter(name, sample, &o, modTime, func(parser.Event) {})
	if err != nil || scratch.Envelope() != nil {
		return nil
	}
	nonBlank := 0
	for i, l := range sample {
		scratch.Feed(parser.Line{Num: i + 1, Text: l})
		if strings.TrimSpace(l) != "" {
			nonBlank++
		}
	}
	scratch.Flush()
	if un := scratch.Unparsed(); nonBlank >= notLogMin && 2*un > nonBlank {
		return fmt.Errorf("%s: %w: %d of its first %d lines are no log line it reads", name, ErrNotRecognised, un, nonBlank)
	}
	return nil
}

// Survey reads the first lines the stream has sampled, apart from it, and
// says whether their times lack a year and the earliest time among them
// that has one (the file's own year): for a file whose collector wrote no
// year (syslog), the earliest a program wrote with its own year, if any
// did (uWSGI's request lines do).
func (s *Stream) Survey(opts *Options) (yearless bool, first time.Time, ok bool) {
	o := *opts
	o.Warn, o.OnPart, o.Read = nil, nil, nil
	var evs []parser.Event
	scratch, err := NewSplitter(s.Input.Name, s.sample, &o, s.ModTime, func(ev parser.Event) { evs = append(evs, ev) })
	if err != nil {
		return false, time.Time{}, false
	}
	for i, l := range s.sample {
		scratch.Feed(parser.Line{Num: i + 1, Text: l})
	}
	scratch.Flush()
	yearless = scratch.Yearless()
	// A program's own times carry a year when its clock supplied none.
	dated := map[string]bool{}
	for _, p := range scratch.Parts() {
		dated[p.Name] = p.Clock.Yearless == 0
	}
	for _, ev := range evs {
		if yearless && (ev.Stamped || !dated[ev.Source]) {
			continue
		}
		if first.IsZero() || ev.Time.Before(first) {
			first = ev.Time
		}
	}
	return yearless, first, !first.IsZero()
}

// SetZone changes the zone of naive timestamps of one logical source (all
// when name is ""); it must come before the first Next.
func (s *Stream) SetZone(name string, loc *time.Location) { s.split.SetZone(name, loc) }

// Parts are the logical sources the file holds (so far, while it is read).
func (s *Stream) Parts() []*parser.Part { return s.split.Parts() }

// Splitter is the file's reader.
func (s *Stream) Splitter() *Splitter { return s.split }

// Unparsed counts the lines no parser could place.
func (s *Stream) Unparsed() int { return s.split.Unparsed() }

// Bytes is how many bytes of the source have been read.
func (s *Stream) Bytes() int64 { return s.lines.Bytes() }

// Close releases the file.
func (s *Stream) Close() error {
	if s.file != nil {
		return s.file.Close()
	}
	return nil
}

// HoldNotices queues the stream's warnings and the logical sources it
// finds from now on, for TakeNotices (correlate.Noticer).
func (s *Stream) HoldNotices() { s.notes.held = true }

// TakeNotices returns what HoldNotices queued, in order, to be run where
// the stream's events are taken.
func (s *Stream) TakeNotices() []func() {
	q := s.notes.queue
	s.notes.queue = nil
	return q
}

// notices passes on a stream's warnings and found sources, or queues them.
type notices struct {
	warn   func(string)
	onPart func(*parser.Part)
	held   bool
	queue  []func()
}

func (n *notices) say(msg string) {
	if n.held {
		n.queue = append(n.queue, func() { n.warn(msg) })
		return
	}
	n.warn(msg)
}

func (n *notices) found(p *parser.Part) {
	if n.held {
		n.queue = append(n.queue, func() { n.onPart(p) })
		return
	}
	n.onPart(p)
}

// countingReader tells how much each read took.
type countingReader struct {
	r    io.Reader
	read func(int)
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.read(n)
	}
	return n, err
}
