package engine

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/logcorr/logcorr/locust"
	"github.com/logcorr/logcorr/parser"
	"github.com/logcorr/logcorr/report"
	"github.com/logcorr/logcorr/source"
	"github.com/logcorr/logcorr/verdict"
)

// AnyZoneToFind reports whether a file may hold naive times the user gave
// no zone for (zoneGiven tells, by a source's name; any format can: PgBouncer
// through syslog writes none); only then are the files read twice.
func AnyZoneToFind(streams []*source.Stream, zoneGiven func(name string) bool) bool {
	for _, s := range streams {
		if s.Input.Path != source.Stdin && !zoneGiven(s.Input.Name) {
			return true
		}
	}
	return false
}

// surveyed is one logical source read once, in UTC, for its activity.
type surveyed struct {
	stream *source.Stream
	name   string
	// own is its activity by the times it wrote itself; stamped by the
	// zoned times its collector recorded for lines that carry none.
	own, stamped *verdict.Activity
	// collector names the envelope whose zoned times the source's lines
	// carry, if any; clock tallied its naive times against them.
	collector string
	clock     *parser.Clock
	// sure counts its times that are sure: written with a zone, or taken
	// from a collector's zoned time for the line.
	sure int
	// envelope: this is not a program's times but the collector's own,
	// written without a zone (journald's short output, classic syslog),
	// for the lines that have no time of their own.
	envelope bool
}

// Of the naive times read beside a collector's zoned times, at least
// collectorMin (or all of them) and collectorShare must agree on one
// offset for it to be the source's zone: a few lines buffered for
// minutes, or written while the host's clock stepped, may disagree.
const (
	collectorMin   = 5
	collectorShare = 0.9
)

// zoneFromCollector is the source's zone as the times its collector
// recorded for its lines show it: the naive times are that far from them.
func (sv *surveyed) zoneFromCollector() (report.ClockReport, bool) {
	off, agree, compared := sv.clock.ZoneFromCollector()
	cr := report.ClockReport{File: sv.name, Collector: sv.collector, Agree: agree, Compared: compared,
		Estimate: verdict.Estimate{Source: sv.name, Offset: off, Sure: true}}
	enough := compared >= collectorMin || (compared > 0 && agree == compared)
	return cr, enough && float64(agree) >= collectorShare*float64(compared)
}

// EstimateClocks finds the zone of each source of naive times the user gave
// no zone for. Beside a collector's zoned times (docker, CRI, journald
// json), the distance from them is the zone. Otherwise it is found from
// when the source was active and failed next to sources whose times are
// sure (PgBouncer, PostgreSQL, Locust's history, and the sources placed
// so far): a sure estimate becomes the source's zone; otherwise the local
// zone stays, and the report says why. It reads those files a second
// time; stdin cannot be.
func EstimateClocks(zoneGiven func(name string) bool, opts *source.Options, streams []*source.Stream, cat *Catalog, lr *locust.Run) []report.ClockReport {
	if !AnyZoneToFind(streams, zoneGiven) {
		return nil
	}
	rs := surveyAll(streams, opts, 0)
	defer closeAll(rs)
	return estimateAndApply(rs, zoneGiven, lr, cat)
}

// estimateAndApply estimates the zones from what the readings found and
// gives them to the streams.
func estimateAndApply(rs []*reading, zoneGiven func(name string) bool, lr *locust.Run, cat *Catalog) []report.ClockReport {
	out, placed := estimate(surveysOf(rs), zoneGiven, lr)
	for i, sv := range placed {
		if sv != nil {
			sv.apply(out[i].Estimate.Offset, cat)
		}
	}
	return out
}

// estimate finds the zones from each stream's surveyed sources (nil for a
// stream not surveyed) and reports on every source whose zone was to find;
// placed holds, beside each report, the source to give its zone, nil for
// one left in the local zone.
func estimate(surveys [][]*surveyed, zoneGiven func(name string) bool, lr *locust.Run) (out []report.ClockReport, placed []*surveyed) {
	var todo []*surveyed
	var refs []*verdict.Activity
	for _, parts := range surveys {
		for _, sv := range parts {
			c := sv.clock
			switch {
			case sv.sure > 0 && c.Naive*10 <= sv.sure:
				refs = append(refs, sv.own, sv.stamped)
			case c.Naive > c.Zoned && !zoneGiven(sv.name):
				todo = append(todo, sv)
			case sv.stamped != nil:
				refs = append(refs, sv.stamped)
			}
		}
	}
	if len(todo) == 0 {
		return nil, nil
	}
	if h := historyActivity(lr); h != nil {
		refs = append(refs, h)
	}
	found := map[*surveyed]report.ClockReport{}
	place := func(sv *surveyed, cr report.ClockReport) {
		cr.Applied = true
		found[sv] = cr
		// Placed, its times are as sure as the estimate: they help
		// place the others.
		refs = append(refs, sv.own.Shifted(cr.Estimate.Offset), sv.stamped)
	}
	for _, sv := range todo {
		if cr, ok := sv.zoneFromCollector(); ok {
			place(sv, cr)
		}
	}
	// Each round may place sources that the next can be set against; the
	// last round, which placed none, says why the rest stay unplaced.
	unplaced := map[*surveyed]report.ClockReport{}
	for progress := true; progress; {
		progress = false
		for _, sv := range todo {
			if _, done := found[sv]; done {
				continue
			}
			est, ok := verdict.EstimateOffset(sv.own, refs)
			cr := report.ClockReport{File: sv.name, Estimate: est}
			if sv.envelope {
				cr.Collector, cr.CollectorTimes = sv.collector, true
			}
			switch {
			case ok && est.Sure:
				place(sv, cr)
				progress = true
				continue
			case ok:
				cr.Note = "no offset fits clearly; read in the local zone (name its zone with --tz)"
			default:
				cr.Note = "no log with zoned times overlaps it to compare with; read in the local zone (name its zone with --tz)"
			}
			if off, agree, compared := sv.clock.ZoneFromCollector(); compared > 0 && !sv.envelope {
				cr.Note = fmt.Sprintf("%s; only %d of its %d naive times are %s from the times %s recorded for them",
					cr.Note, agree, compared, verdict.ZoneName(off), sv.collector)
			}
			unplaced[sv] = cr
		}
	}
	out = make([]report.ClockReport, 0, len(todo))
	placed = make([]*surveyed, 0, len(todo))
	for _, sv := range todo {
		if cr, ok := found[sv]; ok {
			out, placed = append(out, cr), append(placed, sv)
		} else {
			out, placed = append(out, unplaced[sv]), append(placed, nil)
		}
	}
	return out, placed
}

// apply makes an estimated offset the zone of the source's naive times.
func (sv *surveyed) apply(offset time.Duration, cat *Catalog) {
	loc := time.FixedZone(verdict.ZoneName(offset), int(offset/time.Second))
	if sv.envelope {
		sv.stream.Splitter().SetEnvelopeZone(loc)
		return
	}
	sv.stream.SetZone(sv.name, loc)
	cat.estimated[sv.name] = true
}

// reading is a stream's file read once more for the survey, its naive
// times as UTC: whole, or its first part, to be read on (GuessClocks).
type reading struct {
	s, again     *source.Stream
	own, stamped activities
	// times bounds the times read; ended: read to the end.
	times span
	ended bool
	// readOn: its times are sure so far, past its first part: it is
	// read whole, or up to until (Unix seconds) when that is set.
	readOn bool
	until  int64
	// bytes counts what was read of the file as it is (compressed or
	// not), of its size.
	bytes, size int64
	// stop ends the reading early (source.Options.Stop).
	stop func() bool
}

// span bounds the times (Unix seconds) of the events seen.
type span struct {
	first, last int64
	seen        bool
}

func (sp *span) add(sec int64) {
	if !sp.seen {
		sp.first, sp.last, sp.seen = sec, sec, true
		return
	}
	sp.first, sp.last = min(sp.first, sec), max(sp.last, sec)
}

// surveyAll surveys the streams read from files, as many at once as there
// are cores, and returns their readings in the streams' order (nil for
// one not surveyed), each read whole, or, with head > 0, until its times
// span head (readOn).
func surveyAll(streams []*source.Stream, opts *source.Options, head time.Duration) []*reading {
	// The largest files first, so that the cores end about together: in
	// the order given, the 1 GB corpus's files (17, 409, 91 and 490 MB by
	// name) left one core 598 MB to read, the other 409.
	var order []int
	sizes := make([]int64, len(streams))
	for i, s := range streams {
		if s.Input.Path == source.Stdin {
			continue
		}
		if fi, err := os.Stat(s.Input.Path); err == nil {
			sizes[i] = fi.Size()
		}
		order = append(order, i)
	}
	sort.SliceStable(order, func(a, b int) bool { return sizes[order[a]] > sizes[order[b]] })
	out := make([]*reading, len(streams))
	for _, i := range order {
		out[i] = &reading{s: streams[i], size: sizes[i]}
	}
	if head > 0 {
		// The logs of sure times are read whole, the others in part: a
		// glimpse of each tells which, so that the longest readings start
		// first and the cores end about together.
		readAll(out, order, opts, glimpse, false)
		sort.SliceStable(order, func(a, b int) bool {
			ra, rb := out[order[a]], out[order[b]]
			return ra != nil && rb != nil && ra.sure() && !rb.sure()
		})
		until := headsReach(out, head)
		for _, r := range out {
			if r != nil {
				r.until = until
			}
		}
	}
	readAll(out, order, opts, head, true)
	return out
}

// glimpse is how much of its times a reading is read to tell whether they
// are sure.
const glimpse = time.Minute

// headsReach is how far in time the logs of sure times must be read for a
// guess from the first head of the others (0: to their end): as far as
// any offset could place those first parts, which begin where their
// glimpses did, and an hour more for the windows around failures. On days
// of logs this spares a guess most of a second reading of the logs of
// sure times (PgBouncer's); on hours of logs they are read whole, as before.
func headsReach(rs []*reading, head time.Duration) int64 {
	var latest int64
	naive := false
	for _, r := range rs {
		if r == nil || r.sure() {
			continue
		}
		if !r.times.seen {
			return 0
		}
		naive = true
		latest = max(latest, r.times.first)
	}
	if !naive {
		return 0
	}
	return latest + int64((head+verdict.ZoneMax+time.Hour)/time.Second)
}

// sure reports whether the times read so far are sure.
func (r *reading) sure() bool { return allSure(r.again.Parts()) }

// readAll reads on the readings at order, as many at once as there are
// cores; those not open yet are opened first (read).
func readAll(rs []*reading, order []int, opts *source.Options, head time.Duration, readOn bool) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(order)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if rs[i] == nil {
					continue
				}
				if !rs[i].open(opts) {
					rs[i] = nil
					continue
				}
				rs[i].read(head, readOn)
			}
		}()
	}
	for _, i := range order {
		next <- i
	}
	close(next)
	wg.Wait()
}

// open opens the reading's file again, its naive times as UTC; its bytes
// count on the progress bar (progress.total sizes it for both readings).
func (r *reading) open(opts *source.Options) bool {
	if r.again != nil {
		return true
	}
	o := *opts
	o.Loc, o.Zones, o.Warn, o.OnPart = time.UTC, nil, nil, nil
	o.Read = func(n int) {
		r.bytes += int64(n)
		if opts.Read != nil {
			opts.Read(n)
		}
	}
	again, err := source.Open(r.s.Input, &o)
	if err != nil {
		return false
	}
	r.again = again
	r.stop = opts.Stop
	r.own, r.stamped = activities{acts: map[string]*verdict.Activity{}}, activities{acts: map[string]*verdict.Activity{}}
	return true
}

// read reads on to the end or, with head > 0, until the times read span
// head, unless they are sure so far and readOn: a log of sure times is
// read whole, as the logs a guess's first parts are set against
// (GuessClocks).
func (r *reading) read(head time.Duration, readOn bool) {
	if r.ended {
		return // and closed
	}
	split := r.again.Splitter()
	upTo := int64(head / time.Second)
	for !r.ended {
		if head > 0 && !r.readOn && r.times.seen && r.times.last-r.times.first >= upTo {
			if !readOn || !r.sure() {
				return
			}
			r.readOn = true
		}
		if head > 0 && r.readOn && r.until != 0 && r.times.last > r.until {
			return
		}
		ev, err := r.again.Next()
		if err != nil || r.stop != nil && r.stop() {
			r.ended = true
			break
		}
		r.times.add(ev.Time.Unix())
		switch {
		case !ev.Stamped:
			r.own.count(ev.Source, ev)
		case split.NaiveStamps():
			// The collector's naive times go by its own zone, the
			// host's, which need not be its programs': they are
			// surveyed as one source of their own.
			r.stamped.count(r.s.Input.Name, ev)
		default:
			r.stamped.count(ev.Source, ev)
		}
	}
	r.again.Close()
}

// surveysOf is what the readings found of each stream's logical sources
// (nil for a stream not surveyed).
func surveysOf(rs []*reading) [][]*surveyed {
	out := make([][]*surveyed, len(rs))
	for i, r := range rs {
		if r != nil {
			out[i] = surveyedParts(r.s, r.again, r.own, r.stamped)
		}
	}
	return out
}

// closeAll closes the files of the readings not read to their end.
func closeAll(rs []*reading) {
	for _, r := range rs {
		if r != nil && r.again != nil && !r.ended {
			r.again.Close()
		}
	}
}

// allSure reports whether no part has more naive times than zoned ones.
func allSure(parts []*parser.Part) bool {
	for _, p := range parts {
		if p.Clock.Naive > p.Clock.Zoned {
			return false
		}
	}
	return true
}

// surveyedParts is what a reading of s (again) found of each logical source.
func surveyedParts(s, again *source.Stream, own, stamped activities) []*surveyed {
	split := again.Splitter()
	collector := ""
	if k := split.Envelope(); k != nil {
		collector = k.Name
	}
	var out []*surveyed
	for _, p := range again.Parts() {
		sv := &surveyed{stream: s, name: p.Name, own: own.acts[p.Name], collector: collector, clock: p.Clock, sure: p.Clock.Zoned}
		if sv.own == nil {
			sv.own = verdict.NewActivity(p.Name)
		}
		if !split.NaiveStamps() {
			if sv.stamped = stamped.acts[p.Name]; sv.stamped != nil {
				sv.sure += sv.stamped.Events
			}
		}
		out = append(out, sv)
	}
	if act := stamped.acts[s.Input.Name]; act != nil && split.NaiveStamps() {
		out = append(out, &surveyed{stream: s, name: s.Input.Name, own: act, collector: collector,
			clock: split.EnvelopeClock(), envelope: true})
	}
	return out
}

// activities is the survey's activity of each logical source, by name. A
// file's events come in runs of one source: the last one counted is kept
// at hand rather than looked up for every event.
type activities struct {
	acts map[string]*verdict.Activity
	name string
	last *verdict.Activity
}

func (a *activities) count(name string, ev *parser.Event) {
	if a.last == nil || name != a.name {
		a.last = a.acts[name]
		if a.last == nil {
			a.last = verdict.NewActivity(name)
			a.acts[name] = a.last
		}
		a.name = name
	}
	a.last.Event(ev)
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
			act.Seconds.Add(s.Time.Unix(), s.TotalRequests-prev.TotalRequests)
		}
		if s.TotalFailures > prev.TotalFailures {
			act.Failures.Add(s.Time.Unix(), 1)
			act.Failed++
		}
	}
	return act
}
