package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/logcorr/logcorr/correlate"
	"github.com/logcorr/logcorr/follow"
	"github.com/logcorr/logcorr/locust"
	"github.com/logcorr/logcorr/parser"
	"github.com/logcorr/logcorr/report"
	"github.com/logcorr/logcorr/source"
	"github.com/logcorr/logcorr/verdict"
)

type tailCmd struct {
	matchFlags
	FromStart bool          `name:"from-start" help:"Read files that already exist from their beginning (default: from their end)."`
	Interval  time.Duration `name:"interval" default:"100ms" help:"How often files are checked for new lines, rotation and truncation."`
	Idle      time.Duration `name:"idle" default:"5s" help:"A log silent this long stops holding chains back (docs/tail.md)."`
	Grace     time.Duration `name:"grace" default:"2s" help:"Keep reading a rotated-away file this long after it last grew."`
	Duration  time.Duration `name:"duration" help:"Stop after this long (default: until Ctrl-C)."`
	Paths     []string      `arg:"" name:"PATH" predictor:"file" help:"Log files or folders to follow; they need not exist yet."`
}

func (tailCmd) Help() string {
	return `Follows logs while they are written (during a load test, say), with the
parsers and the correlator of analyze: each chain is printed as soon as its
window has closed in event time, and the chains are those analyze prints
for the same lines. Files that appear later are read from their start;
rotation (rename and create, copytruncate, remove and create) loses no line.
Ctrl-C prints the remaining chains and the summary.

Examples:
  logcorr tail --tz Asia/Jakarta logs/
  logcorr tail --tz Asia/Jakarta --from-start --duration 2m logs/runserver.err.log logs/pgbouncer.log
  logcorr tail --format json logs/ | jq -c 'select(.type == "chain") | .cause'

Exit status: 0 when stopped by Ctrl-C, SIGTERM, SIGHUP or --duration (with
--exit-code, 1 when anchors were found); 2 on bad usage.`
}

// lineWait is how long a source may be silent before its parser is asked
// for the record it holds open (a record ends only when the next begins).
const lineWait = time.Second

// tailGen is the reading state of one generation of a followed file.
type tailGen struct {
	split    *source.Splitter
	src      *correlate.LiveSource
	pending  []pendingLine // lines read before the format was known
	notices  []string      // notices held back until then
	lastLine time.Time
	flushed  bool
}

type pendingLine struct {
	num  int
	text string
}

// tailer turns followed lines into events for the live correlator.
type tailer struct {
	e    *env
	opts *source.Options
	live *correlate.Live
	fol  *follow.Follower
	// samples are the lines each path's format was found from, so that a
	// later generation (after a rotation) is read as the first was.
	samples map[string][]string
	gens    map[*follow.Gen]*tailGen
	cat     *catalog
	// files are the paths read, in the order their format was found.
	files   []string
	skipped []string
	now     func() time.Time
}

// detectLimit is how many lines a new, empty-at-first file may show before
// it is given up as no log format logcorr reads.
const detectLimit = 200

// Notice says on stderr what happened to a file, except while its format is
// still unknown: a file that turns out to be no log (Locust rewrites its CSV
// files in place, which reads as truncation) is named once, when skipped.
func (t *tailer) Notice(path, msg string) {
	for g, tg := range t.gens {
		if g.Path == path && tg.split == nil {
			tg.notices = append(tg.notices, msg)
			return
		}
	}
	t.e.warn(msg)
}

func (t *tailer) Opened(g *follow.Gen) {
	tg := &tailGen{lastLine: t.now()}
	t.gens[g] = tg
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

func (t *tailer) skip(g *follow.Gen) {
	if kind := locustKind(g.Path); kind != "" {
		t.e.warn(fmt.Sprintf("%s: Locust's %s file, read when tail stops", g.Path, kind))
	} else {
		t.e.warn(fmt.Sprintf("%s: skipped: not a log format logcorr reads (name its format with --parser %s=FORMAT)", g.Path, g.Path))
	}
	t.skipped = append(t.skipped, g.Path)
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
func (t *tailer) start(g *follow.Gen, tg *tailGen, sample []string) {
	tg.src = t.live.Source(g.Path, g.N, t.now())
	gen := g.N
	split, err := source.NewSplitter(g.Path, sample, t.opts, t.now(), func(ev parser.Event) {
		ev.Gen = gen
		t.cat.count(&ev)
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
	for _, n := range tg.notices {
		t.e.warn(n)
	}
	tg.pending, tg.notices = nil, nil
}

func (t *tailer) Line(g *follow.Gen, num int, text string) {
	tg := t.gens[g]
	if tg == nil {
		return // skipped while its lines were being read
	}
	now := t.now()
	tg.lastLine, tg.flushed = now, false
	if tg.split != nil {
		tg.src.Touch(now)
		tg.split.Feed(parser.Line{Num: num, Text: text})
		if at, ok := tg.split.Open(); ok {
			tg.src.Seen(at)
		}
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

func (t *tailer) Closed(g *follow.Gen) {
	tg := t.gens[g]
	if tg == nil {
		return
	}
	if tg.split != nil {
		tg.split.Flush()
		tg.src.Done()
		for i, p := range tg.split.Parts() {
			t.cat.describe(p, tg.split, i == 0)
		}
		for _, msg := range tg.split.LeftOut() {
			t.e.warn(msg)
		}
	}
	delete(t.gens, g)
}

// flushQuiet asks the parsers of sources silent for lineWait for the record
// they hold open, so that it is not held past its window; a parser that
// can pause (parser.Pauser) decides what a pause means to it.
func (t *tailer) flushQuiet(now time.Time) {
	for _, tg := range t.gens {
		if tg.split == nil || tg.flushed || now.Sub(tg.lastLine) < lineWait {
			continue
		}
		tg.split.Pause()
		tg.flushed = true
	}
}

// newTailer follows the command's paths on the clock now.
func (c *tailCmd) newTailer(e *env, opts *source.Options, pl *pipeline, cat *catalog, now func() time.Time) *tailer {
	t := &tailer{e: e, opts: opts, live: correlate.NewLive(pl.corr, correlate.DefaultSlack, c.Idle), cat: cat,
		samples: map[string][]string{}, gens: map[*follow.Gen]*tailGen{}, now: now}
	t.fol = follow.New(c.Paths, follow.Options{FromStart: c.FromStart, Grace: c.Grace, Now: now}, t)
	t.live.Tap = pl.count
	return t
}

// step reads what the files gained and hands out what is settled.
func (t *tailer) step() {
	// Every file is read to its end after polled: a log silent since
	// before then has been silent that long, however long the others
	// took to read (a big chunk of one must not make the rest look quiet,
	// and their next lines late).
	polled := t.now()
	t.fol.Poll()
	t.flushQuiet(polled)
	t.live.Tick(polled)
}

func (c *tailCmd) Run(e *env) error {
	cfg, opts, err := c.setup(e)
	if err != nil {
		return err
	}
	if c.Interval <= 0 || c.Idle <= 0 || c.Grace <= 0 || c.Duration < 0 {
		return errors.New("--interval, --idle and --grace must be positive, --duration not negative")
	}
	for _, p := range c.Paths {
		if p == source.Stdin {
			return errors.New("tail follows files and folders; to read stdin use analyze -")
		}
	}
	run := &report.Run{Config: cfg}
	pl := newPipeline(cfg, report.New(c.Format, e.stdout, report.Options{Live: true, Color: c.colour(e)}), verdict.NewCoverage(nil))
	cat := newCatalog()
	cat.coverage = pl.coverage
	opts.OnPart = cat.found
	t := c.newTailer(e, opts, pl, cat, time.Now)

	ticker := time.NewTicker(c.Interval)
	defer ticker.Stop()
	var stop <-chan time.Time
	if c.Duration > 0 {
		timer := time.NewTimer(c.Duration)
		defer timer.Stop()
		stop = timer.C
	}
	for running := true; running && pl.renderErr == nil; {
		t.step()
		select {
		case <-e.ctx.Done():
			running = false
		case <-stop:
			running = false
		case <-ticker.C:
		}
	}
	// Stopping: read what is there, end every record, and hand out every
	// chain left, as analyze does at the end of its files.
	t.fol.Close()
	t.live.Close()
	run.Summary = pl.corr.Summary()
	for _, f := range t.files {
		for _, name := range cat.ofFile(f) {
			info := cat.infos[name]
			info.Gaps = pl.coverage.Gaps(name)
			run.Sources = append(run.Sources, *info)
		}
	}
	run.Outside = pl.coverage.Outside()
	// Locust writes its CSV files in place and its summary at the end:
	// they are read now, once.
	lr := &locust.Run{}
	for _, p := range t.skipped {
		if kind := locustKind(p); kind != "" {
			if err := lr.ReadCSV(p, kind); err != nil {
				e.warn(err.Error())
			}
			run.Sources = append(run.Sources, report.SourceInfo{File: p, Format: "locust " + string(kind)})
			continue
		}
		run.Skipped = append(run.Skipped, p)
	}
	kinds := cat.kinds()
	for _, f := range t.files {
		if kinds[f] == string(parser.FamilyLocust) {
			if err := lr.ReadConsole(f); err != nil {
				e.warn(err.Error())
			}
		}
	}
	pl.complete(e, run, lr, kinds)
	if err := pl.finish(e, run); err != nil {
		return err
	}
	return c.exit(run, false)
}
