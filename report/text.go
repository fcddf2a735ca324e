package report

import (
	"bufio"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/logcorr/logcorr/correlate"
	"github.com/logcorr/logcorr/verdict"
)

// Text writes chains for a terminal or a post-mortem document:
//
//	#12 POST /accounts/login/ 500 at 2026-11-27T00:15:15+07:00  cause: query_wait_timeout
//	  anchor  runserver_8000.err.log:2210  [27/Nov/2026 00:15:15] "POST /accounts/login/ HTTP/1.1" 500 145
//	  runserver_8000.err.log:2100  -0.412s~  Internal Server Error: /accounts/login/  (error record …)
type Text struct {
	w     *bufio.Writer
	n     int
	pal   ansi
	batch bool
}

// ansi colours text for a terminal with ANSI escapes, or leaves it plain.
type ansi bool

const (
	bold    = "1"
	dim     = "2"
	red     = "31"
	green   = "32"
	yellow  = "33"
	magenta = "35"
)

func (p ansi) paint(code, s string) string {
	if !p || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// status colours a hypothesis status, padded first so columns stay aligned:
// red for a cause found, yellow for one seen, dim for ruled out or unknown.
func (p ansi) status(st verdict.Status, width int) string {
	padded := fmt.Sprintf("%-*s", width, st)
	switch st {
	case verdict.Confirmed:
		return p.paint(bold+";"+red, padded)
	case verdict.Seen:
		return p.paint(yellow, padded)
	}
	return p.paint(dim, padded)
}

// Chain implements Renderer.
func (t *Text) Chain(c *correlate.Chain) error {
	t.n++
	w := t.w
	method := c.Method
	if method == "" {
		method = "?"
	}
	p := t.pal
	causeColour := yellow
	if c.Basis == correlate.BasisNone {
		causeColour = red
	}
	fmt.Fprintf(w, "%s at %s  cause: %s (%s)\n", p.paint(bold, fmt.Sprintf("#%d %s %s %d", t.n, method, c.Path, c.Status)),
		stamp(c.Time, c.Anchor.Precision), p.paint(bold+";"+causeColour, c.Cause), basisText(c.Basis))
	fmt.Fprintf(w, "  %s  %s:%d  %s\n", p.paint(red, "anchor"), c.Anchor.Source, c.Anchor.Line, c.Anchor.Text)
	if c.Split != nil {
		fmt.Fprintf(w, "  %s from %s to %s, %s\n", p.paint(bold, "took"), stamp(c.Began.In(c.Time.Location()), time.Millisecond),
			stamp(c.Began.Add(c.Duration).In(c.Time.Location()), time.Millisecond), c.Split)
		if c.Basis == correlate.BasisNone {
			fmt.Fprintf(w, "  %s nothing in the logs explains %s of it\n", p.paint(magenta, "note:"), correlate.Seconds(c.Split.Other))
		}
	}
	for _, n := range c.Notes {
		fmt.Fprintf(w, "  %s %s\n", p.paint(magenta, "note:"), n)
	}
	for _, l := range c.Evidence {
		approx := " "
		switch {
		case l.Event.TimeInferred():
			approx = "~"
		case l.Event.Stamped:
			approx = "@"
		}
		text := l.Event.Text
		if l.Role == correlate.RoleCause {
			text = p.paint(yellow, text)
		}
		fmt.Fprintf(w, "  %s:%d  %s  %s  %s\n", l.Event.Source, l.Event.Line, p.paint(dim, offset(l.Offset)+approx), text, p.paint(dim, "("+l.Why+")"))
	}
	w.WriteByte('\n')
	return chainWritten(w, t.batch)
}

func basisText(b correlate.Basis) string {
	switch b {
	case correlate.BasisNamed:
		return "named by its own traceback"
	case correlate.BasisNearby:
		return "evidence in its window"
	case correlate.BasisException:
		return "its own exception"
	case correlate.BasisTime:
		return "where its time went"
	}
	return "nothing in its window explains it"
}

func offset(d time.Duration) string {
	return fmt.Sprintf("%+.3fs", d.Seconds())
}

// Finish implements Renderer.
func (t *Text) Finish(r *Run) error {
	w := t.w
	s := &r.Summary
	methods := "any method"
	if len(r.Config.Methods) > 0 {
		methods = strings.Join(r.Config.Methods, "|")
	}
	var statuses []string
	for _, st := range r.Config.Statuses {
		statuses = append(statuses, st.String())
	}
	if r.Config.Slow > 0 {
		statuses = append(statuses, "took >= "+r.Config.Slow.String())
	}
	fmt.Fprintf(w, "%s (%s %s %s)", t.pal.paint(bold, "Summary: "+count(s.Anchors, "anchor")), methods, strings.Join(r.Config.Paths, " "), strings.Join(statuses, ","))
	if s.Anchors > 0 {
		fmt.Fprintf(w, " from %s to %s", stamp(s.First, time.Second), stamp(s.Last, time.Second))
	}
	fmt.Fprintf(w, "\n  window: %s before and %s after each anchor\n", r.Config.Before, r.Config.After)
	if rt := rangeText(&r.Config); rt != "" {
		fmt.Fprintf(w, "  range: %s\n", rt)
	}
	if v := Verdict(r); v != "" {
		fmt.Fprintf(w, "  verdict: %s\n", t.pal.paint(bold, v))
	}
	if s.Anchors == 0 {
		fmt.Fprintf(w, "  No %s responses to %s in these logs.\n", strings.Join(statuses, " or "), strings.Join(r.Config.Paths, " or "))
	}
	causes := make([]string, 0, len(s.ByCause))
	for k := range s.ByCause {
		causes = append(causes, k)
	}
	sort.Slice(causes, func(i, j int) bool {
		if s.ByCause[causes[i]] != s.ByCause[causes[j]] {
			return s.ByCause[causes[i]] > s.ByCause[causes[j]]
		}
		return causes[i] < causes[j]
	})
	width := 12
	for _, k := range causes {
		width = max(width, len(k))
	}
	for _, k := range causes {
		what := "the request's own exception"
		switch {
		case k == correlate.Unknown:
			what = "nothing in the window explains these"
		case r.Config.Causes.ByID(k) != nil:
			what = r.Config.Causes.ByID(k).Meaning
		}
		fmt.Fprintf(w, "  %-*s %6d  %s\n", width, k, s.ByCause[k], what)
	}
	fmt.Fprintf(w, "  %-*s %6d\n", width, "unexplained", s.Unexplained)
	if s.Late > 0 {
		fmt.Fprintf(w, "  %s came after their request's chain (the request ran longer than --same-request) and joined it\n",
			count(s.Late, "response line"))
	}
	writeDisorder(w, r)
	writeHypotheses(w, &r.Hypotheses, t.pal)
	writeLoad(w, r)
	writeLatency(w, r.Latency)
	writePressure(w, r.Pressure)
	writeClient(w, r.Client, t.pal)
	writeClocks(w, r.Clocks)
	fmt.Fprintf(w, "Sources:\n")
	for _, src := range r.Sources {
		fmt.Fprintf(w, "  %s: %s", src.File, src.Format)
		if src.Envelope != "" {
			fmt.Fprintf(w, " (through %s)", src.Envelope)
		}
		fmt.Fprintf(w, ", %d events", src.Events)
		if src.Events > 0 {
			fmt.Fprintf(w, ", %s to %s", stamp(src.First, time.Second), stamp(src.Last.In(src.First.Location()), time.Second))
		}
		if src.Zone != "" {
			fmt.Fprintf(w, ", naive times in %s", src.Zone)
		}
		if src.Unparsed > 0 {
			fmt.Fprintf(w, ", %d lines not understood", src.Unparsed)
		}
		if d := src.Disorder; d.Late > 0 {
			fmt.Fprintf(w, ", %s out of order by up to %s", count(d.Late, "event"), seconds(d.Worst))
		}
		for _, g := range src.Gaps {
			fmt.Fprintf(w, ", silent from %s to %s", stamp(g.From, time.Second), stamp(g.To, time.Second))
		}
		if n := r.Outside[src.File]; n > 0 {
			fmt.Fprintf(w, "; silent over the window of %d unexplained anchors", n)
		}
		w.WriteByte('\n')
	}
	for _, sk := range r.Skipped {
		fmt.Fprintf(w, "  %s: skipped\n", sk)
	}
	return w.Flush()
}

// writeDisorder says how long chains waited for lines written out of order,
// and which logs wrote lines later than that: chains citing them may lack
// what those lines would have added.
func writeDisorder(w *bufio.Writer, r *Run) {
	if r.Summary.Wait == 0 {
		return
	}
	var worse []string
	for _, src := range r.Sources {
		if d := src.Disorder; d.Late > 0 && d.Worst > r.Summary.Wait+correlate.DefaultSlack {
			worse = append(worse, fmt.Sprintf("%s (%s)", src.File, seconds(d.Worst)))
		}
	}
	fmt.Fprintf(w, "  chains waited %s past their window for lines logged out of order (see Sources)", seconds(r.Summary.Wait))
	if len(worse) > 0 {
		fmt.Fprintf(w, "; later still, not waited for: %s", strings.Join(worse, ", "))
	}
	w.WriteByte('\n')
}

// NewText returns a text renderer; color adds terminal colours.
func NewText(w io.Writer, color bool) *Text { return &Text{w: bufio.NewWriter(w), pal: ansi(color)} }

// writeHypotheses prints the hypothesis table, ranked.
func writeHypotheses(w *bufio.Writer, t *verdict.Table, p ansi) {
	if len(t.Rows) == 0 {
		return
	}
	fmt.Fprintf(w, "Hypotheses:\n")
	width := 0
	for _, h := range t.Rows {
		width = max(width, len(h.Cause.ID))
	}
	for _, h := range t.Rows {
		fmt.Fprintf(w, "  %s  %-*s", p.status(h.Status, 11), width, h.Cause.ID)
		switch h.Status {
		case verdict.Confirmed:
			fmt.Fprintf(w, "  %s, %s: %s; e.g. %s <- %s\n", count(h.Anchors, "anchor"), count(h.Signs, "line"), h.Cause.Title,
				filepath.Base(h.ExampleAnchor), filepath.Base(h.ExampleEvidence))
			fmt.Fprintf(w, "  %-11s  %-*s  fix: %s\n", "", width, "", h.Cause.Fix)
		case verdict.Seen:
			fmt.Fprintf(w, "  %d lines, no anchor: %s\n", h.Signs, h.Cause.Title)
		case verdict.Rejected:
			fmt.Fprintf(w, "  no trace in %s: %s\n", baseNames(h.Logs), h.Cause.Title)
		case verdict.NotChecked:
			if h.Note != "" {
				fmt.Fprintf(w, "  %s: %s\n", h.Note, h.Cause.Title)
			} else {
				fmt.Fprintf(w, "  no %s log read: %s\n", strings.Join(h.Cause.Shows, " or "), h.Cause.Title)
			}
		}
	}
	unexplained := p.paint(dim, fmt.Sprintf("%-11s", "UNEXPLAINED"))
	if t.Unexplained > 0 {
		unexplained = p.paint(bold+";"+red, fmt.Sprintf("%-11s", "UNEXPLAINED"))
	}
	fmt.Fprintf(w, "  %s  %-*s  %s", unexplained, width, "", count(t.Unexplained, "anchor"))
	if len(t.Uncatalogued) > 0 {
		var parts []string
		for class, n := range t.Uncatalogued {
			parts = append(parts, fmt.Sprintf("%d %s", n, class))
		}
		sort.Strings(parts)
		fmt.Fprintf(w, " (by their own exception, which no catalogued cause covers: %s)", strings.Join(parts, ", "))
	}
	w.WriteByte('\n')
}

// baseNames lists a few files by name, and how many more.
func baseNames(files []string) string {
	const most = 3
	var names []string
	for i, f := range files {
		if i == most {
			names = append(names, fmt.Sprintf("%d more", len(files)-most))
			break
		}
		names = append(names, filepath.Base(f))
	}
	return strings.Join(names, ", ")
}

// writeLoad prints the anchors per Locust user count.
func writeLoad(w *bufio.Writer, r *Run) {
	if len(r.Load) == 0 {
		return
	}
	fmt.Fprintf(w, "Load (Locust users, from its history):\n")
	fmt.Fprintf(w, "  %6s %8s %10s %8s %7s\n", "users", "seconds", "responses", "anchors", "rate")
	for _, l := range r.Load {
		rate := "-"
		if l.Responses > 0 {
			rate = fmt.Sprintf("%.1f%%", 100*float64(l.Anchors)/float64(l.Responses))
		}
		fmt.Fprintf(w, "  %6d %8d %10d %8d %7s\n", l.Users, l.Seconds, l.Responses, l.Anchors, rate)
	}
	if r.LowestLoad >= 0 {
		fmt.Fprintf(w, "  anchors appeared from %d users on", r.LowestLoad)
	} else {
		fmt.Fprintf(w, "  no anchor at any load")
	}
	if r.OutsideLoad > 0 {
		fmt.Fprintf(w, "; %s fall outside Locust's history, which covers %s to %s (Locust writes it every 10 s, so its last seconds are often missing)",
			count(r.OutsideLoad, "anchor"), stamp(r.LoadSpan[0], time.Second), stamp(r.LoadSpan[1], time.Second))
	}
	w.WriteByte('\n')
}

// writePressure prints PgBouncer's pool wait.
func writePressure(w *bufio.Writer, p *verdict.Pressure) {
	if p == nil {
		return
	}
	fmt.Fprintf(w, "Pool pressure (PgBouncer stats: time clients waited for a server connection, per second):\n")
	fmt.Fprintf(w, "  peak %s/s (about %.1f clients queued) at %s (%s:%d)", p.Peak.Wait.Round(time.Millisecond), p.Peak.Wait.Seconds(),
		stamp(p.Peak.Time, time.Millisecond), filepath.Base(p.Peak.Source), p.Peak.Line)
	if p.FirstWait != nil {
		fmt.Fprintf(w, "; clients waited from %s on", stamp(p.FirstWait.Time, time.Millisecond))
	} else {
		fmt.Fprintf(w, "; no client ever waited")
	}
	w.WriteByte('\n')
	var parts []string
	for _, s := range p.Samples {
		parts = append(parts, fmt.Sprintf("%s %s", s.Time.Format("15:04:05"), s.Wait.Round(time.Millisecond)))
	}
	fmt.Fprintf(w, "  %s\n", strings.Join(parts, ", "))
}

// writeClient prints the client check.
func writeClient(w *bufio.Writer, checks []verdict.ClientCheck, p ansi) {
	for _, c := range checks {
		fmt.Fprintf(w, "Client vs server for %s %s (Locust: %d requests, %d failures):\n", c.Method, c.Path, c.Requests, c.Failures)
		for _, f := range c.Findings {
			kind := fmt.Sprintf("%-10s", f.Kind)
			if f.Kind == verdict.Agree {
				kind = p.paint(green, kind)
			} else {
				kind = p.paint(yellow, kind)
			}
			fmt.Fprintf(w, "  %s  %s: Locust %d, server %d: %s\n", kind, f.What, f.Client, f.Server, f.Why)
		}
	}
}

// writeClocks prints the zones logcorr estimated.
func writeClocks(w *bufio.Writer, clocks []ClockReport) {
	if len(clocks) == 0 {
		return
	}
	fmt.Fprintf(w, "Clocks (no --tz given):\n")
	for _, c := range clocks {
		e := &c.Estimate
		fmt.Fprintf(w, "  %s: ", filepath.Base(c.File))
		whose := "naive times"
		if c.CollectorTimes {
			whose = "the times " + c.Collector + " wrote without a zone"
		}
		if c.Collector != "" && !c.CollectorTimes && c.Applied {
			fmt.Fprintf(w, "%s read as %s, %s (%d of %d naive times are that far from them)\n",
				whose, verdict.ZoneName(e.Offset), c.Basis(), c.Agree, c.Compared)
			continue
		}
		if c.Applied {
			fmt.Fprintf(w, "%s read as %s, estimated", whose, verdict.ZoneName(e.Offset))
		} else {
			if c.CollectorTimes {
				fmt.Fprintf(w, "%s: ", whose)
			}
			fmt.Fprintf(w, "%s", c.Note)
		}
		if e.Seconds > 0 && len(e.Against) > 0 {
			fmt.Fprintf(w, " (fit %.2f against %s", e.Score, baseNames(e.Against))
			if e.Failures > 0 {
				fmt.Fprintf(w, "; %d of its %d failures have one in those logs 0-20 s before", e.Matched, e.Failures)
			}
			if e.Next > 0 {
				fmt.Fprintf(w, "; next best %s fits %.2f)", verdict.ZoneName(e.NextOffset), e.Next)
			} else {
				fmt.Fprintf(w, "; no other offset fits at all)")
			}
		}
		w.WriteByte('\n')
	}
}

// Verdict says in one sentence what the hypothesis table found.
func Verdict(r *Run) string {
	total := r.Summary.Anchors
	if total == 0 {
		return ""
	}
	var parts []string
	for _, h := range r.Hypotheses.Rows {
		if h.Status == verdict.Confirmed {
			parts = append(parts, fmt.Sprintf("%d (%.0f%%) %s (%s)", h.Anchors, 100*float64(h.Anchors)/float64(total), h.Cause.Title, h.Cause.ID))
		}
	}
	if n := r.Hypotheses.Unexplained; n > 0 {
		parts = append(parts, fmt.Sprintf("%d (%.0f%%) explained by no catalogued cause", n, 100*float64(n)/float64(total)))
	}
	return fmt.Sprintf("of %s, %s", count(total, "anchor"), strings.Join(parts, "; "))
}

// seconds is a duration as people say it: "20.8 s", "250 ms".
func seconds(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}
