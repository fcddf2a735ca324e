package report

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/logcorr/logcorr/correlate"
	"github.com/logcorr/logcorr/parser"
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
	// answerFirst: the verdict, then chains (analyze); else chains as
	// they come, then the summary (tail).
	answerFirst bool
	sel         Selection
	width       int
	closing     bool
	best        map[string][]kept
	rest        spool
	gens        func(path string) int
	scratch     bytes.Buffer
	scratchW    *bufio.Writer
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

// Chain implements Renderer: written at once, or, answer first, kept for
// after the verdict (the strongest of each cause, and every chain spooled).
func (t *Text) Chain(c *correlate.Chain) error {
	t.n++
	if !t.answerFirst {
		t.writeChain(t.w, c, t.n, 0)
		return chainWritten(t.w, t.batch)
	}
	sel := &t.sel
	if sel.Summary || !sel.wants(c) {
		return nil
	}
	key := causeKey(c)
	// One buffer for every chain: a chain is rendered, copied where it
	// goes, and the buffer used again.
	b := &t.scratch
	b.Reset()
	if t.scratchW == nil {
		t.scratchW = bufio.NewWriter(b)
	}
	bw := t.scratchW
	keep := max(1, sel.Top)
	width := t.width
	if sel.Top > 0 {
		width = 0 // the chains shown are all there is: whole
	}
	best := t.best[key]
	at := sort.Search(len(best), func(i int) bool { return stronger(len(c.Evidence), c.Time, best[i].evidence, best[i].at) })
	if at < keep {
		t.writeChain(bw, c, t.n, width)
		bw.Flush()
		best = slices.Insert(best, at, kept{evidence: len(c.Evidence), at: c.Time, text: b.String()})
		if len(best) > keep {
			best = best[:keep]
		}
		t.best[key] = best
	}
	if sel.Top == 0 || sel.All {
		b.Reset()
		t.writeChain(bw, c, t.n, 0)
		bw.Flush()
		_, err := t.rest.Write(b.Bytes())
		return err
	}
	return nil
}

// kept is a chain shown after the verdict, as text.
type kept struct {
	evidence int
	at       time.Time
	text     string
}

// causeKey is the cause a chain counts under when chains are chosen per
// cause: its catalogued cause, else its own exception's class.
func causeKey(c *correlate.Chain) string {
	if c.Hypothesis != "" {
		return c.Hypothesis
	}
	return c.Cause
}

// writeChain writes one chain; with width, each line is cut to it (the
// preview after the verdict, which the whole chain follows).
func (t *Text) writeChain(w *bufio.Writer, c *correlate.Chain, n, width int) {
	line := func(format string, args ...any) {
		s := fmt.Sprintf(format, args...)
		if width > 0 {
			s = cut(s, width)
		}
		w.WriteString(s)
		w.WriteByte('\n')
	}
	method := c.Method
	if method == "" {
		method = "?"
	}
	p := t.pal
	causeColour := yellow
	if c.Basis == correlate.BasisNone {
		causeColour = red
	}
	basis := basisText(c)
	if c.Basis == correlate.BasisException && c.Exc != nil && c.Exc.Class != c.Cause {
		basis += " " + c.Exc.Class
	}
	line("%s at %s  cause: %s (%s)", p.paint(bold, fmt.Sprintf("#%d %s %s %s", n, method, c.Path, outcome(c))),
		stamp(c.Time, c.Anchor.Precision), p.paint(bold+";"+causeColour, c.Cause), basis)
	// The preview names files by their base name: more of each line fits.
	file := func(path string, gen int) string {
		name := path
		if width > 0 {
			name = parser.BaseName(path)
		}
		// A followed path that was rotated names another file now: the
		// line is in the generation it came from.
		if gen > 0 && t.gens != nil && t.gens(path) > 1 {
			name = fmt.Sprintf("%s (file %d of the path)", name, gen)
		}
		return name
	}
	line("  %s  %s:%d  %s", p.paint(red, "anchor"), file(c.Anchor.Source, c.Anchor.Gen), c.Anchor.Line, c.Anchor.Text)
	if c.Split != nil {
		line("  %s from %s to %s, %s", p.paint(bold, "took"), stamp(c.Began.In(c.Time.Location()), time.Millisecond),
			stamp(c.Began.Add(c.Duration).In(c.Time.Location()), time.Millisecond), c.Split)
		if c.Basis == correlate.BasisNone {
			line("  %s nothing in the logs explains %s of it", p.paint(magenta, "note:"), correlate.Seconds(c.Split.Other))
		}
	}
	for _, n := range c.Notes {
		line("  %s %s", p.paint(magenta, "note:"), n)
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
		line("  %s:%d  %s  %s  %s", file(l.Event.Source, l.Event.Gen), l.Event.Line, p.paint(dim, offset(l.Offset)+approx), text, p.paint(dim, "("+l.Why+")"))
	}
	w.WriteByte('\n')
}

// cut shortens a line to width visible runes, ending it with "…"; colour
// escapes (ESC [ … letter) are not counted, and a cut line is reset to no
// colour.
func cut(s string, width int) string {
	visible := func(s string, stop int) (n, at int) {
		for i := 0; i < len(s); {
			if s[i] == '\x1b' && i+1 < len(s) && s[i+1] == '[' {
				j := i + 2
				for j < len(s) && (s[j] < 0x40 || s[j] > 0x7e) {
					j++
				}
				i = j + 1
				continue
			}
			if n == stop {
				return n, i
			}
			_, size := utf8.DecodeRuneInString(s[i:])
			n++
			i += size
		}
		return n, len(s)
	}
	if n, _ := visible(s, -1); n <= width {
		return s
	}
	_, at := visible(s, width-1)
	out := s[:at] + "…"
	if strings.Contains(out, "\x1b[") {
		out += "\x1b[0m"
	}
	return out
}

// outcome is how an anchor's request ended: its status, or, for one the
// server killed before it had a response, that and how long it had run
// (after the status its proxy answered, if one did).
func outcome(c *correlate.Chain) string {
	if !c.Anchor.Killed() {
		return strconv.Itoa(c.Status)
	}
	killed := "killed"
	if d := c.Anchor.Duration; d > 0 {
		killed += " after " + d.Round(time.Second).String()
	}
	if c.Status != 0 {
		return strconv.Itoa(c.Status) + ", " + killed
	}
	return killed
}

// basisText says on what grounds a chain's cause was chosen. A cause named
// by the request's own text is named by its traceback when it had one, else
// by its own line: a proxy's timeout, Heroku's H12.
func basisText(c *correlate.Chain) string {
	switch c.Basis {
	case correlate.BasisNamed:
		if c.Exc == nil && c.Root == nil {
			return "named by its own line"
		}
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

// Finish implements Renderer: answer first, the verdict, the count and
// usual fix of each cause and its strongest chain, then every chain and
// the whole summary (or, with Selection.Summary, a summary that fits a
// screen); else the summary after the chains written already.
func (t *Text) Finish(r *Run) error {
	if !t.answerFirst {
		t.writeSummary(r)
		return t.w.Flush()
	}
	defer t.rest.close()
	t.writeAnswer(r)
	if t.sel.Summary {
		t.writeBrief(r)
		return t.w.Flush()
	}
	t.writePreview(r)
	if t.sel.Top == 0 || t.sel.All {
		if t.sel.Top == 0 && r.Summary.Anchors > 0 {
			fmt.Fprintf(t.w, "%s\n\n", t.pal.paint(bold, "Every chain, in the order their windows closed:"))
		}
		if err := t.rest.copyTo(t.w); err != nil {
			return err
		}
	}
	t.writeSummary(r)
	if v := Verdict(r); v != "" && t.closing {
		fmt.Fprintf(t.w, "\n%s %s\n", t.pal.paint(bold, "Verdict:"), v)
	}
	return t.w.Flush()
}

// writeAnswer writes what a person asks first: the verdict, and each
// cause's count with its usual fix, one line each.
func (t *Text) writeAnswer(r *Run) {
	w, s := t.w, &r.Summary
	width := t.width
	if v := Verdict(r); v != "" {
		fmt.Fprintf(w, "%s %s\n", t.pal.paint(bold, "Verdict:"), v)
	} else {
		fmt.Fprintf(w, "%s no %s responses to %s in these logs\n", t.pal.paint(bold, "Verdict:"),
			strings.Join(anchorKinds(&r.Config), " or "), strings.Join(r.Config.Paths, " or "))
		if hint := noAnchorHint(r); hint != "" {
			fmt.Fprintf(w, "  %s\n", hint)
		}
	}
	if s.Anchors > 0 {
		fmt.Fprintf(w, "  %s (%s) from %s to %s\n", count(s.Anchors, "anchor"), anchorWhat(&r.Config),
			stamp(r.Shown(s.First), time.Second), stamp(r.Shown(s.Last), time.Second))
	}
	if u := unanchoredText(r); u != "" {
		fmt.Fprintf(w, "  %s\n", u)
	}
	if rt := rangeText(&r.Config); rt != "" {
		fmt.Fprintf(w, "  range: %s\n", rt)
	}
	type row struct {
		cause string
		n     int
		fix   string
	}
	var rows []row
	for _, h := range r.Hypotheses.Rows {
		if h.Status == verdict.Confirmed {
			rows = append(rows, row{h.Cause.ID, h.Anchors, "fix: " + h.Cause.Fix})
		}
	}
	for _, class := range sortedKeys(r.Hypotheses.Uncatalogued) {
		rows = append(rows, row{class, r.Hypotheses.Uncatalogued[class], "its own exception; no catalogued cause"})
	}
	if n := r.Hypotheses.Unexplained - sumValues(r.Hypotheses.Uncatalogued); n > 0 {
		rows = append(rows, row{correlate.Unknown, n, "nothing in the logs explains these"})
	}
	cw := 12
	for _, x := range rows {
		cw = max(cw, len(x.cause))
	}
	for _, x := range rows {
		fmt.Fprintf(w, "%s\n", cut(fmt.Sprintf("  %-*s %6d  %s", cw, x.cause, x.n, x.fix), width))
	}
	w.WriteByte('\n')
}

// writePreview writes the strongest chains of each cause, the causes by
// count.
func (t *Text) writePreview(r *Run) {
	if len(t.best) == 0 {
		return
	}
	// Causes in the order of their counts, as the answer lists them.
	counts := map[string]int{}
	for k := range t.best {
		counts[k] = r.Summary.ByCause[k]
		if n := r.Summary.ByHypothesis[k]; n > 0 {
			counts[k] = n
		}
	}
	switch {
	case t.sel.Top > 0:
		fmt.Fprintf(t.w, "%s\n\n", t.pal.paint(bold, fmt.Sprintf("The strongest %s of each cause (--top %d):", plural(t.sel.Top, "chain"), t.sel.Top)))
	default:
		fmt.Fprintf(t.w, "%s\n\n", t.pal.paint(bold, "The strongest chain of each cause (lines cut; every chain follows, then the whole summary):"))
	}
	for _, k := range sortedByCount(counts) {
		for _, c := range t.best[k] {
			t.w.WriteString(c.text)
		}
	}
}

// writeBrief is the summary that fits a screen (--summary): what the
// whole summary says, a line each.
func (t *Text) writeBrief(r *Run) {
	w, width := t.w, t.width
	line := func(format string, args ...any) {
		fmt.Fprintf(w, "%s\n", cut(fmt.Sprintf(format, args...), width))
	}
	tab := &r.Hypotheses
	byStatus := map[verdict.Status][]string{}
	for _, h := range tab.Rows {
		byStatus[h.Status] = append(byStatus[h.Status], h.Cause.ID)
	}
	seen := ""
	if names := byStatus[verdict.Seen]; len(names) > 0 {
		seen = " (" + strings.Join(names, ", ") + ")"
	}
	line("Hypotheses: %d confirmed, %d seen%s, %d rejected, %d not checked", len(byStatus[verdict.Confirmed]), len(byStatus[verdict.Seen]), seen,
		len(byStatus[verdict.Rejected]), len(byStatus[verdict.NotChecked]))
	if len(r.Load) > 0 {
		top := r.Load[len(r.Load)-1]
		rate := ""
		if top.Responses > 0 {
			rate = fmt.Sprintf(" (%.1f%% of the anchored paths' responses)", 100*float64(top.Anchors)/float64(top.Responses))
		}
		from := "no anchor during Locust's history"
		if r.LowestLoad >= 0 {
			from = fmt.Sprintf("anchors from %d users on", r.LowestLoad)
		}
		line("Load: %s; at %d users, %d anchors in %d s%s", from, top.Users, top.Anchors, top.Seconds, rate)
	}
	if p := r.Pressure; p != nil {
		line("Pool: PgBouncer's clients waited %s per second at the peak (about %.1f queued) at %s", p.Peak.Wait.Round(time.Millisecond),
			p.Peak.Wait.Seconds(), stamp(r.Shown(p.Peak.Time), time.Second))
	}
	for _, l := range r.Latency {
		line("Latency %s: %d requests, p50 %s, p95 %s, max %s; %s", l.Path, l.Requests, correlate.Seconds(l.P50),
			correlate.Seconds(l.P95), correlate.Seconds(l.Max), count(l.Slow, "slow anchor"))
	}
	for _, c := range r.Client {
		for _, f := range c.Findings {
			if f.Kind != "AGREE" {
				line("Locust %s %s: %s %s: Locust %d, server %d", c.Method, c.Path, f.Kind, f.What, f.Client, f.Server)
			}
		}
	}
	for _, c := range r.Clocks {
		if c.Applied {
			line("Clock: %s read as UTC%s, %s", parser.BaseName(c.File), c.Estimate.Offset, c.Basis())
		}
	}
	var names []string
	for _, src := range r.Sources {
		names = append(names, parser.BaseName(src.File))
	}
	line("Read %s: %s", count(len(r.Sources), "source"), strings.Join(names, ", "))
	if len(r.Skipped) > 0 {
		line("Skipped %s: %s", count(len(r.Skipped), "file"), strings.Join(r.Skipped, ", "))
	}
	line("(every chain and the whole summary: the same command without --summary; a post-mortem section: --format markdown)")
}

// noAnchorHint says, for a run with no anchor, what was there: the logs'
// span, the paths that had such responses, a path like the one asked for.
func noAnchorHint(r *Run) string {
	var first, last time.Time
	for _, src := range r.Sources {
		if src.Events == 0 {
			continue
		}
		if first.IsZero() || src.First.Before(first) {
			first = src.First
		}
		if src.Last.After(last) {
			last = src.Last
		}
	}
	// One clock: the zone naive times were read in (--tz, or estimated).
	loc := first.Location()
	for _, src := range r.Sources {
		if src.Zone != "" && src.Events > 0 {
			loc = src.First.Location()
			break
		}
	}
	var parts []string
	if !first.IsZero() {
		parts = append(parts, fmt.Sprintf("the logs run from %s to %s", stamp(first.In(loc), time.Second), stamp(last.In(loc), time.Second)))
	}
	if len(r.Elsewhere) > 0 {
		var on []string
		for _, p := range r.Elsewhere {
			on = append(on, fmt.Sprintf("%s (%d)", p.Path, p.Count))
		}
		parts = append(parts, fmt.Sprintf("%s responses were on %s", strings.Join(anchorKinds(&r.Config), " or "), strings.Join(on, ", ")))
	}
	for _, p := range r.Config.Paths {
		if near, ok := r.Nearest[p]; ok {
			parts = append(parts, fmt.Sprintf("no log has %s; did you mean --path %s?", p, near))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, "; ")
}

// unanchoredText says which server errors on the anchored paths the run
// did not anchor, and how to take them in, or "" when none.
func unanchoredText(r *Run) string {
	if len(r.Unanchored) == 0 {
		return ""
	}
	var parts []string
	proxy := false
	for _, sc := range r.Unanchored {
		parts = append(parts, fmt.Sprintf("%d %d", sc.Count, sc.Status))
		proxy = proxy || sc.Proxy
	}
	where := "the access log"
	if proxy {
		where = "the proxy's access log"
	}
	list := strings.Join(parts, ", ")
	if n := len(parts); n > 1 {
		list = strings.Join(parts[:n-1], ", ") + " and " + parts[n-1]
	}
	noun := "responses"
	if len(r.Unanchored) == 1 && r.Unanchored[0].Count == 1 {
		noun = "response"
	}
	return fmt.Sprintf("also on %s: %s %s (%s), not anchors: --status 5xx takes them in",
		strings.Join(r.Config.Paths, ", "), list, noun, where)
}

// loadResponses says what the Load table's responses are.
func loadResponses(r *Run) string {
	what := "the anchored paths' responses"
	if len(r.LoadMethods) > 0 {
		what = strings.Join(r.LoadMethods, " and ") + " responses on the anchored paths"
	}
	return what
}

// anchorKinds says which responses make anchors: statuses, and slow ones.
func anchorKinds(c *correlate.Config) []string {
	var out []string
	for _, st := range c.Statuses {
		out = append(out, st.String())
	}
	if c.Slow > 0 {
		out = append(out, "took >= "+c.Slow.String())
	}
	return out
}

// anchorWhat describes the anchors: methods, paths and kinds.
func anchorWhat(c *correlate.Config) string {
	methods := "any method"
	if len(c.Methods) > 0 {
		methods = strings.Join(c.Methods, "|")
	}
	return fmt.Sprintf("%s %s %s", methods, strings.Join(c.Paths, " "), strings.Join(anchorKinds(c), ","))
}

func plural(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func sumValues(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// writeSummary writes the whole summary.
func (t *Text) writeSummary(r *Run) {
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
		fmt.Fprintf(w, " from %s to %s", stamp(r.Shown(s.First), time.Second), stamp(r.Shown(s.Last), time.Second))
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
		if hint := noAnchorHint(r); hint != "" {
			fmt.Fprintf(w, "  %s\n", hint)
		}
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
	// The hypothesis table's UNEXPLAINED: no catalogued cause explains
	// them (unknown, or only their own exception).
	fmt.Fprintf(w, "  %-*s %6d\n", width, "unexplained", r.Hypotheses.Unexplained)
	if s.Late > 0 {
		fmt.Fprintf(w, "  %s came after their request's chain (the request ran longer than --same-request) and joined it\n",
			count(s.Late, "response line"))
	}
	writeDisorder(w, r)
	writeHypotheses(w, &r.Hypotheses, t.pal)
	writeLoad(w, r)
	writeLatency(w, r.Latency)
	writePressure(w, r)
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
			fmt.Fprintf(w, ", %s to %s", stamp(r.Shown(src.First), time.Second), stamp(r.Shown(src.Last), time.Second))
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
			fmt.Fprintf(w, ", silent from %s to %s", stamp(r.Shown(g.From), time.Second), stamp(r.Shown(g.To), time.Second))
		}
		if n := r.Outside[src.File]; n > 0 {
			fmt.Fprintf(w, "; silent over the window of %d unexplained anchors", n)
		}
		w.WriteByte('\n')
	}
	for _, sk := range r.Skipped {
		fmt.Fprintf(w, "  %s: skipped\n", sk)
	}
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
			example := parser.BaseName(h.ExampleAnchor)
			if h.ExampleEvidence != "" {
				// An anchor that is its own evidence (a proxy's timeout)
				// has none to point to.
				example += " <- " + parser.BaseName(h.ExampleEvidence)
			}
			fmt.Fprintf(w, "  %s, %s: %s; e.g. %s\n", count(h.Anchors, "anchor"), count(h.Signs, "line"), h.Cause.Title, example)
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
		names = append(names, parser.BaseName(f))
	}
	return strings.Join(names, ", ")
}

// writeLoad prints the anchors per Locust user count.
func writeLoad(w *bufio.Writer, r *Run) {
	if len(r.Load) == 0 {
		return
	}
	fmt.Fprintf(w, "Load (Locust users, from its history; responses: %s; rate: anchors / responses):\n", loadResponses(r))
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
			count(r.OutsideLoad, "anchor"), stamp(r.Shown(r.LoadSpan[0]), time.Second), stamp(r.Shown(r.LoadSpan[1]), time.Second))
	}
	w.WriteByte('\n')
}

// writePressure prints PgBouncer's pool wait.
func writePressure(w *bufio.Writer, r *Run) {
	p := r.Pressure
	if p == nil {
		return
	}
	fmt.Fprintf(w, "Pool pressure (PgBouncer stats: time clients waited for a server connection, per second):\n")
	fmt.Fprintf(w, "  peak %s/s (about %.1f clients queued) at %s (%s:%d)", p.Peak.Wait.Round(time.Millisecond), p.Peak.Wait.Seconds(),
		stamp(r.Shown(p.Peak.Time), time.Millisecond), parser.BaseName(p.Peak.Source), p.Peak.Line)
	if p.FirstWait != nil {
		fmt.Fprintf(w, "; clients waited from %s on", stamp(r.Shown(p.FirstWait.Time), time.Millisecond))
	} else {
		fmt.Fprintf(w, "; no client ever waited")
	}
	w.WriteByte('\n')
	var parts []string
	for _, s := range p.Samples {
		parts = append(parts, fmt.Sprintf("%s %s", r.Shown(s.Time).Format("15:04:05"), s.Wait.Round(time.Millisecond)))
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
		fmt.Fprintf(w, "  %s: ", parser.BaseName(c.File))
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
