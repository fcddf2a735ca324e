// Package verdict turns what a run found into the answer people ask for:
// which hypotheses the logs confirm or reject, how the failures grew with
// the load, whether the load test's client counted what the server did,
// and how far each log's clock can be trusted.
package verdict

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/logcorr/logcorr/correlate"
	"github.com/logcorr/logcorr/parser"
)

// Status is how the logs stand to a hypothesis.
type Status string

const (
	// Confirmed: it explains at least one anchor, with evidence.
	Confirmed Status = "CONFIRMED"
	// Seen: it shows in the logs but explains no anchor (pool timeouts on
	// another path, say).
	Seen Status = "SEEN"
	// Rejected: no trace of it in the logs that would show it.
	Rejected Status = "REJECTED"
	// NotChecked: none of the logs that would show it was read, so its
	// absence says nothing.
	NotChecked Status = "NOT CHECKED"
)

// Hypothesis is one row of the table.
type Hypothesis struct {
	Cause   correlate.Cause
	Status  Status
	Anchors int // anchors it explains
	Signs   int // lines that show it, explaining an anchor or not
	own     int // of those, the anchors' own records
	// ByBasis counts its anchors by how the cause was established.
	ByBasis map[correlate.Basis]int
	// Example is one chain it explains: the anchor and the line that shows
	// the cause ("file:line").
	ExampleAnchor, ExampleEvidence string
	// Logs are the logs read that would show it.
	Logs []string
	// Note says why a status is what it is, when that is not plain.
	Note string
}

// Table is the hypothesis table of a run.
type Table struct {
	Rows []Hypothesis
	// Unexplained counts anchors no catalogued cause explains; Uncatalogued
	// breaks down those whose own exception is known, by class.
	Unexplained  int
	Uncatalogued map[string]int
}

// Tally collects, chain by chain, what the table needs.
type Tally struct {
	byCause      map[string]*Hypothesis
	unexplained  int
	uncatalogued map[string]int
	// open holds the own exceptions of unexplained chains, by class and
	// first message line, so a cause can tell which it could have explained.
	open map[parser.Exception]int
	// anchors counts anchors by route, and how many had an access line.
	anchors map[Route]AnchorCount
	// marks counts the anchors per second by cause, and loc is the first
	// anchor's zone: a list of every anchor grew with the input.
	marks map[string]*Seconds
	loc   *time.Location
	// What is kept for the run is copied (keeper).
	routes *keeper[Route]
	names  *keeper[string]
	excs   *keeper[parser.Exception]
}

// Marks are the anchors on the timelines: per second, by cause (the empty
// cause for those no cause explains), and the zone they are shown in, the
// first anchor's.
type Marks struct {
	ByCause map[string]*Seconds
	Loc     *time.Location
}

// NewTally starts a table for a catalogue.
func NewTally() *Tally {
	return &Tally{byCause: map[string]*Hypothesis{}, uncatalogued: map[string]int{}, open: map[parser.Exception]int{},
		anchors: map[Route]AnchorCount{}, marks: map[string]*Seconds{}, routes: newKeeper(Route.kept), names: newKeeper(strings.Clone),
		excs: newKeeper(func(e parser.Exception) parser.Exception {
			return parser.Exception{Class: strings.Clone(e.Class), Message: strings.Clone(e.Message)}
		})}
}

// Chain adds one chain.
func (t *Tally) Chain(ch *correlate.Chain) {
	r := t.routes.of(Route{ch.Method, ch.Path, ch.Status})
	a := t.anchors[r]
	a.Total++
	if ch.Anchor.Kind == parser.KindAccess {
		a.WithAccess++
	}
	t.anchors[r] = a
	if t.loc == nil {
		t.loc = ch.Time.Location()
	}
	m := t.marks[ch.Cause]
	if m == nil {
		m = &Seconds{}
		t.marks[t.names.of(ch.Cause)] = m
	}
	m.Add(ch.Time.Unix(), 1)
	if ch.Hypothesis == "" {
		t.unexplained++
		var key parser.Exception
		if ch.Exc != nil {
			key = parser.Exception{Class: ch.Exc.Class, Message: ch.Exc.Message}
			if ch.Exc.Class != "" {
				t.uncatalogued[t.names.of(ch.Exc.Class)]++
			}
		}
		t.open[t.excs.of(key)]++
		return
	}
	h := t.byCause[ch.Hypothesis]
	if h == nil {
		h = &Hypothesis{}
		t.byCause[t.names.of(ch.Hypothesis)] = h
	}
	h.Anchors++
	if h.ByBasis == nil {
		h.ByBasis = map[correlate.Basis]int{}
	}
	h.ByBasis[ch.Basis]++
	// The request's own records that show the cause count as its lines
	// too (a Redis error is in no other log).
	if ch.Basis != correlate.BasisNearby {
		if ch.Anchor.Exc != nil {
			h.own++
		}
		for _, l := range ch.Evidence {
			if l.Role == correlate.RoleRequest && l.Event.Exc != nil {
				h.own++
			}
		}
	}
	if h.ExampleAnchor == "" {
		h.ExampleAnchor = where(&ch.Anchor)
		for _, l := range ch.Evidence {
			if l.Role == correlate.RoleCause || h.ExampleEvidence == "" {
				h.ExampleEvidence = where(&l.Event)
			}
			if l.Role == correlate.RoleCause {
				break
			}
		}
	}
}

func where(ev *parser.Event) string {
	return ev.Source + ":" + strconv.Itoa(ev.Line)
}

// Anchors returns the anchors by route, and how many reached an access line.
func (t *Tally) Anchors() map[Route]AnchorCount { return t.anchors }

// AnchorsPerSecond counts the anchors each second, whatever their cause.
func (t *Tally) AnchorsPerSecond() *Seconds {
	out := &Seconds{}
	for _, m := range t.marks {
		for sec, n := range m.All() {
			out.Add(sec, n)
		}
	}
	return out
}

// Marks returns the anchors per second by cause.
func (t *Tally) Marks() Marks { return Marks{ByCause: t.marks, Loc: t.loc} }

// couldExplain counts the unexplained anchors a line of c could have
// explained.
func (t *Tally) couldExplain(c *correlate.Cause) int {
	n := 0
	for exc, k := range t.open {
		var e *parser.Exception
		if exc.Class != "" || exc.Message != "" {
			e = &exc
		}
		if c.CanExplain(e) {
			n += k
		}
	}
	return n
}

func read(kinds map[string]string, kind string) bool {
	for _, k := range kinds {
		if k == kind {
			return true
		}
	}
	return false
}

// Table ranks every catalogued cause: confirmed ones by anchors explained,
// then seen ones by lines, then those not checked that the unexplained
// anchors look like, then rejected ones, then the rest not checked. kinds maps
// each log read to its kind (parser.Family, in Cause.Shows' terms).
func (t *Tally) Table(cat correlate.Catalogue, sum correlate.Summary, kinds map[string]string) Table {
	tab := Table{Unexplained: t.unexplained, Uncatalogued: t.uncatalogued}
	for _, c := range cat {
		h := Hypothesis{Cause: c}
		if got := t.byCause[c.ID]; got != nil {
			h.Anchors, h.ExampleAnchor, h.ExampleEvidence, h.own, h.ByBasis = got.Anchors, got.ExampleAnchor, got.ExampleEvidence, got.own, got.ByBasis
		}
		h.Signs = sum.Signs[c.ID] + h.own
		for file, kind := range kinds {
			for _, s := range c.Shows {
				if s == kind {
					h.Logs = append(h.Logs, file)
					break
				}
			}
		}
		sort.Strings(h.Logs)
		switch could := t.couldExplain(&c); {
		case h.Anchors > 0:
			h.Status = Confirmed
		case h.Signs > 0:
			h.Status = Seen
		case could > 0 && !read(kinds, c.Shows[0]):
			// The unexplained anchors look like what this cause does, but
			// the log that would show it was not read.
			h.Status = NotChecked
			h.Note = fmt.Sprintf("%d unexplained anchors look like its work; a %s log would tell", could, c.Shows[0])
		case len(h.Logs) > 0:
			h.Status = Rejected
		default:
			h.Status = NotChecked
		}
		tab.Rows = append(tab.Rows, h)
	}
	// Still-open hypotheses (not checked, yet the anchors look like them)
	// rank above rejected ones.
	rank := func(h Hypothesis) int {
		switch {
		case h.Status == Confirmed:
			return 0
		case h.Status == Seen:
			return 1
		case h.Status == NotChecked && h.Note != "":
			return 2
		case h.Status == Rejected:
			return 3
		}
		return 4
	}
	sort.SliceStable(tab.Rows, func(i, j int) bool {
		a, b := tab.Rows[i], tab.Rows[j]
		if rank(a) != rank(b) {
			return rank(a) < rank(b)
		}
		if a.Anchors != b.Anchors {
			return a.Anchors > b.Anchors
		}
		return a.Signs > b.Signs
	})
	return tab
}
