package parser

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Demux reads a stream that can hold several programs' lines (gunicorn's
// own lines and Django's records on one stderr, nginx and the app in one
// container's output) as one logical source per program. Each line goes to
// the program whose format starts a record with it; a line that starts no
// record goes to the record held open when that program's parser takes it
// as a continuation (a traceback, an indented line), and is counted as not
// understood otherwise, never glued to another program's record. A stream
// of one program reads exactly as that program's parser alone reads it.
//
// Demux is itself a Parser, so saved files and followed ones use it alike.
type Demux struct {
	base     string
	newClock func(name string) *Clock
	emit     Emit

	parts []*Part
	open  *Part // the part that took the last record start
	// skimmer is the one part's parser when it can skim (Skims): asked
	// after every line read.
	skimmer  Skimmer
	unparsed int
	// firstForeign is the first line no program took, while none had a
	// format: a stream with none is named with it (LeftOutOf).
	firstForeign string
	// feeding is the line being fed, so that an event it completes at
	// once can tell the other parts its time.
	feeding int
	// timed is the stream's last line with a time of its own, told to a
	// part born later (TimeTaker): the bound before its first records.
	timed     time.Time
	timedLine int
	// What collectors said of lines (host, pid) of records still open,
	// to be put on their events: while the lines rise, as a file's do,
	// in metaQueue from metaHead, in order, an entry taken by its event
	// left with no pairs (metaHeld count those not taken); once a line
	// came that did not rise (metaMixed), in metaByLine. Lines that
	// start no event (a traceback's, with a collector's pid) are held
	// until pruned. A map written for every line cost 7% of reading
	// journalctl's JSON; a scan of thousands of held lines for every
	// line, before that, a fifth.
	metaQueue  []lineMeta
	metaHead   int
	metaHeld   int
	metaByLine map[int][]string
	metaMixed  bool
	// startsNone are lines lately found to start no format's record
	// (detect, asked of a line none of the stream's programs starts, tries
	// every format): a traceback's own lines, its "Traceback (most recent
	// call last):" and its exception, come again and again in a stream of
	// several programs.
	startsNone recentLines
	// ruledOut are lines lately ruled out by mayStartOther in a stream of
	// one program, ruledOutFor: the same few lines of a traceback, a
	// third of an error log's, are asked again and again.
	ruledOut    recentLines
	ruledOutFor *Format
	// OnPart, when set, is told of each logical source as it is found.
	OnPart func(*Part)
}

// Part is one program's share of a stream: its logical source.
type Part struct {
	// Name is the logical source's name, as events and output name it:
	// the stream's own name for its first program, with the program added
	// in brackets for the others ("gunicorn_error.log[django]").
	Name   string
	Spec   Spec
	Parser Parser
	Clock  *Clock
}

// headStarter is a parser that tells the lines that start its records
// as its format's Spec.Starts does, and keeps what it read of the line for
// the Feed of it that comes next: the demultiplexer asks before it feeds,
// and the line's head is not read twice.
type headStarter interface {
	headStarts(line string) bool
}

// starts reports whether a line starts a record of the part's program.
func (p *Part) starts(text string) bool {
	if rs, ok := p.Parser.(headStarter); ok {
		return rs.headStarts(text)
	}
	return p.Spec.Starts(text) || p.Spec.Format.own != nil && p.Spec.Format.own(text)
}

// Continuer is a parser that can tell whether a line that opens no record
// continues the record it holds open (a traceback's lines, an indented or
// tab-continued line), so that a stream of several programs glues only
// those.
type Continuer interface {
	Continues(line string) bool
}

// Ender is a parser that holds a record open until the next one begins
// and can be told that it is complete: in a stream of several programs,
// another program's line means the record was written whole before it.
type Ender interface {
	EndRecord()
}

// TimeTaker is a parser whose records without a time of their own take
// the time of the next line that has one (runserver's). In a stream of
// several programs, that line can be another program's.
type TimeTaker interface {
	TimeSeen(t time.Time, line int)
}

// NewDemux reads one stream named base; newClock gives each logical
// source its clock (its zone, its year for yearless times).
func NewDemux(base string, newClock func(name string) *Clock, emit Emit) *Demux {
	return &Demux{base: base, newClock: newClock, emit: emit}
}

// Start sets the stream's first program from a sample of its first lines,
// as Detect picks it; lines of other programs add theirs as they come.
// Without it the first line any format recognises sets it.
func (d *Demux) Start(sample []string) (Detection, bool) {
	det, ok := DetectFor(d.base, sample)
	if ok && len(d.parts) == 0 {
		d.add(det.Spec)
	}
	return det, ok
}

// StartWith sets the stream's first program to one the user named.
func (d *Demux) StartWith(spec Spec) {
	if len(d.parts) == 0 {
		d.add(spec)
	}
}

// Parts are the logical sources found so far.
func (d *Demux) Parts() []*Part { return d.parts }

func (d *Demux) add(spec Spec) *Part {
	name := d.base
	if len(d.parts) > 0 {
		prog := string(spec.Family())
		taken := func(n string) bool {
			for _, p := range d.parts {
				if p.Name == n {
					return true
				}
			}
			return false
		}
		name = labelled(d.base, prog)
		for i := 2; taken(name); i++ {
			name = labelled(d.base, fmt.Sprintf("%s-%d", prog, i))
		}
	}
	p := &Part{Name: name, Spec: spec, Clock: d.newClock(name)}
	p.Parser = spec.New(p.Clock, func(ev Event) { d.emitFrom(p, ev) })
	if tt, ok := p.Parser.(TimeTaker); ok && d.timedLine != 0 {
		tt.TimeSeen(d.timed, d.timedLine)
	}
	d.parts = append(d.parts, p)
	d.skimmer = nil
	if len(d.parts) == 1 {
		d.skimmer, _ = p.Parser.(Skimmer)
	}
	if d.OnPart != nil {
		d.OnPart(p)
	}
	return p
}

// labelled adds a label to a source's name: x.log[web-1], or within one
// already labelled, x.log[web-1:django] (not a slash, which would make the
// name a path where reports print its base).
func labelled(name, label string) string {
	if strings.HasSuffix(name, "]") {
		if i := strings.LastIndexByte(name, '['); i > 0 {
			return name[:len(name)-1] + ":" + label + "]"
		}
	}
	return name + "[" + label + "]"
}

// SplitLabel cuts a logical source's name into its file and its label
// ("compose.log[pgbouncer-1]": "compose.log", "pgbouncer-1").
func SplitLabel(name string) (file, label string) {
	if strings.HasSuffix(name, "]") {
		if i := strings.IndexByte(name, '['); i > 0 {
			return name[:i], name[i+1 : len(name)-1]
		}
	}
	return name, ""
}

// BaseName is a source's name without its file's folders, its label whole,
// and a line number after it kept: "logs/papertrail.log[heroku/router]:7"
// is "papertrail.log[heroku/router]:7", where filepath.Base would cut the
// label at its slash and leave "router]:7".
func BaseName(name string) string {
	at := ""
	if i := strings.LastIndexByte(name, ':'); i > 0 && i < len(name)-1 && strings.Trim(name[i+1:], "0123456789") == "" {
		name, at = name[:i], name[i:]
	}
	file, label := SplitLabel(name)
	if label == "" {
		return filepath.Base(name) + at
	}
	return filepath.Base(file) + "[" + label + "]" + at
}

func (d *Demux) emitFrom(p *Part, ev Event) {
	if m := d.takeMeta(ev.Line); m != nil {
		for i := 0; i+1 < len(m); i += 2 {
			ev.setField(m[i], m[i+1])
		}
	}
	if ev.Line == d.feeding && ev.TimeFrom == 0 && !ev.Stamped {
		d.timed, d.timedLine = ev.Time, ev.Line
		if len(d.parts) > 1 {
			d.tick(p, ev.Time, ev.Line)
		}
	}
	d.emit(ev)
}

// tick tells the other programs' parsers that wait for a timed line the
// time of one.
func (d *Demux) tick(from *Part, t time.Time, line int) {
	for _, q := range d.parts {
		if q == from {
			continue
		}
		if tt, ok := q.Parser.(TimeTaker); ok {
			tt.TimeSeen(t, line)
		}
	}
}

// lineMeta is what a collector said of one line; kv is nil once taken.
type lineMeta struct {
	line int
	kv   []string
}

// Annotate puts key/value pairs a collector gave for a line (host, pid)
// on the event that line starts.
func (d *Demux) Annotate(line int, kv ...string) {
	if len(kv) == 0 {
		return
	}
	if d.heldMeta() > maxPending {
		d.pruneMeta(line - maxPending)
	}
	if d.metaMixed {
		d.metaByLine[line] = kv
		return
	}
	if n := len(d.metaQueue); n > d.metaHead && line <= d.metaQueue[n-1].line {
		// Not rising: by line from now on, what is held kept.
		d.metaMixed, d.metaByLine = true, map[int][]string{}
		for _, m := range d.metaQueue[d.metaHead:] {
			if m.kv != nil {
				d.metaByLine[m.line] = m.kv
			}
		}
		d.metaQueue, d.metaHead, d.metaHeld = nil, 0, 0
		d.metaByLine[line] = kv
		return
	}
	d.metaQueue = append(d.metaQueue, lineMeta{line, kv})
	d.metaHeld++
	if len(d.metaQueue)-d.metaHead > 2*maxPending {
		// Most lines' pairs went onto their events: only the lines
		// still held are kept, in order.
		kept := d.metaQueue[:0]
		for _, m := range d.metaQueue[d.metaHead:] {
			if m.kv != nil {
				kept = append(kept, m)
			}
		}
		clear(d.metaQueue[len(kept):])
		d.metaQueue, d.metaHead = kept, 0
	}
}

// heldMeta counts the lines whose pairs are held.
func (d *Demux) heldMeta() int {
	if d.metaMixed {
		return len(d.metaByLine)
	}
	return d.metaHeld
}

// takeMeta hands over, and forgets, the pairs held for a line: nil if
// none are. An event is most often handed on as the next line or two
// come, so the last lines held are looked at first.
func (d *Demux) takeMeta(line int) []string {
	if d.metaMixed {
		kv, ok := d.metaByLine[line]
		if ok {
			delete(d.metaByLine, line)
		}
		return kv
	}
	if d.metaHeld == 0 {
		return nil
	}
	q := d.metaQueue[d.metaHead:]
	k := -1
	for i := len(q) - 1; i >= 0 && i >= len(q)-2; i-- {
		if q[i].line == line {
			k = i
		}
	}
	if k < 0 {
		k = sort.Search(len(q), func(i int) bool { return q[i].line >= line })
		if k == len(q) || q[k].line != line {
			return nil
		}
	}
	kv := q[k].kv
	if kv != nil {
		q[k].kv = nil
		d.metaHeld--
	}
	return kv
}

// pruneMeta forgets what collectors said of the lines before below: their
// records were handed on long since.
func (d *Demux) pruneMeta(below int) {
	if d.metaMixed {
		for k := range d.metaByLine {
			if k < below {
				delete(d.metaByLine, k)
			}
		}
		return
	}
	for d.metaHead < len(d.metaQueue) && d.metaQueue[d.metaHead].line < below {
		if d.metaQueue[d.metaHead].kv != nil {
			d.metaHeld--
		}
		d.metaQueue[d.metaHead] = lineMeta{}
		d.metaHead++
	}
	if d.metaHead > len(d.metaQueue)/2 {
		n := copy(d.metaQueue, d.metaQueue[d.metaHead:])
		clear(d.metaQueue[n:])
		d.metaQueue, d.metaHead = d.metaQueue[:n], 0
	}
}

// Feed implements Parser.
func (d *Demux) Feed(l Line) {
	text := Clean(l.Text)
	if len(d.parts) == 1 && text != "" && (text[0] == ' ' || text[0] == '\t') {
		// No format's record starts indented: a stream of one program
		// hands its traceback lines straight on.
		d.feed(d.parts[0], l)
		return
	}
	d.feeding = l.Num
	defer func() { d.feeding = 0 }()
	for _, p := range d.parts {
		if p.starts(text) {
			d.start(p, l)
			return
		}
	}
	if mayStart(text) && (len(d.parts) != 1 || d.mayStartOther(text)) && !d.startsNone[text] {
		if det, ok := detect(d.base, []string{text}, false); ok {
			d.start(d.add(det.Spec), l)
			return
		}
		d.startsNone.add(text)
	}
	if d.continued(l, text) {
		return
	}
	if f := looseFormat(text); f != nil {
		for _, p := range d.parts {
			if p.Spec.Format == f {
				d.start(p, l)
				return
			}
		}
		d.start(d.add(SpecOf(f)), l)
		return
	}
	switch {
	case len(d.parts) == 1:
		// One program: its parser decides, as it would alone.
		d.feed(d.parts[0], l)
	case strings.TrimSpace(text) == "":
	default:
		d.takeMeta(l.Num)
		d.unparsed++
		if len(d.parts) == 0 && d.firstForeign == "" {
			d.firstForeign = strings.Clone(strings.ToValidUTF8(text[:min(len(text), 100)], ""))
		}
	}
}

// looseFormat is the format a line opens a record of when nothing else
// took it, if any.
func looseFormat(text string) *Format {
	for _, f := range registry {
		if f.loose != nil && f.loose(text) {
			return f
		}
	}
	return nil
}

// continued gives a line that starts no record to the program whose open
// record it continues: the one that started the last record, else another
// whose record is still open (two programs' records can interleave when
// they share a pipe).
func (d *Demux) continued(l Line, text string) bool {
	if d.open != nil && continues(d.open.Parser, text) {
		d.feed(d.open, l)
		return true
	}
	for i := len(d.parts) - 1; i >= 0; i-- {
		p := d.parts[i]
		if p == d.open {
			continue
		}
		if c, ok := p.Parser.(Continuer); ok && c.Continues(text) {
			d.feed(p, l)
			return true
		}
	}
	return false
}

// feed hands a line to one program's parser, its clock told the time the
// collector recorded for it when that time has a zone.
func (d *Demux) feed(p *Part, l Line) {
	if l.Stamp.IsZero() || l.StampNaive {
		p.Parser.Feed(l)
		return
	}
	p.Clock.lineStamp = l.Stamp
	p.Parser.Feed(l)
	p.Clock.lineStamp = time.Time{}
}

func (d *Demux) start(p *Part, l Line) {
	if d.open != nil && d.open != p {
		// A program writes a record, traceback and all, in one write:
		// another's line ends it, rather than its own next record, which
		// can be long after (its events would be late to the merge).
		if e, ok := d.open.Parser.(Ender); ok {
			e.EndRecord()
		}
	}
	d.open = p
	d.feed(p, l)
	if t, ok := p.Parser.Open(); ok {
		d.timed, d.timedLine = t, l.Num
		if len(d.parts) > 1 {
			d.tick(p, t, l.Num)
		}
	}
}

// mayStart rules out cheaply the lines no format starts a record with:
// indented and tab-continued lines, blank ones.
// mayStartOther is mayStartOther for the stream's one program, its answers
// "no" remembered as startsNone's are: it depends on
// the line and the program alone.
func (d *Demux) mayStartOther(text string) bool {
	sole := d.parts[0].Spec.Format
	if d.ruledOutFor != sole {
		clear(d.ruledOut)
		d.ruledOutFor = sole
	}
	if d.ruledOut[text] {
		return false
	}
	if mayStartOther(text, sole) {
		return true
	}
	d.ruledOut.add(text)
	return false
}

// recentLines are lines lately found to be something (to start no record,
// say), each copied, as the set outlives the block of the file it lies in.
// It is emptied when full, so that lines each of their own (an
// exception's message with an id) cost a lookup, not memory.
type recentLines map[string]bool

// recentLinesKept bounds a recentLines.
const recentLinesKept = 256

func (r *recentLines) add(text string) {
	if len(*r) >= recentLinesKept {
		clear(*r)
	}
	if *r == nil {
		*r = recentLines{}
	}
	(*r)[strings.Clone(text)] = true
}

func mayStart(text string) bool {
	return text != "" && text[0] != ' ' && text[0] != '\t' && strings.TrimSpace(text) != ""
}

// mayStartOther rules out, for a stream of one program so far, the lines
// no other program's record starts with: records hold a time near their
// start, but for the few formats that write none (runserver's error
// records, uvicorn's, uWSGI's own lines, Heroku's router, JSON). It keeps
// the cost of telling programs apart off the lines of a stream that holds
// only one: a traceback's exception and message lines, for the most part.
// When that one is runserver, its own test (its starts) has just said no.
func mayStartOther(text string, sole *Format) bool {
	if text[0] == '{' || timeNearStart(text) || sole != runserverFormat && runserverStarts(text) ||
		isUWSGIChatter(text) || strings.HasPrefix(text, "at=") {
		return true
	}
	if _, _, ok := uvicornHead(text); ok {
		return true
	}
	// Heroku's router in its older form too ("Error H12 (Request
	// timeout) -> GET …"): only "at=" was let through, and such a line
	// in a stream of one program went to that program's parser.
	return herokuRouterStarts(text)
}

// continues asks a parser whether a line continues its open record; one
// that cannot tell takes only indented and tab-continued lines.
func continues(p Parser, text string) bool {
	if c, ok := p.(Continuer); ok {
		return c.Continues(text)
	}
	return text != "" && (text[0] == ' ' || text[0] == '\t')
}

// Flush implements Parser.
func (d *Demux) Flush() {
	for _, p := range d.parts {
		p.Parser.Flush()
	}
}

// Pause implements Pauser: each program's parser decides what a pause
// means to it.
func (d *Demux) Pause() {
	for _, p := range d.parts {
		if pp, ok := p.Parser.(Pauser); ok {
			pp.Pause()
		} else {
			p.Parser.Flush()
		}
	}
}

// Unparsed implements Parser: the lines no program took, and those its
// parser could not place.
func (d *Demux) Unparsed() int {
	n := d.unparsed
	for _, p := range d.parts {
		n += p.Parser.Unparsed()
	}
	return n
}

// Foreign counts the lines no program took.
func (d *Demux) Foreign() int { return d.unparsed }

// Open implements Parser: the time of the record the last program to
// start one holds open.
func (d *Demux) Open() (time.Time, bool) {
	if d.open == nil {
		return time.Time{}, false
	}
	return d.open.Parser.Open()
}

// Holding implements Holder: the earliest time any program of the stream
// holds events back for. A record held open is not counted: it ends at the
// next record or a pause, and Open reports it.
func (d *Demux) Holding() (time.Time, bool) {
	var at time.Time
	held := false
	take := func(t time.Time, ok bool) {
		if ok && (!held || t.Before(at)) {
			at, held = t, true
		}
	}
	for _, p := range d.parts {
		if h, ok := p.Parser.(Holder); ok {
			take(h.Holding())
		}
	}
	return at, held
}

// NoFormat is, for a stream none of whose lines a format started (a
// compose service whose PostgreSQL writes no log_line_prefix), how many
// lines it left out and the first of them: it has no program to be among
// the sources as, so its file says so (source.Splitter.LeftOut).
func (d *Demux) NoFormat() (lines int, first string) {
	if len(d.parts) > 0 {
		return 0, ""
	}
	return d.unparsed, d.firstForeign
}

// Name is the stream's name: its file's, and its label if it has one.
func (d *Demux) Name() string { return d.base }

// LeftOutOf says what a flushed demuxed stream left out, per program.
func (d *Demux) LeftOutOf() []string {
	var out []string
	for _, p := range d.parts {
		if msg := LeftOut(p.Parser); msg != "" {
			out = append(out, p.Name+": "+msg)
		}
	}
	return out
}
