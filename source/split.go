package source

import (
	"fmt"
	"strings"
	"time"

	"github.com/logcorr/logcorr/envelope"
	"github.com/logcorr/logcorr/parser"
)

// Splitter reads one file's lines as the logical sources they hold: it
// unwraps each line from its collector's envelope, if the file has one, and
// hands each program's lines to that program's parser (a parser.Demux per
// label the envelope gives: a compose service, a journald program). It is
// a parser.Parser, so analyze and tail read a file through the same one.
type Splitter struct {
	name   string
	kind   *envelope.Kind
	unwrap envelope.Unwrapper
	opts   *Options
	ref    time.Time
	emit   parser.Emit
	forced *parser.Spec

	demuxes map[string]*parser.Demux
	order   []*parser.Demux
	last    *parser.Demux
	// lastLabel is last's label, when records have one.
	lastLabel string
	// foreign counts lines the envelope did not wrap.
	foreign int
	// indent is what every line of the file shares before its text (a log
	// pasted from an issue as an indented block).
	indent string
	// envClock reads the envelope's own times (syslog's, without a year).
	envClock *parser.Clock
	// refNear: Ref is another log's time, not the file's (SetYearRef).
	refNear bool
	// zones are zones found for logical sources after they were opened
	// (clock estimates), by name; those not yet opened take theirs here.
	zones map[string]*time.Location
	// routeRecord is route, made a func value once: made per line, as an
	// argument to the envelope's Unwrap, it cost an allocation a line.
	routeRecord func(envelope.Record)
	// pairs are the last record's host and pid as Annotate takes them:
	// a collector gives the same ones line after line, and the demuxes
	// only read them, so they share one slice until they change.
	pairs             []string
	pairHost, pairPID string
}

// NewSplitter prepares to read a file named name from a sample of its first
// lines: it finds the envelope and, per label, the first program. modTime
// dates yearless times when no other log can. It returns ErrNotRecognised
// when no format reads any of the sample.
func NewSplitter(name string, sample []string, opts *Options, modTime time.Time, emit parser.Emit) (*Splitter, error) {
	s := &Splitter{name: name, opts: opts, ref: modTime, emit: emit, demuxes: map[string]*parser.Demux{}}
	s.routeRecord = s.route
	if spec, ok := opts.FormatFor(name); ok {
		s.forced = &spec
	}
	s.indent = envelope.Indent(sample)
	sample = envelope.Dedent(sample)
	byLabel, labels := map[string][]string{"": sample}, []string{""}
	if kind := envelope.Detect(sample); kind != nil {
		s.kind = kind
		byLabel, labels = envelope.Sample(kind, sample)
		s.envClock = s.clockFor(name)
		s.unwrap = kind.Open(s.envClock)
	}
	found := false
	for _, l := range labels {
		if !s.reads(l) {
			continue
		}
		d := s.demux(l)
		if s.forced != nil {
			d.StartWith(*s.forced)
			found = true
			continue
		}
		if _, ok := d.Start(byLabel[l]); ok {
			found = true
		}
	}
	if !found {
		return nil, ErrNotRecognised
	}
	return s, nil
}

// Envelope is how a collector wrapped the file's lines, or nil.
func (s *Splitter) Envelope() *envelope.Kind { return s.kind }

// NaiveStamps reports whether the collector wrote its times without a zone
// (classic syslog, journald's short output): events dated by them are no
// surer than the program's own naive times.
func (s *Splitter) NaiveStamps() bool { return s.envClock != nil && s.envClock.Naive > 0 }

// EnvelopeClock reads the collector's times, when they need one (no zone
// or no year); nil otherwise.
func (s *Splitter) EnvelopeClock() *parser.Clock { return s.envClock }

// SetEnvelopeZone sets the zone of the collector's naive times; it must
// come before the first line is read.
func (s *Splitter) SetEnvelopeZone(loc *time.Location) {
	if s.envClock != nil {
		s.envClock.Loc = loc
	}
}

func (s *Splitter) clockFor(name string) *parser.Clock {
	loc := s.zones[name]
	if loc == nil {
		loc = s.zones[""]
	}
	if loc == nil {
		loc = s.opts.ZoneFor(name)
	}
	c := parser.NewClock(name, loc, s.opts.Warn)
	c.Ref, c.RefNear = s.ref, s.refNear
	return c
}

// clocks are every clock the file's reader has made so far.
func (s *Splitter) clocks() []*parser.Clock {
	var out []*parser.Clock
	if s.envClock != nil {
		out = append(out, s.envClock)
	}
	for _, p := range s.Parts() {
		out = append(out, p.Clock)
	}
	return out
}

// Yearless reports whether the file's times read so far lacked a year.
func (s *Splitter) Yearless() bool {
	for _, c := range s.clocks() {
		if c.Yearless > 0 {
			return true
		}
	}
	return false
}

// SetYearRef dates the file's times that carry no year by another log's
// time: the year that puts them nearest to it (see parser.Clock).
func (s *Splitter) SetYearRef(ref time.Time) {
	s.ref, s.refNear = ref, true
	for _, c := range s.clocks() {
		c.Ref, c.RefNear = ref, true
	}
}

// demux returns the reader of one label's lines, making it on first use.
func (s *Splitter) demux(label string) *parser.Demux {
	if d := s.demuxes[label]; d != nil {
		return d
	}
	base := s.name
	if label != "" {
		base += "[" + label + "]"
	}
	d := parser.NewDemux(base, s.clockFor, s.emit)
	d.OnPart = s.opts.OnPart
	if s.forced != nil && label != "" {
		d.StartWith(*s.forced)
	}
	s.demuxes[label] = d
	s.order = append(s.order, d)
	return d
}

// Feed implements parser.Parser: the line is the file's, as read.
func (s *Splitter) Feed(l parser.Line) {
	if s.indent != "" {
		l.Text = strings.TrimPrefix(l.Text, s.indent)
	}
	if s.unwrap == nil {
		// A bare file has one reader, the last: no map lookup per line.
		if s.last == nil {
			s.last = s.demux("")
		}
		s.last.Feed(l)
		return
	}
	if !s.unwrap.Unwrap(l.Num, l.Text, s.routeRecord) && strings.TrimSpace(l.Text) != "" && (s.opts.labels == nil || s.opts.outside) {
		s.foreign++
	}
}

// reads reports whether the file's reader takes a label's records: all,
// unless it reads some labels only (Input.Labels).
func (s *Splitter) reads(label string) bool {
	if s.opts.labels == nil {
		return true
	}
	if label == "" {
		return s.opts.outside
	}
	for _, l := range s.opts.labels {
		if l == label {
			return true
		}
	}
	return false
}

func (s *Splitter) route(r envelope.Record) {
	if s.opts.labels != nil && (s.last == nil || r.Label != s.lastLabel) && !s.reads(r.Label) {
		return
	}
	s.lastLabel = r.Label
	d := s.demux(r.Label)
	s.last = d
	if r.Host != s.pairHost || r.PID != s.pairPID || s.pairs == nil {
		var kv []string
		if r.Host != "" {
			kv = append(kv, "host", r.Host)
		}
		if r.PID != "" {
			kv = append(kv, "pid", r.PID)
		}
		s.pairs, s.pairHost, s.pairPID = kv, r.Host, r.PID
	}
	d.Annotate(r.Num, s.pairs...)
	d.Feed(parser.Line{Num: r.Num, Text: r.Text, Stamp: r.Stamp, StampPrecision: r.Precision, StampNaive: r.Naive})
}

// Flush implements parser.Parser.
func (s *Splitter) Flush() {
	if s.unwrap != nil {
		s.unwrap.Flush(s.routeRecord)
	}
	for _, d := range s.order {
		d.Flush()
	}
}

// Pause implements parser.Pauser.
func (s *Splitter) Pause() {
	for _, d := range s.order {
		d.Pause()
	}
}

// Unparsed implements parser.Parser: lines outside the envelope, lines
// no program took, and lines a program's parser could not place.
func (s *Splitter) Unparsed() int {
	n := s.foreign
	for _, d := range s.order {
		n += d.Unparsed()
	}
	return n
}

// Foreign counts the lines of the file no logical source took: outside
// the envelope, or no program's in a stream where some program's are. A
// stream with no program's line at all is not counted: LeftOut names it
// with its lines, and they are not another source's to be counted under.
func (s *Splitter) Foreign() int {
	n := s.foreign
	for _, d := range s.order {
		if none, _ := d.NoFormat(); none == 0 {
			n += d.Foreign()
		}
	}
	return n
}

// Open implements parser.Parser.
func (s *Splitter) Open() (time.Time, bool) {
	if s.last == nil {
		return time.Time{}, false
	}
	return s.last.Open()
}

// Holding is the earliest time any program of the file holds events back
// for (see parser.Holder).
func (s *Splitter) Holding() (time.Time, bool) {
	var at time.Time
	held := false
	for _, d := range s.order {
		if t, ok := d.Holding(); ok && (!held || t.Before(at)) {
			at, held = t, true
		}
	}
	return at, held
}

// Parts are the logical sources found so far, in the order found.
func (s *Splitter) Parts() []*parser.Part {
	var out []*parser.Part
	for _, d := range s.order {
		out = append(out, d.Parts()...)
	}
	return out
}

// SetZone sets the zone of one logical source's naive times (all of them
// when name is ""), those opened already and those to come.
func (s *Splitter) SetZone(name string, loc *time.Location) {
	if s.zones == nil {
		s.zones = map[string]*time.Location{}
	}
	s.zones[name] = loc
	for _, p := range s.Parts() {
		if name == "" || p.Name == name {
			p.Clock.Loc = loc
		}
	}
}

// LeftOut says what the flushed file's parsers had to leave out.
func (s *Splitter) LeftOut() []string {
	var out []string
	var none []*parser.Demux
	for _, d := range s.order {
		out = append(out, d.LeftOutOf()...)
		if n, _ := d.NoFormat(); n > 0 {
			none = append(none, d)
		}
	}
	return append(out, noFormat(s.name, none)...)
}

// noFormat says which of a file's streams no format started a line of:
// one by its name and first line; several, as a syslog's programs that are
// no app's (CRON, kernel, sshd) are, in one notice for the file.
func noFormat(file string, none []*parser.Demux) []string {
	if len(none) == 0 {
		return nil
	}
	if len(none) == 1 {
		n, first := none[0].NoFormat()
		return []string{fmt.Sprintf("%s: %s, none in a format logcorr reads (the first: %q); left out", none[0].Name(), lineCount(n), first)}
	}
	const named = 3
	var parts []string
	for _, d := range none[:min(len(none), named)] {
		n, _ := d.NoFormat()
		_, label := parser.SplitLabel(d.Name())
		parts = append(parts, fmt.Sprintf("%s (%s)", label, lineCount(n)))
	}
	list := strings.Join(parts, ", ")
	if len(none) > named {
		list += fmt.Sprintf(" and %d more", len(none)-named)
	}
	return []string{fmt.Sprintf("%s: %d streams with no line in a format logcorr reads, left out: %s", file, len(none), list)}
}

// lineCount counts lines: "1 line", "3 lines".
func lineCount(n int) string {
	if n == 1 {
		return "1 line"
	}
	return fmt.Sprintf("%d lines", n)
}

// Describe says how the file was read, for a notice: its envelope and the
// programs found in it.
func (s *Splitter) Describe() string {
	var parts []string
	for _, p := range s.Parts() {
		parts = append(parts, fmt.Sprintf("%s (%s)", p.Name, p.Spec))
	}
	env := "bare lines"
	if s.kind != nil {
		env = s.kind.Name
	}
	return env + ": " + strings.Join(parts, ", ")
}

// Skims reports whether the lines Skimmable now would only extend the
// record the file's one program holds open (parser.Skimmer): a file read
// as it is, without an envelope to unwrap or an indent to cut.
func (s *Splitter) Skims() bool {
	return s.unwrap == nil && s.indent == "" && s.last != nil && s.last.Skims()
}

// Skim stands for feeding the skimmable lines up to last.
func (s *Splitter) Skim(last int) { s.last.Skim(last) }
