package engine

import (
	"fmt"
	"io"
	"time"

	"github.com/logcorr/logcorr/correlate"
	"github.com/logcorr/logcorr/follow"
	"github.com/logcorr/logcorr/locust"
	"github.com/logcorr/logcorr/parser"
	"github.com/logcorr/logcorr/report"
	"github.com/logcorr/logcorr/source"
)

// FollowOptions say what to follow and how.
type FollowOptions struct {
	Paths []string
	// FromStart reads files that already exist from their beginning.
	FromStart bool
	// Grace is how long a rotated-away file is read after it last grew;
	// Idle how long a silent log may hold chains back (docs/tail.md).
	Grace, Idle time.Duration
	// Now is the wall clock (tests give virtual time).
	Now func() time.Time
	// Status: a person watches stderr, and is told every StatusEvery
	// how many chains are out and how many requests wait.
	Status bool
	// Generations, when set, counts the files each path has named, as
	// they open (report.Options.Generations reads it).
	Generations map[string]int
	// ReadLimit is about how much of each file a poll reads at most, and
	// HoldAhead how far ahead of the slowest file behind, or of the
	// watermark, a file may be read; 0 for the defaults, which tests scale
	// to a short capture.
	ReadLimit int64
	HoldAhead time.Duration
	// Placed, when set, sees each event as the live order hands it to the
	// correlator, and the place it was given (tests time chains by it).
	Placed func(ev *parser.Event, key time.Time)
}

// Far behind (a burst, a starved process, --from-start on big logs), tail
// takes the backlog a piece at a time, handing out chains between pieces,
// rather than holding all of it at once: a poll reads about readLimit of
// each file at most, and a file whose lines are already holdAhead of the
// slowest file still behind, or of the watermark (which a log read to its
// end, or a record held, can keep further back), is not read: its events
// would only wait.
const (
	readLimit int64 = 256 << 10
	holdAhead       = 30 * time.Second
)

// Follow starts following fo.Paths, read with opts (whose OnPart becomes
// the catalogue's), into the engine.
func (e *Engine) Follow(opts *source.Options, fo FollowOptions) *Tailer {
	opts.OnPart = e.cat.Found
	if fo.ReadLimit == 0 {
		fo.ReadLimit = readLimit
	}
	if fo.HoldAhead == 0 {
		fo.HoldAhead = holdAhead
	}
	t := &Tailer{eng: e, opts: opts, statusOn: fo.Status, readLimit: fo.ReadLimit, holdAhead: fo.HoldAhead,
		live: correlate.NewLive(e.corr, correlate.DefaultSlack, fo.Idle), generations: fo.Generations,
		endQuiet: e.cfg.After + correlate.DefaultSlack, idle: fo.Idle,
		samples: map[string][]string{}, gens: map[*follow.Gen]*tailGen{}, disorder: map[string]correlate.Disorder{},
		overtaken: map[string]int{}, now: fo.Now}
	t.fol = follow.New(fo.Paths, follow.Options{FromStart: fo.FromStart, Grace: fo.Grace, Now: fo.Now,
		ReadLimit: fo.ReadLimit, Hold: t.ahead, MaxLine: source.MaxLine}, t)
	t.live.Tap = func(ev *parser.Event, key time.Time, cause *correlate.Cause) {
		if fo.Placed != nil {
			fo.Placed(ev, key)
		}
		e.count(ev, cause)
	}
	t.live.Overtaken = t.noteOvertaken
	return t
}

// Step reads what the files gained and hands out what is settled, as tail
// does every --interval; it reports whether lines are left on disk unread
// (tail is behind), and says on stderr when tail has been behind a while,
// and where it is (FollowOptions.Status).
func (t *Tailer) Step() bool {
	behind := t.step()
	t.noteBehind(behind)
	t.status()
	return behind
}

// Lines is how many lines have been read.
func (t *Tailer) Lines() int { return t.lines }

// Queued is how many events wait for the live order.
func (t *Tailer) Queued() int { return t.live.Queued() }

// Ended reports whether every log has been quiet long enough for the
// tailer to end what the input held open, and since when they were.
func (t *Tailer) Ended() (quietSince time.Time, ended bool) { return t.lastLine, t.ended }

// Close stops following and hands out every chain left, as the end of
// saved files does.
func (t *Tailer) Close() {
	t.fol.Close()
	t.live.Close()
}

// Finish stops following: it reads what the files hold (far behind, for
// within at most, by the wall clock), ends every record and hands out
// every chain left, then completes the run's summary: what each file held,
// Locust's files (read now, once: Locust writes its CSV files in place and
// its summary at the end), the hypothesis table.
func (t *Tailer) Finish(run *report.Run, within time.Duration) {
	for until := time.Now().Add(within); time.Now().Before(until) && t.step(); {
	}
	t.Close()
	for _, f := range t.files {
		if n := t.overtaken[f]; n > 1 {
			t.eng.warn(fmt.Sprintf("%s: %d lines came later than tail waited for them", f, n))
		}
	}
	for _, f := range t.files {
		run.Sources = append(run.Sources, t.eng.sources(t.eng.cat.ofFile(f), t.disorder[f])...)
	}
	lr := &locust.Run{}
	for _, p := range t.skipped {
		if kind := LocustKind(p); kind != "" {
			if err := lr.ReadCSV(p, kind); err != nil {
				t.eng.warn(err.Error())
			}
			run.Sources = append(run.Sources, report.SourceInfo{File: p, Format: "locust " + string(kind)})
			continue
		}
		run.Skipped = append(run.Skipped, p)
	}
	kinds := t.eng.cat.kinds()
	for _, f := range t.files {
		if kinds[f] == string(parser.FamilyLocust) {
			if err := lr.ReadConsole(f); err != nil {
				t.eng.warn(err.Error())
			}
		}
	}
	if t.partial && lr.Found() {
		t.eng.warn("Locust's totals are not compared with the server's: some logs were followed from their end, and what they held before was not counted (--from-start reads it)")
		t.eng.noClient = true
	}
	t.eng.Summarize(run, lr)
}

// LineWait is how long a source may be silent before its parser is asked
// for the record it holds open (a record ends only when the next begins).
const LineWait = time.Second

// tailGen is the reading state of one generation of a followed file.
type tailGen struct {
	split    *source.Splitter
	src      *correlate.LiveSource
	pending  []pendingLine // lines read before the format was known
	notices  []string      // notices held back until then
	lastLine time.Time
	flushed  bool
	spoke    bool // a line has been read
	// ended: its records were ended once a newer generation of its path
	// had a line and it was read to its end (endOlderRecords).
	ended bool
}

type pendingLine struct {
	num  int
	text string
}

// Tailer follows files as they are written and hands their events to the
// engine in the order correlate.Merge gives saved files (correlate.Live),
// so that its chains are those analyze gives for the same lines.
type Tailer struct {
	eng  *Engine
	opts *source.Options
	// statusOn: a person watches stderr, and is told where tail is.
	statusOn bool
	// readLimit and holdAhead are FollowOptions'.
	readLimit int64
	holdAhead time.Duration
	live      *correlate.Live
	fol       *follow.Follower
	// samples are the lines each path's format was found from, so that a
	// later generation (after a rotation) is read as the first was.
	samples map[string][]string
	gens    map[*follow.Gen]*tailGen
	// files are the paths read, in the order their format was found.
	files   []string
	skipped []string
	// disorder is each path's, over its generations.
	disorder map[string]correlate.Disorder
	now      func() time.Time
	// slowest is the newest line of the slowest file behind (slowestGen),
	// at the start of the poll; zero when none is. readTo is how far event
	// time may be read ahead of: slowest, or the watermark if further back.
	slowest, readTo time.Time
	slowestGen      *follow.Gen
	// mark is the watermark at the last poll, and marked when it last
	// moved on (wall clock).
	mark, marked time.Time
	idle         time.Duration
	// lines counts the lines read, to tell a step that read nothing.
	lines int
	// behindSince is when tail last fell behind; saidBehind whether
	// stderr has been told.
	behindSince time.Time
	saidBehind  bool
	// said is when the last status line went to stderr (a terminal).
	said time.Time
	// partial: some file was followed from its end, its earlier lines
	// unread, so the server's counts are not the whole run's.
	partial bool
	// generations counts the files each path has named (report.Options).
	generations map[string]int
	// lastLine is when any file last gave a line; ended says the records
	// held since were ended as at the end of input (endQuiet).
	lastLine time.Time
	ended    bool
	// endQuiet is how long every log must be silent for tail to end the
	// records parsers hold, as analyze does at the end of its files.
	endQuiet time.Duration
	// overtaken counts, per path, the lines that came after chains near
	// them were out (correlate.Live.Overtaken).
	overtaken map[string]int
}

// noteOvertaken says on stderr, at the first of a path's lines that came
// after the chains near it were handed out, that those chains may lack it
// where analyze would have it; the summary's stderr line gives the count.
func (t *Tailer) noteOvertaken(path string, ev *parser.Event, by time.Duration) {
	t.overtaken[path]++
	if t.overtaken[path] == 1 {
		t.eng.warn(fmt.Sprintf("%s:%d: came %s later than tail waited for its log (silent, then later than its lines had come); chains near it may lack it where analyze has it",
			path, ev.Line, by.Round(time.Millisecond)))
	}
}

// detectLimit is how many lines a new, empty-at-first file may show before
// it is given up as no log format logcorr reads.
const detectLimit = 200

// Notice says on stderr what happened to a file, except while its format is
// still unknown: a file that turns out to be no log (Locust rewrites its CSV
// files in place, which reads as truncation) is named once, when skipped.
func (t *Tailer) Notice(path, msg string) {
	for g, tg := range t.gens {
		if g.Path == path && tg.split == nil {
			tg.notices = append(tg.notices, msg)
			return
		}
	}
	t.eng.warn(msg)
}

func (t *Tailer) Opened(g *follow.Gen) {
	if g.Skipped > 0 {
		t.partial = true
	}
	if t.generations != nil {
		t.generations[g.Path] = max(t.generations[g.Path], g.N)
	}
	tg := &tailGen{lastLine: t.now()}
	t.gens[g] = tg
	// Registered at once, before its format is known: until it speaks,
	// the live order waits for it (correlate.Live.Watermark).
	tg.src = t.live.Source(g.Path, g.N, t.now())
	sample, known := t.samples[g.Path]
	if !known {
		head := headLines(g.Path)
		if len(head) > 0 && locust.KindOf(head[0]) != "" {
			t.skip(g)
			return
		}
		if _, err := source.NewSplitter(g.Path, head, t.opts, t.now(), nil); err == nil {
			sample, known = head, true
			t.samples[g.Path] = head
			t.files = append(t.files, g.Path)
		} else if len(head) >= judgeLines {
			t.skip(g)
			return
		}
	}
	if known {
		t.start(g, tg, sample)
	}
}

// judgeLines is how many lines a file must hold to be judged no log at once.
const judgeLines = 5

func (t *Tailer) skip(g *follow.Gen) {
	if kind := LocustKind(g.Path); kind != "" {
		t.eng.warn(fmt.Sprintf("%s: Locust's %s file, read when tail stops", g.Path, kind))
	} else {
		t.eng.warn(fmt.Sprintf("%s: skipped: not a log format logcorr reads (name its format with --parser %s=FORMAT)", g.Path, g.Path))
	}
	t.skipped = append(t.skipped, g.Path)
	if tg := t.gens[g]; tg != nil && tg.src != nil {
		tg.src.Done()
	}
	delete(t.gens, g)
	t.fol.Ignore(g)
}

// headLines reads the first lines of a file to detect its format, whatever
// point following starts from.
func headLines(name string) []string {
	f, err := follow.OpenShared(name)
	if err != nil {
		return nil
	}
	defer f.Close()
	lr := source.NewLineReader(io.LimitReader(f, 512<<10))
	var lines []string
	for len(lines) < 2000 {
		l, err := lr.Next()
		if err != nil {
			break
		}
		lines = append(lines, l)
	}
	return lines
}

// start reads a generation with the reader its path's sample calls for.
func (t *Tailer) start(g *follow.Gen, tg *tailGen, sample []string) {
	if tg.src == nil {
		tg.src = t.live.Source(g.Path, g.N, t.now())
	}
	gen := g.N
	split, err := source.NewSplitter(g.Path, sample, t.opts, t.now(), func(ev parser.Event) {
		ev.Gen = gen
		t.eng.cat.count(&ev)
		tg.src.Push(ev)
	})
	if err != nil {
		// The sample was read by this same reader before: it cannot fail.
		panic(fmt.Sprintf("%s: %v", g.Path, err))
	}
	tg.split = split
	for _, l := range tg.pending {
		tg.split.Feed(parser.Line{Num: l.num, Text: l.text})
	}
	tg.src.SetOpen(split.Open())
	for _, n := range tg.notices {
		t.eng.warn(n)
	}
	tg.pending, tg.notices = nil, nil
}

// Line takes a line the follower read; now is when it was read.
func (t *Tailer) Line(g *follow.Gen, num int, text string, now time.Time) {
	tg := t.gens[g]
	if tg == nil {
		return // skipped while its lines were being read
	}
	t.lines++
	tg.spoke = true
	tg.lastLine, tg.flushed = now, false
	t.lastLine, t.ended = now, false
	if tg.split != nil {
		tg.src.Touch(now)
		tg.split.Feed(parser.Line{Num: num, Text: text})
		tg.src.SetOpen(tg.split.Open())
		return
	}
	if len(tg.pending) == 0 && locust.KindOf(text) != "" {
		// Locust's CSV files are known by their header, and read once
		// when tail stops: Locust rewrites most of them in place.
		t.skip(g)
		return
	}
	tg.pending = append(tg.pending, pendingLine{num, text})
	lines := make([]string, len(tg.pending))
	for i, l := range tg.pending {
		lines[i] = l.text
	}
	if _, err := source.NewSplitter(g.Path, lines, t.opts, now, nil); err == nil {
		t.samples[g.Path] = lines
		t.files = append(t.files, g.Path)
		t.start(g, tg, lines)
		return
	}
	if len(tg.pending) >= detectLimit {
		t.skip(g)
	}
}

func (t *Tailer) Closed(g *follow.Gen) {
	tg := t.gens[g]
	if tg == nil {
		return
	}
	if tg.split != nil {
		tg.split.Flush()
		tg.src.Done()
		d, gen := t.disorder[g.Path], tg.src.Disorder()
		d.Late += gen.Late
		d.Worst = max(d.Worst, gen.Worst)
		t.disorder[g.Path] = d
		for i, p := range tg.split.Parts() {
			t.eng.cat.describe(p, tg.split, i == 0)
		}
		for _, msg := range tg.split.LeftOut() {
			t.eng.warn(msg)
		}
	}
	tg.src.Done()
	delete(t.gens, g)
}

// flushQuiet asks the parsers of sources silent for LineWait for the record
// they hold open, so that it is not held past its window; a parser that
// can pause (parser.Pauser) decides what a pause means to it.
func (t *Tailer) flushQuiet(now time.Time) {
	for g, tg := range t.gens {
		// A file with lines still unread is behind, not silent: the
		// record it holds open may go on in them.
		if tg.split == nil || tg.flushed || g.Behind() || now.Sub(tg.lastLine) < LineWait {
			continue
		}
		tg.pause()
	}
}

// pause ends the record the generation's parsers hold open, as a pause in
// its lines does (parser.Pauser), and tells its live source.
func (tg *tailGen) pause() {
	tg.split.Pause()
	tg.src.SetOpen(tg.split.Open())
	tg.flushed = true
}

// endHeld dates the records the generation's parsers hold for a line to
// date them by the last time its file gave, as the end of input does, and
// tells its live source.
func (tg *tailGen) endHeld() {
	tg.split.Flush()
	tg.src.SetHolding(time.Time{}, false)
	tg.src.SetOpen(tg.split.Open())
}

// endOlderRecords ends the records the older generations of a path hold
// once a newer one has a line and they are read to their end: the writer
// has gone on to the new file. A record held open, written whole, does not
// go on in the old one; one held for the line that dates it (runserver's)
// finds none there, and takes the last time its file gave, as in analyze,
// where both end with their file. Waiting for the old file's end (--grace)
// or a pause would hold the watermark at them meanwhile.
func (t *Tailer) endOlderRecords() {
	spoke := map[string]int{}
	for g, tg := range t.gens {
		if tg.spoke && g.N > spoke[g.Path] {
			spoke[g.Path] = g.N
		}
	}
	for g, tg := range t.gens {
		if tg.ended || tg.split == nil || g.N >= spoke[g.Path] || g.Unread() > 0 {
			continue
		}
		tg.ended = true
		if _, holding := tg.split.Holding(); holding {
			tg.endHeld()
		} else if _, open := tg.split.Open(); open && !tg.flushed {
			tg.pause()
		}
	}
}

// behindNotice is how long tail must stay behind before it says so.
const behindNotice = 5 * time.Second

// noteBehind says on stderr when tail has been behind for a while (lines
// on disk unread, chains delayed), and when it has caught up.
func (t *Tailer) noteBehind(behind bool) {
	now := t.now()
	switch {
	case behind && t.behindSince.IsZero():
		t.behindSince = now
	case behind && !t.saidBehind && now.Sub(t.behindSince) >= behindNotice:
		t.saidBehind = true
		t.eng.warn(fmt.Sprintf("behind: %s on disk not read yet; chains come as it is read, in the order analyze gives them", sizeOf(t.fol.Unread())))
	case !behind && !t.behindSince.IsZero():
		if t.saidBehind {
			t.eng.warn(fmt.Sprintf("caught up after %s behind", now.Sub(t.behindSince).Round(time.Second)))
		}
		t.behindSince, t.saidBehind = time.Time{}, false
	}
}

// StatusEvery is how often tail says, on a terminal's stderr, where it is.
const StatusEvery = 15 * time.Second

// status says, every StatusEvery on a terminal, how many chains are out
// and how many requests wait for their response or their window: a chain
// comes only once its window closed (--after past its anchor, and a
// request's access line may come a minute after its error), so mid-test
// fewer chains than failures is waiting, not loss.
func (t *Tailer) status() {
	now, eng := t.now(), t.eng
	if !t.statusOn {
		return
	}
	if t.said.IsZero() {
		t.said = now
		return
	}
	if now.Sub(t.said) < StatusEvery {
		return
	}
	t.said = now
	t.eng.warn(fmt.Sprintf("%s: %d chains out, %d requests waiting for their response or window", now.Format("15:04:05"), eng.chains, eng.corr.Waiting()))
}

func sizeOf(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KB", (n+1023)/1024)
}

// ahead tells the follower to leave a file unread this poll: its newest
// line is far ahead of the slowest file that is behind, or of the
// watermark. The slowest file behind is left unread only while the
// watermark moves: reading always gets on, and a record held for a line
// that never comes (a server stopped mid-request) holds it for twice
// --idle at most (a log read to its end that holds the watermark is quiet
// after --idle, and lets it move first).
func (t *Tailer) ahead(g *follow.Gen) bool {
	tg := t.gens[g]
	if tg == nil || tg.src == nil || t.readTo.IsZero() || g == t.slowestGen {
		return false
	}
	newest, ok := tg.src.Newest()
	return ok && newest.After(t.readTo.Add(t.holdAhead))
}

// noteSlowest finds the newest line of the slowest file that is behind,
// and how far ahead of event time files may be read: a log read to its
// end holds the watermark by the wall clock (its lines' lag) until it is
// quiet, and what is read meanwhile would only wait in memory.
func (t *Tailer) noteSlowest(now time.Time) {
	t.slowest, t.slowestGen, t.readTo = time.Time{}, nil, time.Time{}
	for g, tg := range t.gens {
		if tg.src == nil || !g.Behind() {
			continue
		}
		if newest, ok := tg.src.Newest(); ok && (t.slowest.IsZero() || newest.Before(t.slowest)) {
			t.slowest, t.slowestGen = newest, g
		}
	}
	t.readTo = t.slowest
	wm, ok := t.live.Mark()
	if !ok {
		return
	}
	if wm.After(t.mark) {
		t.mark, t.marked = wm, now
	}
	if !t.slowest.IsZero() && wm.Add(t.holdAhead).Before(t.slowest) && now.Sub(t.marked) < 2*t.idle {
		t.readTo, t.slowestGen = wm, nil
	}
}

// step reads what the files gained and hands out what is settled; it
// reports whether lines are left on disk unread (tail is behind).
func (t *Tailer) step() bool {
	// Every file is read after polled: a log silent since before then
	// has been silent that long, however long the others took to read (a
	// big chunk of one must not make the rest look quiet, and their next
	// lines late).
	polled := t.now()
	t.noteSlowest(polled)
	t.fol.Poll()
	for g, tg := range t.gens {
		if tg.split != nil {
			tg.src.SetBehind(g.Behind())
			tg.src.SetHolding(tg.split.Holding())
		}
	}
	t.flushQuiet(polled)
	t.endOlderRecords()
	t.endWhenAllQuiet(polled)
	t.live.Tick(polled)
	return t.fol.Behind()
}

// endWhenAllQuiet ends what the input holds open, as the end of analyze's
// files does, once every log has been silent for endQuiet: the records
// parsers hold (runserver dates an error record by the timed line after
// it, and a server stopped mid-request writes none) and the requests still
// waiting for reports (those it never answered). Waiting for them would
// hold the last chains until Ctrl-C, or a minute (--same-request). Should
// the logs go on after such a silence, a report of a request begun before
// it counts as a request of its own.
func (t *Tailer) endWhenAllQuiet(now time.Time) {
	if t.ended || t.lastLine.IsZero() || now.Sub(t.lastLine) < t.endQuiet || t.fol.Behind() {
		return
	}
	t.ended = true
	for _, tg := range t.gens {
		if tg.split == nil {
			continue
		}
		if _, holding := tg.split.Holding(); holding {
			tg.endHeld()
		}
	}
	t.live.End()
}
