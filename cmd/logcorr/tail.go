package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/logcorr/logcorr/engine"
	"github.com/logcorr/logcorr/report"
	"github.com/logcorr/logcorr/source"
)

type tailCmd struct {
	matchFlags
	FromStart  bool          `name:"from-start" help:"Read files that already exist from their beginning (default: from their end)."`
	Interval   time.Duration `name:"interval" default:"100ms" help:"How often files are checked for new lines, rotation and truncation."`
	Idle       time.Duration `name:"idle" default:"5s" help:"A log silent this long stops holding chains back (docs/tail.md)."`
	Grace      time.Duration `name:"grace" default:"2s" help:"Keep reading a rotated-away file this long after it last grew."`
	Duration   time.Duration `name:"duration" help:"Stop after this long (default: until Ctrl-C)."`
	StopWithin time.Duration `name:"stop-within" default:"1s" help:"When stopping far behind, read what the files hold for at most this long before the summary; what is left is named on stderr."`
	Paths      []string      `arg:"" name:"PATH" predictor:"file" help:"Log files or folders to follow; they need not exist yet."`
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

// newTailer follows the command's paths on the clock now, into eng.
// generations, when not nil, counts the files each path has named.
func (c *tailCmd) newTailer(e *env, opts *source.Options, eng *engine.Engine, now func() time.Time, generations map[string]int) *engine.Tailer {
	return eng.Follow(opts, engine.FollowOptions{Paths: c.Paths, FromStart: c.FromStart, Grace: c.Grace, Idle: c.Idle,
		Now: now, Status: e.stderrTerminal && !e.quiet, Generations: generations, ReadLimit: tailReadLimit})
}

// tailReadLimit, when not 0, is how much of each file a poll reads at most
// (engine.FollowOptions.ReadLimit): tests scale it to a short capture.
var tailReadLimit int64

// pipelineGrace is how long tail, interrupted, lets the rest of its
// pipeline end before it looks whether its reader is still there.
const pipelineGrace = 200 * time.Millisecond

func (c *tailCmd) Run(e *env) error {
	cfg, opts, err := c.setup(e)
	if err != nil {
		return err
	}
	if err := outputIsInput(c.Output, c.Paths, true); err != nil {
		return err
	}
	done, err := c.redirect(e)
	if err != nil {
		return err
	}
	defer done()
	defer catchBrokenPipe()()
	// tail estimates no zone: naive bounds stay in --tz's or the local one.
	if _, err := c.bounds(&cfg, opts.Loc, true); err != nil {
		return err
	}
	if c.Interval <= 0 || c.Idle <= 0 || c.Grace <= 0 || c.Duration < 0 || c.StopWithin < 0 {
		return errors.New("--interval, --idle and --grace must be positive, --duration and --stop-within not negative")
	}
	for _, p := range c.Paths {
		if p == source.Stdin {
			return errors.New("tail follows files and folders; to read stdin use analyze -")
		}
	}
	run := &report.Run{Config: cfg}
	sel, err := c.selection()
	if err != nil {
		return err
	}
	// How many files each followed path has named: set as they open,
	// read as chains are written, both on this goroutine.
	generations := map[string]int{}
	generationsOf := func(path string) int { return generations[path] }
	eng := engine.New(cfg, report.New(c.Format, e.stdout, report.Options{Live: true, Color: c.colour(e), Select: sel,
		Generations: generationsOf}), engine.NewCatalog(), e.warn)
	// tail reads naive times in --tz or the local zone: it estimates none.
	eng.ShowIn(opts.Loc)
	t := c.newTailer(e, opts, eng, time.Now, generations)

	ticker := time.NewTicker(c.Interval)
	defer ticker.Stop()
	var stop <-chan time.Time
	if c.Duration > 0 {
		timer := time.NewTimer(c.Duration)
		defer timer.Stop()
		stop = timer.C
	}
	for running := true; running && eng.RenderErr() == nil; {
		read := t.Lines()
		behind := t.Step()
		if behind && t.Lines() > read {
			// The next piece at once, unless told to stop. Behind with
			// nothing read, every file waits for the watermark: the
			// next look is the ticker's.
			select {
			case <-e.ctx.Done():
				running = false
			case <-stop:
				running = false
			default:
			}
			continue
		}
		select {
		case <-e.ctx.Done():
			running = false
		case <-stop:
			running = false
		case <-ticker.C:
		}
	}
	// Ctrl-C in a terminal interrupts a whole pipeline: a reader of ours
	// (jq, cat) ends with us, and what we write now would be lost in the
	// pipe. Given a moment to go, a gone reader is seen, and the last
	// chains and the summary go to stderr, as text.
	if e.ctx.Err() != nil && isPipe(e.stdout) {
		time.Sleep(pipelineGrace)
		if readerGone(e.stdout) {
			e.warn(fmt.Sprintf("stdout was closed (its reader ended with the interrupt) after %d chains; the last chains and the summary follow here", eng.Chains()))
			// The chains a selection held (--top) were the old
			// renderer's, and are lost with stdout; the rest keep the
			// selection.
			eng.Rerender(report.New("text", e.stderr, report.Options{Live: true, Select: sel, Generations: generationsOf}))
		}
	}
	if n := eng.Waiting(); n > 0 && e.ctx.Err() != nil {
		e.warn(fmt.Sprintf("stopping: %d requests were waiting for their response or window; their chains follow, as analyze would give them at the end of these logs", n))
	}
	// Stopping: read what is there (far behind, for --stop-within at
	// most), end every record, and hand out every chain left, as analyze
	// does at the end of its files.
	t.Finish(run, c.StopWithin)
	if err := finish(e, eng, run); err != nil {
		return err
	}
	return c.exit(run, false)
}
