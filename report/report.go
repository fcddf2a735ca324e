// Package report renders evidence chains and the summary for people (text)
// and programs (JSON). Chains are written as they arrive, so output starts
// before the input ends and memory does not grow with the number of chains.
package report

import (
	"bufio"
	"fmt"
	"io"
	"time"

	"github.com/logcorr/logcorr/correlate"
	"github.com/logcorr/logcorr/verdict"
)

// SourceInfo describes one source read.
type SourceInfo struct {
	// File names the logical source: a file, or a program or service of a
	// file that holds several ("compose.log[pgbouncer-1]").
	File   string
	Format string
	// Envelope says how a collector wrapped the file's lines ("docker
	// compose logs", "journald json"), "" for a program's own file.
	Envelope string
	Zone     string
	Events   int
	// Unparsed counts lines the parser could not place.
	Unparsed int
	// Gaps are stretches of 30 s or more in which it wrote nothing.
	Gaps []verdict.Gap
	// Disorder is how far out of order the file's events came; it is
	// the file's, given with its first source.
	Disorder correlate.Disorder
	First    time.Time
	Last     time.Time
}

// Run describes what was analysed, for the summary.
type Run struct {
	Config  correlate.Config
	Sources []SourceInfo
	Skipped []string
	Summary correlate.Summary
	// Zone is the zone the run's times are shown in (Shown), nil for each
	// in its own: chains come with theirs in it (engine.Engine.ShowIn).
	Zone *time.Location
	// Requests counts the responses to each anchored path that access
	// lines show.
	Requests map[string]int
	// Hypotheses is the hypothesis table.
	Hypotheses verdict.Table
	// Client sets the load test's counts against the server's, when
	// Locust's files were read.
	Client []verdict.ClientCheck
	// Load is the anchors per Locust user count, LowestLoad the fewest
	// users at which an anchor appeared (-1: none, or no history).
	Load       []verdict.LoadLevel
	LowestLoad int
	// LoadMethods are the methods whose responses Load counts: the
	// anchors' (all when empty).
	LoadMethods []string
	// OutsideLoad counts anchors outside Locust's history, which spans
	// LoadSpan.
	OutsideLoad int
	LoadSpan    [2]time.Time
	// Elsewhere, in a run with no anchor, are the paths whose responses
	// had the anchors' status; Nearest names, for an anchored path no log
	// has, the path it was likely meant to be.
	Elsewhere []verdict.PathCount
	Nearest   map[string]string
	// Unanchored are the 5xx responses on the anchored paths whose status
	// is not anchored (verdict.Traffic.Unanchored).
	Unanchored []verdict.StatusCount
	// Latency is each anchored path's latency summary (--slow).
	Latency []verdict.PathLatency
	// Pressure is PgBouncer's pool wait over time, when it logged stats.
	Pressure *verdict.Pressure
	// Clocks says how the zones of sources with naive times were found,
	// for those the user gave none.
	Clocks []ClockReport
	// Outside counts, per PgBouncer or PostgreSQL log, the unexplained
	// anchors whose window it was silent over.
	Outside map[string]int
	// Marks are the anchors with their causes, for timelines; Signs the
	// lines showing each cause per second; Users Locust's user count.
	Marks verdict.Marks
	Signs map[string]*verdict.Seconds
	Users []UsersAt
}

// Shown gives a time in the zone a person reads the run in: Zone (the
// --tz zone, or the one estimated for the logs of naive times), else the
// first anchor's, else that of the logs of naive times; a log that writes
// UTC is shown in it too, so that one report has one clock.
func (r *Run) Shown(t time.Time) time.Time {
	if r.Zone != nil {
		return t.In(r.Zone)
	}
	if !r.Summary.First.IsZero() {
		return t.In(r.Summary.First.Location())
	}
	for _, src := range r.Sources {
		if src.Zone != "" && src.Events > 0 {
			return t.In(src.First.Location())
		}
	}
	return t
}

// UsersAt is Locust's user count at an instant.
type UsersAt struct {
	Time  time.Time
	Users int
}

// ClockReport is the zone logcorr estimated for one source.
type ClockReport struct {
	File     string
	Estimate verdict.Estimate
	// Applied is set when the estimate became the source's zone; Note
	// says why not otherwise.
	Applied bool
	Note    string
	// Collector, when set, is the envelope whose zoned times for the
	// source's lines gave the offset: Agree of the Compared naive times
	// were that far from them. The activity fields of Estimate are unset.
	Collector       string
	Agree, Compared int
	// CollectorTimes: the estimate is of the times the collector wrote
	// without a zone (journald's short output, classic syslog), which date
	// the lines that carry none of their own, not of a program's.
	CollectorTimes bool
}

// Basis says in a few words what an applied estimate rests on.
func (c *ClockReport) Basis() string {
	if c.Collector != "" && !c.CollectorTimes {
		return fmt.Sprintf("from the times %s recorded for its lines", c.Collector)
	}
	return fmt.Sprintf("estimated from the logs (fit %.2f)", c.Estimate.Score)
}

// Renderer writes chains, then a summary.
type Renderer interface {
	Chain(c *correlate.Chain) error
	Finish(r *Run) error
}

// Options say how to render.
type Options struct {
	// Live writes JSON as one object per line (tail).
	Live bool
	// Color adds terminal colours to text.
	Color bool
	// Batch writes text and JSON chains when a large buffer fills rather
	// than each as it comes: for output no one watches (a file, a pipe)
	// from inputs that end, where a write per chain only costs.
	Batch bool
	// AnswerFirst opens text with the verdict, each cause's count and fix
	// and its strongest chain, then every chain and the summary (analyze:
	// the input ends, so the answer can come first).
	AnswerFirst bool
	// Select chooses the chains shown.
	Select Selection
	// Width cuts the lines of text that must fit a screen (0: 120).
	Width int
	// Closing ends text with the verdict once more, for a terminal, where
	// the end of the output stays on screen.
	Closing bool
	// Generations, when set, says how many files a followed path has named
	// so far (tail): once it is more than one, text names the file a line
	// came from by its generation, since the path now names another.
	Generations func(path string) int
}

// chainBuffer is the writer text and JSON chains go through.
func chainBuffer(w io.Writer, o Options) *bufio.Writer {
	if o.Batch {
		return bufio.NewWriterSize(w, 64<<10)
	}
	return bufio.NewWriter(w)
}

// chainWritten ends a chain: written out now, or left in the buffer when
// batching (a failed write of an earlier piece still shows).
func chainWritten(w *bufio.Writer, batch bool) error {
	if batch {
		_, err := w.Write(nil)
		return err
	}
	return w.Flush()
}

// New returns the renderer for a format name ("text", "json", "markdown",
// "html").
func New(format string, w io.Writer, o Options) Renderer {
	if format == "text" && o.AnswerFirst {
		width := o.Width
		if width <= 0 {
			width = 120
		}
		return &Text{w: bufio.NewWriterSize(w, 64<<10), pal: ansi(o.Color), answerFirst: true, sel: o.Select, width: width,
			closing: o.Closing, best: map[string][]kept{}}
	}
	r := newRenderer(format, w, o)
	if o.Select.active() {
		return &selecting{Renderer: r, sel: o.Select, best: map[string][]keptChain{}}
	}
	return r
}

func newRenderer(format string, w io.Writer, o Options) Renderer {
	switch {
	case format == "json" && o.Live:
		return NewNDJSON(w)
	case format == "json":
		return &JSON{w: chainBuffer(w, o), batch: o.Batch}
	case format == "markdown":
		return NewMarkdown(w)
	case format == "html":
		return NewHTML(w)
	}
	return &Text{w: chainBuffer(w, o), pal: ansi(o.Color), batch: o.Batch, gens: o.Generations}
}

// stamp writes an instant in the zone it was logged in, with the fraction
// the log gave.
// count writes n with a noun, singular for one: "1 anchor", "388 anchors".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// rangeText describes --since/--until, or "" when neither was given.
func rangeText(c *correlate.Config) string {
	switch {
	case !c.Since.IsZero() && !c.Until.IsZero():
		return fmt.Sprintf("only anchors from %s until %s", stamp(c.Since, 0), stamp(c.Until, 0))
	case !c.Since.IsZero():
		return fmt.Sprintf("only anchors from %s on", stamp(c.Since, 0))
	case !c.Until.IsZero():
		return fmt.Sprintf("only anchors before %s", stamp(c.Until, 0))
	}
	return ""
}

func stamp(t time.Time, prec time.Duration) string {
	var buf [40]byte
	switch {
	case prec >= time.Second || prec == 0 && t.Nanosecond() == 0:
		return string(appendStamp(buf[:0], t, 0))
	case prec >= time.Millisecond:
		return string(appendStamp(buf[:0], t, 3))
	case prec >= time.Microsecond:
		return string(appendStamp(buf[:0], t, 6))
	}
	return t.Format(time.RFC3339Nano)
}

// appendStamp appends t as t.Format("2006-01-02T15:04:05Z07:00") does,
// with digits of the second's fraction (the layout's ".000" or ".000000")
// when digits is 3 or 6. Every link of every chain has a time, and the
// layout read afresh for each was a tenth of writing a chain's JSON; a
// year past four digits, or an offset of odd seconds, goes to Format.
func appendStamp(b []byte, t time.Time, digits int) []byte {
	year, month, day := t.Date()
	_, offset := t.Zone()
	if year < 0 || year > 9999 || offset%60 != 0 {
		layout := "2006-01-02T15:04:05Z07:00"
		switch digits {
		case 3:
			layout = "2006-01-02T15:04:05.000Z07:00"
		case 6:
			layout = "2006-01-02T15:04:05.000000Z07:00"
		}
		return t.AppendFormat(b, layout)
	}
	hour, minute, second := t.Clock()
	b = appendDigits(b, year, 4)
	b = append(b, '-')
	b = appendDigits(b, int(month), 2)
	b = append(b, '-')
	b = appendDigits(b, day, 2)
	b = append(b, 'T')
	b = appendDigits(b, hour, 2)
	b = append(b, ':')
	b = appendDigits(b, minute, 2)
	b = append(b, ':')
	b = appendDigits(b, second, 2)
	switch digits {
	case 3:
		b = append(b, '.')
		b = appendDigits(b, t.Nanosecond()/1e6, 3)
	case 6:
		b = append(b, '.')
		b = appendDigits(b, t.Nanosecond()/1e3, 6)
	}
	if offset == 0 {
		return append(b, 'Z')
	}
	sign := byte('+')
	if offset < 0 {
		sign, offset = '-', -offset
	}
	b = append(b, sign)
	b = appendDigits(b, offset/3600, 2)
	b = append(b, ':')
	return appendDigits(b, offset/60%60, 2)
}

// appendDigits appends n, not negative, in width digits, zeros in front.
func appendDigits(b []byte, n, width int) []byte {
	for i := width - 1; i >= 0; i-- {
		b = append(b, 0)
	}
	for i := len(b) - 1; i >= len(b)-width; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return b
}
