package report

import (
	"bufio"
	"fmt"
	"html/template"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/logcorr/logcorr/correlate"
	"github.com/logcorr/logcorr/parser"
	"github.com/logcorr/logcorr/verdict"
)

// HTML writes one self-contained page: a timeline chart (SVG) with one mark
// per anchor coloured by cause, the lines that show each cause, Locust's
// users and PgBouncer's pool wait on the same time axis; the hypothesis
// table; and every chain, expandable to its evidence. It needs no network
// when opened. It keeps every chain until the end, to list them all.
type HTML struct {
	w      *bufio.Writer
	chains []htmlChain
}

type htmlChain struct {
	N        int
	ID       string
	Time     string
	Cause    string
	Color    string
	Head     string
	Basis    string
	Notes    []string
	Evidence []string
	at       time.Time
	// began is when a slow anchor's request began; split says where its
	// time went.
	began time.Time
	split string
}

// NewHTML returns an HTML renderer.
func NewHTML(w io.Writer) *HTML { return &HTML{w: bufio.NewWriter(w)} }

// Chain implements Renderer.
func (h *HTML) Chain(c *correlate.Chain) error {
	n := len(h.chains) + 1
	method := c.Method
	if method == "" {
		method = "?"
	}
	// The page keeps every chain to the end: it copies what it keeps of the
	// events, whose text shares memory with much more of the input
	// (source.LineReader).
	hc := htmlChain{N: n, ID: fmt.Sprintf("chain-%d", n), Time: stamp(c.Time, c.Anchor.Precision), Cause: strings.Clone(c.Cause),
		Head:  fmt.Sprintf("%s %s %s, anchor %s:%d", method, c.Path, outcome(c), parser.BaseName(c.Anchor.Source), c.Anchor.Line),
		Basis: basisText(c), Notes: c.Notes, at: c.Time}
	if c.Split != nil {
		hc.began, hc.split = c.Began, c.Split.String()
	}
	hc.Evidence = append(hc.Evidence, fmt.Sprintf("anchor  %s:%d  %s", parser.BaseName(c.Anchor.Source), c.Anchor.Line, c.Anchor.Text))
	for _, l := range c.Evidence {
		hc.Evidence = append(hc.Evidence, fmt.Sprintf("%s:%d  %s  %s\n        (%s)", parser.BaseName(l.Event.Source), l.Event.Line, offset(l.Offset), l.Event.Text, l.Why))
	}
	h.chains = append(h.chains, hc)
	return nil
}

// palette colours causes in the order of their counts.
var palette = []string{"#d62728", "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"}

// Chart geometry, in SVG user units.
const (
	chartW, chartH = 1200.0, 420.0
	padL, padR     = 60.0, 60.0
	plotTop        = 30.0
	anchorsH       = 230.0 // marks stack upwards from the axis
	signsH         = 80.0  // cause lines hang below it
)

type chartMark struct {
	X, Y, W, H float64
	Color      string
	Title      string
	Chain      string
}

type chartBar struct {
	X, Y, W, H float64
	Color      string
	Title      string
}

type chartTick struct {
	X     float64
	Label string
}

type legendItem struct {
	Color, Label string
	X            float64
}

type chart struct {
	W, H, AxisY, PlotL, PlotR float64
	TickY, TickEnd, LabelY    float64
	Marks                     []chartMark
	Bars                      []chartBar
	Ticks                     []chartTick
	Users, Wait               string // polyline points
	UsersMax                  int
	WaitMax                   string
	Legend                    []legendItem
	Empty                     bool
	// Spans are slow anchors' requests, from start to end, in the latency
	// lane below the ticks (LaneY).
	Spans []chartMark
	LaneY float64
}

// laneH is the latency lane's height.
const laneH = 110.0

// buildChart lays out the timeline: x is time, each anchor a small box
// stacked in its second's column.
func (h *HTML) buildChart(r *Run, colors map[string]string) chart {
	c := chart{W: chartW, H: chartH, AxisY: plotTop + anchorsH, PlotL: padL, PlotR: chartW - padR}
	c.TickY, c.TickEnd, c.LabelY = c.AxisY+signsH+8, c.AxisY+signsH+13, c.AxisY+signsH+26
	if len(h.chains) == 0 {
		c.Empty = true
		return c
	}
	first, last := h.chains[0].at, h.chains[0].at
	for _, hc := range h.chains {
		if hc.at.Before(first) {
			first = hc.at
		}
		if !hc.began.IsZero() && hc.began.Before(first) {
			first = hc.began
		}
		if hc.at.After(last) {
			last = hc.at
		}
	}
	for _, per := range r.Signs {
		for sec := range per.All() {
			t := time.Unix(sec, 0)
			if t.Before(first) {
				first = t
			}
			if t.After(last) {
				last = t
			}
		}
	}
	start := first.Truncate(time.Second).Add(-time.Second)
	seconds := int(last.Sub(start)/time.Second) + 2
	colW := (c.PlotR - c.PlotL) / float64(seconds)
	x := func(t time.Time) float64 { return c.PlotL + t.Sub(start).Seconds()*colW }

	// Anchors: one box per anchor, stacked per second.
	perSec := map[int64][]*htmlChain{}
	most := 1
	for i := range h.chains {
		s := h.chains[i].at.Unix()
		perSec[s] = append(perSec[s], &h.chains[i])
		most = max(most, len(perSec[s]))
	}
	boxH := min(8.0, anchorsH/float64(most))
	for s, list := range perSec {
		sort.Slice(list, func(i, j int) bool { return list[i].Cause < list[j].Cause })
		for k, hc := range list {
			c.Marks = append(c.Marks, chartMark{X: x(time.Unix(s, 0)), Y: c.AxisY - float64(k+1)*boxH, W: max(colW-0.5, 0.5), H: max(boxH-0.5, 0.5),
				Color: colors[hc.Cause], Title: fmt.Sprintf("#%d %s %s", hc.N, hc.Time, hc.Cause), Chain: hc.ID})
		}
	}
	sort.Slice(c.Marks, func(i, j int) bool { return c.Marks[i].Chain < c.Marks[j].Chain })

	// Slow anchors' requests as spans, each in the first row free by its
	// start.
	var rowEnds []time.Time
	type span struct {
		hc  *htmlChain
		row int
	}
	var spans []span
	for i := range h.chains {
		hc := &h.chains[i]
		if hc.began.IsZero() {
			continue
		}
		row := 0
		for row < len(rowEnds) && rowEnds[row].After(hc.began) {
			row++
		}
		if row == len(rowEnds) {
			rowEnds = append(rowEnds, time.Time{})
		}
		rowEnds[row] = hc.at
		spans = append(spans, span{hc, row})
	}
	if len(spans) > 0 {
		c.LaneY = c.LabelY + 16
		c.H = c.LaneY + laneH + 8
		rowH := min(6.0, laneH/float64(len(rowEnds)))
		for _, sp := range spans {
			c.Spans = append(c.Spans, chartMark{X: x(sp.hc.began), Y: c.LaneY + float64(sp.row)*rowH, W: max(x(sp.hc.at)-x(sp.hc.began), 0.5),
				H: max(rowH-0.5, 0.5), Color: colors[sp.hc.Cause], Title: fmt.Sprintf("#%d %s %s: %s", sp.hc.N, sp.hc.Time, sp.hc.Cause, sp.hc.split), Chain: sp.hc.ID})
		}
	}

	// Lines that show each cause, per second, below the axis.
	mostSigns := 1
	for _, per := range r.Signs {
		for _, n := range per.All() {
			mostSigns = max(mostSigns, n)
		}
	}
	for _, cause := range sortedKeys(r.Signs) {
		for sec, n := range r.Signs[cause].All() {
			hgt := signsH * float64(n) / float64(mostSigns)
			c.Bars = append(c.Bars, chartBar{X: x(time.Unix(sec, 0)), Y: c.AxisY + 4, W: max(colW-0.5, 0.5), H: hgt,
				Color: colorOf(colors, cause), Title: fmt.Sprintf("%s: %d lines at %s", cause, n, r.Shown(time.Unix(sec, 0)).Format("15:04:05Z07:00"))})
		}
	}

	// Locust's users and PgBouncer's wait, scaled to the plot's height.
	var pts []string
	for _, u := range r.Users {
		c.UsersMax = max(c.UsersMax, u.Users)
	}
	for _, u := range r.Users {
		if u.Time.Before(start) || u.Time.After(start.Add(time.Duration(seconds)*time.Second)) || c.UsersMax == 0 {
			continue
		}
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(u.Time), c.AxisY-anchorsH*float64(u.Users)/float64(c.UsersMax)))
	}
	c.Users = strings.Join(pts, " ")
	if p := r.Pressure; p != nil && p.Peak.Wait > 0 {
		pts = pts[:0]
		for _, s := range p.Samples {
			if s.Time.Before(start) || s.Time.After(start.Add(time.Duration(seconds)*time.Second)) {
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(s.Time), c.AxisY-anchorsH*s.Wait.Seconds()/p.Peak.Wait.Seconds()))
		}
		c.Wait = strings.Join(pts, " ")
		c.WaitMax = p.Peak.Wait.Round(time.Millisecond).String()
	}

	// Ticks every few seconds, in the anchors' zone.
	step := max(1, seconds/12)
	for _, nice := range []int{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600} {
		if nice >= step {
			step = nice
			break
		}
	}
	// Ticks read in the anchors' zone, whatever line began the plot.
	loc := h.chains[0].at.Location()
	for t := start.Truncate(time.Duration(step) * time.Second); !t.After(start.Add(time.Duration(seconds) * time.Second)); t = t.Add(time.Duration(step) * time.Second) {
		if t.Before(start) {
			continue
		}
		c.Ticks = append(c.Ticks, chartTick{X: x(t), Label: t.In(loc).Format("15:04:05")})
	}
	lx := c.PlotL
	for _, cause := range sortedKeys(colors) {
		c.Legend = append(c.Legend, legendItem{Color: colors[cause], Label: cause, X: lx})
		lx += 18 + float64(len(cause))*7
	}
	return c
}

func colorOf(colors map[string]string, cause string) string {
	if c, ok := colors[cause]; ok {
		return c
	}
	return "#999999"
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// Finish implements Renderer.
func (h *HTML) Finish(r *Run) error {
	counts := map[string]int{}
	for _, hc := range h.chains {
		counts[hc.Cause]++
	}
	for id := range r.Signs {
		if _, ok := counts[id]; !ok {
			counts[id] = 0
		}
	}
	colors := map[string]string{}
	for i, cause := range sortedByCount(counts) {
		colors[cause] = palette[i%len(palette)]
	}
	for i := range h.chains {
		h.chains[i].Color = colors[h.chains[i].Cause]
	}
	data := map[string]any{
		"Title":   "logcorr: " + (&Markdown{}).title(r),
		"Verdict": Verdict(r),
		"Run":     r,
		"Chart":   h.buildChart(r, colors),
		"Chains":  h.chains,
		"Hyps":    r.Hypotheses.Rows,
		"Unexpl":  r.Hypotheses.Unexplained,
		"Sources": shownSources(r),
		"Window":  fmt.Sprintf("%s before the first report of each request, %s after its anchor", r.Config.Before, r.Config.After),
		"Range":   rangeText(&r.Config),
		// The anchors' span in the run's one zone, as the chains are.
		"First": r.Shown(r.Summary.First),
		"Last":  r.Shown(r.Summary.Last),
	}
	if u := unanchoredText(r); u != "" {
		data["Unanchored"] = upperFirst(u)
	}
	if err := htmlPage.Execute(h.w, data); err != nil {
		return err
	}
	return h.w.Flush()
}

// shownSources are the sources with their times in the run's one clock.
func shownSources(r *Run) []SourceInfo {
	out := append([]SourceInfo(nil), r.Sources...)
	for i := range out {
		if out[i].Events > 0 {
			out[i].First, out[i].Last = r.Shown(out[i].First), r.Shown(out[i].Last)
		}
	}
	return out
}

var htmlPage = template.Must(template.New("page").Funcs(template.FuncMap{
	"base":          parser.BaseName,
	"sure":          func(h verdict.Hypothesis) string { return howSure(&h) },
	"f1":            func(v float64) string { return fmt.Sprintf("%.1f", v) },
	"secs":          correlate.Seconds,
	"loadResponses": loadResponses,
	"parts": func(p verdict.PathLatency) string {
		if p.Slow == 0 {
			return ""
		}
		return latencyParts(&p)
	},
	"lower": func(s verdict.Status) string {
		return strings.ToLower(strings.ReplaceAll(string(s), " ", "-"))
	},
	"stamp": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return stamp(t, time.Second)
	},
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1260px;color:#222;padding:0 12px}
h1{font-size:22px;margin:0 0 8px} h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.verdict{font-size:16px;background:#f6f6f2;border-left:4px solid #d62728;padding:8px 12px}
table{border-collapse:collapse;width:100%;font-size:13px} th,td{border-bottom:1px solid #e4e4e4;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#fafafa} td.n{text-align:right}
.confirmed{color:#b00;font-weight:600}.seen{color:#a60}.rejected{color:#888}.not-checked{color:#36c}
svg{width:100%;height:auto;border:1px solid #eee;background:#fff}
.anchor-mark{cursor:pointer}.anchor-mark:hover{stroke:#000;stroke-width:1}
.axis{stroke:#333;stroke-width:1}.tick text,.lbl{font:11px sans-serif;fill:#555}
.users{fill:none;stroke:#444;stroke-width:1.5;stroke-dasharray:4 3}.wait{fill:none;stroke:#2ca02c;stroke-width:1.5}
details{border-bottom:1px solid #eee;padding:2px 0} summary{cursor:pointer}
details pre{background:#f7f7f7;padding:8px;overflow-x:auto;font-size:12px;white-space:pre}
.sw{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
.note{color:#a60}
</style></head>
<body>
<h1>{{.Title}}</h1>
{{if .Verdict}}<p class="verdict">{{.Verdict}}.</p>{{else}}<p class="verdict">No anchors in these logs.</p>{{end}}
<p>Window: {{.Window}}.{{with .Range}} Restricted to {{.}}.{{end}}{{if .Run.Summary.Anchors}} Anchors from {{stamp .First}} to {{stamp .Last}}.{{end}}{{with .Unanchored}} {{.}}.{{end}}</p>

<h2>Timeline</h2>
{{with .Chart}}
<svg id="chart" viewBox="0 0 {{.W}} {{.H}}" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="anchors per second by cause">
{{if .Empty}}<text class="lbl" x="{{.PlotL}}" y="60">No anchors.</text>{{else}}
<g class="legend">{{range .Legend}}<rect x="{{f1 .X}}" y="8" width="10" height="10" fill="{{.Color}}"></rect><text class="lbl" x="{{f1 .X}}" dx="13" y="17">{{.Label}}</text>{{end}}</g>
<g class="anchors">{{range .Marks}}<rect class="anchor-mark" data-chain="{{.Chain}}" x="{{f1 .X}}" y="{{f1 .Y}}" width="{{f1 .W}}" height="{{f1 .H}}" fill="{{.Color}}"><title>{{.Title}}</title></rect>{{end}}</g>
<g class="signs">{{range .Bars}}<rect class="sign-bar" x="{{f1 .X}}" y="{{f1 .Y}}" width="{{f1 .W}}" height="{{f1 .H}}" fill="{{.Color}}" fill-opacity="0.45"><title>{{.Title}}</title></rect>{{end}}</g>
{{if .Users}}<polyline class="users" points="{{.Users}}"><title>Locust users (top of the plot: {{.UsersMax}})</title></polyline>{{end}}
{{if .Wait}}<polyline class="wait" points="{{.Wait}}"><title>PgBouncer pool wait (top of the plot: {{.WaitMax}}/s)</title></polyline>{{end}}
<line class="axis" x1="{{f1 .PlotL}}" y1="{{f1 .AxisY}}" x2="{{f1 .PlotR}}" y2="{{f1 .AxisY}}"></line>
<line class="axis" x1="{{f1 .PlotL}}" y1="{{f1 .TickY}}" x2="{{f1 .PlotR}}" y2="{{f1 .TickY}}"></line>
<g class="tick">{{range .Ticks}}<line class="axis" x1="{{f1 .X}}" y1="{{f1 $.Chart.TickY}}" x2="{{f1 .X}}" y2="{{f1 $.Chart.TickEnd}}"></line><text x="{{f1 .X}}" y="{{f1 $.Chart.LabelY}}" text-anchor="middle">{{.Label}}</text>{{end}}</g>
{{if .Spans}}<g class="lane">{{range .Spans}}<rect class="anchor-mark" data-chain="{{.Chain}}" x="{{f1 .X}}" y="{{f1 .Y}}" width="{{f1 .W}}" height="{{f1 .H}}" fill="{{.Color}}"><title>{{.Title}}</title></rect>{{end}}</g>
<text class="lbl" x="4" y="{{f1 .LaneY}}" dy="10">request time</text>
{{end -}}
<text class="lbl" x="4" y="{{f1 .AxisY}}" dy="-4">anchors</text><text class="lbl" x="4" y="{{f1 .AxisY}}" dy="16">cause lines</text>
{{end}}
</svg>
<p>Boxes above the axis: one per anchor, coloured by cause (click one to open its chain). Bars below: lines that show each cause, per second.{{if .Users}} Dashed: Locust users (top: {{.UsersMax}}).{{end}}{{if .Wait}} Green: PgBouncer pool wait per second (top: {{.WaitMax}}/s).{{end}}{{if .Spans}} Bottom lane: each slow anchor's request from its start to its end, coloured by cause.{{end}}</p>
{{end}}

<h2>Hypotheses</h2>
<table><tr><th>status</th><th>cause</th><th>anchors</th><th>lines</th><th>how sure</th><th>example</th><th>meaning / usual fix</th></tr>
{{range .Hyps}}<tr><td class="{{lower .Status}}">{{.Status}}</td><td><b>{{.Cause.ID}}</b><br>{{.Cause.Title}}</td><td class="n">{{.Anchors}}</td><td class="n">{{.Signs}}</td>
<td>{{sure .}}</td><td>{{if .ExampleAnchor}}{{base .ExampleAnchor}}{{if .ExampleEvidence}} ← {{base .ExampleEvidence}}{{end}}{{end}}</td><td>{{.Cause.Meaning}}{{if eq (lower .Status) "confirmed"}}<br><i>Fix:</i> {{.Cause.Fix}}{{end}}</td></tr>
{{end}}<tr><td>UNEXPLAINED</td><td></td><td class="n">{{.Unexpl}}</td><td></td><td></td><td></td><td></td></tr></table>

{{with .Run}}{{if .Latency}}<h2>Latency</h2>
<table><tr><th>path</th><th>requests</th><th>p50</th><th>p95</th><th>max</th><th>slow</th><th>where the slow ones' time went</th><th>statements that took most</th></tr>
{{range .Latency}}<tr><td>{{.Path}}</td><td class="n">{{.Requests}}</td><td class="n">{{secs .P50}}</td><td class="n">{{secs .P95}}</td><td class="n">{{secs .Max}}</td><td class="n">{{.Slow}}</td><td>{{parts .}}</td><td>{{range .Statements}}{{secs .Took}} in {{.Count}}: <code>{{.Fingerprint}}</code><br>{{end}}</td></tr>{{end}}</table>
{{end -}}
{{if .Load}}<h2>Load</h2>
<table><tr><th>Locust users</th><th>seconds</th><th>responses ({{loadResponses .}})</th><th>anchors</th></tr>
{{range .Load}}<tr><td class="n">{{.Users}}</td><td class="n">{{.Seconds}}</td><td class="n">{{.Responses}}</td><td class="n">{{.Anchors}}</td></tr>{{end}}</table>
{{if ge .LowestLoad 0}}<p>Anchors appeared from {{.LowestLoad}} users on.</p>{{end}}{{end}}
{{if .Client}}<h2>Locust against the server</h2><table><tr><th>request</th><th>finding</th><th>Locust</th><th>server</th><th>why</th></tr>
{{range $c := .Client}}{{range .Findings}}<tr><td>{{$c.Method}} {{$c.Path}}</td><td>{{.Kind}}: {{.What}}</td><td class="n">{{.Client}}</td><td class="n">{{.Server}}</td><td>{{.Why}}</td></tr>{{end}}{{end}}</table>{{end}}{{end}}

<h2>Chains ({{len .Chains}})</h2>
{{range .Chains}}<details id="{{.ID}}"><summary><span class="sw" style="background:{{.Color}}"></span>#{{.N}} {{.Time}} <b>{{.Cause}}</b> ({{.Basis}}): {{.Head}}</summary>
{{range .Notes}}<p class="note">{{.}}</p>{{end}}<pre>{{range .Evidence}}{{.}}
{{end}}</pre></details>
{{end}}

<h2>Sources</h2>
<table><tr><th>log</th><th>format</th><th>zone of naive times</th><th>events</th><th>from</th><th>to</th></tr>
{{range .Sources}}<tr><td>{{base .File}}</td><td>{{.Format}}</td><td>{{.Zone}}</td><td class="n">{{.Events}}</td><td>{{stamp .First}}</td><td>{{stamp .Last}}</td></tr>{{end}}</table>
<script>
document.getElementById('chart').addEventListener('click', function (e) {
  var id = e.target.getAttribute && e.target.getAttribute('data-chain');
  if (!id) { return; }
  var d = document.getElementById(id);
  if (d) { d.open = true; d.scrollIntoView({block: 'center'}); }
});
</script>
</body></html>
`))
