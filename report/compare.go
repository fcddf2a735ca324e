package report

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"strconv"
	"strings"

	"github.com/logcorr/logcorr/correlate"
	"github.com/logcorr/logcorr/verdict"
)

// Compared is what `logcorr compare` prints: two runs side by side and
// the expectations checked on the run after.
type Compared struct {
	BeforeName, AfterName string
	Paths                 []string
	verdict.Comparison
	Expectations []verdict.Expectation
}

// rows are the figures of the two runs, as label, before, after.
func (c *Compared) rows() [][3]string {
	rate := func(f *verdict.Figures) string {
		if r := f.FailureRate(); r >= 0 {
			return strconv.FormatFloat(r*100, 'f', 1, 64) + "%"
		}
		return "?"
	}
	pool := func(f *verdict.Figures) string {
		if f.PoolWaitPeak < 0 {
			return "no stats"
		}
		return fmt.Sprintf("%s/s (~%.1f queued)", correlate.Seconds(f.PoolWaitPeak), f.PoolWaitPeak.Seconds())
	}
	req := func(f *verdict.Figures) string {
		if f.Requests == 0 {
			return "?"
		}
		return strconv.Itoa(f.Requests)
	}
	b, a := &c.Before, &c.After
	rows := [][3]string{
		{"anchors", strconv.Itoa(b.Anchors), strconv.Itoa(a.Anchors)},
		{"requests on " + strings.Join(c.Paths, " ") + " (the anchors' methods)", req(b), req(a)},
		{"failure rate (anchors / requests)", rate(b), rate(a)},
		{"PgBouncer pool wait, peak", pool(b), pool(a)},
	}
	if b.SlowP95 > 0 || a.SlowP95 > 0 {
		rows = append(rows, [3]string{"slow anchors, p95 duration", correlate.Seconds(b.SlowP95), correlate.Seconds(a.SlowP95)})
	}
	for _, pair := range pairLevels(b.Levels, a.Levels) {
		if pair[0] == nil || pair[1] == nil || pair[0].Responses+pair[1].Responses+pair[0].Anchors+pair[1].Anchors == 0 {
			continue
		}
		share := func(l *verdict.LoadLevel) string {
			if l.Responses == 0 {
				return fmt.Sprintf("%d anchors", l.Anchors)
			}
			return fmt.Sprintf("%d of %d (%.1f%%)", l.Anchors, l.Responses, 100*float64(l.Anchors)/float64(l.Responses))
		}
		rows = append(rows, [3]string{fmt.Sprintf("at %d Locust users (anchors of responses)", pair[0].Users), share(pair[0]), share(pair[1])})
	}
	return rows
}

// pairLevels sets the two runs' Locust user counts side by side, in the
// order they first appear; a count only one run had has nil for the other.
func pairLevels(before, after []verdict.LoadLevel) [][2]*verdict.LoadLevel {
	var out [][2]*verdict.LoadLevel
	at := map[int]int{}
	for side, ls := range [][]verdict.LoadLevel{before, after} {
		for i := range ls {
			k, ok := at[ls[i].Users]
			if !ok {
				k = len(out)
				at[ls[i].Users] = k
				out = append(out, [2]*verdict.LoadLevel{})
			}
			out[k][side] = &ls[i]
		}
	}
	return out
}

// causeCell is a cause's count with its share of the requests.
func causeCell(n int, f *verdict.Figures) string {
	if f.Requests == 0 || n == 0 {
		return strconv.Itoa(n)
	}
	return fmt.Sprintf("%d (%.1f%%)", n, 100*float64(n)/float64(f.Requests))
}

func passWord(p bool) string {
	if p {
		return "PASS"
	}
	return "FAIL"
}

// WriteCompareText writes the comparison for a person.
func WriteCompareText(w io.Writer, c *Compared) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Compare: before %s, after %s\n", c.BeforeName, c.AfterName)
	fmt.Fprintf(&b, "  verdict: %s\n\n", c.Verdict)
	const causeHead = "cause (anchors, share of requests)"
	rows := c.rows()
	width, cell := len(causeHead), len("before")
	for _, r := range rows {
		width, cell = max(width, len(r[0])), max(cell, len(r[1]), len(r[2]))
	}
	for _, cc := range c.Causes {
		width = max(width, len(cc.Cause))
		cell = max(cell, len(causeCell(cc.Before, &c.Before)), len(causeCell(cc.After, &c.After)))
	}
	fmt.Fprintf(&b, "  %-*s  %-*s  %s\n", width, "", cell, "before", "after")
	for _, r := range rows {
		fmt.Fprintf(&b, "  %-*s  %-*s  %s\n", width, r[0], cell, r[1], r[2])
	}
	if len(c.Causes) > 0 {
		fmt.Fprintf(&b, "\n  %-*s  %-*s  %-*s  %s\n", width, causeHead, cell, "before", cell, "after", "change")
		for _, cc := range c.Causes {
			fmt.Fprintf(&b, "  %-*s  %-*s  %-*s  %s\n", width, cc.Cause, cell, causeCell(cc.Before, &c.Before), cell, causeCell(cc.After, &c.After), cc.Change)
		}
	}
	if len(c.Expectations) > 0 {
		b.WriteString("\nExpectations (on the run after):\n")
		for _, x := range c.Expectations {
			fmt.Fprintf(&b, "  %s  %s  (%s)\n", passWord(x.Pass), x.Text, x.Value)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteCompareMarkdown writes the comparison as a post-mortem section.
func WriteCompareMarkdown(w io.Writer, c *Compared) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## Before and after\n\n**Verdict:** %s\n\n", c.Verdict)
	fmt.Fprintf(&b, "| | before (`%s`) | after (`%s`) |\n|---|---|---|\n", c.BeforeName, c.AfterName)
	for _, r := range c.rows() {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", r[0], r[1], r[2])
	}
	if len(c.Causes) > 0 {
		b.WriteString("\n| cause | before | after | change |\n|---|---|---|---|\n")
		for _, cc := range c.Causes {
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", cc.Cause, causeCell(cc.Before, &c.Before), causeCell(cc.After, &c.After), cc.Change)
		}
	}
	if len(c.Expectations) > 0 {
		b.WriteString("\n| expectation | result | value |\n|---|---|---|\n")
		for _, x := range c.Expectations {
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", x.Text, passWord(x.Pass), x.Value)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteCompareHTML writes the comparison as a self-contained page.
func WriteCompareHTML(w io.Writer, c *Compared) error {
	var b strings.Builder
	e := html.EscapeString
	b.WriteString("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>logcorr compare</title>\n" +
		"<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}" +
		".fixed,.better,.PASS{color:#080}.new,.worse,.FAIL{color:#b00}</style></head><body>\n")
	fmt.Fprintf(&b, "<h1>Before and after</h1>\n<p><b>Verdict:</b> %s</p>\n", e(c.Verdict))
	fmt.Fprintf(&b, "<table><tr><th></th><th>before (%s)</th><th>after (%s)</th></tr>\n", e(c.BeforeName), e(c.AfterName))
	for _, r := range c.rows() {
		fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td><td>%s</td></tr>\n", e(r[0]), e(r[1]), e(r[2]))
	}
	b.WriteString("</table>\n")
	if len(c.Causes) > 0 {
		b.WriteString("<table><tr><th>cause</th><th>before</th><th>after</th><th>change</th></tr>\n")
		for _, cc := range c.Causes {
			fmt.Fprintf(&b, "<tr><td><code>%s</code></td><td>%s</td><td>%s</td><td class=\"%s\">%s</td></tr>\n",
				e(cc.Cause), e(causeCell(cc.Before, &c.Before)), e(causeCell(cc.After, &c.After)), cc.Change, cc.Change)
		}
		b.WriteString("</table>\n")
	}
	if len(c.Expectations) > 0 {
		b.WriteString("<table><tr><th>expectation</th><th>result</th><th>value</th></tr>\n")
		for _, x := range c.Expectations {
			p := passWord(x.Pass)
			fmt.Fprintf(&b, "<tr><td><code>%s</code></td><td class=\"%s\">%s</td><td>%s</td></tr>\n", e(x.Text), p, p, e(x.Value))
		}
		b.WriteString("</table>\n")
	}
	b.WriteString("</body></html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// JSONCompareRun is one run's figures.
type JSONCompareRun struct {
	Source         string         `json:"source"`
	Anchors        int            `json:"anchors"`
	Requests       int            `json:"requests"`
	FailureRate    *float64       `json:"failure_rate"`
	ByCause        map[string]int `json:"by_cause"`
	PoolWaitPeakMS *int64         `json:"pool_wait_peak_ms"`
	SlowP95MS      int64          `json:"slow_p95_ms,omitempty"`
}

// JSONCompare is `logcorr compare --format json`.
type JSONCompare struct {
	Before       JSONCompareRun      `json:"before"`
	After        JSONCompareRun      `json:"after"`
	Causes       []JSONCauseChange   `json:"causes"`
	Verdict      string              `json:"verdict"`
	Expectations []JSONExpectation   `json:"expectations"`
	Levels       []JSONCompareLevels `json:"levels,omitempty"`
}

// JSONCauseChange is one cause before and after.
type JSONCauseChange struct {
	Cause  string `json:"cause"`
	Before int    `json:"before"`
	After  int    `json:"after"`
	Change string `json:"change"`
}

// JSONExpectation is one --expect.
type JSONExpectation struct {
	Expect string `json:"expect"`
	Pass   bool   `json:"pass"`
	Value  string `json:"value"`
}

// JSONCompareLevels is one Locust user count in both runs.
type JSONCompareLevels struct {
	Users  int            `json:"users"`
	Before *JSONLoadLevel `json:"before"`
	After  *JSONLoadLevel `json:"after"`
}

func compareRunJSON(name string, f *verdict.Figures) JSONCompareRun {
	r := JSONCompareRun{Source: name, Anchors: f.Anchors, Requests: f.Requests, ByCause: f.ByCause, SlowP95MS: f.SlowP95.Milliseconds()}
	if rate := f.FailureRate(); rate >= 0 {
		r.FailureRate = &rate
	}
	if f.PoolWaitPeak >= 0 {
		ms := f.PoolWaitPeak.Milliseconds()
		r.PoolWaitPeakMS = &ms
	}
	if r.ByCause == nil {
		r.ByCause = map[string]int{}
	}
	return r
}

// WriteCompareJSON writes the comparison for programs.
func WriteCompareJSON(w io.Writer, c *Compared) error {
	doc := JSONCompare{Before: compareRunJSON(c.BeforeName, &c.Before), After: compareRunJSON(c.AfterName, &c.After),
		Causes: []JSONCauseChange{}, Verdict: c.Verdict, Expectations: []JSONExpectation{}}
	for _, cc := range c.Causes {
		doc.Causes = append(doc.Causes, JSONCauseChange{cc.Cause, cc.Before, cc.After, string(cc.Change)})
	}
	for _, x := range c.Expectations {
		doc.Expectations = append(doc.Expectations, JSONExpectation{x.Text, x.Pass, x.Value})
	}
	for _, pair := range pairLevels(c.Before.Levels, c.After.Levels) {
		e := JSONCompareLevels{}
		for side, l := range pair {
			if l == nil {
				continue
			}
			e.Users = l.Users
			jl := &JSONLoadLevel{Users: l.Users, Seconds: l.Seconds, Responses: l.Responses, Anchors: l.Anchors}
			if side == 0 {
				e.Before = jl
			} else {
				e.After = jl
			}
		}
		doc.Levels = append(doc.Levels, e)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}
