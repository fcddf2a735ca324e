// Package envelope recognises how a collector wrapped a program's log lines
// (docker logs -t, docker compose logs, Docker's json-file, Kubernetes CRI,
// journald, syslog, Heroku) and unwraps them: the program's own line, the
// time the collector recorded for it, and the label (service, container,
// program) that tells the programs of one stream apart.
package envelope

import (
	"strings"
	"time"

	"github.com/logcorr/logcorr/parser"
)

// Record is one line of a program, out of its envelope.
type Record struct {
	// Num is the number of the file's line it starts on.
	Num  int
	Text string
	// Stamp is when the collector recorded the line (zero when the
	// envelope gives no time); Precision its resolution.
	Stamp     time.Time
	Precision time.Duration
	// Naive: the collector wrote the time without a zone; Stamp was read
	// in the file's zone, as the program's naive times are.
	Naive bool
	// Label names the program or service the envelope says wrote the line
	// ("pgbouncer-1", "gunicorn", "app[web.1]"); "" when it names none.
	Label string
	// Host and PID, when the envelope gives them.
	Host, PID string
}

// Kind is one way of wrapping lines.
type Kind struct {
	// Name is how notices and the Sources section name it.
	Name string
	// Example is a real line wrapped this way.
	Example string
	// match reports whether a line is wrapped this way; it must be cheap.
	match func(line string) bool
	// plain: a program's own lines can look like this envelope (a time
	// and a space, as docker -t writes), so the lines are taken as wrapped
	// only when they read better so.
	plain bool
	// open returns an unwrapper for one file; clock reads times written
	// without a zone or a year (syslog's).
	open func(clock *parser.Clock) Unwrapper
	// apart: a viewer fetched each label's lines on its own and printed
	// them a label, or a chunk of one, at a time (docker compose logs,
	// kubectl logs --prefix), so the file is in no time order across
	// labels; a collector (journald, syslog, Heroku's router) writes its
	// labels' lines as they come.
	apart bool
}

// Apart reports whether the labels' lines are in no time order across
// labels: the file is then read once per label (source.SplitByLabel).
func (k *Kind) Apart() bool { return k.apart }

// Unwrapper unwraps the lines of one file in order.
type Unwrapper interface {
	// Unwrap takes the file's next line and hands on the records it
	// completes (a line written in parts comes out whole). It returns false
	// for a line that is not wrapped this way.
	Unwrap(num int, line string, out func(Record)) bool
	// Flush hands on what is still held at the end of the file.
	Flush(out func(Record))
}

// Open returns an unwrapper of this kind for one file.
func (k *Kind) Open(clock *parser.Clock) Unwrapper { return k.open(clock) }

// Matches reports whether a line is wrapped this way.
func (k *Kind) Matches(line string) bool { return k.match(parser.Clean(line)) }

// kinds are tried in this order; where one kind's lines also match another
// (every CRI line starts like docker -t's), the more specific comes first.
var kinds []*Kind

// Kinds lists the envelopes logcorr unwraps.
func Kinds() []*Kind { return kinds }

// minShare is the share of a sample's non-blank lines an envelope must
// match: collectors wrap every line, and a few lines of another shape
// (compose's "Attaching to …", an elision in a pasted excerpt) must not
// hide it. One such line is allowed on top, for short samples.
const minShare = 0.9

// Detect finds the envelope that wraps a sample's lines, or nil when they
// are bare, no envelope wraps enough of them, or the lines read better bare
// (a PostgreSQL log's "%t" prefix looks like Docker Desktop's time): the
// lines inside must hold at least as many records a format recognises as
// the lines as they are, and some.
func Detect(sample []string) *Kind {
	sample = Dedent(sample)
	nonBlank := 0
	counts := make([]int, len(kinds))
	for _, raw := range sample {
		line := parser.Clean(raw)
		if strings.TrimSpace(line) == "" || isJournalMarker(line) {
			continue
		}
		nonBlank++
		for i, k := range kinds {
			if k.match(line) {
				counts[i]++
			}
		}
	}
	if nonBlank == 0 {
		return nil
	}
	bare := -1
	for i, n := range counts {
		if n == 0 || float64(n) < minShare*float64(nonBlank)-1 || n < min(2, nonBlank) {
			continue
		}
		k := kinds[i]
		if !k.plain {
			return k
		}
		if bare < 0 {
			d, _ := parser.Detect(sample)
			bare = d.Lines
		}
		inner := 0
		byLabel, labels := Sample(k, sample)
		for _, l := range labels {
			if d, ok := parser.Detect(byLabel[l]); ok {
				inner += d.Lines
			}
		}
		if inner == 0 && bare > 0 || inner < bare {
			continue
		}
		return k
	}
	return nil
}

// Sample unwraps a sample's lines, by label in the order labels first
// appear, for the formats inside to be detected.
func Sample(k *Kind, sample []string) (map[string][]string, []string) {
	byLabel := map[string][]string{}
	var labels []string
	u := k.Open(parser.NewClock("", time.UTC, nil))
	put := func(r Record) {
		if _, ok := byLabel[r.Label]; !ok {
			labels = append(labels, r.Label)
		}
		byLabel[r.Label] = append(byLabel[r.Label], r.Text)
	}
	for i, l := range Dedent(sample) {
		u.Unwrap(i+1, l, put)
	}
	u.Flush(put)
	return byLabel, labels
}

// isJournalMarker tells journalctl's own lines ("-- Logs begin at …",
// "-- Reboot --", "-- No entries --") that no program wrote.
func isJournalMarker(line string) bool {
	return strings.HasPrefix(line, "-- ") && strings.HasSuffix(strings.TrimRight(line, " "), " --")
}

// Dedent takes off an indentation every non-blank line shares: a log
// pasted as a Markdown code block, or copied from a status page.
func Dedent(sample []string) []string {
	indent := Indent(sample)
	if indent == "" {
		return sample
	}
	out := make([]string, len(sample))
	for i, l := range sample {
		out[i] = strings.TrimPrefix(l, indent)
	}
	return out
}

// Indent is the leading whitespace every non-blank line of a sample
// shares ("" when there is none, or only one line).
func Indent(sample []string) string {
	indent, n := "", 0
	for _, l := range sample {
		if strings.TrimSpace(l) == "" {
			continue
		}
		lead := l[:len(l)-len(strings.TrimLeft(l, " \t"))]
		if n == 0 {
			indent = lead
		} else {
			for !strings.HasPrefix(lead, indent) {
				indent = indent[:len(indent)-1]
			}
		}
		n++
		if indent == "" {
			return ""
		}
	}
	if n < 2 {
		return ""
	}
	return indent
}

// lineWise is an unwrapper for envelopes that wrap each line on its own.
type lineWise struct {
	clock *parser.Clock
	peel  func(c *parser.Clock, line string) (Record, bool)
}

func (u *lineWise) Unwrap(num int, line string, out func(Record)) bool {
	line = parser.Clean(line)
	r, ok := u.peel(u.clock, line)
	if !ok {
		return isJournalMarker(line)
	}
	r.Num = num
	out(r)
	return true
}

func (u *lineWise) Flush(func(Record)) {}

func lineKind(name string, plain bool, example string, peel func(c *parser.Clock, line string) (Record, bool)) *Kind {
	return &Kind{
		Name:    name,
		plain:   plain,
		Example: example,
		match: func(line string) bool {
			_, ok := peel(nil, line)
			return ok
		},
		open: func(c *parser.Clock) Unwrapper { return &lineWise{clock: c, peel: peel} },
	}
}
