package parser

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// zoneAbbrev holds abbreviations whose offset is not in doubt. Ambiguous ones
// (CST, IST, BST, AST, …) are left out on purpose: they are honoured only
// when the source's own zone uses them, never guessed.
var zoneAbbrev = map[string]int{
	"UTC": 0, "GMT": 0, "UT": 0, "Z": 0,
	"WET": 0, "WEST": 3600, "CET": 3600, "CEST": 7200, "MET": 3600, "MEST": 7200,
	"EET": 7200, "EEST": 10800, "MSK": 10800,
	"EST": -5 * 3600, "EDT": -4 * 3600, "CDT": -5 * 3600, "MST": -7 * 3600, "MDT": -6 * 3600,
	"PST": -8 * 3600, "PDT": -7 * 3600, "AKST": -9 * 3600, "AKDT": -8 * 3600, "HST": -10 * 3600,
	"NST": -(3*3600 + 1800), "NDT": -(2*3600 + 1800),
	"WIB": 7 * 3600, "WITA": 8 * 3600, "WIT": 9 * 3600,
	"ICT": 7 * 3600, "PHT": 8 * 3600, "SGT": 8 * 3600, "HKT": 8 * 3600, "AWST": 8 * 3600,
	"JST": 9 * 3600, "KST": 9 * 3600, "ACST": 9*3600 + 1800, "ACDT": 10*3600 + 1800,
	"AEST": 10 * 3600, "AEDT": 11 * 3600, "NZST": 12 * 3600, "NZDT": 13 * 3600,
	"PKT": 5 * 3600, "NPT": 5*3600 + 2700, "SAST": 2 * 3600, "CAT": 2 * 3600, "EAT": 3 * 3600, "WAT": 3600,
	"BRT": -3 * 3600, "ART": -3 * 3600,
}

// Clock turns the timestamps of one source into instants: naive ones in the
// source's zone, abbreviated ones by what the abbreviation means. An
// abbreviation it cannot place is reported once per source and read in the
// source's zone; it never silently becomes UTC, as with time.Parse.
type Clock struct {
	Source string
	Loc    *time.Location
	Warn   func(string)
	// Ref dates yearless timestamps (syslog's): the year is Ref's, or the
	// one before for a month later than Ref's (December lines in a file
	// last written in January). Sources set it to the file's mtime, or,
	// with RefNear, to a time another log of the run wrote with its year:
	// then the year is the one that puts the line nearest to Ref.
	Ref     time.Time
	RefNear bool
	// Yearless counts the timestamps whose year Ref supplied.
	Yearless int
	years    yearCache

	// Naive and Zoned count the timestamps read without and with a zone of
	// their own, so a caller can tell whether the source's zone matters.
	Naive, Zoned int
	// Absolute counts the times written as seconds since the epoch;
	// LocPlaced the zone abbreviations only the source's zone placed, at
	// another offset than the table of abbreviations (or UTC) gives. With
	// Naive and Zoned they tell whether the source read in another zone
	// gives the same instants but for its naive times, shifted (the zone
	// survey's tally of the merge's reading, in engine).
	Absolute, LocPlaced int

	// lineStamp is the zoned time a collector recorded for the line being
	// read (set by Demux while it feeds the line): each naive time read
	// then is tallied by how far its wall clock is from it.
	lineStamp  time.Time
	offsets    *[offsetSlots]int32
	offAway    int
	lastZoned  lastZoned
	lastSecond lastSecond

	mu     sync.Mutex
	warned map[string]bool
	fixed  map[string]*time.Location
}

// NewClock returns a clock for one source; warn may be nil.
func NewClock(source string, loc *time.Location, warn func(string)) *Clock {
	if loc == nil {
		loc = time.Local
	}
	return &Clock{Source: source, Loc: loc, Warn: warn}
}

// Date is the instant of a date and time written without a zone, read as
// the source's naive timestamps are: in its zone, the year supplied by Ref
// when year is 0. Collectors' envelopes (syslog) are read with it.
func (c *Clock) Date(year, month, day, hour, minute, sec, nsec int) time.Time {
	return c.instant(stamp{year: year, month: month, day: day, hour: hour, minute: minute, second: sec, nsec: nsec}, 0)
}

func (c *Clock) instant(st stamp, line int) time.Time {
	if st.year == 0 {
		st.year = c.yearOf(st)
		c.Yearless++
	}
	loc := c.Loc
	switch {
	case st.hasOffset:
		loc = c.fixedZone(st.zone, st.offset)
		c.Zoned++
	case st.zone != "":
		loc = c.zoneFor(st, line)
		c.Zoned++
	default:
		c.Naive++
		if !c.lineStamp.IsZero() {
			c.tallyOffset(st)
		}
	}
	// A log writes many lines a second: the second's instant is worked
	// out once (time.Date looks up the zone's offset each time) and each
	// line's fraction added to it. A fraction of a second or more is
	// normalised by time.Date into the wall clock, where it can cross a
	// zone's change: time.Date places it.
	if st.nsec < 0 || st.nsec >= int(time.Second) {
		return time.Date(st.year, time.Month(st.month), st.day, st.hour, st.minute, st.second, st.nsec, loc)
	}
	at := zonedSecond{st.year, st.month, st.day, st.hour, st.minute, st.second}
	if c.lastSecond.loc != loc || c.lastSecond.at != at {
		c.lastSecond = lastSecond{at: at, loc: loc, start: time.Date(st.year, time.Month(st.month), st.day, st.hour, st.minute, st.second, 0, loc)}
	}
	return c.lastSecond.start.Add(time.Duration(st.nsec))
}

// lastSecond is the instant a second last read started at, in loc.
type lastSecond struct {
	at    zonedSecond
	loc   *time.Location
	start time.Time
}

// yearOf is the year Ref supplies a stamp written without one. A file of
// such stamps (syslog's, journald's short output) asks it on every line:
// Ref's year and month are worked out once, and the year nearest to Ref
// once for each day, when every second of the day has the same.
func (c *Clock) yearOf(st stamp) int {
	y := &c.years
	if !y.known || y.ref != c.Ref || y.loc != c.Loc {
		ref := c.Ref
		if ref.IsZero() {
			ref = time.Now()
		}
		ref = ref.In(c.Loc)
		*y = yearCache{known: true, ref: c.Ref, loc: c.Loc, at: ref, year: ref.Year(), month: int(ref.Month())}
	}
	if !c.RefNear {
		if st.month > y.month {
			return y.year - 1
		}
		return y.year
	}
	if st.hour > 23 || st.minute > 59 || st.second > 59 {
		return c.nearestYear(st)
	}
	if !y.dayKnown || y.dayMonth != st.month || y.day != st.day {
		first, last := st, st
		first.hour, first.minute, first.second = 0, 0, 0
		last.hour, last.minute, last.second = 23, 59, 59
		a := c.nearestYear(first)
		if a != c.nearestYear(last) {
			// Ref is half a year from this day: its seconds differ.
			y.dayKnown = false
			return c.nearestYear(st)
		}
		y.dayKnown, y.dayMonth, y.day, y.dayYear = true, st.month, st.day, a
	}
	return y.dayYear
}

// nearestYear: Ref is a neighbouring log's time, and the year is the one
// that puts the stamp nearest to it (a log that spans New Year included).
func (c *Clock) nearestYear(st stamp) int {
	ref, year := c.years.at, c.years.year
	best := time.Duration(1<<63 - 1)
	for y := c.years.year - 1; y <= c.years.year+1; y++ {
		d := time.Date(y, time.Month(st.month), st.day, st.hour, st.minute, st.second, 0, c.Loc).Sub(ref)
		if d < 0 {
			d = -d
		}
		if d < best {
			best, year = d, y
		}
	}
	return year
}

// yearCache is what yearOf keeps: Ref as it was read (ref, loc), its year
// and month, and the year of the last day asked.
type yearCache struct {
	known       bool
	ref         time.Time
	loc         *time.Location
	at          time.Time
	year, month int
	dayKnown    bool
	dayMonth    int
	day         int
	dayYear     int
}

func (c *Clock) fixedZone(name string, off int) *time.Location {
	if off == 0 {
		return time.UTC
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if l, ok := c.fixed[name]; ok {
		return l
	}
	if c.fixed == nil {
		c.fixed = make(map[string]*time.Location)
	}
	l := time.FixedZone(name, off)
	c.fixed[name] = l
	return l
}

// zoneFor places an abbreviation: first the source's own zone if it uses
// that abbreviation at that date (this settles CST, IST and the like), then
// the table of unambiguous ones.
func (c *Clock) zoneFor(st stamp, line int) *time.Location {
	// A log writes many lines a second: the answer for the second before,
	// in the same abbreviation, is this one's.
	at := zonedSecond{st.year, st.month, st.day, st.hour, st.minute, st.second}
	if c.lastZoned.loc != nil && c.lastZoned.at == at && c.lastZoned.zone == st.zone && c.lastZoned.in == c.Loc {
		if c.lastZoned.placed {
			c.LocPlaced++
		}
		return c.lastZoned.loc
	}
	placedBefore := c.LocPlaced
	loc := c.placeZone(st, line)
	c.lastZoned = lastZoned{at: at, zone: strings.Clone(st.zone), in: c.Loc, loc: loc, placed: c.LocPlaced != placedBefore}
	return loc
}

// zonedSecond is the wall-clock second a time was written at.
type zonedSecond struct{ year, month, day, hour, minute, second int }

// lastZoned is zoneFor's last answer.
type lastZoned struct {
	at     zonedSecond
	zone   string
	in     *time.Location // the source's zone it was placed against
	loc    *time.Location
	placed bool // it counted in LocPlaced
}

// placeZone is zoneFor's answer worked out.
func (c *Clock) placeZone(st stamp, line int) *time.Location {
	probe := time.Date(st.year, time.Month(st.month), st.day, st.hour, st.minute, st.second, 0, c.Loc)
	name, own := probe.Zone()
	table, known := zoneAbbrev[st.zone]
	if name == st.zone || !known {
		if own != table {
			c.LocPlaced++
		}
	}
	if name == st.zone {
		return c.Loc
	}
	if known {
		return c.fixedZone(st.zone, table)
	}
	c.mu.Lock()
	first := !c.warned[st.zone]
	if first {
		if c.warned == nil {
			c.warned = make(map[string]bool)
		}
		c.warned[st.zone] = true
	}
	c.mu.Unlock()
	if first && c.Warn != nil {
		c.Warn(fmt.Sprintf("%s:%d: time zone %q is not one logcorr can place; reading these times in %s (set --tz %s=ZONE to choose)",
			c.Source, line, st.zone, c.Loc, c.Source))
	}
	return c.Loc
}

// Offsets are tallied in 15-minute steps (every zone in use is a multiple)
// up to 14 hours either side of UTC.
const (
	offsetStep  = 15 * time.Minute
	offsetMax   = 56 // 14 h
	offsetSlots = 2*offsetMax + 1
)

// tallyOffset counts a naive time by its wall clock's distance from the
// collector's time for the line, to the nearest step: a collector records
// the line milliseconds after the program wrote it, so the distance is
// the program's zone offset.
func (c *Clock) tallyOffset(st stamp) {
	wall := time.Date(st.year, time.Month(st.month), st.day, st.hour, st.minute, st.second, st.nsec, time.UTC)
	d := wall.Sub(c.lineStamp)
	half := offsetStep / 2
	if d < 0 {
		half = -half
	}
	k := int((d + half) / offsetStep)
	if k < -offsetMax || k > offsetMax {
		c.offAway++
		return
	}
	if c.offsets == nil {
		c.offsets = new([offsetSlots]int32)
	}
	c.offsets[k+offsetMax]++
}

// ZoneFromCollector is the zone offset of the naive times read with a
// collector's zoned time beside them (docker, CRI, journald json) that
// most agree on: agree of the compared times are that far east of UTC.
func (c *Clock) ZoneFromCollector() (offset time.Duration, agree, compared int) {
	compared = c.offAway
	if c.offsets == nil {
		return 0, 0, compared
	}
	best := 0
	for i, n := range c.offsets {
		compared += int(n)
		if n > c.offsets[best] {
			best = i
		}
	}
	return time.Duration(best-offsetMax) * offsetStep, int(c.offsets[best]), compared
}
