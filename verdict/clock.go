package verdict

import (
	"fmt"
	"slices"
	"time"

	"github.com/logcorr/logcorr/parser"
)

// Activity is what a survey of one source found: its events per second and
// its failures per second, on the source's own clock (naive times read as
// if they were UTC). It is kept for the whole run while the merge tallies
// a guess's zones, so it grows with the seconds the logs span, not with
// their events: a list of every failure's second, as it was, held 13 MB
// more of live heap on a 3 GB run.
type Activity struct {
	Name string
	// Seconds counts events, Failures failures, per second.
	Seconds, Failures Seconds
	// Failed counts the failures, Events the events.
	Failed, Events int
	// A run of events in one second is counted once it ends (settle):
	// a file's events come mostly in order, a dozen a second.
	runSec int64
	run    int
}

// NewActivity starts a survey of one source.
func NewActivity(name string) *Activity {
	return &Activity{Name: name}
}

// Event counts one event of the source.
func (a *Activity) Event(ev *parser.Event) {
	sec := ev.Time.Unix()
	if a.run > 0 && sec != a.runSec {
		a.settle()
	}
	a.runSec = sec
	a.run++
	a.Events++
	if failure(ev) {
		a.Failures.Add(sec, 1)
		a.Failed++
	}
}

// settle counts the run of events of one second still open.
func (a *Activity) settle() {
	if a.run > 0 {
		a.Seconds.Add(a.runSec, a.run)
		a.run = 0
	}
}

// Shifted is the activity as it is once its naive times are read offset
// east of UTC rather than as UTC.
func (a *Activity) Shifted(offset time.Duration) *Activity {
	if a == nil {
		return nil
	}
	a.settle()
	shift := int64(offset / time.Second)
	return &Activity{Name: a.Name, Seconds: *a.Seconds.Shifted(shift), Failures: *a.Failures.Shifted(shift),
		Failed: a.Failed, Events: a.Events}
}

// failure tells the events that go with a failed request in any log: a 5xx
// response or error record, an error-level record, a PgBouncer pooler error,
// a PostgreSQL error.
func failure(ev *parser.Event) bool {
	switch {
	case ev.IsResponse():
		return ev.Status >= 500
	case ev.Kind == parser.KindPgBouncer:
		return ev.Tag == parser.TagPoolerError
	}
	switch ev.Level {
	case "ERROR", "FATAL", "CRITICAL", "PANIC":
		return true
	}
	return false
}

// Estimate is the zone offset of a source's naive timestamps, found from
// when it was active and failed, set against sources that write their zone.
type Estimate struct {
	Source string
	Offset time.Duration // east of UTC
	// Score is how well the source fits the others at Offset (0 to 1):
	// the share of its active seconds when they were active too, and of its
	// failures with a failure in them from 20 s before to 5 s after.
	Score      float64
	NextOffset time.Duration
	Next       float64
	Seconds    int // active seconds compared
	Failures   int // failures compared, when the sure logs had failures too
	Matched    int // of those, matched at Offset
	Against    []string
	Sure       bool
}

// Zones are 15-minute multiples within ZoneMax of UTC.
const (
	zoneStep = 15 * time.Minute
	// ZoneMax is the farthest from UTC an offset is looked for: a log of
	// naive times is set against the others' times within it either way.
	ZoneMax = 14 * time.Hour
)

// EstimateOffset finds the zone offset of src against refs, sources whose
// times are sure (nil ones are skipped; one source may come as several).
// It is sure when the best offset fits well and clearly better than any
// other.
func EstimateOffset(src *Activity, refs []*Activity) (Estimate, bool) {
	src.settle()
	est := Estimate{Source: src.Name, Seconds: src.Seconds.Len(), Failures: src.Failed}
	active, fails := est.sureTimes(refs)
	if len(active) == 0 || src.Seconds.Len() == 0 {
		return est, false
	}
	useFails := len(fails) > 0 && src.Failed > 0
	if !useFails {
		est.Failures = 0
	}
	// Every offset is scored against the same seconds, so they are sorted
	// once and each score is a walk along two sorted lists: over days of
	// logs, a map lookup or binary search per second and offset cost more
	// than the whole rest of the zone survey.
	own := src.Seconds.Sorted()
	ownFails := src.Failures.Sorted()
	score := func(off time.Duration) (float64, float64, int) {
		shift := int64(off / time.Second)
		overlap := 0
		j := 0
		for _, s := range own {
			utc := s - shift
			for j < len(active) && active[j] < utc {
				j++
			}
			if j == len(active) {
				break
			}
			if active[j] == utc {
				overlap++
			}
		}
		sc := float64(overlap) / float64(len(own))
		if !useFails {
			return sc, sc, 0
		}
		// A failure matches when a sure log failed from 20 s before it to
		// 5 s after: the first sure failure not before the window opens
		// must fall inside it.
		matched := 0
		j = 0
		for _, s := range ownFails {
			utc := s - shift
			for j < len(fails) && fails[j] < utc-20 {
				j++
			}
			if j == len(fails) {
				break
			}
			if fails[j] <= utc+5 {
				matched += src.Failures.At(s)
			}
		}
		return (sc + float64(matched)/float64(src.Failed)) / 2, sc, matched
	}
	est.pickOffset(score)
	return est, true
}

// sureTimes gathers what the sources of sure times show together, each in
// order: the seconds any of them was active in, and all their failures'
// seconds; it names them in Against.
func (est *Estimate) sureTimes(refs []*Activity) (active, fails []int64) {
	named := map[string]bool{}
	for _, r := range refs {
		if r == nil {
			continue
		}
		if !named[r.Name] {
			named[r.Name] = true
			est.Against = append(est.Against, r.Name)
		}
		r.settle()
		active = append(active, r.Seconds.Sorted()...)
		fails = append(fails, r.Failures.Sorted()...)
	}
	slices.Sort(active)
	slices.Sort(fails)
	return slices.Compact(active), fails
}

// pickOffset scores every zone offset (the score, and the share of the
// source's active seconds the sure logs were active in) and keeps the best
// and the runner-up. The estimate is sure when the best fits well and
// clearly better; or when at the best the sure logs were active in nearly
// every second the source was and no other offset comes near: its failures
// then went unmatched where the sure logs had none (the app failing
// requests its proxy had already given up on, at a shutdown), which says
// nothing against the offset.
func (est *Estimate) pickOffset(score func(off time.Duration) (sc, activity float64, matched int)) {
	best, next, bestActivity := -1.0, -1.0, 0.0
	for off := -ZoneMax; off <= ZoneMax; off += zoneStep {
		sc, activity, matched := score(off)
		switch {
		case sc > best:
			next, est.NextOffset = best, est.Offset
			best, est.Offset, est.Matched, bestActivity = sc, off, matched, activity
		case sc > next:
			next, est.NextOffset = sc, off
		}
	}
	est.Score, est.Next = best, max(next, 0)
	est.Sure = best >= 0.6 && best-est.Next >= 0.25 || bestActivity >= 0.9 && best-est.Next >= 0.4
}

// ZoneName names an estimated offset the way a reader expects: UTC+07:00.
func ZoneName(off time.Duration) string {
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("UTC%c%02d:%02d", sign, int(off.Hours()), int(off.Minutes())%60)
}
