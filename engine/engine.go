// Package engine is the one run analyze and tail share: each log's events,
// put in one order (correlate.Merge for saved files, correlate.Live for
// followed ones), go to one correlator, the verdict's taps and a renderer,
// and the run's summary is made from them alike (what each log held, the
// hypothesis table, the client check). cmd/logcorr maps flags, exit codes
// and terminals onto it.
package engine

import (
	"slices"
	"sort"
	"time"

	"github.com/logcorr/logcorr/correlate"
	"github.com/logcorr/logcorr/locust"
	"github.com/logcorr/logcorr/parser"
	"github.com/logcorr/logcorr/report"
	"github.com/logcorr/logcorr/source"
	"github.com/logcorr/logcorr/verdict"
)

// Engine is what follows the parsers: the correlator, what counts its
// events (traffic, coverage, the catalogue of sources) and its chains
// (coverage notes, the tally), and the renderer.
type Engine struct {
	cfg      correlate.Config
	corr     *correlate.Correlator
	out      report.Renderer
	tally    *verdict.Tally
	traffic  *verdict.Traffic
	coverage *verdict.Coverage
	cat      *Catalog
	// shown is the zone chains are shown in (ShowIn), nil for their own.
	shown *time.Location
	// warn says something on stderr (the command decides how, or not).
	warn func(string)
	// latency is the per-path latency summary, with --slow.
	latency *verdict.Latency
	// renderErr is the first error writing a chain; no chain is written
	// after it. chains counts those written before.
	renderErr error
	chains    int
	// noClient leaves out the client check: the server's logs were not
	// read whole (tail followed some from their end).
	noClient bool
	// queue, when set (RenderAhead), takes chains to the renderer's own
	// goroutine; rendered is closed once it has written them all.
	queue    chan correlate.Chain
	rendered chan struct{}
	// rendering is the chain being written when no goroutine writes them.
	rendering correlate.Chain
	// tallies, when set (Survey), count each stream's events as the zone
	// survey does, for SurveyedClocks.
	tallies map[*source.Stream]*tally
	// reached is the time of the last event Read handed on; stop, when
	// set, ends Read there (StopWhen), and stopped says it did.
	reached time.Time
	stop    func() bool
	stopped bool
}

// New starts a run writing chains to out. The catalogue has the sources
// found so far (analyze opens every file first; tail finds them as they
// come); their coverage is followed from now on.
func New(cfg correlate.Config, out report.Renderer, cat *Catalog, warn func(string)) *Engine {
	e := &Engine{cfg: cfg, out: out, cat: cat, warn: warn, tally: verdict.NewTally(), traffic: verdict.NewTraffic(cfg.Paths),
		coverage: verdict.NewCoverage(cat.kinds())}
	cat.coverage = e.coverage
	if cfg.Slow > 0 {
		e.latency = verdict.NewLatency(cfg.Paths)
	}
	e.corr = correlate.New(cfg, e.chain)
	return e
}

func (e *Engine) chain(ch correlate.Chain) {
	if e.shown != nil {
		ch.Time = ch.Time.In(e.shown)
		if !ch.Began.IsZero() {
			ch.Began = ch.Began.In(e.shown)
		}
	}
	ch.Notes = e.coverage.Check(&ch, e.cfg.Before, e.cfg.After)
	e.tally.Chain(&ch)
	if e.latency != nil {
		e.latency.Chain(&ch)
	}
	if e.queue != nil {
		e.queue <- ch
		return
	}
	// Rendered from a field: a chain handed to the renderer's interface
	// from here would be moved to the heap, every chain.
	e.rendering = ch
	e.render(&e.rendering)
}

func (e *Engine) render(ch *correlate.Chain) {
	if e.renderErr == nil {
		e.renderErr = e.out.Chain(ch)
		if e.renderErr == nil {
			e.chains++
		}
	}
}

// RenderAhead writes chains on a goroutine of its own, a few hundred
// behind the correlator: writing them (JSON above all) is the largest cost
// on the merge's goroutine after the correlator's own, and that goroutine
// alone takes most of a large run's time. The chains come out in the same
// order; RenderErr and Chains are the renderer's until Drain. For saved
// files: tail writes each chain at once.
func (e *Engine) RenderAhead() {
	e.queue, e.rendered = make(chan correlate.Chain, 256), make(chan struct{})
	go func() {
		defer close(e.rendered)
		// One variable for every chain: each taken into its own was moved
		// to the heap (a renderer keeps a copy of what it keeps).
		var ch correlate.Chain
		for ch = range e.queue {
			e.render(&ch)
		}
	}()
}

// Drain waits until every chain handed on is written.
func (e *Engine) Drain() {
	if e.queue != nil {
		close(e.queue)
		<-e.rendered
		e.queue = nil
	}
}

// add hands the correlator an event placed at key (correlate.Merge) and
// counts it.
func (e *Engine) add(ev *parser.Event, key time.Time) {
	e.cat.count(ev)
	e.count(ev, e.corr.AddAt(ev, key))
}

// count is correlate.Live's Tap: the traffic of the --since/--until range,
// and each log's coverage whatever the range.
func (e *Engine) count(ev *parser.Event, cause *correlate.Cause) {
	if e.cfg.InRange(ev.Time) {
		e.traffic.Event(ev, cause)
		if e.latency != nil {
			e.latency.Event(ev)
		}
	}
	e.coverage.Event(ev)
}

// ShowIn makes loc the zone chains' times are shown in (their anchor's
// time, when the request began), and the summary's (report.Run.Zone): a
// proxy's line zoned in UTC among the app's naive lines read in the --tz
// zone would otherwise head its chain in another clock than the chains
// around it. nil shows each in its own.
func (e *Engine) ShowIn(loc *time.Location) { e.shown = loc }

// SetRange changes --since/--until before any event came: a naive bound
// waited for the logs' zone.
func (e *Engine) SetRange(since, until time.Time) {
	e.cfg.Since, e.cfg.Until = since, until
	e.corr.SetRange(since, until)
}

// RenderErr is the error that stopped chains from being written, if any.
func (e *Engine) RenderErr() error { return e.renderErr }

// Chains is how many chains were written.
func (e *Engine) Chains() int { return e.chains }

// Waiting is how many requests wait for their response or their window.
func (e *Engine) Waiting() int { return e.corr.Waiting() }

// Rerender writes the chains still to come, and the summary, with out
// (the reader of the first renderer's output is gone).
func (e *Engine) Rerender(out report.Renderer) {
	e.out, e.renderErr = out, nil
}

// Summarize completes a run's summary once every chain is out: the
// hypothesis table, the client check against Locust's run, load levels
// and pool pressure.
func (e *Engine) Summarize(run *report.Run, lr *locust.Run) {
	tally, traffic := e.tally, e.traffic
	run.Summary = e.corr.Summary()
	run.Zone = e.shown
	run.Outside = e.coverage.Outside()
	run.Hypotheses = tally.Table(run.Config.Causes, run.Summary, e.cat.kinds())
	run.Pressure = traffic.PoolPressure()
	wanted := run.Config.WantsStatus
	if run.Summary.Anchors == 0 {
		run.Elsewhere, run.Nearest = traffic.Elsewhere(wanted, run.Config.Paths)
	}
	if len(run.Config.Statuses) > 0 {
		run.Unanchored = traffic.Unanchored(wanted, run.Config.Paths, run.Config.Methods, tally.Anchors())
	}
	if e.latency != nil {
		run.Latency = e.latency.Paths(run.Config.Paths)
	}
	// A path's requests are those of the methods its anchors had (POST
	// for a failing login, not the GETs of its form), all when it had none.
	methods := map[string]map[string]bool{}
	for r := range tally.Anchors() {
		if methods[r.Path] == nil {
			methods[r.Path] = map[string]bool{}
		}
		methods[r.Path][r.Method] = true
	}
	for _, path := range run.Config.Paths {
		n := 0
		ms := methods[path]
		if len(ms) == 0 || ms[""] {
			ms = map[string]bool{"": true}
		}
		for m := range ms {
			for _, k := range traffic.Access(m, path) {
				n += k
			}
		}
		if n > 0 {
			if run.Requests == nil {
				run.Requests = map[string]int{}
			}
			run.Requests[path] = n
		}
	}
	run.Marks, run.Signs = tally.Marks(), traffic.SignsPerSecond()
	for _, s := range lr.History {
		run.Users = append(run.Users, report.UsersAt{Time: s.Time, Users: s.Users})
	}
	run.LowestLoad = -1
	ranged := !run.Config.Since.IsZero() || !run.Config.Until.IsZero()
	if lr.Found() && ranged {
		e.warn("Locust's totals cover its whole run, not the --since/--until range, so they are not compared with the server's")
	}
	if lr.Found() {
		if !ranged && !e.noClient {
			run.Client = verdict.CheckClient(lr, traffic, tally.Anchors(), run.Config.Paths)
		}
		// Each level's rate is per response of the anchors' methods (a
		// login POST, not a GET of its form).
		var methods []string
		for r := range tally.Anchors() {
			if r.Method != "" && !slices.Contains(methods, r.Method) {
				methods = append(methods, r.Method)
			}
		}
		sort.Strings(methods)
		run.Load, run.LowestLoad, run.OutsideLoad = verdict.Load(lr, traffic, tally.AnchorsPerSecond(), methods)
		run.LoadMethods = methods
		if n := len(lr.History); n > 0 {
			run.LoadSpan = [2]time.Time{lr.History[0].Time, lr.History[n-1].Time}
		}
	}
}

// Finish warns about clocks that look unset and writes the summary, unless
// writing chains already failed; it returns the error that stopped the
// output, if any.
func (e *Engine) Finish(run *report.Run) error {
	for _, w := range clockWarnings(run.Sources) {
		e.warn(w)
	}
	if e.renderErr != nil {
		return e.renderErr
	}
	return e.out.Finish(run)
}
