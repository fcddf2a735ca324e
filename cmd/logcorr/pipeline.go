package main

import (
	"time"

	"github.com/logcorr/logcorr/correlate"
	"github.com/logcorr/logcorr/parser"
	"github.com/logcorr/logcorr/report"
	"github.com/logcorr/logcorr/verdict"
)

// pipeline is what analyze and tail share after the parsers: the
// correlator, what counts its events (traffic, coverage) and its chains
// (coverage notes, the tally), and the renderer.
type pipeline struct {
	cfg      correlate.Config
	corr     *correlate.Correlator
	out      report.Renderer
	tally    *verdict.Tally
	traffic  *verdict.Traffic
	coverage *verdict.Coverage
	// latency is the per-path latency summary, with --slow.
	latency *verdict.Latency
	// renderErr is the first error writing a chain; no chain is written
	// after it. chains counts those written before.
	renderErr error
	chains    int
	// noClient leaves out the client check: the server's logs were not
	// read whole (tail followed some from their end).
	noClient bool
	// queue, when set (renderAhead), takes chains to the renderer's own
	// goroutine; rendered is closed once it has written them all.
	queue    chan correlate.Chain
	rendered chan struct{}
}

func newPipeline(cfg correlate.Config, out report.Renderer, coverage *verdict.Coverage) *pipeline {
	p := &pipeline{cfg: cfg, out: out, tally: verdict.NewTally(), traffic: verdict.NewTraffic(cfg.Paths), coverage: coverage}
	if cfg.Slow > 0 {
		p.latency = verdict.NewLatency(cfg.Paths)
	}
	p.corr = correlate.New(cfg, p.chain)
	return p
}

func (p *pipeline) chain(ch correlate.Chain) {
	ch.Notes = p.coverage.Check(&ch, p.cfg.Before, p.cfg.After)
	p.tally.Chain(&ch)
	if p.latency != nil {
		p.latency.Chain(&ch)
	}
	if p.queue != nil {
		p.queue <- ch
		return
	}
	p.render(&ch)
}

func (p *pipeline) render(ch *correlate.Chain) {
	if p.renderErr == nil {
		p.renderErr = p.out.Chain(ch)
		if p.renderErr == nil {
			p.chains++
		}
	}
}

// renderAhead writes chains on a goroutine of its own, a few hundred
// behind the correlator: writing them (JSON above all) is the largest cost
// on the merge's goroutine after the correlator's own, and that goroutine
// alone takes most of a large run's time. The chains come out in the same
// order; renderErr and chains are the renderer's until drain. For analyze:
// tail writes each chain at once.
func (p *pipeline) renderAhead() {
	p.queue, p.rendered = make(chan correlate.Chain, 256), make(chan struct{})
	go func() {
		defer close(p.rendered)
		for ch := range p.queue {
			p.render(&ch)
		}
	}()
}

// drain waits until every chain handed on is written.
func (p *pipeline) drain() {
	if p.queue != nil {
		close(p.queue)
		<-p.rendered
		p.queue = nil
	}
}

// add hands the correlator an event placed at key (correlate.Merge) and
// counts it.
func (p *pipeline) add(ev parser.Event, key time.Time) {
	p.count(&ev, p.corr.AddAt(ev, key))
}

// count is correlate.Live's Tap: the traffic of the --since/--until range,
// and each log's coverage whatever the range.
func (p *pipeline) count(ev *parser.Event, cause *correlate.Cause) {
	if p.cfg.InRange(ev.Time) {
		p.traffic.Event(ev, cause)
		if p.latency != nil {
			p.latency.Event(ev)
		}
	}
	p.coverage.Event(ev)
}

// setRange changes --since/--until before any event came: a naive bound
// waited for the logs' zone.
func (p *pipeline) setRange(since, until time.Time) {
	p.cfg.Since, p.cfg.Until = since, until
	p.corr.SetRange(since, until)
}
