package main

import (
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/logcorr/logcorr/source"
)

// progress shows, when stderr is a terminal, how much of its input analyze
// has read: a bar with bytes, rate and time left. The bar appears once the
// inputs are open and their sizes known, and counts what is left to read
// from then (counting the first lines, read to detect formats, would make
// its first rate a burst of gigabytes a second).
type progress struct {
	e *env
	// read is added to by every file's reader, each on its goroutine.
	read atomic.Int64
	bar  *progressbar.ProgressBar
}

func newProgress(e *env) *progress { return &progress{e: e} }

// add is source.Options.Read.
func (p *progress) add(n int) {
	p.read.Add(int64(n))
	if p.bar != nil {
		_ = p.bar.Add64(int64(n))
	}
}

// total starts the bar for passes reads of the streams' files; from stdin
// there is no size, and the bar shows bytes and rate only.
func (p *progress) total(streams []*source.Stream, passes int) {
	if !p.e.stderrTerminal || p.e.quiet {
		return
	}
	var total int64
	for _, s := range streams {
		size := s.Size()
		if size < 0 {
			total = -1
			break
		}
		total += size * int64(passes)
	}
	if total > 0 {
		total = max(total-p.read.Load(), 1)
	}
	every := p.e.barEvery
	if every == 0 {
		every = 100 * time.Millisecond
	}
	p.bar = progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(p.e.stderr),
		progressbar.OptionSetDescription("reading logs"),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowCount(),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(every),
		progressbar.OptionClearOnFinish(),
	)
	// Drawn empty now, the bar starts its clock: its first rate then
	// covers time, not one read.
	_ = p.bar.RenderBlank()
	p.e.beforeStderr = p.clear
}

// onePass sizes the bar for one reading of the streams' files from what it
// has counted so far: zones guessed spared their second reading.
func (p *progress) onePass(streams []*source.Stream) {
	if p.bar == nil || p.bar.GetMax64() < 0 {
		return
	}
	var size int64
	for _, s := range streams {
		if fi, err := os.Stat(s.Input.Path); err == nil {
			size += fi.Size()
		}
	}
	p.bar.ChangeMax64(p.bar.State().CurrentNum + size)
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
