package verdict

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Figures are what one run found, as compare sets two runs side by side.
type Figures struct {
	Anchors int
	// Requests counts the responses to the anchored paths (0: no access
	// log said).
	Requests int
	// ByCause counts anchors by catalogued cause id, or by their own
	// exception class when no cause explains them, or "unknown".
	ByCause map[string]int
	// Lines counts, per catalogued cause, the lines that show it, whether
	// or not they explain an anchor.
	Lines map[string]int
	// PoolWaitPeak is PgBouncer's highest wait per second (about as many
	// clients queued), -1 when no stats line was read.
	PoolWaitPeak time.Duration
	// SlowP95 is the 95th percentile of slow anchors' durations, 0 when
	// there were none.
	SlowP95 time.Duration
	// Levels are the anchors per Locust user count.
	Levels []LoadLevel
}

// FailureRate is anchors per request on the anchored paths, -1 when the
// requests are not known.
func (f *Figures) FailureRate() float64 {
	if f.Requests == 0 {
		return -1
	}
	return float64(f.Anchors) / float64(f.Requests)
}

// Change says how a cause moved between two runs.
type Change string

const (
	Fixed  Change = "fixed"  // some before, none after
	New    Change = "new"    // none before, some after
	Better Change = "better" // fewer per request on the paths
	Same   Change = "same"
	Worse  Change = "worse"
)

// CauseChange is one cause before and after.
type CauseChange struct {
	Cause         string
	Before, After int
	Change        Change
}

// Comparison is two runs side by side.
type Comparison struct {
	Before, After Figures
	Causes        []CauseChange
	Verdict       string
}

// Compare sets two runs side by side: each cause's anchors, judged by their
// rate per request on the anchored paths where both runs' requests are
// known (a run under more load has more of everything), else by count.
func Compare(before, after Figures) Comparison {
	c := Comparison{Before: before, After: after}
	seen := map[string]bool{}
	for _, m := range []map[string]int{before.ByCause, after.ByCause} {
		for k, n := range m {
			if n > 0 && !seen[k] {
				seen[k] = true
				c.Causes = append(c.Causes, CauseChange{Cause: k, Before: before.ByCause[k], After: after.ByCause[k]})
			}
		}
	}
	for i := range c.Causes {
		cc := &c.Causes[i]
		cc.Change = change(cc.Before, cc.After, before.Requests, after.Requests)
	}
	sort.Slice(c.Causes, func(i, j int) bool {
		a, b := c.Causes[i], c.Causes[j]
		if a.Before+a.After != b.Before+b.After {
			return a.Before+a.After > b.Before+b.After
		}
		return a.Cause < b.Cause
	})
	var parts []string
	for _, cc := range c.Causes {
		word := string(cc.Change)
		switch cc.Change {
		case Better:
			word = "fewer but not gone"
		case Same:
			word = "remains"
		}
		parts = append(parts, fmt.Sprintf("%s %s: %d → %d", cc.Cause, word, cc.Before, cc.After))
	}
	switch {
	case len(parts) == 0:
		c.Verdict = "no anchors before or after"
	default:
		c.Verdict = strings.Join(parts, "; ")
	}
	return c
}

func change(before, after, reqBefore, reqAfter int) Change {
	switch {
	case before > 0 && after == 0:
		return Fixed
	case before == 0 && after > 0:
		return New
	}
	b, a := float64(before), float64(after)
	if reqBefore > 0 && reqAfter > 0 {
		b, a = b/float64(reqBefore), a/float64(reqAfter)
	}
	switch {
	case a < 0.8*b:
		return Better
	case a > 1.25*b:
		return Worse
	}
	return Same
}

// Expectation is a check a person writes once and runs after every fix,
// on the run after: "failure-rate<1%", "no query_wait_timeout",
// "pool-wait-peak<1s", "anchors<=10", "slow-p95<3s", or a cause id with a
// count ("redis_connection_error<5").
type Expectation struct {
	Text  string
	Pass  bool
	Value string
}

// Check evaluates expectations against a run.
func Check(f *Figures, exprs []string) ([]Expectation, error) {
	var out []Expectation
	for _, e := range exprs {
		got, err := check(f, strings.TrimSpace(e))
		if err != nil {
			return nil, fmt.Errorf("--expect %q: %w", e, err)
		}
		out = append(out, got)
	}
	return out, nil
}

func check(f *Figures, e string) (Expectation, error) {
	x := Expectation{Text: e}
	if cause, ok := strings.CutPrefix(e, "no "); ok {
		cause = strings.TrimSpace(cause)
		n := f.ByCause[cause] + f.Lines[cause]
		x.Pass, x.Value = n == 0, fmt.Sprintf("%d anchors, %d lines", f.ByCause[cause], f.Lines[cause])
		return x, nil
	}
	name, op, want, ok := splitComparison(e)
	if !ok {
		return x, fmt.Errorf("want NAME<VALUE (<, <=, >, >=, =) or 'no CAUSE'")
	}
	var got, limit float64
	var err error
	switch name {
	case "failure-rate":
		rate := f.FailureRate()
		if rate < 0 {
			return x, fmt.Errorf("no access log says how many requests the paths had")
		}
		got, x.Value = rate*100, strconv.FormatFloat(rate*100, 'f', 1, 64)+"%"
		limit, err = strconv.ParseFloat(strings.TrimSuffix(want, "%"), 64)
	case "pool-wait-peak", "slow-p95":
		d := f.SlowP95
		if name == "pool-wait-peak" {
			if f.PoolWaitPeak < 0 {
				return x, fmt.Errorf("no PgBouncer stats line was read")
			}
			d = f.PoolWaitPeak
		}
		got, x.Value = d.Seconds(), d.String()
		var lim time.Duration
		lim, err = time.ParseDuration(want)
		limit = lim.Seconds()
	case "anchors":
		got, x.Value = float64(f.Anchors), strconv.Itoa(f.Anchors)
		limit, err = strconv.ParseFloat(want, 64)
	default:
		got, x.Value = float64(f.ByCause[name]), strconv.Itoa(f.ByCause[name])
		limit, err = strconv.ParseFloat(want, 64)
	}
	if err != nil || math.IsNaN(limit) {
		return x, fmt.Errorf("%q is not a value for %s", want, name)
	}
	switch op {
	case "<":
		x.Pass = got < limit
	case "<=":
		x.Pass = got <= limit
	case ">":
		x.Pass = got > limit
	case ">=":
		x.Pass = got >= limit
	default:
		x.Pass = got == limit
	}
	return x, nil
}

func splitComparison(e string) (name, op, value string, ok bool) {
	i := strings.IndexAny(e, "<>=")
	if i <= 0 {
		return "", "", "", false
	}
	op = e[i : i+1]
	if i+1 < len(e) && e[i+1] == '=' && op != "=" {
		op += "="
	}
	name, value = strings.TrimSpace(e[:i]), strings.TrimSpace(e[i+len(op):])
	return name, op, value, name != "" && value != ""
}
