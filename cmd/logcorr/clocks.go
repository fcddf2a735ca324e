package main

import (
	"strings"
	"time"

	"github.com/logcorr/logcorr/locust"
	"github.com/logcorr/logcorr/parser"
	"github.com/logcorr/logcorr/report"
	"github.com/logcorr/logcorr/source"
	"github.com/logcorr/logcorr/verdict"
)

// zoneGiven reports whether the user named the zone of a source's naive
// times, for all sources or for this one (or its file).
func (f *matchFlags) zoneGiven(name string) bool {
	file, _ := parser.SplitLabel(name)
	for _, z := range f.TZ {
		glob, _, isRule := strings.Cut(z, "=")
		if !isRule || source.Matches(glob, name) || source.Matches(glob, file) {
			return true
		}
	}
	return false
}

// anyZoneToFind reports whether a file may hold naive times the user gave
// no zone for (any format can: PgBouncer through syslog writes none); only
// then are the files read twice.
func (f *matchFlags) anyZoneToFind(streams []*source.Stream) bool {
	for _, s := range streams {
		if s.Input.Path != source.Stdin && !f.zoneGiven(s.Input.Name) {
			return true
		}
	}
	return false
}

// surveyed is one logical source read once, in UTC, for its activity.
type surveyed struct {
	stream *source.Stream
	name   string
	act    *verdict.Activity
}

// estimateClocks finds the zone of each source of naive times the user gave
// no zone for, from when it was active and failed next to sources that
// write their zone (PgBouncer, PostgreSQL, Locust's history). A sure
// estimate becomes the source's zone; otherwise the local zone stays, and
// the report says why. It reads those files a second time; stdin cannot be.
func estimateClocks(f *matchFlags, opts *source.Options, streams []*source.Stream, cat *catalog, lr *locust.Run) []report.ClockReport {
	if !f.anyZoneToFind(streams) {
		return nil
	}
	var todo, refs []*surveyed
	for _, s := range streams {
		if s.Input.Path == source.Stdin {
			continue
		}
		parts, ok := survey(s, opts)
		if !ok {
			continue
		}
		for _, sv := range parts {
			c := sv.clock
			switch {
			case c.Zoned > 0 && c.Naive*10 <= c.Zoned:
				refs = append(refs, &sv.surveyed)
			case c.Naive > c.Zoned && !f.zoneGiven(sv.name):
				todo = append(todo, &sv.surveyed)
			}
		}
	}
	if len(todo) == 0 {
		return nil
	}
	refActs := make([]*verdict.Activity, 0, len(refs)+1)
	for _, r := range refs {
		refActs = append(refActs, r.act)
	}
	if h := historyActivity(lr); h != nil {
		refActs = append(refActs, h)
	}
	var out []report.ClockReport
	for _, sv := range todo {
		est, ok := verdict.EstimateOffset(sv.act, refActs)
		cr := report.ClockReport{File: sv.name, Estimate: est}
		switch {
		case !ok:
			cr.Note = "no log with zoned times overlaps it to compare with; read in the local zone (name its zone with --tz)"
		case !est.Sure:
			cr.Note = "no offset fits clearly; read in the local zone (name its zone with --tz)"
		default:
			loc := time.FixedZone(verdict.ZoneName(est.Offset), int(est.Offset/time.Second))
			sv.stream.SetZone(sv.name, loc)
			cat.estimated[sv.name] = true
			cr.Applied = true
		}
		out = append(out, cr)
	}
	return out
}

// surveyedPart is a logical source surveyed, with the clock that counted
// its naive and zoned times.
type surveyedPart struct {
	surveyed
	clock *parser.Clock
}

// survey reads a file once more, its naive times as UTC, for each of its
// logical sources' activity and how many of its timestamps were naive.
func survey(s *source.Stream, opts *source.Options) ([]surveyedPart, bool) {
	o := *opts
	o.Loc, o.Zones, o.Warn, o.Read, o.OnPart = time.UTC, nil, nil, nil, nil
	again, err := source.Open(s.Input, &o)
	if err != nil {
		return nil, false
	}
	defer again.Close()
	acts := map[string]*verdict.Activity{}
	for {
		ev, err := again.Next()
		if err != nil {
			break
		}
		act := acts[ev.Source]
		if act == nil {
			act = verdict.NewActivity(ev.Source)
			acts[ev.Source] = act
		}
		act.Event(&ev)
	}
	var out []surveyedPart
	for _, p := range again.Parts() {
		act := acts[p.Name]
		if act == nil {
			act = verdict.NewActivity(p.Name)
		}
		out = append(out, surveyedPart{surveyed{stream: s, name: p.Name, act: act}, p.Clock})
	}
	return out, true
}

// historyActivity is Locust's history as a source of sure times: its
// timestamps are epoch seconds.
func historyActivity(lr *locust.Run) *verdict.Activity {
	if len(lr.History) == 0 {
		return nil
	}
	act := verdict.NewActivity("Locust's history")
	for i, s := range lr.History {
		if i == 0 {
			continue
		}
		prev := lr.History[i-1]
		if s.TotalRequests > prev.TotalRequests {
			act.Seconds[s.Time.Unix()] = s.TotalRequests - prev.TotalRequests
		}
		if s.TotalFailures > prev.TotalFailures {
			act.Failures = append(act.Failures, s.Time.Unix())
		}
	}
	return act
}
