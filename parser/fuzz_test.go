package parser

import (
	"strings"
	"testing"
	"time"
)

// Seeds are lines from the real captures and the shapes around them; every
// registered format's examples are added to them.
var fuzzSeeds = []string{
	"Watching for file changes with StatReloader\nInternal Server Error: /accounts/login/\nTraceback (most recent call last):\n  File \"/x.py\", line 1, in f\n    ^^^\ndjango.db.utils.OperationalError: server closed the connection unexpectedly\n\tThis probably means\n\n[27/Nov/2026 00:15:05] \"POST /accounts/login/ HTTP/1.1\" 500 145\n",
	"[27/Nov/2026 00:08:34,981] - Broken pipe from ('127.0.0.1', 53706)\n\n[27/Nov/2026 00:15:09] \"\x16\x03\" 400 -\n",
	"ERROR 2026-11-27 00:15:05,496 log 28488 140511482451648 Internal Server Error: /accounts/login/\nTraceback (most recent call last):\nConnectionRefusedError: [Errno 111] Connection refused\n\nDuring handling of the above exception, another exception occurred:\n\nTraceback (most recent call last):\nredis.exceptions.ConnectionError: Error 111\n",
	"2026-11-27 00:15:05,501 WARNING auth_debug: method=POST path=/accounts/login/ user=lt_139 status=500 dur_ms=140\n",
	"2026-11-26 17:16:28.717 UTC [28431] LOG C-0x55723b8e6700: ahsp/ahsp@127.0.0.1:49172 closing because: query_wait_timeout (age=7s)\n2026-11-26 17:16:28.717 UTC [28431] WARNING C-0x55723b8e6700: ahsp/ahsp@[::1]:49172 pooler error: query_wait_timeout\n\tmore\n",
	"2026-11-26 17:15:00.441 UTC [28399] [unknown]@[unknown] LOG:  connection received: host=127.0.0.1 port=53850\n2026-11-26 17:15:00.441 UTC [28399] DETAIL:  x\n",
	"  + Exception Group Traceback (most recent call last):\n  | ExceptionGroup: eg\n  +-+---- 1 ----\n    | ValueError: 1\n",
	"November 27, 2026 - 00:15:02\n2026-11-26 17:15:02.783 XYZ [1] LOG x\n2026-11-26 17:15:02 +0530 [1] LOG y\n",
	"Dec 31 23:59:58 db1 pgbouncer[6251]: LOG C-0x5: app/app@10.0.0.5:40000 closing because: query_wait_timeout (age=2s)\nJan  1 00:00:01 db1 pgbouncer[6251]: pooler error: x\n",
}

func allSeeds() []string {
	seeds := append([]string(nil), fuzzSeeds...)
	for _, f := range Formats() {
		seeds = append(seeds, strings.Join(f.Examples, "\n")+"\n")
	}
	return seeds
}

func checkEvents(t *testing.T, evs []Event, lines int) {
	for _, ev := range evs {
		if ev.Line < 1 || ev.EndLine < ev.Line || ev.EndLine > lines {
			t.Fatalf("event lines %d-%d outside 1-%d: %+v", ev.Line, ev.EndLine, lines, ev)
		}
		if ev.Time.IsZero() {
			t.Fatalf("event without a time: %+v", ev)
		}
		if ev.TimeFrom > lines {
			t.Fatalf("time borrowed from line %d of %d", ev.TimeFrom, lines)
		}
		if ev.IsResponse() && (ev.Status < 100 || ev.Status > 999) && !(ev.Killed() && ev.Status == 0) {
			t.Fatalf("status %d", ev.Status)
		}
		// A killed request ran under a quarter hour, or as long as its
		// zone says (killedAfter).
		if ev.Killed() && ev.Duration >= time.Hour {
			t.Fatalf("killed after %s", ev.Duration)
		}
		if ev.Duration < 0 {
			t.Fatalf("negative duration %s", ev.Duration)
		}
		// A connection is read from the line when asked: only a
		// PgBouncer line's, and one its text names.
		if c, ok := ev.Connection(); ok && (ev.Kind != KindPgBouncer || !strings.Contains(ev.Text, string(c.Side)+"-"+c.Ptr+": ")) {
			t.Fatalf("connection %+v read from %q", c, ev.Text)
		}
	}
}

// stampOf gives every third fuzzed line a collector's stamp, so that the
// parsers' stamped paths are fuzzed too.
func stampOf(i int) (time.Time, time.Duration) {
	if i%3 != 0 {
		return time.Time{}, 0
	}
	return time.Date(2026, 11, 26, 17, 15, i%60, 0, time.UTC), time.Microsecond
}

func fuzzParse(t *testing.T, spec Spec, data string) {
	lines := strings.Split(data, "\n")
	var evs []Event
	p := spec.New(NewClock("fuzz", time.UTC, func(string) {}), func(ev Event) { evs = append(evs, ev) })
	for i, l := range lines {
		st, prec := stampOf(i)
		p.Feed(Line{Num: i + 1, Text: l, Stamp: st, StampPrecision: prec})
		if i == len(lines)/2 {
			if pp, ok := p.(Pauser); ok {
				pp.Pause()
			}
		}
	}
	p.Flush()
	checkEvents(t, evs, len(lines))
}

// FuzzFormats fuzzes every registered format's parser, one chosen by the
// fuzzer, and for formats that take an option, the option too.
func FuzzFormats(f *testing.F) {
	for i, fm := range Formats() {
		opt := ""
		switch fm.Name {
		case "python":
			opt = PyPresets[i%len(PyPresets)].Format
		case "postgresql":
			opt = "%t [%p]: [%l-1] user=%u,db=%d,app=%a "
		}
		for _, s := range allSeeds() {
			f.Add(uint8(i), "", s)
			if opt != "" {
				f.Add(uint8(i), opt, s)
			}
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, option, data string) {
		fm := Formats()[int(which)%len(Formats())]
		spec := Spec{Format: fm}
		switch {
		case option != "" && fm.withOption != nil:
			s, err := fm.withOption(fm, option)
			if err != nil {
				return
			}
			spec = s
		case fm.NeedsOption:
			specs := fm.variants(fm, strings.Split(data, "\n"))
			if len(specs) == 0 {
				return
			}
			spec = specs[int(which)%len(specs)]
		}
		fuzzParse(t, spec, data)
	})
}

// FuzzDetect: whatever detection picks must read the same lines.
func FuzzDetect(f *testing.F) {
	for _, s := range allSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		lines := strings.Split(data, "\n")
		d, ok := Detect(lines)
		if !ok {
			return
		}
		if d.Lines < 1 || d.Lines > len(lines) {
			t.Fatalf("detection counted %d of %d lines", d.Lines, len(lines))
		}
		if d.Spec.Py != nil {
			if _, err := CompilePyFormat(d.Spec.Py.Source); err != nil {
				t.Fatalf("detected format does not compile: %v", err)
			}
		}
		fuzzParse(t, d.Spec, data)
	})
}

func FuzzScanStamp(f *testing.F) {
	for _, s := range []string{"2026-11-27 00:15:05,496", "27/Nov/2026:00:15:05 -0600", "2026-11-26 17:15:02.783 UTC", "November 27, 2026 - 00:15:02", "26 Nov 2026 16:25:18.155", "2026-11-26T16:26:43.123456789+05:30"} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, word bool) {
		st, n, ok := scanStamp(s, word)
		if !ok {
			return
		}
		if n <= 0 || n > len(s) || st.clockEnd > n {
			t.Fatalf("consumed %d (clock to %d) of %d", n, st.clockEnd, len(s))
		}
		if NewClock("fuzz", time.UTC, func(string) {}).instant(st, 1).IsZero() {
			t.Fatal("zero instant")
		}
	})
}

// FuzzDemux: a stream mixing any programs' lines reads without panic, and
// its events keep to the lines they were given.
func FuzzDemux(f *testing.F) {
	for _, s := range allSeeds() {
		f.Add(s)
	}
	f.Add(strings.Join(fuzzSeeds, ""))
	f.Fuzz(func(t *testing.T, data string) {
		lines := strings.Split(data, "\n")
		var evs []Event
		d := NewDemux("fuzz", func(name string) *Clock { return NewClock(name, time.UTC, func(string) {}) }, func(ev Event) { evs = append(evs, ev) })
		d.Start(lines[:len(lines)/2])
		for i, l := range lines {
			st, prec := stampOf(i)
			d.Feed(Line{Num: i + 1, Text: l, Stamp: st, StampPrecision: prec})
			if i == len(lines)/3 {
				d.Pause()
			}
		}
		d.Flush()
		checkEvents(t, evs, len(lines))
		if d.Unparsed() > len(lines) {
			t.Fatalf("%d unparsed of %d lines", d.Unparsed(), len(lines))
		}
	})
}
