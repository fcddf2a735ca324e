package main

import (
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/logcorr/logcorr/source"
)

// progress shows, when stderr is a terminal, how much of its input analyze
// has read: a bar with bytes, rate and time left. The total is known once
// the inputs are open; until then (formats being detected) it counts only.
type progress struct {
	e   *env
	bar *progressbar.ProgressBar
}

func newProgress(e *env) *progress {
	p := &progress{e: e}
	if !e.stderrTerminal {
		return p
	}
	p.bar = progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(e.stderr),
		progressbar.OptionSetDescription("reading logs"),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowCount(),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	e.beforeStderr = p.clear
	return p
}

// add is source.Options.Read.
func (p *progress) add(n int) {
	if p.bar != nil {
		_ = p.bar.Add64(int64(n))
	}
}

// total sets the bar's end to passes reads of the streams' files; from
// stdin there is no size, and the bar shows bytes and rate only.
func (p *progress) total(streams []*source.Stream, passes int) {
	if p.bar == nil {
		return
	}
	var total int64
	for _, s := range streams {
		fi, err := os.Stat(s.Input.Path)
		if s.Input.Path == source.Stdin || err != nil {
			return
		}
		total += fi.Size() * int64(passes)
	}
	p.bar.ChangeMax64(total)
}

// clear takes the bar off the line so that other output starts at its
// beginning; the bar comes back at its next update.
func (p *progress) clear() {
	if p.bar != nil {
		_ = p.bar.Clear()
	}
}

// done removes the bar for good.
func (p *progress) done() {
	if p.bar == nil {
		return
	}
	_ = p.bar.Finish()
	_ = p.bar.Clear()
	p.bar = nil
	p.e.beforeStderr = nil
}

// stdout is where the report goes: when it is the terminal the bar is on,
// each write first takes the bar off the line.
func (p *progress) stdout() io.Writer {
	if p.bar == nil || !p.e.stdoutTerminal {
		return p.e.stdout
	}
	return clearingWriter{p}
}

type clearingWriter struct{ p *progress }

func (c clearingWriter) Write(b []byte) (int, error) {
	c.p.clear()
	return c.p.e.stdout.Write(b)
}
