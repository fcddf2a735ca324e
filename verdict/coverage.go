package verdict

import (
	"fmt"
	"sort"
	"time"

	"github.com/logcorr/logcorr/correlate"
	"github.com/logcorr/logcorr/parser"
)

// GapMin is the silence a PgBouncer log must keep to count as a gap in its
// coverage: it writes a stats line every stats_period (60 s by default) and
// a line per connection, so a longer silence means lines are missing. A
// PostgreSQL log is quiet when nothing goes wrong: only its ends count.
const GapMin = 90 * time.Second

// Gap is a stretch of time in which a log wrote nothing.
type Gap struct{ From, To time.Time }

type cover struct {
	kind        string
	first, last time.Time
	seen        bool
	gaps        []Gap
}

// Coverage follows which stretches of time each log covers, to tell when an
// anchor's window falls where a log that would show its cause was silent:
// then finding no cause there means nothing.
type Coverage struct {
	files   map[string]*cover
	order   []string
	outside map[string]int
}

// NewCoverage follows the logs named, with their kinds (parser.Family).
func NewCoverage(kinds map[string]string) *Coverage {
	c := &Coverage{files: map[string]*cover{}, outside: map[string]int{}}
	for f, k := range kinds {
		c.files[f] = &cover{kind: k}
		c.order = append(c.order, f)
	}
	// A chain's notes name the silent logs in this order: by name, not
	// in the map's, which changes from run to run.
	sort.Strings(c.order)
	return c
}

// Track adds a log to follow (live, logs appear as they are recognised).
func (c *Coverage) Track(file, kind string) {
	if c.files[file] == nil {
		c.files[file] = &cover{kind: kind}
		c.order = append(c.order, file)
	}
}

// Event notes one event of a log; events come in time order.
func (c *Coverage) Event(ev *parser.Event) {
	cv := c.files[ev.Source]
	if cv == nil {
		return
	}
	switch {
	case !cv.seen:
		cv.first, cv.last, cv.seen = ev.Time, ev.Time, true
	case ev.Time.After(cv.last):
		if cv.kind == "pgbouncer" && ev.Time.Sub(cv.last) >= GapMin {
			cv.gaps = append(cv.gaps, Gap{cv.last, ev.Time})
		}
		cv.last = ev.Time
	}
}

// Check returns notes for a chain no catalogued cause explains, naming the
// PgBouncer and PostgreSQL logs that did not cover its window (so far as
// they have been read): they had not started, had ended, or had a gap.
func (c *Coverage) Check(ch *correlate.Chain, before, after time.Duration) []string {
	if ch.Hypothesis != "" {
		return nil
	}
	lo, hi := ch.Time, ch.Time.Add(after)
	for _, l := range ch.Evidence {
		if l.Role == correlate.RoleRequest && l.Event.Time.Before(lo) {
			lo = l.Event.Time
		}
	}
	lo = lo.Add(-before)
	var notes []string
	for _, f := range c.order {
		cv := c.files[f]
		if cv.kind != "pgbouncer" && cv.kind != "postgresql" {
			continue
		}
		var silent []Gap
		switch {
		case !cv.seen:
			silent = []Gap{{lo, hi}}
		default:
			if lo.Before(cv.first) {
				silent = append(silent, Gap{lo, cv.first})
			}
			for _, g := range cv.gaps {
				if g.From.Before(hi) && g.To.After(lo) {
					silent = append(silent, g)
				}
			}
			if cv.last.Before(hi) {
				silent = append(silent, Gap{cv.last, hi})
			}
		}
		if len(silent) == 0 {
			continue
		}
		c.outside[f]++
		g, zone := silent[0], ch.Time.Location()
		notes = append(notes, fmt.Sprintf("%s wrote nothing from %s to %s, inside this anchor's window: a cause it would show there cannot be seen",
			parser.BaseName(f), g.From.In(zone).Format("15:04:05"), g.To.In(zone).Format("15:04:05 -07:00")))
	}
	return notes
}

// Gaps returns the stretches a log was silent, after the run.
func (c *Coverage) Gaps(file string) []Gap {
	if cv := c.files[file]; cv != nil {
		return cv.gaps
	}
	return nil
}

// Outside counts, per log, the anchors whose window it did not cover.
func (c *Coverage) Outside() map[string]int { return c.outside }
