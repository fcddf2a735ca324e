package engine

import (
	"time"

	"github.com/logcorr/logcorr/correlate"
	"github.com/logcorr/logcorr/locust"
	"github.com/logcorr/logcorr/parser"
	"github.com/logcorr/logcorr/report"
	"github.com/logcorr/logcorr/source"
	"github.com/logcorr/logcorr/verdict"
)

// Finding the zones costs a second reading of every log (EstimateClocks)
// before the merge can start: a third of a large run. A guess from the
// first part of each log saves it when it holds: the merge reads the logs
// in the guessed zones and tallies, as it goes, what the survey would
// (Engine.Survey); at the end the zones are found from the tallies
// (SurveyedClocks), exactly as from a survey, and the run stands when they
// are the zones guessed (SameZones). Otherwise it is read again in the
// zones found, or, when the tallies cannot stand for a survey, as before.

// GuessRule says when GuessClocks guesses: from the first Span of each log
// of naive times, when at least the share Left of those logs' bytes is
// still to read. A guess costs the merge a tally of every event and the
// report a spool: it pays while most of the logs are left to read.
type GuessRule struct {
	Span time.Duration
	Left float64
}

// GuessClocks finds the zones as EstimateClocks does, and may guess them
// rather than read every log whole. It reads each log of naive times until
// its times span rule.Span (a first part of about the same hours in logs
// that cover the same hours), and the logs of sure times as far as any
// offset could place those parts (headsReach: whole, on hours of logs):
// their own first parts alone would rule out, for want of data, offsets
// that set a guessed part beyond them, which the whole may not. When each source whose
// zone is to find fits some offset well there (a score of guessFit at
// least, clearly or not), those are the zones guessed: it gives them to the
// streams and says so. Otherwise it reads on to the end of every log and
// gives the zones found, as EstimateClocks; so too when every log was read
// whole anyway, when less than rule.Left of the logs read in part is left
// (no guess pays then), and for the logs whose tallies could not bear a
// guess out (SurveyedClocks): a file of naive and zoned times, a log a
// collector wrapped, stdin.
func GuessClocks(zoneGiven func(name string) bool, opts *source.Options, streams []*source.Stream, cat *Catalog, lr *locust.Run, rule GuessRule) (crs []report.ClockReport, guessed bool) {
	if !AnyZoneToFind(streams, zoneGiven) {
		return nil, false
	}
	for _, s := range streams {
		if s.Input.Path == source.Stdin || s.Splitter().Envelope() != nil {
			return EstimateClocks(zoneGiven, opts, streams, cat, lr), false
		}
	}
	rs := surveyAll(streams, opts, rule.Span)
	defer closeAll(rs)
	var left []int
	var read, size int64
	mixedFile := false
	for i, r := range rs {
		if r == nil {
			continue
		}
		if !r.ended {
			left = append(left, i)
			read, size = read+r.bytes, size+r.size
		}
		mixedFile = mixedFile || mixed(surveyedParts(r.s, r.again, r.own, r.stamped))
	}
	if len(left) > 0 && float64(size-read) >= rule.Left*float64(size) && !mixedFile {
		out, placed := estimate(surveysOf(rs), zoneGiven, lr)
		if fits(out) {
			for i, sv := range placed {
				if sv != nil {
					sv.apply(out[i].Estimate.Offset, cat)
				}
			}
			return out, true
		}
	}
	readAll(rs, left, opts, 0, true)
	return estimateAndApply(rs, zoneGiven, lr, cat), false
}

// fits reports whether an estimate fits every source well, clearly or not.
func fits(crs []report.ClockReport) bool {
	for _, cr := range crs {
		if !cr.Applied && cr.Estimate.Score < guessFit {
			return false
		}
	}
	return len(crs) > 0
}

// mixed reports whether a file's sources write both naive and zoned times:
// read in another zone than UTC, its tally cannot stand for the survey's
// reading (surveyedOf), and a guess would be read again.
func mixed(parts []*surveyed) bool {
	var naive, zoned int
	for _, sv := range parts {
		naive += sv.clock.Naive
		zoned += sv.clock.Zoned + sv.clock.Absolute
	}
	return naive > 0 && zoned > 0
}

// guessFit is the least score a guess must reach for each source: a
// source the first parts do not fit well (their hours barely overlap) is
// likely to be placed otherwise by the whole.
const guessFit = 0.6

// SameZones reports whether two estimates give the logs the same zones:
// the same sources placed, at the same offsets.
func SameZones(a, b []report.ClockReport) bool {
	placed := func(crs []report.ClockReport) map[string]time.Duration {
		m := map[string]time.Duration{}
		for _, cr := range crs {
			if cr.Applied {
				m[cr.File] = cr.Estimate.Offset
			}
		}
		return m
	}
	pa, pb := placed(a), placed(b)
	if len(pa) != len(pb) {
		return false
	}
	for f, off := range pa {
		if o, ok := pb[f]; !ok || o != off {
			return false
		}
	}
	return true
}

// ApplyClocks gives the streams the zones an earlier estimate placed
// (SurveyedClocks' of a run read in a guess that did not hold).
func ApplyClocks(crs []report.ClockReport, streams []*source.Stream, cat *Catalog) {
	for _, cr := range crs {
		if !cr.Applied {
			continue
		}
		file, _ := parser.SplitLabel(cr.File)
		for _, s := range streams {
			if s.Input.Name != file && s.Input.Name != cr.File {
				continue
			}
			sv := &surveyed{stream: s, name: cr.File, envelope: cr.CollectorTimes}
			sv.apply(cr.Estimate.Offset, cat)
			break
		}
	}
}

// Survey makes Read tally each stream's events as the zone survey counts
// them, for SurveyedClocks.
func (e *Engine) Survey() { e.tallies = map[*source.Stream]*tally{} }

// tallied is a stream whose events are tallied as Read's merge takes them,
// on the stream's own goroutine.
type tallied struct {
	*source.Stream
	t *tally
}

func (s tallied) Next() (*parser.Event, error) {
	ev, err := s.Stream.Next()
	if err == nil {
		s.t.count(ev)
	}
	return ev, err
}

// tally is what the survey counts of one stream, by the instants the merge
// reads: each logical source's activity, and the span of the instants.
type tally struct {
	own   activities
	times span
	// untimed: an event without a time, which a shift would move.
	untimed bool
}

func newTally() *tally { return &tally{own: activities{acts: map[string]*verdict.Activity{}}} }

func (t *tally) count(ev *parser.Event) {
	if ev.Time.IsZero() {
		t.untimed = true
	}
	t.times.add(ev.Time.Unix())
	t.own.count(ev.Source, ev)
}

// source wraps the streams Read merges when they are surveyed.
func (e *Engine) source(s *source.Stream) correlate.Source {
	if e.tallies == nil {
		return s
	}
	t := newTally()
	e.tallies[s] = t
	return tallied{s, t}
}

// SurveyedClocks finds the zones from what Read tallied, as EstimateClocks
// would from a survey; exact is false when the tallies cannot stand for
// one (see surveyedOf).
func (e *Engine) SurveyedClocks(streams []*source.Stream, zoneGiven func(name string) bool, lr *locust.Run) (crs []report.ClockReport, exact bool) {
	surveys := make([][]*surveyed, len(streams))
	for i, s := range streams {
		t := e.tallies[s]
		if t == nil {
			return nil, false
		}
		if surveys[i], exact = t.surveyedOf(s); !exact {
			return nil, false
		}
	}
	crs, _ = estimate(surveys, zoneGiven, lr)
	return crs, true
}

// surveyedOf is what a survey of s would have found, from its tally: the
// survey reads naive times as UTC, the merge in each source's zone, so a
// source's naive times are shifted back by its zone's offset. That is
// exact when nothing but that offset tells the two readings apart: the
// stream's naive times are all read at one offset, which no change of
// the zone's (summer time) comes within a day of; its zoned times, if it
// has any, are not moved against them (the offset is 0); no time was
// placed by the source's zone (an abbreviation, a year supplied); no
// collector wrapped the lines; every event has a time.
func (t *tally) surveyedOf(s *source.Stream) ([]*surveyed, bool) {
	if t.untimed || s.Splitter().Envelope() != nil {
		return nil, false
	}
	var naive, zoned int
	var offset int
	var zoneSeen bool
	for _, p := range s.Parts() {
		c := p.Clock
		if c.LocPlaced > 0 || c.Yearless > 0 {
			return nil, false
		}
		naive += c.Naive
		zoned += c.Zoned + c.Absolute
		if c.Naive == 0 {
			continue
		}
		off, steady := steadyOffset(c.Loc, t.times.first, t.times.last)
		if !steady || zoneSeen && off != offset {
			return nil, false
		}
		offset, zoneSeen = off, true
	}
	if naive > 0 && zoned > 0 && offset != 0 {
		return nil, false
	}
	own := t.own
	if offset != 0 {
		shifted := activities{acts: make(map[string]*verdict.Activity, len(own.acts))}
		for name, a := range own.acts {
			shifted.acts[name] = a.Shifted(-time.Duration(offset) * time.Second)
		}
		own = shifted
	}
	return surveyedParts(s, s, own, activities{acts: map[string]*verdict.Activity{}}), true
}

// steadyOffset is loc's offset from min to max (Unix seconds), and whether
// it stays the same from a day before to a day after.
func steadyOffset(loc *time.Location, min, max int64) (int, bool) {
	at := time.Unix(min, 0).In(loc)
	_, off := at.Zone()
	start, end := at.ZoneBounds()
	return off, (start.IsZero() || start.Unix() <= min-86400) && (end.IsZero() || end.Unix() > max+86400)
}
