package report

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/logcorr/logcorr/correlate"
	"github.com/logcorr/logcorr/parser"
	"github.com/logcorr/logcorr/verdict"
)

// examplesPerCause is how many chains the post-mortem shows for each cause.
const examplesPerCause = 2

// Markdown writes a post-mortem section ready to paste: what was analysed,
// the verdict, the hypothesis table, a timeline per minute, load and
// pressure, and the strongest chains with their evidence. It keeps only
// those few chains, so memory does not grow with the run.
type Markdown struct {
	w        *bufio.Writer
	examples map[string][]correlate.Chain
}

// NewMarkdown returns a Markdown renderer.
func NewMarkdown(w io.Writer) *Markdown {
	return &Markdown{w: bufio.NewWriter(w), examples: map[string][]correlate.Chain{}}
}

// stronger orders chains by how much evidence they carry, then by time:
// whether a chain with evidence links a at time at goes before one with
// b at bt.
func stronger(a int, at time.Time, b int, bt time.Time) bool {
	if a != b {
		return a > b
	}
	return at.Before(bt)
}

// Chain implements Renderer: it keeps the strongest chains of each cause.
func (m *Markdown) Chain(c *correlate.Chain) error {
	ex := append(m.examples[c.Cause], *c)
	sort.SliceStable(ex, func(i, j int) bool { return stronger(len(ex[i].Evidence), ex[i].Time, len(ex[j].Evidence), ex[j].Time) })
	if len(ex) > examplesPerCause {
		ex = ex[:examplesPerCause]
	}
	m.examples[c.Cause] = ex
	return nil
}

// mdCell escapes what would break a table cell.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

func (m *Markdown) title(r *Run) string {
	var statuses []string
	for _, st := range r.Config.Statuses {
		statuses = append(statuses, st.String())
	}
	return fmt.Sprintf("%s responses to %s", strings.Join(statuses, "/"), strings.Join(r.Config.Paths, ", "))
}

// Finish implements Renderer.
func (m *Markdown) Finish(r *Run) error {
	w := m.w
	s := &r.Summary
	fmt.Fprintf(w, "## Post-mortem: %s\n\n", m.title(r))
	if v := Verdict(r); v != "" {
		fmt.Fprintf(w, "**Verdict:** %s.\n\n", v)
	} else {
		fmt.Fprintf(w, "**Verdict:** no %s in these logs.\n\n", m.title(r))
	}

	fmt.Fprintf(w, "### What was analysed\n\n")
	if s.Anchors > 0 {
		fmt.Fprintf(w, "%s from %s to %s. ", count(s.Anchors, "anchor"), stamp(r.Shown(s.First), time.Second), stamp(r.Shown(s.Last), time.Second))
	}
	if u := unanchoredText(r); u != "" {
		fmt.Fprintf(w, "%s. ", upperFirst(u))
	}
	fmt.Fprintf(w, "Each anchor's window runs from %s before the first report of its request to %s after it.", r.Config.Before, r.Config.After)
	if rt := rangeText(&r.Config); rt != "" {
		fmt.Fprintf(w, " The run was restricted to %s.", rt)
	}
	fmt.Fprintf(w, "\n\n")
	fmt.Fprintf(w, "| log | format | zone of naive times | events | from | to |\n|---|---|---|---|---|---|\n")
	for _, src := range r.Sources {
		zone := src.Zone
		switch {
		case strings.HasPrefix(src.Format, "locust "):
			zone = "-"
		case zone == "":
			zone = "written in the lines"
		}
		from, to := "", ""
		if src.Events > 0 {
			from, to = stamp(r.Shown(src.First), time.Second), stamp(r.Shown(src.Last), time.Second)
		}
		fmt.Fprintf(w, "| `%s` | %s | %s | %d | %s | %s |\n", parser.BaseName(src.File), mdCell(src.Format), zone, src.Events, from, to)
	}
	for _, c := range r.Clocks {
		if c.Applied {
			what := "zone"
			if c.CollectorTimes {
				what = "zone of " + c.Collector + "'s times"
			}
			fmt.Fprintf(w, "\n`%s`: %s %s, %s.", parser.BaseName(c.File), what, verdict.ZoneName(c.Estimate.Offset), c.Basis())
		}
	}
	w.WriteString("\n\n")

	m.hypotheses(r)
	m.timeline(r)
	markdownLatency(m.w, r.Latency)
	m.loadAndPressure(r)
	m.evidence(r)
	return w.Flush()
}

// basisWords says how sure a cause's attribution is, from its chains'
// bases. A cause a request leaves no traceback of (a worker killed, a
// proxy's timeout) is named by the request's own line.
func basisWords(cause *correlate.Cause, by map[correlate.Basis]int) string {
	own := "traceback"
	if cause.Explains == correlate.ExplainsNoTraceback || slices.Contains(cause.Shows, "proxy") {
		own = "line"
	}
	var parts []string
	for _, b := range []correlate.Basis{correlate.BasisNamed, correlate.BasisNearby, correlate.BasisException} {
		n := by[b]
		if n == 0 {
			continue
		}
		switch b {
		case correlate.BasisNamed:
			parts = append(parts, fmt.Sprintf("%d named by their own %s", n, own))
		case correlate.BasisNearby:
			parts = append(parts, fmt.Sprintf("%d by a line of it in their window, their own exception being what it causes", n))
		case correlate.BasisException:
			parts = append(parts, fmt.Sprintf("%d by their own exception", n))
		}
	}
	return strings.Join(parts, "; ")
}

// howSure says on what a hypothesis's status rests.
func howSure(h *verdict.Hypothesis) string {
	switch h.Status {
	case verdict.Confirmed:
		return basisWords(&h.Cause, h.ByBasis)
	case verdict.Seen:
		return fmt.Sprintf("%d lines show it, none in the window of an anchor it could explain", h.Signs)
	case verdict.Rejected:
		return "no trace in " + baseNames(h.Logs)
	case verdict.NotChecked:
		if h.Note != "" {
			return h.Note
		}
		return "no " + strings.Join(h.Cause.Shows, " or ") + " log read"
	}
	return ""
}

func (m *Markdown) hypotheses(r *Run) {
	w := m.w
	fmt.Fprintf(w, "### Hypotheses\n\n| status | cause | anchors | how sure | example | usual fix |\n|---|---|---|---|---|---|\n")
	for _, h := range r.Hypotheses.Rows {
		example, sure, fix := "", howSure(&h), ""
		if h.Status == verdict.Confirmed {
			example = fmt.Sprintf("`%s`", parser.BaseName(h.ExampleAnchor))
			if h.ExampleEvidence != "" {
				example += fmt.Sprintf(" ← `%s`", parser.BaseName(h.ExampleEvidence))
			}
			fix = h.Cause.Fix
		}
		fmt.Fprintf(w, "| %s | **%s**: %s | %d | %s | %s | %s |\n", h.Status, h.Cause.ID, mdCell(h.Cause.Title), h.Anchors, mdCell(sure), example, mdCell(fix))
	}
	fmt.Fprintf(w, "| UNEXPLAINED | | %d | | | |\n\n", r.Hypotheses.Unexplained)
}

func (m *Markdown) timeline(r *Run) {
	if len(r.Marks.ByCause) == 0 {
		return
	}
	w := m.w
	loc := r.Marks.Loc
	perMinute := map[time.Time]map[string]int{}
	causeSet := map[string]int{}
	for cause, per := range r.Marks.ByCause {
		for sec, n := range per.All() {
			min := time.Unix(sec, 0).In(loc).Truncate(time.Minute)
			if perMinute[min] == nil {
				perMinute[min] = map[string]int{}
			}
			perMinute[min][cause] += n
			causeSet[cause] += n
		}
	}
	causes := sortedByCount(causeSet)
	var minutes []time.Time
	for k := range perMinute {
		minutes = append(minutes, k)
	}
	sort.Slice(minutes, func(i, j int) bool { return minutes[i].Before(minutes[j]) })
	fmt.Fprintf(w, "### Timeline (anchors per minute)\n\n| minute | anchors |")
	for _, c := range causes {
		fmt.Fprintf(w, " %s |", mdCell(c))
	}
	w.WriteString("\n|---|---|")
	w.WriteString(strings.Repeat("---|", len(causes)))
	w.WriteString("\n")
	for _, min := range minutes {
		total := 0
		for _, n := range perMinute[min] {
			total += n
		}
		fmt.Fprintf(w, "| %s | %d |", min.Format("2006-01-02 15:04 -07:00"), total)
		for _, c := range causes {
			fmt.Fprintf(w, " %d |", perMinute[min][c])
		}
		w.WriteString("\n")
	}
	w.WriteString("\n")
}

func sortedByCount(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if m[out[i]] != m[out[j]] {
			return m[out[i]] > m[out[j]]
		}
		return out[i] < out[j]
	})
	return out
}

func (m *Markdown) loadAndPressure(r *Run) {
	if len(r.Load) == 0 && r.Pressure == nil && len(r.Client) == 0 {
		return
	}
	w := m.w
	fmt.Fprintf(w, "### Load and pressure\n\n")
	if len(r.Load) > 0 {
		fmt.Fprintf(w, "| Locust users | seconds | responses (%s) | anchors | anchors / responses |\n|---|---|---|---|---|\n", loadResponses(r))
		for _, l := range r.Load {
			rate := "-"
			if l.Responses > 0 {
				rate = fmt.Sprintf("%.1f%%", 100*float64(l.Anchors)/float64(l.Responses))
			}
			fmt.Fprintf(w, "| %d | %d | %d | %d | %s |\n", l.Users, l.Seconds, l.Responses, l.Anchors, rate)
		}
		w.WriteString("\n")
		if r.LowestLoad >= 0 {
			fmt.Fprintf(w, "- Anchors appeared from **%d users** on.", r.LowestLoad)
			if r.OutsideLoad > 0 {
				fmt.Fprintf(w, " %s fall outside Locust's history (it ends at %s).", count(r.OutsideLoad, "anchor"), stamp(r.Shown(r.LoadSpan[1]), time.Second))
			}
			w.WriteString("\n")
		}
	}
	if p := r.Pressure; p != nil {
		fmt.Fprintf(w, "- PgBouncer's pool: clients waited for a server connection %s per second at the peak (about %.1f queued) at %s",
			p.Peak.Wait.Round(time.Millisecond), p.Peak.Wait.Seconds(), stamp(r.Shown(p.Peak.Time), time.Second))
		if p.FirstWait != nil {
			fmt.Fprintf(w, "; waiting began by %s", stamp(r.Shown(p.FirstWait.Time), time.Second))
		}
		w.WriteString(".\n")
	}
	for _, c := range r.Client {
		for _, f := range c.Findings {
			if f.Kind == verdict.Agree {
				continue
			}
			fmt.Fprintf(w, "- Locust %s `%s %s`, %s: Locust %d, server %d. %s.\n", strings.ToLower(f.Kind), c.Method, c.Path, f.What, f.Client, f.Server, upperFirst(f.Why))
		}
	}
	w.WriteString("\n")
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (m *Markdown) evidence(r *Run) {
	if len(m.examples) == 0 {
		return
	}
	w := m.w
	fmt.Fprintf(w, "### Evidence (the strongest chains of each cause)\n\n")
	causes := make(map[string]int, len(m.examples))
	for c := range m.examples {
		causes[c] = r.Summary.ByCause[c]
	}
	for _, cause := range sortedByCount(causes) {
		for _, c := range m.examples[cause] {
			method := c.Method
			if method == "" {
				method = "?"
			}
			fmt.Fprintf(w, "#### %s: %s %s %s at %s\n\n", cause, method, c.Path, outcome(&c), stamp(c.Time, c.Anchor.Precision))
			w.WriteString("```text\n")
			fmt.Fprintf(w, "anchor  %s:%d  %s\n", parser.BaseName(c.Anchor.Source), c.Anchor.Line, c.Anchor.Text)
			for _, n := range c.Notes {
				fmt.Fprintf(w, "note    %s\n", n)
			}
			for _, l := range c.Evidence {
				fmt.Fprintf(w, "%s:%d  %s  %s\n        (%s)\n", parser.BaseName(l.Event.Source), l.Event.Line, offset(l.Offset), l.Event.Text, l.Why)
			}
			w.WriteString("```\n\n")
		}
	}
}
