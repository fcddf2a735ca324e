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
// times, for all sources or for this one.
func (f *matchFlags) zoneGiven(name string) bool {
	for _, z := range f.TZ {
		glob, _, isRule := strings.Cut(z, "=")
		if !isRule || source.Matches(glob, name) {
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

// surveyed is one source read once, in UTC, for its activity.
type surveyed struct {
	stream *source.Stream
	info   *report.SourceInfo
	act    *verdict.Activity
	naive  bool
}

// estimateClocks finds the zone of each source of naive times the user gave
// no zone for, from when it was active and failed next to sources that
// write their zone (PgBouncer, PostgreSQL, Locust's history). A sure
// estimate becomes the source's zone; otherwise the local zone stays, and
// the report says why. It reads those files a second time; stdin cannot be.
func estimateClocks(f *matchFlags, opts *source.Options, streams []*source.Stream, infos []*report.SourceInfo, lr *locust.Run) []report.ClockReport {
	if !f.anyZoneToFind(streams) {
		return nil
	}
	var todo, refs []*surveyed
	for i, s := range streams {
		if s.Input.Path == source.Stdin {
			continue
		}
		sv := &surveyed{stream: s, info: infos[i]}
		act, naive, zoned, ok := survey(s, opts)
		if !ok {
			continue
		}
		sv.act = act
		switch {
		case zoned > 0 && naive*10 <= zoned:
			refs = append(refs, sv)
		case naive > zoned && !f.zoneGiven(s.Input.Name):
			sv.naive = true
			todo = append(todo, sv)
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
		cr := report.ClockReport{File: sv.stream.Input.Name, Estimate: est}
		switch {
		case !ok:
			cr.Note = "no log with zoned times overlaps it to compare with; read in the local zone (name its zone with --tz)"
		case !est.Sure:
			cr.Note = "no offset fits clearly; read in the local zone (name its zone with --tz)"
		default:
			loc := time.FixedZone(verdict.ZoneName(est.Offset), int(est.Offset/time.Second))
			sv.stream.SetZone(loc)
			sv.info.Zone = verdict.ZoneName(est.Offset) + " (estimated)"
			cr.Applied = true
		}
		out = append(out, cr)
	}
	return out
}

// survey reads a source once more, its naive times as UTC, for its activity
// and how many of its timestamps were naive.
func survey(s *source.Stream, opts *source.Options) (*verdict.Activity, int, int, bool) {
	o := *opts
	o.Loc, o.Zones, o.Warn = time.UTC, nil, nil
	o.Formats = []source.Rule[parser.Spec]{{Glob: s.Input.Name, Value: s.Spec}}
	again, err := source.Open(s.Input, &o)
	if err != nil {
		return nil, 0, 0, false
	}
	defer again.Close()
	act := verdict.NewActivity(s.Input.Name)
	for {
		ev, err := again.Next()
		if err != nil {
			break
		}
		act.Event(&ev)
	}
	c := again.Clock()
	return act, c.Naive, c.Zoned, true
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
