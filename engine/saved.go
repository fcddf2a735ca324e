package engine

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/logcorr/logcorr/correlate"
	"github.com/logcorr/logcorr/locust"
	"github.com/logcorr/logcorr/report"
	"github.com/logcorr/logcorr/source"
)

// Read reads saved logs' streams to their end, their events merged in
// event time order (correlate.Merge), and hands out every chain; onError
// hears why a stream could not be read on. It returns how far each
// stream's lines were out of order.
func (e *Engine) Read(streams []*source.Stream, onError func(error)) []correlate.Disorder {
	srcs := make([]correlate.Source, len(streams))
	for i, s := range streams {
		srcs[i] = e.source(s)
	}
	merge := correlate.NewMerge(srcs...)
	defer merge.Close()
	merge.OnError = func(_ int, err error) { onError(err) }
	for {
		ev, err := merge.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if e.stop != nil && e.stop() {
			e.stopped = true
			break
		}
		e.reached = merge.Key()
		e.add(ev, e.reached)
	}
	e.corr.Close()
	e.Drain()
	disorder := make([]correlate.Disorder, len(streams))
	for i := range streams {
		disorder[i] = merge.Disorder(i)
	}
	return disorder
}

// StopWhen makes Read end early once stop says true (source.Options.Stop):
// the merge stops between two events, so every log is read up to the same
// time, Reached, and the chains are those of logs that ended there. It is
// asked for every event, so it must be cheap.
func (e *Engine) StopWhen(stop func() bool) { e.stop = stop }

// Reached is how far in time Read got: the time of the last event it
// handed on, in the merged order (zero before any).
func (e *Engine) Reached() time.Time { return e.reached }

// Stopped reports whether Read ended early (StopWhen), before the logs'
// end: a stop asked once it had read them all changes nothing.
func (e *Engine) Stopped() bool { return e.stopped }

// Sources is what the summary says of a stream read (Read) and its
// logical sources; disorder is the stream's.
func (e *Engine) Sources(s *source.Stream, disorder correlate.Disorder) []report.SourceInfo {
	var names []string
	for i, p := range s.Parts() {
		e.cat.describe(p, s.Splitter(), i == 0)
		names = append(names, p.Name)
	}
	return e.sources(names, disorder)
}

// LocustKind tells a Locust CSV file by its first line.
func LocustKind(path string) locust.Kind {
	f, err := source.OpenFile(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	line, _ := bufio.NewReader(io.LimitReader(f, 4096)).ReadString('\n')
	return locust.KindOf(line)
}

// DateYears gives the logs whose times carry no year (syslog's, journald's
// "Nov 26 17:15:09") the year of their own program's lines when it writes
// one (uWSGI's request lines through syslog), else that of the other logs
// of the run, which write it: a file's modification time is no guide to a
// log copied, or kept, a year later. It says which year was taken, and from
// where.
func DateYears(opts *source.Options, streams []*source.Stream, warn func(string)) {
	var ref time.Time
	var refFrom string
	type yearlessLog struct {
		s   *source.Stream
		own time.Time
	}
	var yearless []yearlessLog
	for _, s := range streams {
		no, first, ok := s.Survey(opts)
		switch {
		case no:
			yearless = append(yearless, yearlessLog{s, first})
		case ok && (ref.IsZero() || first.Before(ref)):
			ref, refFrom = first, s.Input.Name
		}
	}
	for _, y := range yearless {
		s := y.s
		if !y.own.IsZero() {
			s.Splitter().SetYearRef(y.own)
			warn(fmt.Sprintf("%s: its collector's times carry no year; took the year nearest to the times its program wrote with one (%s)",
				s.Input.Name, y.own.Format("2006-01-02")))
			continue
		}
		if ref.IsZero() {
			warn(fmt.Sprintf("%s: its times carry no year; took %d from the file's modification time (%s), as no other log read gives one",
				s.Input.Name, s.ModTime.Year(), s.ModTime.Format("2006-01-02")))
			continue
		}
		s.Splitter().SetYearRef(ref)
		warn(fmt.Sprintf("%s: its times carry no year; took the year nearest to %s's times (%s)",
			s.Input.Name, filepath.Base(refFrom), ref.Format("2006-01-02")))
	}
}
